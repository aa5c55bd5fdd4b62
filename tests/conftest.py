"""Test fixtures: every core test runs on a real SQLite file and on the real PostgreSQL.

PostgreSQL: a throwaway database is created for the test session on the server named by
ACTIVEINTEL_TEST_POSTGRES_URL (default: the local server's ``test`` database) and dropped at the end, so
parallel runs never collide. Set ACTIVEINTEL_TEST_SKIP_POSTGRES=1 to run on SQLite only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

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
