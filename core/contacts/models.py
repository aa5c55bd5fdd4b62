"""Contacts, typed custom fields, lists and subscriptions, tags."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, JsonType, UtcDateTime, str_enum, utcnow
from core.enums import ContactStatus, FieldType, SubscriptionStatus


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("account_id", "email"),
        Index("ix_contacts_account_created", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    first_name: Mapped[str | None] = mapped_column(String(100), default=None)
    last_name: Mapped[str | None] = mapped_column(String(100), default=None)
    # Bounced is account-wide (the address is dead); unsubscribes are per list, see ListSubscription.
    status: Mapped[ContactStatus] = mapped_column(str_enum(ContactStatus), default=ContactStatus.ACTIVE)
    preferred_language: Mapped[str | None] = mapped_column(String(16), default=None)
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    city: Mapped[str | None] = mapped_column(String(100), default=None)
    crm_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_accounts.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CustomField(Base):
    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("account_id", "name"), UniqueConstraint("account_id", "tag"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Personalization tag, e.g. %FAVORITE_COLOR%.
    tag: Mapped[str] = mapped_column(String(100))
    type: Mapped[FieldType] = mapped_column(str_enum(FieldType))
    options: Mapped[list[str]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ContactFieldValue(Base):
    """One typed value per (contact, field): the column that matches the field type is filled."""

    __tablename__ = "contact_field_values"
    __table_args__ = (
        Index("ix_cfv_field_text", "field_id", "value_text"),
        Index("ix_cfv_field_number", "field_id", "value_number"),
        Index("ix_cfv_field_date", "field_id", "value_date"),
    )

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("custom_fields.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    value_text: Mapped[str | None] = mapped_column(Text, default=None)
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), default=None)
    value_date: Mapped[date | None] = mapped_column(Date, default=None)


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ContactTag(Base):
    __tablename__ = "contact_tags"
    __table_args__ = (Index("ix_contact_tags_tag_contact", "tag_id", "contact_id"),)

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class MailingList(Base):
    __tablename__ = "lists"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(150))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    # An SMS list needs explicit SMS consent from each subscriber.
    allows_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ListSubscription(Base):
    __tablename__ = "list_subscriptions"
    __table_args__ = (Index("ix_list_subscriptions_list_status", "list_id", "email_status", "contact_id"),)

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    email_status: Mapped[SubscriptionStatus] = mapped_column(
        str_enum(SubscriptionStatus), default=SubscriptionStatus.SUBSCRIBED
    )
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the SMS consent came from (form, import, keyword); required when sms_consent is true.
    sms_consent_source: Mapped[str | None] = mapped_column(String(100), default=None)
    sms_consent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    subscribed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    unsubscribe_reason: Mapped[str | None] = mapped_column(String(200), default=None)
