"""Chat threads, private to their (account, user), and the exactly-once action ledger."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.accounts.service import get_user_row
from core.chats.models import ActionRecord, ChatThread
from core.chats.schemas import ThreadOut
from core.errors import InvalidRequest, NotFound

TITLE_MAX = 60
PREVIEW_MAX = 160


def _owned(session: Session, *, account_id: int, user_id: int, thread_id: str) -> ChatThread:
    thread = session.get(ChatThread, thread_id)
    # Another user's thread answers exactly like a missing one, so ids cannot be probed.
    if thread is None or thread.account_id != account_id or thread.user_id != user_id:
        raise NotFound(f"No chat with id {thread_id!r}; start a new chat or pick one from your history.", field="thread")
    return thread


def create_thread(
    session: Session, *, account_id: int, user_id: int, now: datetime, surface: str = "web", thread_id: str | None = None
) -> ThreadOut:
    """Start a new chat for this user."""
    get_user_row(session, account_id=account_id, user_id=user_id)
    thread = ChatThread(
        id=thread_id or uuid.uuid4().hex,
        account_id=account_id,
        user_id=user_id,
        surface=surface,
        created_at=now,
        updated_at=now,
    )
    session.add(thread)
    session.flush()
    return ThreadOut.model_validate(thread)


def get_thread(session: Session, *, account_id: int, user_id: int, thread_id: str) -> ThreadOut:
    """Return one of this user's chats."""
    return ThreadOut.model_validate(_owned(session, account_id=account_id, user_id=user_id, thread_id=thread_id))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def record_turn(
    session: Session, *, account_id: int, user_id: int, thread_id: str, user_text: str, answer: str | None, now: datetime
) -> ThreadOut:
    """Update the chat after a turn: the first message becomes the title, the latest answer the preview."""
    thread = _owned(session, account_id=account_id, user_id=user_id, thread_id=thread_id)
    if thread.title == "New chat" and user_text.strip():
        thread.title = _clip(user_text, TITLE_MAX)
    if answer:
        thread.preview = _clip(answer, PREVIEW_MAX)
    thread.updated_at = now
    session.flush()
    return ThreadOut.model_validate(thread)


def list_threads(session: Session, *, account_id: int, user_id: int, limit: int = 50, offset: int = 0) -> list[ThreadOut]:
    """Return this user's chats, most recently active first."""
    rows = session.scalars(
        select(ChatThread)
        .where(ChatThread.account_id == account_id, ChatThread.user_id == user_id)
        .order_by(ChatThread.updated_at.desc(), ChatThread.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [ThreadOut.model_validate(t) for t in rows]


def rename_thread(session: Session, *, account_id: int, user_id: int, thread_id: str, title: str) -> ThreadOut:
    """Rename one of this user's chats."""
    if not title.strip():
        raise InvalidRequest("A chat title cannot be empty.", field="title")
    thread = _owned(session, account_id=account_id, user_id=user_id, thread_id=thread_id)
    thread.title = _clip(title, 200)
    session.flush()
    return ThreadOut.model_validate(thread)


def delete_thread(session: Session, *, account_id: int, user_id: int, thread_id: str) -> None:
    """Delete one of this user's chats (its checkpoints are deleted by the caller)."""
    session.delete(_owned(session, account_id=account_id, user_id=user_id, thread_id=thread_id))
    session.flush()


def args_fingerprint(tool: str, args: dict[str, Any]) -> str:
    """A stable hash of a tool call's name and arguments."""
    blob = json.dumps({"tool": tool, "args": args}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def find_action(session: Session, *, account_id: int, idempotency_key: str) -> dict[str, Any] | None:
    """Return the stored result of an action that already ran under this key, if any."""
    row = session.scalar(
        select(ActionRecord).where(
            ActionRecord.account_id == account_id, ActionRecord.idempotency_key == idempotency_key
        )
    )
    return None if row is None else dict(row.result)


def record_action(
    session: Session, *, account_id: int, idempotency_key: str, tool: str, args: dict[str, Any], result: dict[str, Any], now: datetime
) -> bool:
    """Store an action's result under its key; False when the key was already taken (a duplicate run)."""
    try:
        with session.begin_nested():
            session.add(
                ActionRecord(
                    account_id=account_id,
                    idempotency_key=idempotency_key,
                    tool=tool,
                    args_hash=args_fingerprint(tool, args),
                    result=result,
                    created_at=now,
                )
            )
    except IntegrityError:
        return False
    return True
