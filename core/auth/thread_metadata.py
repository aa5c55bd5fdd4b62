"""Metadata API clients attach to their chats (the Agent Protocol's thread metadata), owner-checked."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth.models import ThreadMetadata
from core.chats import service as chats
from core.errors import InvalidRequest

MAX_BYTES = 16_384


def _validated(metadata: Any) -> dict[str, Any]:
    if not isinstance(metadata, dict) or not all(isinstance(k, str) for k in metadata):
        raise InvalidRequest("Thread metadata must be a JSON object with string keys.", field="metadata")
    try:
        size = len(json.dumps(metadata))
    except (TypeError, ValueError):
        raise InvalidRequest("Thread metadata must contain only JSON values.", field="metadata") from None
    if size > MAX_BYTES:
        raise InvalidRequest(f"Thread metadata is {size} bytes; keep it under {MAX_BYTES}.", field="metadata")
    return dict(metadata)


def get_metadata(session: Session, *, account_id: int, thread_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return the stored metadata of the given chats of the account (chats without any are left out)."""
    if not thread_ids:
        return {}
    rows = session.scalars(
        select(ThreadMetadata).where(
            ThreadMetadata.account_id == account_id, ThreadMetadata.thread_id.in_(thread_ids)
        )
    ).all()
    return {r.thread_id: dict(r.data) for r in rows}


def set_metadata(
    session: Session,
    *,
    account_id: int,
    user_id: int,
    thread_id: str,
    metadata: dict[str, Any],
    merge: bool = True,
) -> dict[str, Any]:
    """Store metadata on one of this user's chats, merged into what is there (or replacing it)."""
    incoming = _validated(metadata)
    chats.get_thread(session, account_id=account_id, user_id=user_id, thread_id=thread_id)
    row = session.get(ThreadMetadata, thread_id)
    if row is None:
        row = ThreadMetadata(thread_id=thread_id, account_id=account_id, data={})
        session.add(row)
    merged = {**(row.data or {}), **incoming} if merge else incoming
    _validated(merged)
    row.data = merged
    session.flush()
    return dict(merged)
