"""Public shapes of contacts, custom fields, tags, lists and subscriptions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from core.enums import Channel, ContactStatus, FieldType, SubscriptionStatus


class Unset(Enum):
    """Marks an update argument that was not given (None means "clear the value")."""

    TOKEN = "unset"


UNSET: Final = Unset.TOKEN
NotGiven = Literal[Unset.TOKEN]


class SubscriptionOut(BaseModel):
    """One contact's membership of one list."""

    model_config = ConfigDict(from_attributes=True)

    contact_id: int
    list_id: int
    list_name: str
    email_status: SubscriptionStatus
    sms_consent: bool
    sms_consent_source: str | None
    sms_consent_at: datetime | None
    subscribed_at: datetime
    unsubscribed_at: datetime | None
    unsubscribe_reason: str | None


class ContactBase(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    phone: str | None
    first_name: str | None
    last_name: str | None
    status: ContactStatus
    preferred_language: str | None
    timezone: str | None
    country: str | None
    city: str | None
    crm_account_id: int | None
    created_at: datetime
    updated_at: datetime


class ContactOut(ContactBase):
    """A contact with its custom field values by field name, tag names and list memberships."""

    custom_fields: dict[str, str | Decimal | date]
    tags: list[str]
    lists: list[SubscriptionOut]


class ContactPage(BaseModel):
    items: list[ContactOut]
    total: int
    offset: int
    limit: int


class CustomFieldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    tag: str
    type: FieldType
    options: list[str]


class TagOut(BaseModel):
    id: int
    name: str
    contact_count: int


class BulkTagOut(BaseModel):
    tag: str
    tagged: int
    already_tagged: int


class ListOut(BaseModel):
    id: int
    name: str
    description: str | None
    allows_sms: bool
    subscriber_count: int
    unsubscribed_count: int
    sms_consent_count: int
    created_at: datetime


class ExclusionCounts(BaseModel):
    """Who on the chosen lists a send would reach on ``channel``, and why the rest are left out.

    Each member is counted once, under the first reason that applies: bounced, unsubscribed, then (SMS only)
    no SMS consent, then no phone number.
    """

    channel: Channel
    list_ids: list[int]
    members: int
    sendable: int
    bounced: int
    unsubscribed: int
    no_sms_consent: int
    no_phone: int
