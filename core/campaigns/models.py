"""Campaigns (email and SMS), per-recipient sends and engagement events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, JsonType, UtcDateTime, str_enum, utcnow
from core.enums import CampaignStatus, Channel, EventType, Layout, SendStatus


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        UniqueConstraint("account_id", "name"),
        Index("ix_campaigns_account_sent", "account_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel), default=Channel.EMAIL)
    status: Mapped[CampaignStatus] = mapped_column(str_enum(CampaignStatus), default=CampaignStatus.DRAFT)
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    subject: Mapped[str | None] = mapped_column(String(255), default=None)
    preheader: Mapped[str | None] = mapped_column(String(255), default=None)
    from_name: Mapped[str | None] = mapped_column(String(120), default=None)
    from_email: Mapped[str | None] = mapped_column(String(255), default=None)
    layout: Mapped[Layout | None] = mapped_column(str_enum(Layout), default=None)
    # Ordered content blocks shaped by core.campaigns.schemas.Block: a "type" discriminator and a "locked" flag.
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    sms_body: Mapped[str | None] = mapped_column(Text, default=None)
    # An attached image turns an SMS into an MMS (US and AU numbers only).
    sms_media_url: Mapped[str | None] = mapped_column(String(500), default=None)
    list_ids: Mapped[list[int]] = mapped_column(JsonType, default=list)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"), default=None)
    brand_kit_id: Mapped[int | None] = mapped_column(
        ForeignKey("brand_kits.id", ondelete="SET NULL"), default=None
    )
    # For AI-drafted emails: the brief, style and seed, so a follow-up ("make it shorter") can regenerate it.
    draft_meta: Mapped[dict[str, Any] | None] = mapped_column(JsonType, default=None)
    link_tracking: Mapped[bool] = mapped_column(Boolean, default=True)
    predictive_sending: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class CampaignLink(Base):
    """A tracked link in a campaign; the hidden honeypot link is only ever hit by scanners."""

    __tablename__ = "campaign_links"
    __table_args__ = (UniqueConstraint("campaign_id", "url"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(500))
    is_unsubscribe: Mapped[bool] = mapped_column(Boolean, default=False)
    is_honeypot: Mapped[bool] = mapped_column(Boolean, default=False)


class CampaignSend(Base):
    __tablename__ = "campaign_sends"
    # One send per contact per campaign: the database refuses a duplicate send.
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        Index("ix_campaign_sends_account_contact", "account_id", "contact_id"),
        # Sends and bounces per campaign, counted from the index.
        Index("ix_campaign_sends_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    status: Mapped[SendStatus] = mapped_column(str_enum(SendStatus), default=SendStatus.DELIVERED)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # SMS credits charged for this recipient (0 for email).
    credits: Mapped[int] = mapped_column(Integer, default=0)


class EngagementEvent(Base):
    __tablename__ = "engagement_events"
    __table_args__ = (
        # Segments: "opened/clicked anything in a period", scanned by time for the whole account; the flags are
        # in the index so bot and MPP filtering never reads the table.
        Index(
            "ix_events_account_type_time", "account_id", "type", "occurred_at", "contact_id", "is_bot", "is_mpp"
        ),
        # Reports: one campaign's numbers, answered from the index alone.
        Index("ix_events_campaign_type", "campaign_id", "type", "contact_id", "is_bot", "is_mpp"),
        # Per-contact checks (segment conditions on an already narrowed set, predictive sending).
        Index("ix_events_contact_type_time", "contact_id", "type", "occurred_at", "is_bot", "is_mpp", "account_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    type: Mapped[EventType] = mapped_column(str_enum(EventType, length=12))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    url: Mapped[str | None] = mapped_column(String(500), default=None)
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_mpp: Mapped[bool] = mapped_column(Boolean, default=False)
    user_agent: Mapped[str | None] = mapped_column(String(200), default=None)
    ip: Mapped[str | None] = mapped_column(String(45), default=None)


class TestSend(Base):
    """A test email of a campaign: who asked, who got it and when. Never a send: reports do not see it."""

    __tablename__ = "test_sends"
    # "When did I last test it" and the hourly limit per campaign read this index.
    __table_args__ = (Index("ix_test_sends_campaign_created", "campaign_id", "created_at"),)
    # Not a test class, whatever pytest's name-based collection thinks.
    __test__ = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    recipients: Mapped[list[str]] = mapped_column(JsonType, default=list)
    subject: Mapped[str] = mapped_column(String(300))
    transport: Mapped[str] = mapped_column(String(20))
    message_ids: Mapped[list[str]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
