"""Public shapes of campaigns: typed content blocks, campaigns, sends, events and links.

Also home of two small helpers the other content-like domains reuse: the ``UNSET`` marker for partial
updates and ``invalid_from_validation`` (pydantic errors turned into one user-facing InvalidRequest).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime
from enum import Enum
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.enums import CampaignStatus, Channel, EventType, Layout, SendStatus
from core.errors import InvalidRequest


class _Unset(Enum):
    UNSET = 0


# Marks "not given" in update functions, so None can mean "clear this value".
UNSET = _Unset.UNSET
Unset = _Unset


def _where(loc: tuple[int | str, ...], item: str, tags: Collection[str]) -> str:
    parts: list[str] = []
    after_index = True  # a union at the top level starts with its tag
    for part in loc:
        if isinstance(part, int):
            parts.append(f"{item} {part + 1}")
        elif after_index and part in tags:
            parts.append(f"({part})")
        else:
            parts.append(str(part))
        after_index = isinstance(part, int)
    return " ".join(parts)


def invalid_from_validation(
    err: ValidationError, *, what: str, field: str, item: str = "item", tags: Collection[str] = ()
) -> InvalidRequest:
    """Turn a pydantic ValidationError into one InvalidRequest naming each bad place.

    List positions read as '<item> 3' (1-based) and discriminator values in ``tags`` as '(button)', so a
    message reads "Invalid blocks: block 3 (button) url: ...".
    """
    parts = []
    for e in err.errors()[:5]:
        where = _where(tuple(e["loc"]), item, tags)
        msg = e["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    more = f" (and {len(err.errors()) - 5} more problems)" if len(err.errors()) > 5 else ""
    return InvalidRequest(f"Invalid {what}: " + "; ".join(parts) + more + ".", field=field)


_TAG_IN_TEXT = re.compile(r"%[A-Za-z][A-Za-z0-9_-]{2,}%")


def check_link(value: str, *, allow_tag: bool = True) -> str:
    """Accept an http(s) URL with a real host, a mailto: address or (optionally) a personalization tag."""
    text = value.strip()
    if allow_tag and _TAG_IN_TEXT.fullmatch(text):
        return text
    if text.lower().startswith("mailto:") and "@" in text:
        return text
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or "." not in host or " " in text:
        raise ValueError(f"{value!r} is not a web address; use a full URL like 'https://example.com/sale'")
    return text


def check_web_url(value: str) -> str:
    """Accept only an http(s) URL with a real host (images, webhooks, feeds)."""
    if value.strip().lower().startswith("mailto:"):
        raise ValueError(
            f"{value!r} is an email address; a web address like 'https://example.com/x' is needed"
        )
    return check_link(value, allow_tag=False)


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # A locked block survives AI regeneration and cannot be changed until it is unlocked.
    locked: bool = False


class HeadingBlock(_Block):
    type: Literal["heading"] = "heading"
    text: str = Field(min_length=1, max_length=300)
    level: int = Field(default=1, ge=1, le=3)


class TextBlock(_Block):
    type: Literal["text"] = "text"
    text: str = Field(min_length=1, max_length=20_000)


class ImageBlock(_Block):
    type: Literal["image"] = "image"
    url: str = Field(max_length=500)
    alt: str = Field(default="", max_length=300)
    link_url: str | None = Field(default=None, max_length=500)

    @field_validator("url")
    @classmethod
    def _web(cls, v: str) -> str:
        return check_web_url(v)

    @field_validator("link_url")
    @classmethod
    def _link(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else check_link(v)


class ButtonBlock(_Block):
    type: Literal["button"] = "button"
    label: str = Field(min_length=1, max_length=80)
    # AI-built campaigns leave button links empty; a campaign cannot be scheduled until each one has a link.
    url: str | None = Field(default=None, max_length=500)

    @field_validator("url")
    @classmethod
    def _link(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else check_link(v)


class DividerBlock(_Block):
    type: Literal["divider"] = "divider"


class ProductBlock(_Block):
    type: Literal["product"] = "product"
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2_000)
    price_cents: int | None = Field(default=None, ge=0)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    image_url: str | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=500)

    @field_validator("image_url")
    @classmethod
    def _web(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else check_web_url(v)

    @field_validator("url")
    @classmethod
    def _link(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else check_link(v)


SocialNetwork = Literal["facebook", "instagram", "x", "linkedin", "youtube", "tiktok", "pinterest"]


class SocialLink(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    network: SocialNetwork
    url: str = Field(max_length=500)

    @field_validator("url")
    @classmethod
    def _web(cls, v: str) -> str:
        return check_web_url(v)


class SocialBlock(_Block):
    type: Literal["social"] = "social"
    links: list[SocialLink] = Field(min_length=1, max_length=10)


Block = Annotated[
    HeadingBlock | TextBlock | ImageBlock | ButtonBlock | DividerBlock | ProductBlock | SocialBlock,
    Field(discriminator="type"),
]
BLOCK_TYPES = ("heading", "text", "image", "button", "divider", "product", "social")


class CampaignOut(BaseModel):
    id: int
    account_id: int
    name: str
    channel: Channel
    status: CampaignStatus
    failure_reason: str | None
    subject: str | None
    preheader: str | None
    from_name: str | None
    from_email: str | None
    layout: Layout | None
    blocks: list[Block]
    sms_body: str | None
    sms_media_url: str | None
    list_ids: list[int]
    list_names: list[str]
    segment_id: int | None
    segment_name: str | None
    brand_kit_id: int | None
    link_tracking: bool
    predictive_sending: bool
    created_at: datetime
    updated_at: datetime
    scheduled_at: datetime | None
    sent_at: datetime | None


class CampaignPage(BaseModel):
    items: list[CampaignOut]
    total: int
    offset: int
    limit: int


class CampaignLinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    url: str
    is_unsubscribe: bool
    is_honeypot: bool


class SendsRecorded(BaseModel):
    """What record_sends did: new sends written, and contacts skipped because they already had one."""

    campaign_id: int
    recorded: int
    skipped_contact_ids: list[int]


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    contact_id: int
    type: EventType
    occurred_at: datetime
    url: str | None
    is_bot: bool
    is_mpp: bool


class SendOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    campaign_id: int
    contact_id: int
    status: SendStatus
    sent_at: datetime
    credits: int
