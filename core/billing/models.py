"""The activities ledger (AI actions, translations) and SMS credit movements."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UtcDateTime, utcnow

MAX_MONTHLY_ACTIVITY_LIMIT = 500_000


class ActivityEntry(Base):
    """One billable activity: one contact through one AI action, or one translated send."""

    __tablename__ = "activity_entries"
    __table_args__ = (Index("ix_activity_entries_account_month", "account_id", "month"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # "YYYY-MM": activities do not roll over, so the month is the budget key.
    month: Mapped[str] = mapped_column(String(7))
    feature: Mapped[str] = mapped_column(String(60))
    source: Mapped[str | None] = mapped_column(String(120), default=None)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SmsCreditEntry(Base):
    """A purchase (+) or spend (-) of SMS credits; the account's balance is kept in step."""

    __tablename__ = "sms_credit_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
