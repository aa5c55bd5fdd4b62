"""Chat memory: the LangGraph checkpointer for the configured database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from core.config import Settings


CHECKPOINT_POOL_SIZE = 10


def _postgres_conninfo(url: str) -> str:
    # The checkpointer speaks psycopg directly: strip SQLAlchemy's "+driver" suffix.
    return "postgresql://" + url.split("://", 1)[1]


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[Any]:
    """AsyncSqliteSaver in the data folder by default; AsyncPostgresSaver when DATABASE_URL is PostgreSQL.

    Must be entered inside the running event loop (the savers bind to it).
    """
    url = settings.effective_database_url
    if url.startswith("postgresql"):
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        # A pool, not one connection: with a single connection every chat's checkpoint waits for every other's.
        # The saver needs autocommit and dict rows; its statements repeat, so they are prepared (as from_conn_string
        # does).
        async with AsyncConnectionPool(
            _postgres_conninfo(url), min_size=1, max_size=CHECKPOINT_POOL_SIZE, open=False,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        ) as pool:
            saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
            await saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(str(settings.data_dir / "checkpoints.sqlite")) as saver:
        # WAL (set by the saver) is crash-safe with synchronous=NORMAL and saves an fsync per checkpoint.
        await saver.conn.execute("PRAGMA synchronous=NORMAL")
        yield saver
