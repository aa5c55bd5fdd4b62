"""Chart artifacts are drawn in a worker process while the answer streams, in order, and never go missing."""

from __future__ import annotations

import asyncio

import pytest

import agent.artifacts as artifacts
from agent.artifacts import ArtifactFinisher, ChartWorker, finish_artifact
from tools.charts import rate_chart_spec


def _chart(title: str) -> dict:
    return rate_chart_spec([{"label": "May newsletter", "open_rate": 0.4}], label_key="label", metrics=["open_rate"], title=title)


async def test_a_chart_gains_its_svg_and_other_artifacts_pass_unchanged() -> None:
    chart = _chart("May results")
    finished = await finish_artifact("chart", chart)
    assert finished["svg"].startswith("<svg") and "May results" in finished["svg"]
    assert finished["vega_lite"] == chart["vega_lite"] and finished["table"] == chart["table"]
    table = {"rows": [1, 2]}
    assert await finish_artifact("table", table) is table


async def test_drawing_leaves_the_event_loop_free() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        await finish_artifact("chart", _chart("Loop stays free"))
    finally:
        task.cancel()
    assert ticks > 10


def test_worker_is_restarted_after_it_dies_and_bad_specs_are_reported() -> None:
    worker = ChartWorker()
    try:
        assert "First" in worker.draw(_chart("First")["vega_lite"])
        first_pid = worker._proc.pid  # type: ignore[union-attr]
        worker._proc.kill()  # type: ignore[union-attr]
        worker._proc.wait()  # type: ignore[union-attr]
        assert "Second" in worker.draw(_chart("Second")["vega_lite"])
        assert worker._proc.pid != first_pid  # type: ignore[union-attr]
        with pytest.raises(ValueError, match="."):
            worker.draw({"mark": "no-such-mark", "encoding": {"x": {"field": "a", "type": "bogus"}}})
        assert "Still alive" in worker.draw(_chart("Still alive")["vega_lite"])
    finally:
        worker.close()


def test_chart_is_drawn_in_process_when_the_worker_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = ChartWorker()
    monkeypatch.setattr(artifacts.sys, "executable", "/nonexistent/python")
    assert "Fallback" in worker.draw(_chart("Fallback")["vega_lite"])
    worker.close()


async def test_finisher_keeps_emission_order(monkeypatch: pytest.MonkeyPatch) -> None:
    delays = {"slow": 0.2, "fast": 0.0}

    async def fake_draw(spec: dict) -> str:
        await asyncio.sleep(delays[spec["title"]])
        return f"<svg>{spec['title']}</svg>"

    monkeypatch.setattr(artifacts, "draw_svg", fake_draw)
    finisher = ArtifactFinisher()
    finisher.start("chart", _chart("slow"))
    finisher.start("chart", _chart("fast"))
    await asyncio.sleep(0.05)
    assert finisher.ready() == []  # the fast one is done but must not overtake the slow one
    drained = await finisher.drain()
    assert [d["svg"] for _, d in drained] == ["<svg>slow</svg>", "<svg>fast</svg>"]
