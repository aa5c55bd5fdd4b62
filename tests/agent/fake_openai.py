"""A scripted OpenAI chat-completions server (FastAPI), so tests run the real ChatOpenAI client code.

Each test queues replies (text, tool calls, or an HTTP error); every request body is recorded. Streamed
replies follow the wire format of the real API: a role chunk, content deltas, tool-call deltas (the first
carries index, id, type and name, later ones only index and argument fragments), a finish_reason chunk, a
usage chunk when ``stream_options.include_usage`` is set, then ``data: [DONE]``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
BASE_URL = "http://fake-openai/v1"


@dataclass
class Reply:
    """One scripted answer: text and/or tool calls, or an HTTP error."""

    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def text(content: str) -> Reply:
    return Reply(text=content)


def tool_call(name: str, args: dict[str, Any], call_id: str | None = None) -> Reply:
    return tool_calls((name, args, call_id))


def tool_calls(*calls: tuple[str, dict[str, Any], str | None]) -> Reply:
    return Reply(
        tool_calls=[
            {"id": cid or f"call_{uuid.uuid4().hex[:12]}", "name": name, "arguments": json.dumps(args)}
            for name, args, cid in calls
        ]
    )


def error(status: int = 500, *, retry_after_ms: int = 5) -> Reply:
    """An error reply; a short retry-after keeps the client's retries (and the test) fast."""
    return Reply(
        text=f"fake upstream failure {status}", status=status, headers={"retry-after-ms": str(retry_after_ms)}
    )


ReplySource = Reply | Callable[[dict[str, Any]], Reply]


def _fragments(s: str, size: int) -> list[str]:
    return [s[i : i + size] for i in range(0, len(s), size)] or [""]


def _words(s: str) -> list[str]:
    parts = s.split(" ")
    return [p + " " for p in parts[:-1]] + [parts[-1]] if s else []


class FakeOpenAI:
    """The app plus its script and the requests it has seen."""

    def __init__(self, replies: Iterable[ReplySource] = ()) -> None:
        self.replies: deque[ReplySource] = deque(replies)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.app = FastAPI()
        self.app.post("/v1/chat/completions")(self._chat)

    def script(self, *replies: ReplySource) -> FakeOpenAI:
        self.replies.extend(replies)
        return self

    def async_client(self) -> httpx.AsyncClient:
        """An httpx client that calls the app in-process (pass as ``http_async_client``)."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://fake-openai")

    async def _chat(self, request: Request) -> Any:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if not self.replies:
            # An under-scripted test fails at once with a clear message instead of retrying or hanging.
            return JSONResponse(
                {"error": {"message": "fake OpenAI: no scripted reply left", "type": "server_error"}},
                status_code=500,
                headers={"x-should-retry": "false"},
            )
        source = self.replies.popleft()
        reply = source(body) if callable(source) else source
        if reply.status != 200:
            return JSONResponse(
                {"error": {"message": reply.text, "type": "server_error", "param": None, "code": None}},
                status_code=reply.status,
                headers=reply.headers,
            )
        meta = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:10]}",
            "created": int(time.time()),
            "model": body["model"],
        }
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(_stream(reply, meta, include_usage), media_type="text/event-stream")
        return JSONResponse(_complete(reply, meta))


def _complete(reply: Reply, meta: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in reply.tool_calls
        ]
    finish = "tool_calls" if reply.tool_calls else "stop"
    return {
        **meta,
        "object": "chat.completion",
        "usage": USAGE,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
    }


def _stream(reply: Reply, meta: dict[str, Any], include_usage: bool) -> Iterator[str]:
    def chunk(
        delta: dict[str, Any] | None, finish: str | None = None, usage: dict[str, int] | None = None
    ) -> str:
        data: dict[str, Any] = {
            **meta,
            "object": "chat.completion.chunk",
            "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        if usage:
            data["usage"] = usage
        return f"data: {json.dumps(data)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for word in _words(reply.text):
        yield chunk({"content": word})
    for index, call in enumerate(reply.tool_calls):
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["name"], "arguments": ""},
                    }
                ]
            }
        )
        for piece in _fragments(call["arguments"], 7):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, finish="tool_calls" if reply.tool_calls else "stop")
    if include_usage:
        yield chunk(None, usage=USAGE)
    yield "data: [DONE]\n\n"


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free 127.0.0.1 port in a thread; yield its OpenAI base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake OpenAI server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
