"""Automation definitions and score definitions with their values (runners come later)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, JsonType, UtcDateTime, str_enum, utcnow
from core.enums import AutomationStatus, ScoreTarget


class Automation(Base):
    __tablename__ = "automations"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[AutomationStatus] = mapped_column(
        str_enum(AutomationStatus), default=AutomationStatus.INACTIVE
    )
    # {"type": "subscribes_to_list", "list_id": 3, "runs": "once"|"multiple"}
    trigger: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # Ordered steps; branches nest: {"type": "if_else", "condition": {...}, "yes": [...], "no": [...]}.
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ScoreDefinition(Base):
    __tablename__ = "score_definitions"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(150))
    target: Mapped[ScoreTarget] = mapped_column(str_enum(ScoreTarget), default=ScoreTarget.CONTACT)
    pipeline_id: Mapped[int | None] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"), default=None)
    # [{"condition": <segment tree>, "points": 10, "expires_days": 30|null}]
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ScoreValue(Base):
    """The current points of one contact (or deal) on one score."""

    __tablename__ = "score_values"
    __table_args__ = (
        UniqueConstraint("score_id", "contact_id", "deal_id"),
        Index("ix_score_values_score_points", "score_id", "points"),
        # NULLs never clash in a unique constraint, so each target gets its own partial unique index.
        Index(
            "uq_score_values_score_contact", "score_id", "contact_id", unique=True,
            sqlite_where=text("contact_id IS NOT NULL"), postgresql_where=text("contact_id IS NOT NULL"),
        ),
        Index(
            "uq_score_values_score_deal", "score_id", "deal_id", unique=True,
            sqlite_where=text("deal_id IS NOT NULL"), postgresql_where=text("deal_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("score_definitions.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), default=None)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), default=None)
    points: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
