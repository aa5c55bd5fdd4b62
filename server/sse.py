"""Server-sent events from a run's buffer: ``id`` is the sequence number, so ``Last-Event-ID`` resumes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from server.runs import Gap, Run

HEARTBEAT_SECONDS = 15.0


def frame(event: str, data: str, event_id: int | None = None) -> bytes:
    """Encode one SSE frame (``data`` is already JSON on one line)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n".encode()


async def run_stream(
    run: Run,
    *,
    after: int = 0,
    heartbeat: float = HEARTBEAT_SECONDS,
    on_close: Callable[[], None] | None = None,
) -> AsyncIterator[bytes]:
    """Yield the run's events after ``after`` as SSE frames until it ends, with heartbeats in between."""
    events = run.events(after)
    pending: asyncio.Future[object] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(events))
            done, _ = await asyncio.wait({pending}, timeout=heartbeat)
            if not done:
                yield b": heartbeat\n\n"
                continue
            try:
                item = pending.result()
            except StopAsyncIteration:
                return
            finally:
                pending = None
            if isinstance(item, Gap):
                continue  # SSE clients cannot render a snapshot; they get what is still buffered
            yield frame(item.type, item.data, item.seq)
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        with contextlib.suppress(Exception):
            await events.aclose()
        if on_close is not None:
            on_close()
