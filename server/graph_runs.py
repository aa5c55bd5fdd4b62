"""Agent Protocol runs: the graph streamed in LangGraph's own modes, with the same run context as chat.

``run_turn`` turns the graph's stream into our typed chat events; Agent Protocol clients want the graph's
native parts (``values``, ``messages`` tuples, ``updates``, ``custom``), so this module streams the same graph
with the same ``TurnContext`` and records the turn in the chat history the same way. Both kinds of run go
through the ``RunManager`` (background task, numbered buffer, cancel, one run per thread).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langgraph.types import Command, Interrupt

from agent.artifacts import finish_artifact
from agent.context import PageContext, TurnContext
from agent.run import AgentDeps
from core.chats import service as chats
from core.errors import DomainError, InvalidRequest, invalid_choice
from server.runs import INTERNAL_ERROR, Run, RunHooks

GRAPH_ID = "agent"
# LangGraph's convention for a graph's default assistant: uuid5(NAMESPACE_URL, graph_id).
ASSISTANT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, GRAPH_ID))
STREAM_MODES = ("values", "messages-tuple", "updates", "custom", "tools", "tasks", "checkpoints", "debug")
MAX_RECURSION = 50


def jsonable(obj: Any) -> Any:
    """Convert graph data (messages, interrupts, tuples, dataclasses) into plain JSON values."""
    if isinstance(obj, BaseMessage):
        return obj.model_dump(mode="json")
    if isinstance(obj, Interrupt):
        return {"value": jsonable(obj.value), "id": obj.id}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [jsonable(v) for v in obj]
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    if hasattr(obj, "model_dump"):
        return jsonable(obj.model_dump(mode="json"))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def message_text(content: Any) -> str:
    """Return the text of a message's content (a string, or a list of content blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [b if isinstance(b, str) else b.get("text", "") for b in content if isinstance(b, str | dict)]
        return "".join(p for p in parts if isinstance(p, str))
    return ""


def validate_input(graph_input: Any) -> tuple[dict[str, Any], str]:
    """Check a run's ``input``: only new user messages may enter the chat; return it and the user's text.

    Letting a client write assistant, tool or system messages would let it forge tool results or approvals.
    """
    if not isinstance(graph_input, dict) or not isinstance(graph_input.get("messages"), list):
        raise InvalidRequest(
            'The run input must be {"messages": [{"role": "user", "content": "..."}]}.', field="input"
        )
    texts: list[str] = []
    for message in graph_input["messages"]:
        if not isinstance(message, dict):
            raise InvalidRequest(
                "Each input message must be an object with a role and content.", field="input"
            )
        role = message.get("role") or message.get("type")
        if role not in ("user", "human"):
            raise InvalidRequest(
                f"Input message role {role!r} is not accepted; runs take new user messages (role 'user').",
                field="input",
            )
        texts.append(message_text(message.get("content")))
    if not texts or not any(t.strip() for t in texts):
        raise InvalidRequest(
            "The run input has no message text; send at least one user message.", field="input"
        )
    return {"messages": graph_input["messages"]}, texts[-1]


def parse_modes(raw: Any) -> list[str]:
    """Normalise ``stream_mode`` (a string or a list) and refuse modes this server does not stream."""
    modes = [raw] if isinstance(raw, str) else list(raw or ["values"])
    for mode in modes:
        if mode not in STREAM_MODES:
            raise invalid_choice("stream_mode", mode, STREAM_MODES)
    return modes


def page_from_context(context: Any) -> PageContext | None:
    """Read the optional ``context.page`` a client sends; account and user never come from the client."""
    page = context.get("page") if isinstance(context, dict) else None
    if page is None:
        return None
    if isinstance(page, str):
        return PageContext(page=page)
    if not isinstance(page, dict) or not isinstance(page.get("page"), str):
        raise InvalidRequest(
            'context.page must be {"page": "<name>", "object_type"?, "object_id"?}.', field="context"
        )
    object_id = page.get("object_id")
    if object_id is not None and not isinstance(object_id, int):
        raise InvalidRequest("context.page.object_id must be a whole number.", field="context")
    details = page.get("details") if isinstance(page.get("details"), dict) else {}
    return PageContext(
        page=page["page"], object_type=page.get("object_type"), object_id=object_id, details=details
    )


def run_config(
    run: Run, checkpoint_id: str | None = None, recursion_limit: int | None = None
) -> dict[str, Any]:
    """The graph config of a run: the thread, the owner and the assistant (never taken from the client)."""
    configurable: dict[str, Any] = {
        "thread_id": run.thread_id,
        "account_id": run.account_id,
        "user_id": run.user_id,
        "run_id": run.run_id,
        "graph_id": GRAPH_ID,
        "assistant_id": ASSISTANT_ID,
    }
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    limit = (
        min(MAX_RECURSION, recursion_limit)
        if isinstance(recursion_limit, int) and recursion_limit > 0
        else 25
    )
    return {"configurable": configurable, "recursion_limit": limit}


def _last_answer(values: dict[str, Any]) -> str | None:
    for message in reversed(values.get("messages") or []):
        if isinstance(message, AIMessage):
            return None if message.tool_calls else message_text(message.content) or None
    return None


async def graph_events(
    deps: AgentDeps,
    run: Run,
    *,
    graph_input: dict[str, Any] | None,
    resume: Any = None,
    modes: list[str],
    subgraphs: bool = False,
    checkpoint_id: str | None = None,
    recursion_limit: int | None = None,
    page: PageContext | None = None,
    user_text: str = "",
) -> AsyncIterator[tuple[str, Any]]:
    """Stream an Agent Protocol run as (SSE event, data) pairs, then record the turn in the chat list."""
    summary = run.summary
    summary.update(values=None, status="running")
    ctx = TurnContext(
        account_id=run.account_id,
        user_id=run.user_id,
        session_factory=deps.session_factory,
        now=deps.clock(),
        thread_id=run.thread_id,
        page=page,
        surface="api",
        knowledge=deps.knowledge,
        mail=deps.mail,
    )
    # values is always streamed internally: it carries the interrupt and the final state for runs/wait.
    graph_modes = sorted({"messages" if m == "messages-tuple" else m for m in modes} | {"values"})
    payload: Any = graph_input if resume is None else Command(resume=resume)
    yield "metadata", {"run_id": run.run_id, "attempt": 1}
    last_values: dict[str, Any] = {}
    async for item in deps.graph.astream(
        payload,
        run_config(run, checkpoint_id, recursion_limit),
        context=ctx,
        stream_mode=graph_modes,
        subgraphs=subgraphs,
    ):
        ns, mode, data = item if len(item) == 3 else ((), *item)
        name = mode + ("|" + "|".join(ns) if ns else "")
        if mode == "values":
            if not ns:
                last_values = data
                summary["values"] = jsonable(data)
            if "values" in modes or "__interrupt__" in data:
                yield name, summary["values"] if not ns else jsonable(data)
        elif mode == "messages":
            if "messages-tuple" in modes:
                chunk, metadata = data
                yield name, [jsonable(chunk), jsonable(metadata)]
        elif mode == "custom" and isinstance(data, dict) and "artifact" in data:
            # Tools emit a chart's spec; protocol clients get the finished artifact (with its SVG).
            yield name, jsonable({**data, "data": await finish_artifact(data["artifact"], data.get("data", {}))})
        else:
            yield name, jsonable(data)
    interrupted = "__interrupt__" in last_values
    summary["status"] = "interrupted" if interrupted else "success"
    with deps.session_factory.begin() as session:
        chats.record_turn(
            session,
            account_id=run.account_id,
            user_id=run.user_id,
            thread_id=run.thread_id,
            user_text=user_text,
            answer=None if interrupted else _last_answer(last_values),
            now=deps.clock(),
        )


def graph_hooks() -> RunHooks:
    """A cancelled Agent Protocol stream just ends; a failed one ends with an ``error`` event."""

    def on_error(exc: BaseException) -> list[tuple[str, Any]]:
        if isinstance(exc, DomainError):
            return [("error", {"error": type(exc).__name__, "message": exc.message})]
        return [("error", {"error": "InternalServerError", "message": INTERNAL_ERROR})]

    return RunHooks(on_cancel=lambda: [], on_error=on_error)
