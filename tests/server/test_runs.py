"""The run manager on its own: numbering, bounded replay, gaps, cancel before and during a run, busy threads,
forgetting finished runs."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from core.errors import NotFound
from server.runs import Gap, RunHooks, RunManager, ThreadBusy, args_summary
from tests.server.harness import NOW


def manager(**kw) -> RunManager:
    return RunManager(SimpleNamespace(clock=lambda: NOW), **kw)


async def counting(n: int, gate: asyncio.Event | None = None):
    for i in range(n):
        if gate is not None and i == 1:
            await gate.wait()
        yield "token", {"text": f"t{i}"}


def start(runs: RunManager, source, thread="t1"):
    run = runs.reserve(thread_id=thread, account_id=1, user_id=1, kind="chat")
    hooks = RunHooks(on_cancel=lambda: [("run_ended", {"status": "cancelled"})])
    return runs.launch(run, source, hooks)


async def collect(run, after=0):
    return [item async for item in run.events(after)]


async def test_events_are_numbered_and_replayed_from_any_point() -> None:
    runs = manager()
    run = start(runs, counting(5))
    await run.wait()
    assert run.status == "success" and run.last_seq == 5
    assert [e.seq for e in await collect(run)] == [1, 2, 3, 4, 5]
    tail = await collect(run, after=3)
    assert [(e.seq, json.loads(e.data)["text"]) for e in tail] == [(4, "t3"), (5, "t4")]
    assert await collect(run, after=5) == []


async def test_a_live_subscriber_sees_every_event_once() -> None:
    runs = manager()
    gate = asyncio.Event()
    run = start(runs, counting(50, gate))
    reader = asyncio.create_task(collect(run))
    await asyncio.sleep(0.01)
    gate.set()
    assert [e.seq for e in await reader] == list(range(1, 51))


async def test_bounded_buffer_reports_a_gap_then_the_tail() -> None:
    runs = manager(max_events=16, max_bytes=1 << 20)
    run = start(runs, counting(100))
    await run.wait()
    items = await collect(run, after=2)
    assert isinstance(items[0], Gap) and items[0].first_seq == 85
    assert [e.seq for e in items[1:]] == list(range(85, 101))
    assert len(run._events) == 16


async def test_one_run_per_thread_and_cancel_stops_it() -> None:
    runs = manager()
    gate = asyncio.Event()
    run = start(runs, counting(10, gate))
    await asyncio.sleep(0.01)
    with pytest.raises(ThreadBusy) as busy:
        runs.reserve(thread_id="t1", account_id=1, user_id=1, kind="chat")
    assert busy.value.run_id == run.run_id
    other = start(runs, counting(1), thread="t2")  # another thread runs in parallel
    await other.wait()
    await runs.cancel(run.run_id, account_id=1, user_id=1)
    assert run.status == "cancelled" and run.finished
    assert json.loads(list(run._events)[-1].data) == {"status": "cancelled"}
    assert runs.active_run("t1") is None
    start(runs, counting(1))  # the thread is free again


async def test_cancel_before_the_task_starts_still_closes_the_run() -> None:
    runs = manager()
    run = start(runs, counting(3))
    run.task.cancel()  # before the event loop ever ran it
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert run.finished and run.status == "cancelled" and runs.active_run("t1") is None


async def test_failed_source_ends_the_run_with_error_and_frees_the_thread() -> None:
    async def broken():
        yield "token", {"text": "a"}
        raise ZeroDivisionError("bug")

    runs = manager()
    run = runs.reserve(thread_id="t1", account_id=1, user_id=1, kind="chat")
    runs.launch(run, broken(), RunHooks(on_error=lambda exc: [("error", {"message": "oops"})]))
    await run.wait()
    assert run.status == "error" and "our side" in run.error
    assert [e.type for e in run._events] == ["token", "error"] and runs.active_run("t1") is None


async def test_runs_are_private_and_forgotten_after_a_while() -> None:
    runs = manager(keep_seconds=0.0)
    run = start(runs, counting(1))
    with pytest.raises(NotFound):
        runs.get(run.run_id, account_id=1, user_id=2)
    assert runs.get(run.run_id, account_id=1, user_id=1) is run
    await run.wait()
    with pytest.raises(NotFound):
        runs.get(run.run_id, account_id=1, user_id=1)


def test_args_summary_is_one_short_line() -> None:
    assert args_summary("get_campaign", {"campaign": "last"}) == "get_campaign(campaign=last)"
    value = args_summary("create_segment", {"conditions": [{"type": "tag", "tag": "x" * 200}]})
    assert len(value) < 80 and "…" in value  # each value is clipped
    many = args_summary("t", {f"arg{i}": "y" * 30 for i in range(10)})
    assert len(many) == 120 and many.endswith("…")  # and so is the line


async def test_finished_runs_share_a_memory_budget() -> None:
    runs = manager(keep_bytes=2000)
    old = start(runs, counting(100), thread="a")  # about 1,600 bytes of buffer
    await old.wait()
    assert runs.get(old.run_id, account_id=1, user_id=1) is old
    new = start(runs, counting(100), thread="b")
    await new.wait()
    with pytest.raises(NotFound):
        runs.get(old.run_id, account_id=1, user_id=1)  # the oldest went first
    assert runs.get(new.run_id, account_id=1, user_id=1) is new
