"""Public shapes of accounts and users."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from core.enums import Plan, UserRole


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    plan: Plan
    addons: list[str]
    industry: str
    timezone: str
    botsense_enabled: bool
    monthly_activity_limit: int
    sms_credit_balance: int
    created_at: datetime


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    email: str
    name: str
    role: UserRole
    can_manage_billing: bool


class FeatureCheck(BaseModel):
    feature: str
    available: bool
    message: str
