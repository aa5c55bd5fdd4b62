"""A real uvicorn server on 127.0.0.1 (random port, own thread and event loop) around ``create_app``, plus the
models and helpers the server tests share."""

from __future__ import annotations

import asyncio
import json
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from sqlalchemy import Engine

from agent.offline.model import OfflineChatModel
from core.config import Settings
from server.app import create_app
from server.settings import ServerSettings
from tests.agent.fakes import ScriptedChatModel

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@dataclass
class LiveServer:
    """The app served by uvicorn in a background thread."""

    app: Any
    server: uvicorn.Server
    thread: threading.Thread
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, key: str | None = None) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat" + (f"?api_key={key}" if key else "")

    @property
    def runs(self) -> Any:
        return self.app.state.runs

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the server")
            time.sleep(0.02)


def start_server(
    *,
    url: str,
    data_dir: Path,
    model: Any = None,
    clock: Callable[[], datetime] | None = None,
    sndbuf: int | None = None,
    **overrides: Any,
) -> LiveServer:
    """Start ``create_app`` on a free port with test-friendly settings (``overrides`` are ServerSettings).

    ``sndbuf`` shrinks the kernel send buffer of accepted connections, so a client that stops reading blocks
    the server's writes after kilobytes instead of megabytes.
    """
    settings = Settings(DATABASE_URL=url, ACTIVEINTEL_DATA_DIR=str(data_dir))
    values: dict[str, Any] = {
        "demo_contacts": 0,
        "knowledge": False,
        "rate_limit_per_minute": 100_000,
        "rate_limit_burst": 10_000,
        "shutdown_grace": 0.5,
    }
    values.update(overrides)
    server_settings = ServerSettings(**values)
    if model is None:  # one trained NLU for every test server (the cache key covers the training data)
        model = OfflineChatModel(cache_dir=str(Path(tempfile.gettempdir()) / "activeintel-test-nlu"))
    app = create_app(settings, server_settings=server_settings, model=model, clock=clock or (lambda: NOW))
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        ws_ping_interval=server_settings.ws_ping_interval,
        ws_ping_timeout=server_settings.ws_ping_timeout,
        ws_max_size=server_settings.ws_max_message_bytes,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if sndbuf is not None:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)  # inherited by accepted sockets
    listener.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = listener.getsockname()[1]
    return LiveServer(app, server, thread, port)


class SlowModel(ScriptedChatModel):
    """Streams each scripted reply word by word with a pause, counting the words it produced (to see a cancel
    stop the model)."""

    delay: float = 0.05
    produced: list[str] = []

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        msg = self._next(messages, kwargs.get("tools"))
        words = (msg.content if isinstance(msg.content, str) else "").split(" ")
        for i, word in enumerate(words):
            time.sleep(self.delay)
            self.produced.append(word)
            tok = word if i == len(words) - 1 else word + " "
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=tok, id=msg.id))
            if run_manager:
                run_manager.on_llm_new_token(tok, chunk=chunk)
            yield chunk
        yield ChatGenerationChunk(message=AIMessageChunk(content="", id=msg.id, chunk_position="last"))


def words(n: int, tag: str = "w") -> str:
    return " ".join(f"{tag}{i}" for i in range(n))


@dataclass
class WsClient:
    """A JSON WebSocket client that keeps every message it received."""

    conn: Any
    received: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, **message: Any) -> None:
        await self.conn.send(json.dumps(message))

    async def recv(self, timeout: float = 20.0) -> dict[str, Any]:
        message = json.loads(await asyncio.wait_for(self.conn.recv(), timeout))
        self.received.append(message)
        return message

    async def until(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """Receive until a message matches; return everything received on the way (including it)."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            message = await self.recv(max(0.1, deadline - time.monotonic()))
            got.append(message)
            if predicate(message):
                return got


def ended(run_id: str | None = None) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m["type"] == "run_ended" and (run_id is None or m["run_id"] == run_id)


def raw_ws_connect(port: int, path: str, *, rcvbuf: int | None = None) -> socket.socket:
    """Open a WebSocket at the TCP level (handshake only) and return the socket: a client that never reads,
    never answers pings, and can be told to keep a tiny receive buffer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect(("127.0.0.1", port))
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("handshake failed")
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def masked_text_frame(text: str) -> bytes:
    """A client-to-server text frame (clients must mask)."""
    payload = text.encode()
    mask = uuid.uuid4().bytes[:4]
    header = bytearray([0x81])
    n = len(payload)
    if n < 126:
        header.append(0x80 | n)
    elif n < 65536:
        header += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        header += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    return bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ai(text: str) -> AIMessage:
    return AIMessage(content=text)
