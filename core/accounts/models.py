"""Accounts (tenants) and their users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, JsonType, UtcDateTime, str_enum, utcnow
from core.enums import Plan, UserRole


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[Plan] = mapped_column(str_enum(Plan), default=Plan.PLUS)
    addons: Mapped[list[str]] = mapped_column(JsonType, default=list)
    industry: Mapped[str] = mapped_column(String(80), default="Generic")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # BotSense: "Not filtered" by default; when on, bot opens and clicks leave reports and segments.
    botsense_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    monthly_activity_limit: Mapped[int] = mapped_column(Integer, default=0)
    sms_credit_balance: Mapped[int] = mapped_column(Integer, default=0)
    is_trial: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("account_id", "email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(str_enum(UserRole), default=UserRole.USER)
    can_manage_billing: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
