"""The Slack surface: a slack_bolt app mounted on the FastAPI server at ``/slack/events``."""

from server.slack.mount import mount_slack
from server.slack.settings import SlackSettings

__all__ = ["SlackSettings", "mount_slack"]
