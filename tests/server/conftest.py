"""Server fixtures: API keys for three callers of the shared demo world, and live servers around it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from core.accounts import service as accounts
from core.auth import service as keys
from core.campaigns import service as campaigns
from tests.server.harness import NOW, LiveServer, database_url, start_server

_names = itertools.count(1)


@dataclass(frozen=True)
class Caller:
    account_id: int
    user_id: int
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.key}


@dataclass(frozen=True)
class Callers:
    admin: Caller  # the demo account's admin
    colleague: Caller  # another user of the same account
    outsider: Caller  # a user of another account


@pytest.fixture(scope="session")
def callers(demo_world) -> Callers:
    """Keys for the demo admin, a colleague in the same account, and the other tenant's user."""
    with demo_world.factory.begin() as s:
        colleague = accounts.create_user(
            s, account_id=demo_world.account_id, email="colleague@server-tests.io", name="Colleague"
        )

        def make(account_id: int, user_id: int) -> Caller:
            secret = keys.create_api_key(
                s, account_id=account_id, user_id=user_id, now=NOW, name="tests"
            ).secret
            return Caller(account_id, user_id, secret)

        return Callers(
            admin=make(demo_world.account_id, demo_world.admin_user_id),
            colleague=make(demo_world.account_id, colleague.id),
            outsider=make(demo_world.other_account_id, demo_world.other_user_id),
        )


@pytest.fixture(scope="module")
def live(demo_world, callers, tmp_path_factory) -> Iterator[LiveServer]:
    """The app with the offline model (the default) on the demo world, shared by a test module."""
    # Time passes from NOW, as it does for a real server: chats started here are the newest in the history even
    # when other tests left many chats on the shared demo account, all stamped exactly NOW.
    started = datetime.now(UTC)
    server = start_server(
        url=database_url(demo_world.engine), data_dir=tmp_path_factory.mktemp("live"),
        clock=lambda: NOW + (datetime.now(UTC) - started),
    )
    yield server
    server.stop()


@pytest.fixture
def draft_campaign(demo_world) -> str:
    """A new draft email campaign to the Newsletter list; returns its name."""
    name = f"Server Probe {next(_names)} {demo_world.backend}"
    with demo_world.factory.begin() as s:
        campaigns.create_campaign(
            s,
            account_id=demo_world.account_id,
            name=name,
            now=NOW,
            subject="Hi",
            from_name="Shop",
            from_email="hi@shop.example.com",
            lists=["Newsletter"],
            blocks=[{"type": "text", "text": "Hello"}],
        )
    return name
