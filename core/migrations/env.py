"""Alembic environment: uses the engine handed over by core.migrations.runner, or DATABASE_URL."""

from __future__ import annotations

from alembic import context

import core.models  # noqa: F401  (registers every table)
from core.config import Settings
from core.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(Settings().effective_database_url)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
