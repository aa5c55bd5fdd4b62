"""WebSocket chat at ``/ws/chat``: the JSON protocol of docs/websocket-protocol.md.

One reader (client commands), one writer (a bounded queue drained into the socket) and one forwarder per run
the connection follows. Runs belong to the RunManager, not to the socket: a disconnect stops the forwarding,
never the run, and a client that comes back with ``resume`` gets what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from typing import Any

from fastapi import APIRouter, WebSocket
from langchain_core.messages import AIMessage

from agent.context import PageContext
from core.auth.schemas import Principal
from core.chats import service as chats
from core.errors import DomainError, InvalidRequest, NotFound
from server.auth import authenticate_key, check_rate, key_from_headers
from server.errors import error_body, status_and_code
from server.graph_runs import message_text, page_from_context
from server.runs import Gap, Run, RunEvent, RunManager, ThreadBusy

log = logging.getLogger(__name__)
router = APIRouter()

PROTOCOL_VERSION = 1
TEXT_MAX_CHARS = 8000
# Close codes (4000-4999 are ours; see docs/websocket-protocol.md).
CLOSE_TOO_BIG = 1009
CLOSE_IDLE = 4000
CLOSE_SLOW_CONSUMER = 4008
CLOSE_UNAUTHORIZED = 4401
SURFACES = ("web", "sidebar")
CLIENT_TYPES = ("auth", "message", "decision", "cancel", "resume", "ping")


class _Closing(Exception):
    """The connection is being closed; stop forwarding."""


def encode_event(run: Run, event: RunEvent) -> str:
    """Render a buffered run event as one wire message (the payload is spliced in, not re-encoded)."""
    head = (
        f'{{"type":{json.dumps(event.type)},"run_id":{json.dumps(run.run_id)},'
        f'"thread_id":{json.dumps(run.thread_id)},"seq":{event.seq}'
    )
    return head + ("}" if event.data == "{}" else "," + event.data[1:])


def parse_decision(msg: dict[str, Any]) -> dict[str, Any]:
    """Read ``decision: approve|reject|edit`` (``args``/``message``) or a full ``{"decisions": [...]}``."""
    if isinstance(msg.get("decisions"), list):
        return {"decisions": msg["decisions"]}
    choice = msg.get("decision")
    if choice not in ("approve", "edit", "reject"):
        raise InvalidRequest(
            f"decision {choice!r} is not allowed; choose one of: 'approve', 'edit', 'reject'.",
            field="decision",
        )
    item: dict[str, Any] = {"type": choice}
    if choice == "edit":
        if not isinstance(msg.get("args"), dict):
            raise InvalidRequest('An edit needs the changed arguments: "args": {...}.', field="args")
        item["edited_action"] = {"name": msg.get("action"), "args": msg["args"]}
    if choice == "reject" and isinstance(msg.get("message"), str):
        item["message"] = msg["message"]
    return {"decisions": [item]}


def _thread_ref(msg: dict[str, Any]) -> str | None:
    thread_id = msg.get("thread_id")
    if thread_id in (None, "", "new"):
        return None
    if not isinstance(thread_id, str) or len(thread_id) > 64:
        raise InvalidRequest(
            "thread_id must be a chat id (a string), or 'new' / null for a new chat.", field="thread_id"
        )
    return thread_id


def _surface(msg: dict[str, Any]) -> str:
    surface = msg.get("surface") or "web"
    if surface not in SURFACES:
        raise InvalidRequest(
            f"surface {surface!r} is not allowed; choose one of: 'web', 'sidebar'.", field="surface"
        )
    return str(surface)


def _page(msg: dict[str, Any]) -> PageContext | None:
    page = msg.get("page")
    return None if page is None else page_from_context({"page": page})


class ChatConnection:
    """One client socket."""

    def __init__(self, websocket: WebSocket) -> None:
        self.ws = websocket
        self.state = websocket.app.state
        self.cfg = self.state.server_settings
        self.runs: RunManager = self.state.runs
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=self.cfg.ws_send_queue)
        self.forwarders: dict[str, asyncio.Task[None]] = {}
        self.delivered: dict[str, int] = {}
        self.stopped = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        self.disconnected = False
        self.principal: Principal | None = None

    # ----------------------------------------------------------------- lifecycle
    async def serve(self) -> None:
        """Accept, authenticate, then read and write until either side stops."""
        await self.ws.accept()
        self.state.ws_connections.add(self)
        tasks: list[asyncio.Task[Any]] = []
        try:
            self.principal = await self._authenticate()
            if self.principal is None:
                return
            tasks = [asyncio.create_task(self._writer()), asyncio.create_task(self._reader())]
            await self._send(
                {
                    "type": "ready",
                    "protocol": PROTOCOL_VERSION,
                    "account_id": self.principal.account_id,
                    "user_id": self.principal.user_id,
                    "limits": {
                        "max_message_bytes": self.cfg.ws_max_message_bytes,
                        "idle_timeout": self.cfg.ws_idle_timeout,
                        "send_queue": self.cfg.ws_send_queue,
                    },
                }
            )
            await self.stopped.wait()
        except _Closing:
            pass
        finally:
            for task in [*tasks, *self.forwarders.values()]:
                task.cancel()
            await asyncio.gather(*tasks, *self.forwarders.values(), return_exceptions=True)
            if self.close_code is not None and not self.disconnected:
                # A peer that reads nothing cannot take a close frame either; do not wait for it forever.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.ws.close(self.close_code, self.close_reason), 2)
            self.state.ws_connections.discard(self)
            self.state.ws_stats[f"closed_{self.close_code or 'by_client'}"] += 1

    def _close(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        self.stopped.set()

    async def _authenticate(self) -> Principal | None:
        key = self.ws.query_params.get("api_key") or key_from_headers(self.ws.headers)
        if key is None:
            try:
                first = await asyncio.wait_for(self.ws.receive(), self.cfg.ws_auth_timeout)
            except TimeoutError:
                first = None
            if first is None or first.get("type") == "websocket.disconnect":
                self.disconnected = first is not None
                return await self._refuse('No API key: send {"type": "auth", "api_key": "..."} first.')
            try:
                msg = json.loads(first.get("text") or "")
            except ValueError:
                msg = None
            if (
                not isinstance(msg, dict)
                or msg.get("type") != "auth"
                or not isinstance(msg.get("api_key"), str)
            ):
                return await self._refuse('The first message must be {"type": "auth", "api_key": "..."}.')
            key = msg["api_key"]
        try:
            principal = await asyncio.to_thread(authenticate_key, self.state, key)
            check_rate(self.state, principal)
        except DomainError as exc:
            return await self._refuse(exc.message, exc)
        return principal

    async def _refuse(self, message: str, exc: DomainError | None = None) -> None:
        body = error_body(exc) if exc is not None else {"detail": message, "code": "unauthorized"}
        if not self.disconnected:
            with contextlib.suppress(Exception):
                await self.ws.send_text(
                    json.dumps(
                        {
                            "type": "error",
                            "code": body["code"],
                            "message": body["detail"],
                            **({"retry_after": body["retry_after"]} if "retry_after" in body else {}),
                        }
                    )
                )
        code = CLOSE_UNAUTHORIZED if exc is None or status_and_code(exc)[1] == "unauthorized" else 4429
        self._close(code, "unauthorized" if code == CLOSE_UNAUTHORIZED else "rate limited")
        return None

    # ----------------------------------------------------------------- writing
    async def _writer(self) -> None:
        try:
            while True:
                text = await self.queue.get()
                await self.ws.send_text(text)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001  (the peer went away mid-send)
            self.disconnected = True
            self.stopped.set()

    async def _send(self, message: dict[str, Any] | str) -> None:
        """Queue one message; a queue full for ws_send_timeout closes the connection (slow reader)."""
        text = message if isinstance(message, str) else json.dumps(message, default=str, ensure_ascii=False)
        if self.stopped.is_set():
            raise _Closing
        try:
            self.queue.put_nowait(text)
            return
        except asyncio.QueueFull:
            pass
        try:
            await asyncio.wait_for(self.queue.put(text), self.cfg.ws_send_timeout)
        except TimeoutError:
            log.warning(
                "closing the WebSocket of user %s: its send queue stayed full for %.0f s (slow consumer)",
                self.principal.user_id if self.principal else "?",
                self.cfg.ws_send_timeout,
            )
            self._close(CLOSE_SLOW_CONSUMER, "slow consumer: reconnect and resume")
            raise _Closing from None

    async def _error(self, exc: DomainError, ref: Any = None) -> None:
        body = error_body(exc)
        message: dict[str, Any] = {"type": "error", "code": body["code"], "message": body["detail"]}
        for key in ("field", "run_id", "retry_after"):
            if key in body:
                message[key] = body[key]
        if isinstance(exc, ThreadBusy):
            message["thread_id"] = exc.thread_id
        if ref is not None:
            message["ref"] = ref
        await self._send(message)

    # ----------------------------------------------------------------- reading
    def _streaming(self) -> bool:
        return any(not task.done() for task in self.forwarders.values())

    async def _reader(self) -> None:
        try:
            while True:
                try:
                    frame = await asyncio.wait_for(self.ws.receive(), self.cfg.ws_idle_timeout)
                except TimeoutError:
                    if self._streaming():
                        continue
                    self._close(CLOSE_IDLE, "idle timeout")
                    return
                if frame["type"] == "websocket.disconnect":
                    self.disconnected = True
                    self.stopped.set()
                    return
                raw = frame.get("text")
                size = len(raw.encode()) if raw is not None else len(frame.get("bytes") or b"")
                if size > self.cfg.ws_max_message_bytes:
                    with contextlib.suppress(_Closing):
                        await self._send(
                            {
                                "type": "error",
                                "code": "too_big",
                                "message": f"Messages are limited to {self.cfg.ws_max_message_bytes} bytes; "
                                f"this one had {size}.",
                            }
                        )
                    await asyncio.sleep(0.05)  # let the writer deliver the reason before the close
                    self._close(CLOSE_TOO_BIG, "message too big")
                    return
                await self._handle(
                    raw if raw is not None else (frame.get("bytes") or b"").decode("utf-8", "replace")
                )
        except _Closing:
            return

    async def _handle(self, raw: str) -> None:
        try:
            msg = json.loads(raw)
        except ValueError:
            msg = None
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            await self._error(
                InvalidRequest('Each message must be a JSON object with a "type".', field="type")
            )
            return
        ref = msg.get("id")
        try:
            await self._dispatch(msg, ref)
        except DomainError as exc:
            await self._error(exc, ref)

    async def _dispatch(self, msg: dict[str, Any], ref: Any) -> None:
        assert self.principal is not None
        who = {"account_id": self.principal.account_id, "user_id": self.principal.user_id}
        kind = msg["type"]
        if kind == "ping":
            await self._send({"type": "pong", **({"ref": ref} if ref is not None else {})})
            return
        if kind in ("message", "decision", "resume"):
            check_rate(self.state, self.principal)
        if kind == "message":
            text = msg.get("text")
            if not isinstance(text, str) or not text.strip():
                raise InvalidRequest('A message needs "text": the question or request.', field="text")
            if len(text) > TEXT_MAX_CHARS:
                raise InvalidRequest(
                    f"The message has {len(text)} characters; keep it to {TEXT_MAX_CHARS}.", field="text"
                )
            run = await self.runs.start_chat(
                **who,
                thread_id=_thread_ref(msg),
                text=text,
                page=_page(msg),
                surface=_surface(msg),
            )
            await self._accepted(run, ref)
        elif kind == "decision":
            thread_id = _thread_ref(msg)
            if thread_id is None:
                raise InvalidRequest(
                    "A decision needs the thread_id of the chat that asked for approval.", field="thread_id"
                )
            run = await self.runs.start_chat(**who, thread_id=thread_id, decision=parse_decision(msg))
            await self._accepted(run, ref)
        elif kind == "cancel":
            run_id = msg.get("run_id")
            if not isinstance(run_id, str):
                raise InvalidRequest('cancel needs the "run_id" to stop.', field="run_id")
            run = await self.runs.cancel(run_id, **who, wait=False)
            if run.run_id not in self.forwarders:
                self._follow(run, run.last_seq)
        elif kind == "resume":
            await self._resume(msg, who)
        elif kind == "auth":
            raise InvalidRequest("This connection is already authenticated.", field="type")
        else:
            raise InvalidRequest(
                f"Message type {kind!r} is not known; use one of: {', '.join(CLIENT_TYPES)}.", field="type"
            )

    async def _accepted(self, run: Run, ref: Any) -> None:
        await self._send(
            {
                "type": "accepted",
                "run_id": run.run_id,
                "thread_id": run.thread_id,
                **({"ref": ref} if ref is not None else {}),
            }
        )
        self._follow(run, 0)

    async def _resume(self, msg: dict[str, Any], who: dict[str, int]) -> None:
        run_id, last_seq, thread_id = msg.get("run_id"), msg.get("last_seq", 0), _thread_ref(msg)
        if not isinstance(last_seq, int) or last_seq < 0:
            raise InvalidRequest(
                "last_seq must be the last sequence number you received (0 for none).", field="last_seq"
            )
        if not isinstance(run_id, str):
            raise InvalidRequest('resume needs the "run_id" (and the last_seq you received).', field="run_id")
        try:
            run = self.runs.get(run_id, **who)
            if thread_id is not None and thread_id != run.thread_id:
                raise NotFound(f"Run {run_id!r} does not belong to chat {thread_id!r}.", field="run")
        except NotFound:
            if thread_id is None:
                raise
            # The run is no longer remembered: answer with the chat's final state from its checkpoint.
            await self._send(await self._final_state(run_id, thread_id, who))
            return
        self._follow(run, last_seq)

    async def _final_state(self, run_id: str, thread_id: str, who: dict[str, int]) -> dict[str, Any]:
        with self.runs.deps.session_factory() as session:
            chats.get_thread(session, thread_id=thread_id, **who)
        state = await self.runs.deps.graph.aget_state({"configurable": {"thread_id": thread_id}})
        answer = ""
        for message in reversed((state.values or {}).get("messages") or []):
            if isinstance(message, AIMessage) and not message.tool_calls:
                answer = message_text(message.content)
                break
        approval = state.interrupts[0] if state.interrupts else None
        return {
            "type": "snapshot",
            "run_id": run_id,
            "thread_id": thread_id,
            "status": "finished",
            "answer": answer,
            "approval": None
            if approval is None
            else {"interrupt_id": approval.id, "payload": approval.value},
            "complete": True,
        }

    # ----------------------------------------------------------------- forwarding
    def _follow(self, run: Run, after: int) -> None:
        previous = self.forwarders.pop(run.run_id, None)
        if previous is not None:
            previous.cancel()
        self.forwarders[run.run_id] = asyncio.create_task(self._forward(run, after))

    async def _forward(self, run: Run, after: int) -> None:
        skip_through = 0
        try:
            async for item in run.events(max(after, self.delivered.get(run.run_id, 0))):
                if isinstance(item, Gap):
                    # Some events left the buffer: send the run's state as of now and continue live.
                    skip_through = run.last_seq
                    await self._send(
                        {
                            "type": "snapshot",
                            "run_id": run.run_id,
                            "thread_id": run.thread_id,
                            "seq": skip_through,
                            "status": run.status,
                            "answer": run.summary.get("answer", ""),
                            "approval": run.summary.get("approval"),
                            "complete": run.finished,
                        }
                    )
                    self.delivered[run.run_id] = skip_through
                    continue
                if item.seq <= max(skip_through, self.delivered.get(run.run_id, 0)):
                    continue
                await self._send(encode_event(run, item))
                self.delivered[run.run_id] = item.seq
        except _Closing:
            return


@router.websocket("/ws/chat")
async def chat_socket(websocket: WebSocket) -> None:
    """Serve one chat connection (protocol: docs/websocket-protocol.md)."""
    await ChatConnection(websocket).serve()


def connection_stats(state: Any) -> dict[str, Any]:
    """Open connections and close reasons so far (for tests and the benchmark)."""
    stats: Counter[str] = state.ws_stats
    return {"open": len(state.ws_connections), **dict(stats), "at": time.time()}
