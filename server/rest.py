"""REST extras: chats (list, read, rename, delete, export), answer ratings, ``/api/me`` and ``/healthz``."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from core.accounts.service import get_account
from core.auth import ratings
from core.auth.schemas import Principal, RatingOut
from core.chats import service as chats
from core.chats.schemas import ThreadOut
from core.errors import NotFound
from server.auth import CurrentUser
from server.graph_runs import message_text
from server.protocol import delete_chat

router = APIRouter(tags=["rest"])


class RenameBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=500)


class RatingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=4000)
    message_id: str | None = Field(default=None, max_length=120)
    run_id: str | None = Field(default=None, max_length=120)


class ChatMessage(BaseModel):
    """One message of a chat as the REST API shows it."""

    id: str | None
    role: Literal["user", "assistant", "tool"]
    content: str
    tool_calls: list[dict[str, Any]] = []
    name: str | None = None
    status: str | None = None


class ChatDetail(BaseModel):
    thread: ThreadOut
    messages: list[ChatMessage]
    pending_approval: dict[str, Any] | None
    active_run_id: str | None


def _thread(request: Request, who: Principal, thread_id: str) -> ThreadOut:
    with request.app.state.deps.session_factory() as session:
        return chats.get_thread(session, account_id=who.account_id, user_id=who.user_id, thread_id=thread_id)


def transcript(messages: list[BaseMessage]) -> list[ChatMessage]:
    """Turn checkpointed messages into the REST shape (user, assistant and tool messages)."""
    out: list[ChatMessage] = []
    for m in messages:
        if isinstance(m, HumanMessage):
            out.append(ChatMessage(id=m.id, role="user", content=message_text(m.content)))
        elif isinstance(m, AIMessage):
            calls = [{"id": c.get("id"), "name": c["name"], "args": c["args"]} for c in m.tool_calls]
            out.append(
                ChatMessage(id=m.id, role="assistant", content=message_text(m.content), tool_calls=calls)
            )
        elif isinstance(m, ToolMessage):
            out.append(
                ChatMessage(
                    id=m.id, role="tool", content=message_text(m.content), name=m.name, status=m.status
                )
            )
    return out


async def chat_detail(request: Request, who: Principal, thread_id: str) -> ChatDetail:
    """Read one chat: its row, its messages from the checkpoint and any pending approval."""
    thread = _thread(request, who, thread_id)
    state = await request.app.state.deps.graph.aget_state({"configurable": {"thread_id": thread_id}})
    pending = state.interrupts[0] if state.interrupts else None
    active = request.app.state.runs.active_run(thread_id)
    return ChatDetail(
        thread=thread,
        messages=transcript((state.values or {}).get("messages") or []),
        pending_approval=None if pending is None else {"interrupt_id": pending.id, "payload": pending.value},
        active_run_id=active.run_id if active else None,
    )


def markdown_export(detail: ChatDetail) -> str:
    """Render a chat as Markdown: the title, then each turn; tool calls as one-line notes."""
    lines = [
        f"# {detail.thread.title}",
        "",
        f"_Exported chat {detail.thread.id}, started {detail.thread.created_at:%Y-%m-%d %H:%M} UTC._",
        "",
    ]
    for m in detail.messages:
        if m.role == "user":
            lines += [f"**You:** {m.content}", ""]
        elif m.role == "assistant":
            for call in m.tool_calls:
                lines.append(f"> used `{call['name']}`")
            if m.tool_calls:
                lines.append("")
            if m.content.strip():
                lines += [f"**ActiveIntel:** {m.content}", ""]
        elif m.status == "error":
            lines += [f"> `{m.name}` failed: {m.content[:300]}", ""]
    if detail.pending_approval:
        lines += ["_Waiting for approval._", ""]
    return "\n".join(lines)


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """Liveness and readiness: the database answers (public, no data)."""
    state = request.app.state
    try:
        with state.deps.session_factory() as session:
            session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001  (the probe reports the failure instead of raising it)
        database = "unavailable"
    body = {
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "active_runs": state.runs.active_count,
        "websockets": len(state.ws_connections),
    }
    return JSONResponse(body, status_code=200 if database == "ok" else 503)


@router.get("/api/me")
def me(request: Request, who: CurrentUser) -> dict[str, Any]:
    """Who the key belongs to, and the account's name and plan."""
    with request.app.state.deps.session_factory() as session:
        account = get_account(session, account_id=who.account_id)
    return {**who.model_dump(), "account_name": account.name, "plan": account.plan}


@router.get("/api/chats", response_model=list[ThreadOut])
def list_chats(
    request: Request, who: CurrentUser, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)
) -> list[ThreadOut]:
    """The caller's chats, most recently active first."""
    with request.app.state.deps.session_factory() as session:
        return chats.list_threads(
            session, account_id=who.account_id, user_id=who.user_id, limit=limit, offset=offset
        )


@router.get("/api/chats/{thread_id}", response_model=ChatDetail)
async def get_chat(thread_id: str, request: Request, who: CurrentUser) -> ChatDetail:
    """One chat with its messages."""
    return await chat_detail(request, who, thread_id)


@router.patch("/api/chats/{thread_id}", response_model=ThreadOut)
def rename_chat(thread_id: str, body: RenameBody, request: Request, who: CurrentUser) -> ThreadOut:
    """Rename a chat."""
    with request.app.state.deps.session_factory.begin() as session:
        return chats.rename_thread(
            session, account_id=who.account_id, user_id=who.user_id, thread_id=thread_id, title=body.title
        )


@router.delete("/api/chats/{thread_id}", status_code=204)
async def remove_chat(thread_id: str, request: Request, who: CurrentUser) -> Response:
    """Delete a chat and its memory (409 while it is answering)."""
    await delete_chat(request, who, thread_id)
    return Response(status_code=204)


@router.get("/api/chats/{thread_id}/export")
async def export_chat(
    thread_id: str, request: Request, who: CurrentUser, format: Literal["json", "markdown"] = "json"
) -> Response:
    """Download a chat as JSON or Markdown."""
    detail = await chat_detail(request, who, thread_id)
    name = f"chat-{thread_id}"
    if format == "markdown":
        return PlainTextResponse(
            markdown_export(detail),
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.md"'},
        )
    return JSONResponse(
        detail.model_dump(mode="json"), headers={"Content-Disposition": f'attachment; filename="{name}.json"'}
    )


def _answer_text(detail: ChatDetail, message_id: str | None) -> str | None:
    answers = [m for m in detail.messages if m.role == "assistant" and m.content.strip()]
    if message_id is None:
        return answers[-1].content if answers else None
    for m in answers:
        if m.id == message_id:
            return m.content
    raise NotFound(f"No answer with id {message_id!r} in this chat.", field="message_id")


@router.post("/api/chats/{thread_id}/ratings", status_code=201, response_model=RatingOut)
async def rate_chat_answer(thread_id: str, body: RatingBody, request: Request, who: CurrentUser) -> RatingOut:
    """Rate an answer (up or down, with an optional comment); rating it again replaces the rating."""
    detail = await chat_detail(request, who, thread_id)
    answer = _answer_text(detail, body.message_id)
    deps = request.app.state.deps
    with deps.session_factory.begin() as session:
        return ratings.rate_answer(
            session,
            account_id=who.account_id,
            user_id=who.user_id,
            thread_id=thread_id,
            rating=body.rating,
            target=body.message_id or body.run_id,
            comment=body.comment,
            answer=answer,
            now=deps.clock(),
        )


@router.get("/api/ratings/export")
def export_ratings(request: Request, who: CurrentUser, format: Literal["json", "csv"] = "json") -> Response:
    """Download ratings: an admin gets the whole account's, anyone else their own."""
    with request.app.state.deps.session_factory() as session:
        rows = ratings.list_ratings(
            session, account_id=who.account_id, user_id=None if who.role == "admin" else who.user_id
        )
    if format == "csv":
        buffer = io.StringIO()
        fields = list(RatingOut.model_fields)
        writer = csv.DictWriter(buffer, fieldnames=fields)
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {
                    k: v.isoformat() if isinstance(v, datetime) else v
                    for k, v in r.model_dump(mode="python").items()
                }
            )
        return Response(
            buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="ratings.csv"'},
        )
    body = json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="ratings.json"'},
    )
