"""Public shapes of site tracking: whitelisted domains, page visits, identification and custom events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class TrackedDomainOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    domain: str
    created_at: datetime


class PageVisitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int | None
    visitor_id: str | None
    url: str
    referrer: str | None
    campaign_id: int | None
    visited_at: datetime
    duration_seconds: int | None


class VisitorIdentified(BaseModel):
    """The result of tying a browser's visitor id to a contact."""

    visitor_id: str
    contact_id: int
    visits_attached: int
    # Anonymous visits older than the look-back window stay anonymous.
    visits_too_old: int


class CustomEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    name: str
    value: str | None
    # Free-form properties sent with the event; their keys are chosen by the sender.
    data: dict[str, Any]
    occurred_at: datetime
