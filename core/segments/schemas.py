"""Public shapes of segments and their previews."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from core.segments.tree import SegmentTree


class ContactBrief(BaseModel):
    """Enough of a contact to show in a sample."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    first_name: str | None = None
    last_name: str | None = None


class SegmentPreview(BaseModel):
    """How many contacts a tree matches, a few of them, and the tree in words."""

    count: int
    sample: list[ContactBrief]
    description: str


class SegmentOut(BaseModel):
    """A saved segment."""

    id: int
    account_id: int
    name: str
    description: str | None
    summary: str
    tree: SegmentTree
    schema_version: int
    revision: int
    created_at: datetime
    updated_at: datetime
