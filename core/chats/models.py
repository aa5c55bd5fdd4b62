"""Chat threads (the history list) and the ledger of approved actions (exactly-once execution)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, JsonType, UtcDateTime, utcnow


class ChatThread(Base):
    """One chat; its messages live in the agent's checkpointer under the same id."""

    __tablename__ = "chat_threads"
    __table_args__ = (Index("ix_chat_threads_owner_updated", "account_id", "user_id", "updated_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), default="New chat")
    preview: Mapped[str | None] = mapped_column(Text, default=None)
    surface: Mapped[str] = mapped_column(String(20), default="web")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ActionRecord(Base):
    """A side-effecting tool call that ran; a re-run with the same key returns the stored result instead."""

    __tablename__ = "action_records"
    __table_args__ = (UniqueConstraint("account_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    tool: Mapped[str] = mapped_column(String(80))
    args_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
