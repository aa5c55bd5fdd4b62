"""The LangGraph Agent Protocol subset the official SDKs and agent-chat-ui use (docs/api.md lists it).

Threads are our chat threads: private to their (account, user), so another user's thread id answers 404 like a
missing one. Runs go through the RunManager, so a thread has at most one run (409 otherwise), a run survives
its client going away (``on_disconnect`` defaults to ``continue``) and ``/cancel`` really stops it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import langgraph.version
from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from core.auth import thread_metadata
from core.auth.schemas import Principal
from core.chats import service as chats
from core.chats.models import ChatThread
from core.chats.schemas import ThreadOut
from core.errors import Conflict, InvalidRequest, NotFound, invalid_choice
from server.auth import CurrentUser
from server.graph_runs import (
    ASSISTANT_ID,
    GRAPH_ID,
    graph_events,
    graph_hooks,
    jsonable,
    page_from_context,
    parse_modes,
    validate_input,
)
from server.runs import Run, RunManager
from server.sse import run_stream

router = APIRouter(tags=["agent-protocol"])
SERVER_VERSION = "0.1.0"
_CREATED = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
SEARCH_MAX = 1000
THREAD_STATUSES = ("idle", "busy", "interrupted", "error")

ASSISTANT: dict[str, Any] = {
    "assistant_id": ASSISTANT_ID,
    "graph_id": GRAPH_ID,
    "name": "ActiveIntel",
    "description": "Conversational marketing assistant over the ActiveIntel engine.",
    "config": {},
    "context": {},
    "metadata": {"created_by": "system"},
    "version": 1,
    "created_at": _CREATED,
    "updated_at": _CREATED,
}


# ----------------------------------------------------------------------------- bodies
class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AssistantSearch(_Body):
    graph_id: str | None = None
    metadata: dict[str, Any] | None = None
    name: str | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class ThreadCreate(_Body):
    thread_id: str | None = Field(default=None, max_length=64)
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"


class ThreadPatch(_Body):
    metadata: dict[str, Any] = Field(default_factory=dict)


class ThreadSearch(_Body):
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    ids: list[str] | None = None
    status: str | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)
    sort_by: Literal["thread_id", "created_at", "updated_at", "status"] = "updated_at"
    sort_order: Literal["asc", "desc"] = "desc"


class HistoryQuery(_Body):
    limit: int = Field(default=10, ge=1, le=1000)
    before: dict[str, Any] | str | None = None
    metadata: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None


class RunCreate(_Body):
    assistant_id: str
    input: dict[str, Any] | None = None
    command: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    stream_mode: str | list[str] | None = None
    stream_subgraphs: bool = False
    stream_resumable: bool = False
    checkpoint: dict[str, Any] | None = None
    checkpoint_id: str | None = None
    multitask_strategy: str | None = None
    if_not_exists: Literal["reject", "create"] | None = None
    on_disconnect: Literal["cancel", "continue"] = "continue"


# ----------------------------------------------------------------------------- helpers
def _runs(request: Request) -> RunManager:
    return request.app.state.runs


def _assistant(assistant_id: str) -> dict[str, Any]:
    if assistant_id not in (GRAPH_ID, ASSISTANT_ID):
        raise NotFound(
            f"No assistant {assistant_id!r}; this server has one: {GRAPH_ID!r} ({ASSISTANT_ID}).",
            field="assistant_id",
        )
    return ASSISTANT


def _session(request: Request) -> Session:
    return request.app.state.deps.session_factory()


def _owned(request: Request, who: Principal, thread_id: str) -> ThreadOut:
    with _session(request) as session:
        return chats.get_thread(session, account_id=who.account_id, user_id=who.user_id, thread_id=thread_id)


def _iso(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _checkpoint(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if not config:
        return None
    conf = config.get("configurable") or {}
    if not conf.get("checkpoint_id"):
        return None
    return {
        "thread_id": conf.get("thread_id"),
        "checkpoint_ns": conf.get("checkpoint_ns", ""),
        "checkpoint_id": conf["checkpoint_id"],
        "checkpoint_map": conf.get("checkpoint_map"),
    }


def thread_state(snapshot: Any) -> dict[str, Any]:
    """Render a LangGraph StateSnapshot as the Agent Protocol's ThreadState."""
    checkpoint, parent = _checkpoint(snapshot.config), _checkpoint(snapshot.parent_config)
    return {
        "values": jsonable(snapshot.values or {}),
        "next": list(snapshot.next),
        "tasks": [
            {
                "id": t.id,
                "name": t.name,
                "path": jsonable(getattr(t, "path", None)),
                "error": str(t.error) if t.error else None,
                "interrupts": jsonable(list(t.interrupts)),
                "checkpoint": None,
                "state": None,
                "result": jsonable(getattr(t, "result", None)),
            }
            for t in snapshot.tasks
        ],
        "metadata": jsonable(snapshot.metadata or {}),
        "created_at": _iso(snapshot.created_at),
        "checkpoint": checkpoint,
        "parent_checkpoint": parent,
        "interrupts": jsonable(list(snapshot.interrupts)),
        "checkpoint_id": checkpoint["checkpoint_id"] if checkpoint else None,
        "parent_checkpoint_id": parent["checkpoint_id"] if parent else None,
    }


def _config(thread_id: str, checkpoint_id: str | None = None) -> dict[str, Any]:
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ""}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


async def _thread_json(request: Request, thread: ThreadOut, metadata: dict[str, Any]) -> dict[str, Any]:
    runs = _runs(request)
    snapshot = await request.app.state.deps.graph.aget_state(_config(thread.id))
    last = runs.last_run(thread.id)
    if runs.active_run(thread.id) is not None:
        status = "busy"
    elif last is not None and last.status == "error":
        status = "error"
    else:
        # Only a pending approval counts: a cancelled run leaves "next" nodes too, but awaits nobody.
        status = "interrupted" if snapshot.interrupts else "idle"
    interrupts = {t.id: jsonable(list(t.interrupts)) for t in snapshot.tasks if t.interrupts}
    return {
        "thread_id": thread.id,
        "created_at": thread.created_at.isoformat(),
        "updated_at": thread.updated_at.isoformat(),
        "metadata": {**metadata, "graph_id": GRAPH_ID, "assistant_id": ASSISTANT_ID},
        "status": status,
        "values": jsonable(snapshot.values) if snapshot.values else None,
        "interrupts": interrupts,
        "config": {},
        "error": last.error if last is not None and status == "error" else None,
    }


def _metadata_of(request: Request, who: Principal, thread_ids: list[str]) -> dict[str, dict[str, Any]]:
    with _session(request) as session:
        return thread_metadata.get_metadata(session, account_id=who.account_id, thread_ids=thread_ids)


def run_json(run: Run) -> dict[str, Any]:
    """Render a run as the Agent Protocol's Run (a run paused for approval is "success", a cancelled one
    "interrupted", as LangGraph Server reports them)."""
    status = {"interrupted": "success", "cancelled": "interrupted"}.get(run.status, run.status)
    return {
        "run_id": run.run_id,
        "thread_id": run.thread_id,
        "assistant_id": ASSISTANT_ID,
        "created_at": run.created_at.isoformat(),
        "updated_at": (run.updated_at or run.created_at).isoformat(),
        "status": status,
        "metadata": run.metadata,
        "multitask_strategy": "reject",
        "kwargs": {},
    }


def _location(run: Run) -> str:
    return f"/threads/{run.thread_id}/runs/{run.run_id}"


# ----------------------------------------------------------------------------- meta and assistants
@router.get("/info")
async def info() -> dict[str, Any]:
    """Server information (public: agent-chat-ui uses it as a health check)."""
    return {
        "version": SERVER_VERSION,
        "langgraph_py_version": langgraph.version.__version__,
        "flags": {"assistants": True, "crons": False, "langsmith": False},
        "host": {"kind": "activeintel"},
    }


@router.get("/ok")
async def ok() -> dict[str, bool]:
    """Liveness (public)."""
    return {"ok": True}


@router.post("/assistants/search")
async def assistants_search(body: AssistantSearch, who: CurrentUser) -> list[dict[str, Any]]:
    """List the assistants (there is one, the ``agent`` graph)."""
    found = [ASSISTANT]
    if body.graph_id and body.graph_id != GRAPH_ID:
        found = []
    if body.metadata and any(ASSISTANT["metadata"].get(k) != v for k, v in body.metadata.items()):
        found = []
    if body.name and body.name.lower() not in ASSISTANT["name"].lower():
        found = []
    return found[body.offset : body.offset + body.limit]


@router.get("/assistants/{assistant_id}")
async def assistants_get(assistant_id: str, who: CurrentUser) -> dict[str, Any]:
    """Return the assistant by id or graph name."""
    return _assistant(assistant_id)


# ----------------------------------------------------------------------------- threads
@router.post("/threads")
async def threads_create(body: ThreadCreate, request: Request, who: CurrentUser) -> dict[str, Any]:
    """Start a chat (optionally with a chosen id and metadata)."""
    deps = request.app.state.deps
    with deps.session_factory.begin() as session:
        if body.thread_id is not None:
            existing = session.get(ChatThread, body.thread_id)
            if existing is not None:
                mine = existing.account_id == who.account_id and existing.user_id == who.user_id
                if mine and body.if_exists == "do_nothing":
                    thread = chats.get_thread(
                        session, account_id=who.account_id, user_id=who.user_id, thread_id=body.thread_id
                    )
                    metadata = thread_metadata.get_metadata(
                        session, account_id=who.account_id, thread_ids=[thread.id]
                    )
                    return await _thread_json(request, thread, metadata.get(thread.id, {}))
                raise Conflict(
                    f"Thread id {body.thread_id!r} is already in use; pick another id or leave it out.",
                    field="thread_id",
                )
        thread = chats.create_thread(
            session,
            account_id=who.account_id,
            user_id=who.user_id,
            now=deps.clock(),
            surface="api",
            thread_id=body.thread_id or str(uuid.uuid4()),
        )
        metadata = {}
        if body.metadata:
            metadata = thread_metadata.set_metadata(
                session,
                account_id=who.account_id,
                user_id=who.user_id,
                thread_id=thread.id,
                metadata=_user_metadata(body.metadata),
            )
    return await _thread_json(request, thread, metadata)


def _user_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    # graph_id and assistant_id describe the server's one graph; clients cannot store other values there.
    return {k: v for k, v in metadata.items() if k not in ("graph_id", "assistant_id")}


@router.get("/threads/{thread_id}")
async def threads_get(thread_id: str, request: Request, who: CurrentUser) -> dict[str, Any]:
    """Return one of the caller's threads."""
    thread = _owned(request, who, thread_id)
    return await _thread_json(request, thread, _metadata_of(request, who, [thread_id]).get(thread_id, {}))


@router.patch("/threads/{thread_id}")
async def threads_patch(
    thread_id: str, body: ThreadPatch, request: Request, who: CurrentUser
) -> dict[str, Any]:
    """Merge metadata into a thread."""
    with request.app.state.deps.session_factory.begin() as session:
        metadata = thread_metadata.set_metadata(
            session,
            account_id=who.account_id,
            user_id=who.user_id,
            thread_id=thread_id,
            metadata=_user_metadata(body.metadata),
        )
    return await _thread_json(request, _owned(request, who, thread_id), metadata)


@router.delete("/threads/{thread_id}", status_code=204)
async def threads_delete(thread_id: str, request: Request, who: CurrentUser) -> Response:
    """Delete a thread and its checkpoints (409 while a run is in progress)."""
    await delete_chat(request, who, thread_id)
    return Response(status_code=204)


async def delete_chat(request: Request, who: Principal, thread_id: str) -> None:
    """Delete one of the caller's chats: the row, its metadata (cascade) and its checkpoints."""
    _owned(request, who, thread_id)
    busy = _runs(request).active_run(thread_id)
    if busy is not None:
        raise Conflict(
            f"This chat has a run in progress ({busy.run_id}); cancel it before deleting the chat.",
            field="thread",
        )
    with request.app.state.deps.session_factory.begin() as session:
        chats.delete_thread(session, account_id=who.account_id, user_id=who.user_id, thread_id=thread_id)
    await request.app.state.checkpointer.adelete_thread(thread_id)


@router.post("/threads/search")
async def threads_search(body: ThreadSearch, request: Request, who: CurrentUser) -> list[dict[str, Any]]:
    """Search the caller's threads by metadata, ids, status and values."""
    if body.status is not None and body.status not in THREAD_STATUSES:
        raise invalid_choice("status", body.status, THREAD_STATUSES)
    with _session(request) as session:
        threads = chats.list_threads(
            session, account_id=who.account_id, user_id=who.user_id, limit=SEARCH_MAX
        )
    if body.ids is not None:
        wanted = set(body.ids)
        threads = [t for t in threads if t.id in wanted]
    stored = _metadata_of(request, who, [t.id for t in threads])
    wanted_md = body.metadata or {}
    candidates = [
        t
        for t in threads
        if all(
            {**stored.get(t.id, {}), "graph_id": GRAPH_ID, "assistant_id": ASSISTANT_ID}.get(k) == v
            for k, v in wanted_md.items()
        )
    ]
    needs_state = body.status is not None or body.values is not None or body.sort_by == "status"
    if not needs_state:
        candidates = _sorted(candidates, body.sort_by, body.sort_order)
        page = candidates[body.offset : body.offset + body.limit]
        return [await _thread_json(request, t, stored.get(t.id, {})) for t in page]
    rendered = [await _thread_json(request, t, stored.get(t.id, {})) for t in candidates]
    if body.status is not None:
        rendered = [r for r in rendered if r["status"] == body.status]
    if body.values is not None:
        rendered = [
            r for r in rendered if all((r["values"] or {}).get(k) == v for k, v in body.values.items())
        ]
    rendered = _sorted(rendered, body.sort_by, body.sort_order)
    return rendered[body.offset : body.offset + body.limit]


def _sorted(items: list[Any], sort_by: str, order: str) -> list[Any]:
    def key(item: Any) -> Any:
        if isinstance(item, dict):
            return item["thread_id"] if sort_by == "thread_id" else item[sort_by]
        return {"thread_id": item.id, "created_at": item.created_at, "updated_at": item.updated_at}.get(
            sort_by
        )

    return sorted(items, key=key, reverse=order == "desc")


@router.get("/threads/{thread_id}/state")
async def threads_state(thread_id: str, request: Request, who: CurrentUser) -> dict[str, Any]:
    """Return the thread's current state (values, next nodes, pending interrupts)."""
    _owned(request, who, thread_id)
    return thread_state(await request.app.state.deps.graph.aget_state(_config(thread_id)))


@router.get("/threads/{thread_id}/state/{checkpoint_id}")
async def threads_state_at(
    thread_id: str, checkpoint_id: str, request: Request, who: CurrentUser
) -> dict[str, Any]:
    """Return the thread's state at one checkpoint."""
    _owned(request, who, thread_id)
    snapshot = await request.app.state.deps.graph.aget_state(_config(thread_id, checkpoint_id))
    if not snapshot.config or _checkpoint(snapshot.config) is None:
        raise NotFound(f"No checkpoint {checkpoint_id!r} in this thread.", field="checkpoint_id")
    return thread_state(snapshot)


async def _history(
    request: Request, who: Principal, thread_id: str, body: HistoryQuery
) -> list[dict[str, Any]]:
    _owned(request, who, thread_id)
    before = body.before.get("checkpoint_id") if isinstance(body.before, dict) else body.before
    start = (body.checkpoint or {}).get("checkpoint_id")
    states = request.app.state.deps.graph.aget_state_history(
        _config(thread_id, start),
        limit=body.limit,
        before=_config(thread_id, before) if before else None,
        filter=body.metadata,
    )
    return [thread_state(s) async for s in states]


@router.post("/threads/{thread_id}/history")
async def threads_history(
    thread_id: str, body: HistoryQuery, request: Request, who: CurrentUser
) -> list[dict[str, Any]]:
    """Return the thread's past states, newest first."""
    return await _history(request, who, thread_id, body)


@router.get("/threads/{thread_id}/history")
async def threads_history_get(
    thread_id: str, request: Request, who: CurrentUser, limit: int = 10
) -> list[dict[str, Any]]:
    """Return the thread's past states, newest first (GET form)."""
    return await _history(request, who, thread_id, HistoryQuery(limit=limit))


# ----------------------------------------------------------------------------- runs
async def _start(request: Request, who: Principal, thread_id: str, body: RunCreate) -> tuple[Run, list[str]]:
    _assistant(body.assistant_id)
    deps = request.app.state.deps
    runs = _runs(request)
    if body.multitask_strategy not in (None, "reject"):
        raise InvalidRequest(
            f"multitask_strategy {body.multitask_strategy!r} is not supported; this server rejects a second "
            "run on a busy thread ('reject').",
            field="multitask_strategy",
        )
    modes = parse_modes(body.stream_mode)
    resume: Any = None
    graph_input: dict[str, Any] | None = None
    user_text = ""
    if body.command:
        unknown = set(body.command) - {"resume"}
        if unknown or "resume" not in body.command:
            raise InvalidRequest(
                "command supports only 'resume' (the answer to an approval request).", field="command"
            )
        resume = body.command["resume"]
    elif body.input:
        graph_input, user_text = validate_input(body.input)
    else:
        raise InvalidRequest(
            'A run needs "input" (new user messages) or "command": {"resume": ...}.', field="input"
        )
    page = page_from_context(body.context)
    with deps.session_factory.begin() as session:
        try:
            chats.get_thread(session, account_id=who.account_id, user_id=who.user_id, thread_id=thread_id)
        except NotFound:
            if body.if_not_exists != "create" or session.get(ChatThread, thread_id) is not None:
                raise
            chats.create_thread(
                session,
                account_id=who.account_id,
                user_id=who.user_id,
                now=deps.clock(),
                surface="api",
                thread_id=thread_id,
            )
    run = runs.reserve(
        thread_id=thread_id,
        account_id=who.account_id,
        user_id=who.user_id,
        kind="protocol",
        metadata=body.metadata,
    )
    try:
        if resume is not None:
            await runs.require_pending_approval(thread_id)
    except BaseException:
        runs.release(run)
        raise
    checkpoint_id = body.checkpoint_id or (body.checkpoint or {}).get("checkpoint_id")
    recursion = (body.config or {}).get("recursion_limit")
    source = graph_events(
        deps,
        run,
        graph_input=graph_input,
        resume=resume,
        modes=modes,
        subgraphs=body.stream_subgraphs,
        checkpoint_id=checkpoint_id,
        recursion_limit=recursion,
        page=page,
        user_text=user_text,
    )
    runs.launch(run, source, graph_hooks())
    return run, modes


@router.post("/threads/{thread_id}/runs/stream")
async def runs_stream(
    thread_id: str, body: RunCreate, request: Request, who: CurrentUser
) -> StreamingResponse:
    """Start a run and stream it as server-sent events."""
    run, _ = await _start(request, who, thread_id, body)
    on_close = None
    if body.on_disconnect == "cancel":

        def on_close() -> None:
            if run.task is not None and not run.finished:
                run.task.cancel()

    headers = {"Content-Location": _location(run), "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if body.stream_resumable:
        headers["Location"] = _location(run) + "/stream"
    return StreamingResponse(
        run_stream(run, on_close=on_close), media_type="text/event-stream", headers=headers
    )


def _wait_result(run: Run) -> dict[str, Any]:
    if run.status == "error":
        return {"__error__": {"error": "RunError", "message": run.error or "The run failed."}}
    return run.summary.get("values") or {}


@router.post("/threads/{thread_id}/runs/wait")
async def runs_wait(thread_id: str, body: RunCreate, request: Request, who: CurrentUser) -> JSONResponse:
    """Start a run and answer with its final state (with ``__interrupt__`` when it paused for approval)."""
    run, _ = await _start(request, who, thread_id, body.model_copy(update={"stream_mode": ["values"]}))
    await run.wait()
    return JSONResponse(_wait_result(run), headers={"Content-Location": _location(run)})


@router.post("/threads/{thread_id}/runs")
async def runs_create(thread_id: str, body: RunCreate, request: Request, who: CurrentUser) -> JSONResponse:
    """Start a run in the background and return it."""
    run, _ = await _start(request, who, thread_id, body)
    return JSONResponse(run_json(run), headers={"Content-Location": _location(run)})


@router.get("/threads/{thread_id}/runs")
async def runs_list(
    thread_id: str, request: Request, who: CurrentUser, limit: int = 10, offset: int = 0
) -> list[dict[str, Any]]:
    """List the thread's remembered runs, newest first."""
    _owned(request, who, thread_id)
    return [run_json(r) for r in _runs(request).runs_of_thread(thread_id)[offset : offset + limit]]


def _run_of(request: Request, who: Principal, thread_id: str, run_id: str) -> Run:
    run = _runs(request).get(run_id, account_id=who.account_id, user_id=who.user_id)
    if run.thread_id != thread_id:
        raise NotFound(f"No run {run_id!r} in thread {thread_id!r}.", field="run")
    return run


@router.get("/threads/{thread_id}/runs/{run_id}")
async def runs_get(thread_id: str, run_id: str, request: Request, who: CurrentUser) -> dict[str, Any]:
    """Return one run."""
    return run_json(_run_of(request, who, thread_id, run_id))


@router.get("/threads/{thread_id}/runs/{run_id}/join")
async def runs_join(thread_id: str, run_id: str, request: Request, who: CurrentUser) -> dict[str, Any]:
    """Wait for a run to end and return the thread's final values."""
    run = _run_of(request, who, thread_id, run_id)
    await run.wait()
    return _wait_result(run)


@router.get("/threads/{thread_id}/runs/{run_id}/stream")
async def runs_join_stream(
    thread_id: str,
    run_id: str,
    request: Request,
    who: CurrentUser,
    last_event_id: str | None = Header(default=None, alias="Last-Event-ID"),
) -> StreamingResponse:
    """Re-attach to a run's stream; with ``Last-Event-ID`` only the events after it are sent."""
    run = _run_of(request, who, thread_id, run_id)
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0
    return StreamingResponse(
        run_stream(run, after=after),
        media_type="text/event-stream",
        headers={"Content-Location": _location(run), "Cache-Control": "no-store"},
    )


@router.post("/threads/{thread_id}/runs/{run_id}/cancel")
async def runs_cancel(
    thread_id: str, run_id: str, request: Request, who: CurrentUser, wait: int = 0, action: str = "interrupt"
) -> Response:
    """Cancel a run: its model call and tools stop, and it ends with status "interrupted"."""
    if action not in ("interrupt", "rollback"):
        raise invalid_choice("action", action, ("interrupt", "rollback"))
    run = _run_of(request, who, thread_id, run_id)
    await _runs(request).cancel(run.run_id, account_id=who.account_id, user_id=who.user_id, wait=bool(wait))
    if wait:
        return JSONResponse(run_json(run))
    return JSONResponse(None, status_code=202)
