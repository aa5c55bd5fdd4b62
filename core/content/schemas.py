"""Public shapes of brand kits, saved responses, forms and business goals."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

GoalMetric = Literal["revenue", "orders", "new_contacts", "open_rate", "click_rate", "deals_won"]
GOAL_METRICS: tuple[str, ...] = ("revenue", "orders", "new_contacts", "open_rate", "click_rate", "deals_won")
GoalPeriod = Literal["week", "month", "quarter", "year"]
GOAL_PERIODS: tuple[str, ...] = ("week", "month", "quarter", "year")
FormFieldType = Literal["email", "text", "textarea", "phone", "number", "date", "dropdown", "checkbox"]

_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class BrandKitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    name: str
    is_primary: bool
    website: str | None
    logo_url: str | None
    colors: list[str]
    fonts: list[str]
    tone: str | None
    description: str | None
    created_at: datetime


class SavedResponseCategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    name: str


class SavedResponseOut(BaseModel):
    id: int
    account_id: int
    title: str
    subject: str | None
    body: str
    category_id: int | None
    category: str | None
    created_at: datetime


class FormField(BaseModel):
    """One input of a form; ``name`` is the key submissions use."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str
    label: str = Field(default="", max_length=150)
    type: FormFieldType = "text"
    required: bool = False
    options: list[str] = Field(default_factory=list, max_length=200)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        key = v.strip().lower().replace(" ", "_")
        if not _FIELD_NAME.match(key):
            raise ValueError(
                f"field name {v!r} must start with a letter and use letters, digits or underscores (max 50)"
            )
        return key


class FormOut(BaseModel):
    id: int
    account_id: int
    name: str
    fields: list[FormField]
    list_id: int | None
    list_name: str | None
    tag_id: int | None
    tag_name: str | None
    views: int
    submissions: int
    created_at: datetime


class FormSubmissionOut(BaseModel):
    """A stored submission; ``contact_id`` is set when a contact with the submitted email exists."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    form_id: int
    contact_id: int | None
    data: dict[str, str]
    submitted_at: datetime
    # What the form asks the caller to apply to the contact (subscribe and tag).
    list_id: int | None = None
    tag_id: int | None = None
    visits_identified: int = 0


class BusinessGoalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    name: str
    metric: GoalMetric
    target: Decimal
    period: GoalPeriod
    description: str | None
    created_at: datetime
