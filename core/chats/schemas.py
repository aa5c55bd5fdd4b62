"""Public shapes of chat threads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ThreadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    account_id: int
    user_id: int
    title: str
    preview: str | None
    surface: str
    created_at: datetime
    updated_at: datetime
