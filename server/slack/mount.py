"""Mount the Slack bot on the FastAPI app."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from server.slack.bot import DepsProvider, SlackBot
from server.slack.settings import SlackSettings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def mount_slack(app: FastAPI, settings: SlackSettings | None, deps_provider: DepsProvider) -> SlackBot | None:
    """Serve Slack events and button clicks at ``/slack/events``; do nothing when Slack is not configured.

    ``deps_provider`` is called per turn, so the graph may be built later (in the app's lifespan). The bot
    is kept on ``app.state.slack_bot``; await its ``aclose()`` when the app shuts down.
    """
    settings = settings if settings is not None else SlackSettings()
    if not settings.enabled:
        log.info("Slack bot not mounted: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it.")
        return None
    bot = SlackBot(settings, deps_provider)
    app.state.slack_bot = bot
    app.add_api_route(EVENTS_PATH, bot.handle, methods=["POST"], include_in_schema=False)
    return bot
