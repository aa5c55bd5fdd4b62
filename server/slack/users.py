"""Who may talk to the bot: Slack workspace and user mapped to an ActiveIntel account and user.

The mapping file (YAML or JSON) reads::

    T0123ABCD:            # Slack team (workspace) id
      account_id: 1
      users:
        U0456EFGH: 1      # Slack user id -> ActiveIntel user id in that account
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from server.slack.settings import SlackSettings


class WorkspaceMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: int
    users: dict[str, int] = Field(default_factory=dict)


@dataclass(frozen=True)
class Identity:
    """The ActiveIntel user a Slack user acts as."""

    account_id: int
    user_id: int


class SlackUserMap:
    """Looks up the ActiveIntel identity of a Slack user; unknown workspaces and users map to nobody."""

    def __init__(self, workspaces: dict[str, WorkspaceMapping]) -> None:
        self._workspaces = workspaces

    @classmethod
    def from_settings(cls, settings: SlackSettings) -> SlackUserMap:
        """Read the mapping file, then the inline mapping over it."""
        raw: dict[str, Any] = {}
        if settings.users_file is not None:
            raw.update(_read_file(settings.users_file))
        raw.update(settings.users or {})
        try:
            return cls({str(team): WorkspaceMapping.model_validate(ws) for team, ws in raw.items()})
        except ValidationError as exc:
            source = settings.users_file or "SLACK_USERS"
            raise ValueError(
                f"The Slack user mapping in {source} is not valid: {exc.errors()[0]['msg']} "
                f"at {'.'.join(str(p) for p in exc.errors()[0]['loc'])}. Expected "
                "'TEAM_ID: {account_id: 1, users: {SLACK_USER_ID: USER_ID}}'."
            ) from exc

    def lookup(self, team_id: str | None, slack_user_id: str | None) -> Identity | None:
        """Return the identity for this workspace and user, or None when they are not mapped."""
        workspace = self._workspaces.get(team_id or "")
        if workspace is None or slack_user_id not in workspace.users:
            return None
        return Identity(account_id=workspace.account_id, user_id=workspace.users[slack_user_id])


def _read_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(
            f"The Slack user mapping in {path} must be a mapping of team ids, not {type(data).__name__}."
        )
    return data
