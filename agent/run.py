"""``run_turn``: the one entry point every surface uses to run a chat turn and stream its events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import openai
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.types import Command
from sqlalchemy.orm import Session, sessionmaker

from agent.artifacts import ArtifactFinisher
from agent.context import PageContext, TurnContext
from agent.events import (
    ApprovalRequest,
    Artifact,
    ErrorEvent,
    FinalAnswer,
    RunEnded,
    RunStarted,
    Token,
    ToolFinished,
    ToolStarted,
)
from core.chats import service as chats
from core.chats.models import ChatThread
from core.db import utcnow
from core.errors import DomainError, NotFound
from core.knowledge.store import KnowledgeStore
from core.mail import MailTransport


@dataclass
class AgentDeps:
    """What a surface hands to ``run_turn``: the compiled graph, the database and the clock."""

    graph: Any
    session_factory: sessionmaker[Session]
    clock: Callable[[], datetime] = field(default=utcnow)
    knowledge: KnowledgeStore | None = None
    mail: MailTransport | None = None


@dataclass
class TurnResult:
    """Everything a turn produced, for callers that do not stream (CLI --once, evals)."""

    thread_id: str
    run_id: str
    answer: str = ""
    tool_calls: list[ToolStarted] = field(default_factory=list)
    tool_results: list[ToolFinished] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    approval: ApprovalRequest | None = None
    status: str = "success"
    error: str | None = None


def _ensure_thread(deps: AgentDeps, *, account_id: int, user_id: int, thread_id: str | None, now: datetime, surface: str) -> str:
    with deps.session_factory.begin() as session:
        if thread_id is None:
            return chats.create_thread(session, account_id=account_id, user_id=user_id, now=now, surface=surface).id
        try:
            return chats.get_thread(session, account_id=account_id, user_id=user_id, thread_id=thread_id).id
        except NotFound:
            # Surfaces with their own ids (Slack threads, the Agent Protocol) create the chat on first use; an id
            # owned by someone else still fails, because create_thread would collide with its primary key.
            if session.get(ChatThread, thread_id) is not None:
                raise
            return chats.create_thread(
                session, account_id=account_id, user_id=user_id, now=now, surface=surface, thread_id=thread_id
            ).id


async def run_turn(
    deps: AgentDeps,
    *,
    account_id: int,
    user_id: int,
    text: str | None = None,
    thread_id: str | None = None,
    decision: dict[str, Any] | None = None,
    page: PageContext | None = None,
    surface: str = "web",
    run_id: str | None = None,
) -> AsyncIterator[Any]:
    """Run one turn (a user message, or an approval decision resuming a paused run) and stream its events."""
    if (text is None) == (decision is None):
        raise ValueError("run_turn takes either text or decision")
    now = deps.clock()
    run_id = run_id or uuid.uuid4().hex
    thread_id = _ensure_thread(
        deps, account_id=account_id, user_id=user_id, thread_id=thread_id, now=now, surface=surface
    )
    yield RunStarted(thread_id=thread_id, run_id=run_id)

    ctx = TurnContext(
        account_id=account_id, user_id=user_id, session_factory=deps.session_factory, now=now,
        thread_id=thread_id, page=page, surface=surface, knowledge=deps.knowledge, mail=deps.mail,
    )
    config = {"configurable": {"thread_id": thread_id, "account_id": account_id, "user_id": user_id}}
    graph_input: Any = (
        {"messages": [HumanMessage(text)]} if text is not None else Command(resume=decision)
    )
    answer_parts: list[str] = []
    tool_names: dict[str, str] = {}
    status = "success"
    finisher = ArtifactFinisher()
    waiting = bool((await deps.graph.aget_state(config)).interrupts)
    if text is not None and waiting:
        # A new message would strand the paused action half-way; the reviewer answers it first.
        yield ErrorEvent(message="An action in this chat is waiting for your approval: approve or reject it first.")
        yield RunEnded(status="error")
        return
    if decision is not None and not waiting:
        yield ErrorEvent(message="Nothing in this chat is waiting for approval, so there is nothing to approve or reject.")
        yield RunEnded(status="error")
        return
    try:
        async for mode, data in deps.graph.astream(
            graph_input, config, context=ctx, stream_mode=["messages", "updates", "custom"]
        ):
            for kind, finished in finisher.ready():
                yield Artifact(kind=kind, data=finished)
            if mode == "messages":
                chunk, _meta = data
                if isinstance(chunk, AIMessageChunk | AIMessage) and isinstance(chunk.content, str) and chunk.content:
                    answer_parts.append(chunk.content)
                    yield Token(text=chunk.content)
                elif isinstance(chunk, ToolMessage):
                    yield ToolFinished(
                        call_id=chunk.tool_call_id,
                        name=tool_names.get(chunk.tool_call_id, chunk.name or ""),
                        status="error" if chunk.status == "error" else "success",
                        output=str(chunk.content),
                    )
            elif mode == "updates":
                if "__interrupt__" in data:
                    for intr in data["__interrupt__"]:
                        status = "interrupted"
                        yield ApprovalRequest(interrupt_id=intr.id, payload=intr.value)
                    continue
                for update in data.values():
                    for msg in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                        if isinstance(msg, AIMessage) and msg.tool_calls:
                            # A new model step: text streamed before its tool calls is narration, not the answer.
                            answer_parts.clear()
                            for call in msg.tool_calls:
                                tool_names[call["id"]] = call["name"]
                                yield ToolStarted(call_id=call["id"], name=call["name"], args=call["args"])
            elif mode == "custom" and isinstance(data, dict) and "artifact" in data:
                finisher.start(data["artifact"], data.get("data", {}))
        for kind, finished in await finisher.drain():
            yield Artifact(kind=kind, data=finished)
    except DomainError as exc:
        status = "error"
        yield ErrorEvent(message=exc.message)
    except (openai.APIError, httpx.HTTPError) as exc:
        # The model provider failed (outage, bad key, timeout): say so and keep the chat usable.
        status = "error"
        yield ErrorEvent(message=f"The language model could not answer ({type(exc).__name__}: {exc}). Try again later.")
    finally:
        finisher.cancel()
    answer = "".join(answer_parts).strip()
    if status == "success" and not answer:
        # A model that did not stream (or an answer the graph wrote itself) still has its final message.
        messages = (await deps.graph.aget_state(config)).values.get("messages", [])
        if messages and isinstance(messages[-1], AIMessage) and not messages[-1].tool_calls:
            answer = str(messages[-1].content).strip()
    if status == "success":
        yield FinalAnswer(text=answer)
    with deps.session_factory.begin() as session:
        chats.record_turn(
            session, account_id=account_id, user_id=user_id, thread_id=thread_id,
            user_text=text or "", answer=answer or None, now=deps.clock(),
        )
    yield RunEnded(status=status)  # type: ignore[arg-type]


async def collect_turn(deps: AgentDeps, **kwargs: Any) -> TurnResult:
    """Run a turn to the end and gather its events (for scripts and evals)."""
    result: TurnResult | None = None
    async for event in run_turn(deps, **kwargs):
        if isinstance(event, RunStarted):
            result = TurnResult(thread_id=event.thread_id, run_id=event.run_id)
            continue
        assert result is not None
        if isinstance(event, ToolStarted):
            result.tool_calls.append(event)
        elif isinstance(event, ToolFinished):
            result.tool_results.append(event)
        elif isinstance(event, Artifact):
            result.artifacts.append(event)
        elif isinstance(event, ApprovalRequest):
            result.approval = event
        elif isinstance(event, FinalAnswer):
            result.answer = event.text
        elif isinstance(event, ErrorEvent):
            result.error = event.message
        elif isinstance(event, RunEnded):
            result.status = event.status
    assert result is not None
    return result
