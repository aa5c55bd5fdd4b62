"""API keys (hashed at rest), answer ratings, and the metadata API clients attach to chat threads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.auth.schemas import Rating
from core.db import Base, BigId, JsonType, UtcDateTime, str_enum, utcnow


class ApiKey(Base):
    """One user's key; only its SHA-256 hash is stored, and the prefix finds the row without a scan."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_owner", "account_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100), default="default")
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class AnswerRating(Base):
    """A thumbs up or down (and a comment) on one answer; rating the same answer again replaces it.

    No foreign key to the chat: the feedback outlives a deleted chat, with the rated answer kept as text.
    """

    __tablename__ = "answer_ratings"
    __table_args__ = (
        UniqueConstraint("account_id", "user_id", "thread_id", "target"),
        Index("ix_answer_ratings_account_created", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[str] = mapped_column(String(64))
    # The rated answer: its message id, else the run id, else "thread" (the chat as a whole).
    target: Mapped[str] = mapped_column(String(120))
    rating: Mapped[Rating] = mapped_column(str_enum(Rating, length=8))
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ThreadMetadata(Base):
    """Free-form metadata an API client (LangGraph SDK, agent-chat-ui) stores on one of its chats."""

    __tablename__ = "thread_metadata"

    thread_id: Mapped[str] = mapped_column(
        ForeignKey("chat_threads.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
