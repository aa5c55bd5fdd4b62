"""Background runs: numbered, buffered events, replay from a sequence number, cancel, one run per thread.

Every surface starts turns here (``RunManager.start_chat`` wraps ``agent.run.run_turn``; the Agent Protocol
starts graph runs through ``reserve`` and ``launch``). A run is an asyncio task that keeps going when the
client that started it goes away; its events get a per-run sequence number (from 1) and stay in a bounded
buffer, so a client that reconnects with the last number it saw gets the rest exactly once, in order. The
manager lives on ``app.state.runs``; the state is per process (see docs/websocket-protocol.md, "Scaling out").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from agent.context import PageContext
from agent.run import AgentDeps, run_turn
from core.chats import service as chats
from core.errors import Conflict, DomainError, InvalidRequest, NotFound

log = logging.getLogger(__name__)

RunStatus = Literal["pending", "running", "success", "interrupted", "error", "cancelled"]
FINISHED: frozenset[str] = frozenset({"success", "interrupted", "error", "cancelled"})
TOOL_OUTPUT_MAX = 4000
ARGS_SUMMARY_MAX = 120
INTERNAL_ERROR = "Something went wrong on our side while answering; the error is logged. Please try again."


class ThreadBusy(Conflict):
    """The thread already has a run in progress (the caller may resume or cancel that run)."""

    def __init__(self, thread_id: str, run_id: str) -> None:
        super().__init__(
            f"This chat is busy answering a previous message (run {run_id}); wait for it to finish, "
            "cancel it, or start a new chat.",
            field="thread",
        )
        self.thread_id = thread_id
        self.run_id = run_id


@dataclass(frozen=True)
class RunEvent:
    """One event of a run: sequence number, type and JSON payload (encoded once, sent many times)."""

    seq: int
    type: str
    data: str


@dataclass(frozen=True)
class Gap:
    """Events after the requested sequence number have left the buffer; ``first_seq`` is the oldest kept."""

    after: int
    first_seq: int


# An event source yields (type, payload) pairs; the manager numbers, encodes and buffers them.
EventSource = AsyncIterator[tuple[str, Any]]


@dataclass
class RunHooks:
    """What differs between kinds of run: the events that close a cancelled or failed run, and the status."""

    on_cancel: Callable[[], list[tuple[str, Any]]] = lambda: []
    on_error: Callable[[BaseException], list[tuple[str, Any]]] = lambda exc: []


@dataclass
class Run:
    """A run and its event buffer; subscribers read it with ``events(after=seq)``."""

    run_id: str
    thread_id: str
    account_id: int
    user_id: int
    kind: str
    created_at: datetime
    max_events: int
    max_bytes: int
    metadata: dict[str, Any] = field(default_factory=dict)
    status: RunStatus = "pending"
    updated_at: datetime | None = None
    error: str | None = None
    # Per-kind running summary (the chat answer so far, the pending approval, the last graph values).
    summary: dict[str, Any] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None
    _events: deque[RunEvent] = field(default_factory=deque)
    _bytes: int = 0
    next_seq: int = 1
    first_seq: int = 1
    finished_at: float | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def finished(self) -> bool:
        """Return whether the run has ended (its buffer is complete)."""
        return self._done.is_set()

    @property
    def last_seq(self) -> int:
        """Return the sequence number of the newest event (0 before the first one)."""
        return self.next_seq - 1

    def owned_by(self, account_id: int, user_id: int) -> bool:
        """Return whether the run belongs to this (account, user)."""
        return self.account_id == account_id and self.user_id == user_id

    def publish(self, type_: str, payload: Any) -> RunEvent:
        """Number, encode and buffer one event, dropping the oldest ones beyond the buffer bounds."""
        event = RunEvent(self.next_seq, type_, json.dumps(payload, default=str, ensure_ascii=False))
        self.next_seq += 1
        self._events.append(event)
        self._bytes += len(event.data)
        while len(self._events) > 1 and (len(self._events) > self.max_events or self._bytes > self.max_bytes):
            dropped = self._events.popleft()
            self._bytes -= len(dropped.data)
        self.first_seq = self._events[0].seq
        self._wake.set()
        self._wake = asyncio.Event()
        return event

    def _finish(self, status: RunStatus) -> None:
        self.status = status
        self.finished_at = time.monotonic()
        self._done.set()
        self._wake.set()

    async def wait(self) -> None:
        """Wait until the run has ended."""
        await self._done.wait()

    async def events(self, after: int = 0) -> AsyncIterator[RunEvent | Gap]:
        """Yield every event with a sequence number above ``after``, live, until the run ends.

        When some of them have already left the bounded buffer, a ``Gap`` comes first and the replay
        continues from the oldest buffered event.
        """
        position = max(0, after)
        while True:
            wake = self._wake
            if self._events and position + 1 < self.first_seq:
                yield Gap(after=position, first_seq=self.first_seq)
                position = self.first_seq - 1
            if self.last_seq > position:
                start = position + 1 - self.first_seq
                # A snapshot of the slice: the buffer may move on while the subscriber is slow.
                batch = [self._events[i] for i in range(max(0, start), len(self._events))]
                for event in batch:
                    yield event
                    position = event.seq
                continue
            if self.finished:
                return
            await wake.wait()

    def describe(self) -> dict[str, Any]:
        """Return the run's public fields."""
        return {
            "run_id": self.run_id,
            "thread_id": self.thread_id,
            "kind": self.kind,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "updated_at": (self.updated_at or self.created_at).isoformat(),
            "last_seq": self.last_seq,
            "first_seq": self.first_seq,
            "metadata": self.metadata,
        }


class RunManager:
    """Starts, tracks, cancels and forgets runs; at most one active run per thread."""

    def __init__(
        self,
        deps: AgentDeps,
        *,
        max_events: int = 4096,
        max_bytes: int = 4 * 1024 * 1024,
        keep_seconds: float = 900.0,
        keep_max: int = 2000,
        keep_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self.deps = deps
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.keep_seconds = keep_seconds
        self.keep_max = keep_max
        # The buffers of finished runs, all together, stay under this (the oldest are forgotten first).
        self.keep_bytes = keep_bytes
        self._finished_bytes = 0
        self._runs: dict[str, Run] = {}
        self._active: dict[str, Run] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._last_by_thread: dict[str, str] = {}

    # ----------------------------------------------------------------- lookups
    def get(self, run_id: str, *, account_id: int, user_id: int) -> Run:
        """Return a run of this user; unknown, forgotten and other users' runs are all NotFound."""
        self._forget_expired()
        run = self._runs.get(run_id)
        if run is None or not run.owned_by(account_id, user_id):
            raise NotFound(
                f"No run with id {run_id!r}: it may have finished a while ago; read the chat itself instead.",
                field="run",
            )
        return run

    def active_run(self, thread_id: str) -> Run | None:
        """Return the run in progress on a thread, if any."""
        return self._active.get(thread_id)

    def last_run(self, thread_id: str) -> Run | None:
        """Return the most recent run of a thread that is still remembered."""
        run_id = self._last_by_thread.get(thread_id)
        return self._runs.get(run_id) if run_id else None

    def runs_of_thread(self, thread_id: str) -> list[Run]:
        """Return the remembered runs of a thread, newest first."""
        runs = [r for r in self._runs.values() if r.thread_id == thread_id]
        return sorted(runs, key=lambda r: r.created_at, reverse=True)

    @property
    def active_count(self) -> int:
        """Return how many runs are in progress."""
        return len(self._active)

    # ----------------------------------------------------------------- starting
    def reserve(
        self,
        *,
        thread_id: str,
        account_id: int,
        user_id: int,
        kind: str,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Run:
        """Claim a thread for a new run (raises ThreadBusy); call ``launch`` or ``release`` next.

        Reserving before any await keeps two simultaneous messages from both starting a run.
        """
        busy = self._active.get(thread_id)
        if busy is not None:
            raise ThreadBusy(thread_id, busy.run_id)
        run = Run(
            run_id=run_id or uuid.uuid4().hex,
            thread_id=thread_id,
            account_id=account_id,
            user_id=user_id,
            kind=kind,
            created_at=self.deps.clock(),
            max_events=self.max_events,
            max_bytes=self.max_bytes,
            metadata=dict(metadata or {}),
        )
        self._active[thread_id] = run
        return run

    def release(self, run: Run) -> None:
        """Give back a reservation whose run never started."""
        if self._active.get(run.thread_id) is run and run.task is None:
            del self._active[run.thread_id]

    def launch(self, run: Run, source: EventSource, hooks: RunHooks | None = None) -> Run:
        """Start a reserved run's background task."""
        self._runs[run.run_id] = run
        self._last_by_thread[run.thread_id] = run.run_id
        run.status = "running"
        hooks = hooks or RunHooks()
        run.task = asyncio.create_task(self._drive(run, source, hooks), name=f"run-{run.run_id}")
        run.task.add_done_callback(lambda _task: self._cancelled_before_start(run, hooks))
        return run

    def _cancelled_before_start(self, run: Run, hooks: RunHooks) -> None:
        # A task cancelled before its first step never enters _drive's try block; close the run here.
        if not run.finished:
            for type_, payload in hooks.on_cancel():
                run.publish(type_, payload)
            self._settle(run, "cancelled")

    async def _drive(self, run: Run, source: EventSource, hooks: RunHooks) -> None:
        status: RunStatus = "success"
        try:
            async for type_, payload in source:
                run.publish(type_, payload)
                run.updated_at = self.deps.clock()
            # The source records how the run ended (a chat turn paused for approval is "interrupted").
            if run.summary.get("status") in FINISHED:
                status = run.summary["status"]
        except asyncio.CancelledError:
            status = "cancelled"
            for type_, payload in hooks.on_cancel():
                run.publish(type_, payload)
        except Exception as exc:  # noqa: BLE001  (a failed run reports it; the server keeps serving)
            status = "error"
            run.error = exc.message if isinstance(exc, DomainError) else INTERNAL_ERROR
            if not isinstance(exc, DomainError):
                log.exception("run %s on thread %s failed", run.run_id, run.thread_id)
            for type_, payload in hooks.on_error(exc):
                run.publish(type_, payload)
        finally:
            self._settle(run, status)
            with contextlib.suppress(Exception):
                await _aclose(source)

    def _settle(self, run: Run, status: RunStatus) -> None:
        if run.finished:
            return
        run.updated_at = self.deps.clock()
        run._finish(status)
        if self._active.get(run.thread_id) is run:
            del self._active[run.thread_id]
        self._finished[run.run_id] = None
        self._finished_bytes += run._bytes
        self._forget_expired()

    def _forget_expired(self) -> None:
        now = time.monotonic()
        while self._finished:
            run_id = next(iter(self._finished))
            run = self._runs.get(run_id)
            too_many = len(self._finished) > self.keep_max or self._finished_bytes > self.keep_bytes
            if run is not None and not too_many and now - (run.finished_at or now) < self.keep_seconds:
                break
            self._finished.popitem(last=False)
            if run is not None:
                self._finished_bytes -= run._bytes
                del self._runs[run_id]
                if self._last_by_thread.get(run.thread_id) == run_id:
                    del self._last_by_thread[run.thread_id]

    # ----------------------------------------------------------------- chat turns
    async def start_chat(
        self,
        *,
        account_id: int,
        user_id: int,
        thread_id: str | None = None,
        text: str | None = None,
        decision: dict[str, Any] | None = None,
        page: PageContext | None = None,
        surface: str = "web",
        create_missing: bool = False,
    ) -> Run:
        """Start a chat turn (a message, or an approval decision) in the background and return its run.

        ``thread_id=None`` starts a new chat. An unknown id is NotFound unless ``create_missing`` (surfaces
        with their own ids, such as Slack threads); another user's id is always NotFound.
        """
        if (text is None) == (decision is None):
            raise InvalidRequest("Send either a message text or an approval decision.", field="text")
        if text is not None and not text.strip():
            raise InvalidRequest("The message is empty; type a question or a request.", field="text")
        if decision is not None and thread_id is None:
            raise InvalidRequest("An approval decision needs the chat's thread id.", field="thread_id")
        new_thread = thread_id is None
        thread_id = thread_id or uuid.uuid4().hex
        if not new_thread:
            self._check_thread(
                account_id=account_id, user_id=user_id, thread_id=thread_id, create=create_missing
            )
        run = self.reserve(thread_id=thread_id, account_id=account_id, user_id=user_id, kind="chat")
        try:
            if decision is not None:
                await self.require_pending_approval(thread_id)
        except BaseException:
            self.release(run)
            raise
        source = chat_events(
            run,
            run_turn(
                self.deps,
                account_id=account_id,
                user_id=user_id,
                text=text,
                decision=decision,
                thread_id=thread_id,
                page=page,
                surface=surface,
                run_id=run.run_id,
            ),
        )
        return self.launch(
            run,
            source,
            RunHooks(
                on_cancel=lambda: [("run_ended", {"status": "cancelled"})],
                on_error=lambda exc: [
                    ("error", {"message": exc.message if isinstance(exc, DomainError) else INTERNAL_ERROR}),
                    ("run_ended", {"status": "error"}),
                ],
            ),
        )

    def _check_thread(self, *, account_id: int, user_id: int, thread_id: str, create: bool) -> None:
        with self.deps.session_factory() as session:
            try:
                chats.get_thread(session, account_id=account_id, user_id=user_id, thread_id=thread_id)
            except NotFound:
                from core.chats.models import ChatThread

                if not create or session.get(ChatThread, thread_id) is not None:
                    raise

    async def require_pending_approval(self, thread_id: str) -> None:
        """Raise InvalidRequest unless the thread is paused on an approval request."""
        state = await self.deps.graph.aget_state({"configurable": {"thread_id": thread_id}})
        if not state.interrupts:
            raise InvalidRequest(
                "There is no action waiting for approval in this chat; send a message instead.",
                field="decision",
            )

    # ----------------------------------------------------------------- cancel and shutdown
    async def cancel(self, run_id: str, *, account_id: int, user_id: int, wait: bool = True) -> Run:
        """Cancel a run of this user (its model call and tools stop); a finished run is left as it is."""
        run = self.get(run_id, account_id=account_id, user_id=user_id)
        if run.task is not None and not run.finished:
            run.task.cancel()
            if wait:
                await asyncio.wait({run.task})
        return run

    async def shutdown(self, grace: float) -> None:
        """Let runs in progress finish for up to ``grace`` seconds, then cancel the rest."""
        tasks = {r.task for r in self._active.values() if r.task is not None}
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=max(0.0, grace))
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)


async def _aclose(source: EventSource) -> None:
    close = getattr(source, "aclose", None)
    if close is not None:
        await close()


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def args_summary(name: str, args: dict[str, Any]) -> str:
    """Render a tool call as one short line, e.g. ``get_campaign_performance(campaign='last')``."""
    inner = ", ".join(f"{k}={_short(v)}" for k, v in args.items())
    text = f"{name}({inner})"
    return text if len(text) <= ARGS_SUMMARY_MAX else text[: ARGS_SUMMARY_MAX - 1] + "…"


async def chat_events(run: Run, turn: AsyncIterator[Any]) -> AsyncIterator[tuple[str, Any]]:
    """Turn ``run_turn`` events into wire payloads and keep the run's summary (answer so far, approval)."""
    summary = run.summary
    summary.update(answer="", approval=None, status="running")
    async for event in turn:
        payload = event.model_dump(mode="json", exclude={"type"})
        kind = event.type
        if kind == "token":
            summary["answer"] += event.text
        elif kind == "tool_started":
            # Text streamed before a tool call is narration; the answer starts over (as in run_turn).
            summary["answer"] = ""
            payload["summary"] = args_summary(event.name, event.args)
        elif kind == "tool_finished":
            output = payload["output"]
            payload["truncated"] = len(output) > TOOL_OUTPUT_MAX
            payload["output"] = output[:TOOL_OUTPUT_MAX]
        elif kind == "approval_request":
            summary["approval"] = payload
        elif kind == "final_answer":
            summary["answer"] = event.text
        elif kind == "run_ended":
            summary["status"] = event.status
        elif kind == "run_started":
            payload.pop("run_id", None)
            payload.pop("thread_id", None)
        yield kind, payload
