"""Saved segments: a named, versioned condition tree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, JsonType, UtcDateTime, utcnow


class Segment(Base):
    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(150))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    # The condition tree as validated JSON; "schema_version" lets old trees be read after format changes.
    schema_version: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped on every edit, so callers can tell a segment changed since they previewed it.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    tree: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
