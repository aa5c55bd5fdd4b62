"""Site tracking (whitelisted domains, page visits) and custom events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, JsonType, UtcDateTime, utcnow


class TrackedDomain(Base):
    __tablename__ = "tracked_domains"
    __table_args__ = (UniqueConstraint("account_id", "domain"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PageVisit(Base):
    __tablename__ = "page_visits"
    __table_args__ = (
        Index("ix_page_visits_account_time", "account_id", "visited_at"),
        Index("ix_page_visits_contact_time", "contact_id", "visited_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # Anonymous visitors have no contact until they are identified (form submit, email click).
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), default=None)
    visitor_id: Mapped[str | None] = mapped_column(String(64), default=None)
    url: Mapped[str] = mapped_column(String(500))
    referrer: Mapped[str | None] = mapped_column(String(500), default=None)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), default=None)
    visited_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_seconds: Mapped[int | None] = mapped_column(Integer, default=None)


class CustomEvent(Base):
    __tablename__ = "custom_events"
    __table_args__ = (Index("ix_custom_events_account_name_time", "account_id", "name", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(String(255), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
