"""Public shapes of the activities ledger and SMS credits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

# What spends activities (help center: the AI Actions Library and AI Translations for Email).
ActivityFeature = Literal["ai_actions", "translations"]
ACTIVITY_FEATURES: tuple[str, ...] = ("ai_actions", "translations")


class ActivityResult(BaseModel):
    """Whether one contact's AI action or translated send was charged, or skipped for lack of activities."""

    charged: bool
    # Set when not charged: the contact skips the action.
    skipped_reason: str | None
    month: str
    used: int
    limit: int
    remaining: int


class ActivityUsage(BaseModel):
    month: str
    used: int
    limit: int
    remaining: int


class CreditBalance(BaseModel):
    balance: int


class CreditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    delta: int
    reason: str
    campaign_id: int | None
    created_at: datetime
    # The balance right after this entry.
    balance: int = 0
