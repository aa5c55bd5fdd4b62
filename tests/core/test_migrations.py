"""Alembic migrations build the same schema as the models, and an older database upgrades in place."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import core.models  # noqa: F401
from core.db import Base, make_engine
from core.migrations.runner import alembic_config, downgrade, upgrade


def _revisions(engine) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(engine))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_head_matches_the_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations disagree; add a migration: {diff}"


def test_older_database_upgrades_in_place_keeping_its_data(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    revisions = _revisions(engine)
    upgrade(engine, revisions[0])
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (name, plan, addons, industry, timezone, botsense_enabled,"
                " monthly_activity_limit, sms_credit_balance, is_trial, created_at)"
                " VALUES ('Old', 'plus', '[]', 'Generic', 'UTC', false, 0, 0, false, '2025-01-01 00:00:00')"
            )
        )
        account_id = conn.execute(text("SELECT id FROM accounts WHERE name = 'Old'")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO contacts (account_id, email, status, created_at, updated_at)"
                " VALUES (:a, 'kept@example.com', 'active', '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
            ),
            {"a": account_id},
        )
    # Step through every later revision, one at a time, as a long-lived install would.
    for rev in revisions[1:]:
        upgrade(engine, rev)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT email FROM contacts")).scalar_one() == "kept@example.com"
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == revisions[-1]
    engine.dispose()


def test_downgrade_to_base_and_back(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "engagement_events" in inspect(engine).get_table_names()
    engine.dispose()
