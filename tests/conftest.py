"""Test fixtures: every core test runs on a real SQLite file and on the real PostgreSQL.

PostgreSQL: a throwaway database is created for the test session on the server named by
ACTIVEINTEL_TEST_POSTGRES_URL (default: the local server's ``test`` database) and dropped at the end, so
parallel runs never collide. Set ACTIVEINTEL_TEST_SKIP_POSTGRES=1 to run on SQLite only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import core.models  # noqa: F401  (registers every table)
from core.db import Base, make_engine

POSTGRES_ADMIN_URL = os.environ.get(
    "ACTIVEINTEL_TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test"
)
SKIP_POSTGRES = os.environ.get("ACTIVEINTEL_TEST_SKIP_POSTGRES") == "1"
BACKENDS = ["sqlite"] + ([] if SKIP_POSTGRES else ["postgres"])

# A fixed clock: tests never depend on the wall clock.
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove provider API keys so an accidental real model call fails instead of costing money."""
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Create a throwaway PostgreSQL database for this test session and drop it afterwards."""
    if SKIP_POSTGRES:
        pytest.skip("ACTIVEINTEL_TEST_SKIP_POSTGRES=1")
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"activeintel_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _sqlite_url(tmp: Path) -> str:
    return f"sqlite:///{tmp / 'test.db'}"


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A schema-complete engine per backend, shared by the session (tests roll back their changes)."""
    if request.param == "sqlite":
        url = _sqlite_url(tmp_path_factory.mktemp("sqlite"))
    else:
        url = request.getfixturevalue("postgres_url")
    eng = make_engine(url)
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test (savepoints for inner commits)."""
    connection = engine.connect()
    outer = connection.begin()
    sess = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield sess
    finally:
        sess.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) per backend, for tests that build the schema themselves."""
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path)
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"activeintel_empty_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class DemoWorld:
    """A small demo account (plus an empty second tenant) in its own database, shared by a test session."""

    backend: str
    engine: Engine
    factory: Any
    data_dir: Path
    account_id: int
    admin_user_id: int
    other_account_id: int
    other_user_id: int


def _fresh_database(backend: str, tmp: Path, cleanup: list[Any]) -> str:
    if backend == "sqlite":
        return _sqlite_url(tmp)
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"activeintel_world_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    cleanup.append(drop)
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=BACKENDS)
def demo_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWorld]:
    """The demo generator's account at 300 contacts (seed 7, fixed clock) and a second, empty account."""
    from sqlalchemy import select

    from core.accounts import service as accounts
    from core.accounts.models import User
    from core.db import make_session_factory
    from core.demo.generator import build_demo_account
    from core.enums import UserRole

    cleanup: list[Any] = []
    tmp = tmp_path_factory.mktemp(f"world_{request.param}")
    eng = make_engine(_fresh_database(request.param, tmp, cleanup))
    summary = build_demo_account(eng, contacts=300, seed=7, now=NOW, data_dir=tmp / "data")
    factory = make_session_factory(eng)
    with factory.begin() as s:
        admin = s.scalars(
            select(User.id).where(User.account_id == summary.account_id, User.role == UserRole.ADMIN).order_by(User.id)
        ).first()
        other = accounts.create_account(s, name="Other Tenant", plan="pro", addons=["sms", "pipelines"])
        other_user = accounts.create_user(s, account_id=other.id, email="owner@other.io", name="Olga", role="admin")
    try:
        yield DemoWorld(
            request.param, eng, factory, tmp / "data", summary.account_id, admin, other.id, other_user.id
        )
    finally:
        eng.dispose()
        for fn in cleanup:
            fn()
