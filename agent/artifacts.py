"""Finishing artifacts off the critical path: tools emit a chart's spec and table, the image is drawn here.

Drawing the SVG (vl-convert) costs about as much as the rest of a performance answer and holds the GIL while it
runs, so a thread would not overlap it with anything. A tool therefore only builds the spec; the turn runner hands
the drawing to a warm worker process (tools/chart_worker.py) as soon as the artifact is emitted, lets the answer
stream meanwhile, and delivers the finished artifact before the final answer. If the worker cannot be used, the
chart is drawn in this process: slower, never missing.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import selectors
import subprocess
import sys
import threading
from typing import Any

from tools.charts import render_svg

log = logging.getLogger(__name__)
DRAW_TIMEOUT_S = 30.0


class ChartWorker:
    """One long-lived ``python -m tools.chart_worker`` process; calls are serialized (a drawing is ~20 ms)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "tools.chart_worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        return self._proc

    def _ask(self, spec: dict[str, Any]) -> str:
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(spec).encode() + b"\n")
        proc.stdin.flush()
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            if not sel.select(DRAW_TIMEOUT_S):
                raise TimeoutError(f"the chart worker did not answer within {DRAW_TIMEOUT_S:.0f} s")
        line = proc.stdout.readline()
        if not line:
            raise EOFError("the chart worker exited")
        reply = json.loads(line)
        if "error" in reply:
            raise ValueError(reply["error"])
        return str(reply["svg"])

    def draw(self, spec: dict[str, Any]) -> str:
        """Draw in the worker (restarted once if it died or hung); in this process if that fails too."""
        with self._lock:
            for _attempt in range(2):
                try:
                    return self._ask(spec)
                except ValueError:
                    raise
                except (OSError, EOFError, TimeoutError) as exc:
                    log.warning("chart worker failed (%s); restarting it", exc)
                    self.close()
        return render_svg(spec)

    def close(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None


_worker = ChartWorker()
atexit.register(_worker.close)


def warm_up() -> None:
    """Start the worker and load its renderer now (about a second), so the first chart answer is not slow."""
    _worker.draw({"mark": "bar", "data": {"values": [{"a": 1}]}, "encoding": {}})


async def draw_svg(spec: dict[str, Any]) -> str:
    """Draw a Vega-Lite spec as SVG without holding up the event loop."""
    return await asyncio.to_thread(_worker.draw, spec)


def needs_finishing(kind: str, data: dict[str, Any]) -> bool:
    """A chart artifact without its SVG yet."""
    return kind == "chart" and "vega_lite" in data and "svg" not in data


async def finish_artifact(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The artifact with everything a surface shows: a chart gains its SVG."""
    if not needs_finishing(kind, data):
        return data
    return {**data, "svg": await draw_svg(data["vega_lite"])}


class ArtifactFinisher:
    """Starts finishing each artifact when it is emitted and hands them back in emission order."""

    def __init__(self) -> None:
        self._pending: list[tuple[str, asyncio.Future[dict[str, Any]]]] = []

    def start(self, kind: str, data: dict[str, Any]) -> None:
        self._pending.append((kind, asyncio.ensure_future(finish_artifact(kind, data))))

    def ready(self) -> list[tuple[str, dict[str, Any]]]:
        """The finished artifacts at the head of the queue (order kept: a later chart never overtakes)."""
        out = []
        while self._pending and self._pending[0][1].done():
            kind, task = self._pending.pop(0)
            out.append((kind, task.result()))
        return out

    async def drain(self) -> list[tuple[str, dict[str, Any]]]:
        """Wait for every artifact still being finished."""
        out = []
        while self._pending:
            kind, task = self._pending.pop(0)
            out.append((kind, await task))
        return out

    def cancel(self) -> None:
        for _, task in self._pending:
            task.cancel()
        self._pending.clear()
