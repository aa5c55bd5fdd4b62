"""Public shapes of CRM accounts, pipelines, deals, tasks and notes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from core.enums import DealStatus, TaskStatus


class CrmAccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    website: str | None
    industry: str | None
    employees: int | None
    contact_count: int
    created_at: datetime


class StageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    position: int


class PipelineOut(BaseModel):
    """A pipeline with its stages in board order."""

    id: int
    name: str
    currency: str
    stages: list[StageOut]
    open_deal_count: int


class DealOut(BaseModel):
    """A deal; ``value`` is in major units of ``currency`` (``value_cents`` holds the minor units)."""

    id: int
    title: str
    value: Decimal
    value_cents: int
    currency: str
    status: DealStatus
    pipeline_id: int
    pipeline: str
    stage_id: int
    stage: str
    contact_id: int | None
    crm_account_id: int | None
    owner_id: int | None
    source: str | None
    forecast_close_date: date | None
    win_probability: float | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class DealPage(BaseModel):
    items: list[DealOut]
    total: int
    offset: int
    limit: int


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    kind: str
    status: TaskStatus
    deal_id: int | None
    contact_id: int | None
    owner_id: int | None
    due_at: datetime | None
    completed_at: datetime | None
    created_at: datetime


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    body: str
    deal_id: int | None
    contact_id: int | None
    author_id: int | None
    created_at: datetime
