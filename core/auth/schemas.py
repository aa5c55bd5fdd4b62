"""Public shapes of API keys, answer ratings and the authenticated caller."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Rating(StrEnum):
    UP = "up"
    DOWN = "down"


class ApiKeyOut(BaseModel):
    """A key as listed: never the secret, only the prefix that identifies it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class CreatedApiKey(BaseModel):
    """A new key: ``secret`` is shown this once and cannot be recovered afterwards."""

    key: ApiKeyOut
    secret: str


class Principal(BaseModel):
    """Who is calling: every request and socket resolves to exactly one (account, user)."""

    account_id: int
    user_id: int
    key_id: int
    email: str
    role: str


class RatingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    user_id: int
    thread_id: str
    target: str
    rating: Rating
    comment: str | None
    answer: str | None
    created_at: datetime
    updated_at: datetime
