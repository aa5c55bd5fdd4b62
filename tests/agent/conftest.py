"""Agent fixtures: a committed SQLite or PostgreSQL database with two accounts, per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.accounts import service as accounts
from core.db import Base, make_engine, make_session_factory


@dataclass
class World:
    factory: sessionmaker[Session]
    account_id: int
    user_id: int
    other_account_id: int
    other_user_id: int


@pytest.fixture
def world(empty_database_url: str) -> Iterator[World]:
    engine = make_engine(empty_database_url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        a = accounts.create_account(s, name="Acme", plan="pro", addons=["sms"])
        ua = accounts.create_user(s, account_id=a.id, email="ann@acme.io", name="Ann", role="admin")
        b = accounts.create_account(s, name="Beta", plan="starter")
        ub = accounts.create_user(s, account_id=b.id, email="bob@beta.io", name="Bob", role="admin")
    yield World(factory, a.id, ua.id, b.id, ub.id)
    engine.dispose()
