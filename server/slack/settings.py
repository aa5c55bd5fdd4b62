"""Slack settings: bot token, signing secret and who may talk to the bot (read from the environment)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SlackSettings(BaseSettings):
    """Slack configuration; the bot is mounted only when both the token and the signing secret are set."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    # Who may use the bot: a YAML or JSON file mapping workspace (team id) and Slack user to account and user.
    users_file: Path | None = Field(default=None, alias="SLACK_USERS_FILE")
    # The same mapping inline, as JSON (handy in containers); merged over the file.
    users: dict[str, Any] | None = Field(default=None, alias="SLACK_USERS")
    # Tests point this at a local fake of the Web API; keep the trailing slash (the SDK uses urljoin).
    api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    # Streamed answers are edited in place at most this often (chat.update is rate limited per channel).
    update_interval: float = Field(default=1.0, ge=0.0, alias="SLACK_UPDATE_INTERVAL")

    @property
    def enabled(self) -> bool:
        """Return True when the bot has what it needs to verify requests and answer them."""
        return bool(self.bot_token and self.signing_secret)
