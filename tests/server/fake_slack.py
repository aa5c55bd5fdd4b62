"""A local fake of Slack's Web API at the wire: a real HTTP server on 127.0.0.1 that records every call.

Implements what the bot uses: auth.test, chat.postMessage, chat.update, chat.postEphemeral and the v2 file
upload (files.getUploadURLExternal, the upload URL itself, files.completeUploadExternal).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    authorization: str | None
    content_type: str


@dataclass
class FakeSlack:
    """Start with ``start()``; point ``AsyncWebClient(base_url=fake.api_url)`` at it."""

    bot_user_id: str = "UBOT"
    team_id: str = "T1"
    calls: list[Call] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    base_url: str = ""

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self._lock = threading.Lock()
        self.app = self._build()
        self._server: uvicorn.Server | None = None

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def _next_ts(self) -> str:
        with self._lock:
            return f"1750000000.{next(self._ts):06d}"

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/api/{method}")
        async def api(method: str, request: Request) -> JSONResponse:
            ctype = request.headers.get("content-type", "").split(";")[0]
            raw = (await request.body()).decode()
            # slack_sdk posts JSON for chat.* methods, and form fields or query parameters for most others.
            body = dict(request.query_params)
            body |= (
                json.loads(raw or "{}")
                if ctype == "application/json"
                else {k: v[0] for k, v in parse_qs(raw).items()}
            )
            self.calls.append(Call(method, body, request.headers.get("authorization"), ctype))
            if request.headers.get("authorization") != "Bearer xoxb-test-token":
                return JSONResponse({"ok": False, "error": "invalid_auth"})
            return JSONResponse(self._answer(method, body))

        @app.post("/upload/{file_id}")
        async def upload(file_id: str, request: Request) -> PlainTextResponse:
            data = await request.body()
            self.uploads[file_id] = data
            return PlainTextResponse(f"OK - {len(data)}")

        return app

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": "Fake",
                "user": "activeintel",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": "BBOT",
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            return {
                "ok": True,
                "channel": body.get("channel"),
                "ts": ts,
                "message": {"text": body.get("text"), "ts": ts, "thread_ts": body.get("thread_ts")},
            }
        if method == "chat.update":
            return {
                "ok": True,
                "channel": body.get("channel"),
                "ts": body.get("ts"),
                "text": body.get("text"),
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._files):04d}"
            return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = json.loads(body.get("files") or "[]")
            return {
                "ok": True,
                "files": [{"id": f["id"], "title": f.get("title"), "name": "chart.png"} for f in files],
            }
        return {"ok": False, "error": "unknown_method"}

    def start(self) -> FakeSlack:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        thread = threading.Thread(target=self._server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake Slack server did not start")
            time.sleep(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True

    def of(self, method: str) -> list[dict[str, Any]]:
        """Bodies of the recorded calls to one method, in order."""
        return [c.body for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Poll until ``predicate()`` is truthy (work runs after the ack, in the background)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting; calls so far: {[c.method for c in self.calls]}")
            await asyncio.sleep(0.02)
