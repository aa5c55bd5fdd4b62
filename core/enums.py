"""Fixed sets shared across the engine (stored as strings, validated in Python)."""

from __future__ import annotations

from enum import StrEnum


class Plan(StrEnum):
    STARTER = "starter"
    PLUS = "plus"
    PRO = "pro"
    ENTERPRISE = "enterprise"


PLAN_ORDER = [Plan.STARTER, Plan.PLUS, Plan.PRO, Plan.ENTERPRISE]


class AddOn(StrEnum):
    PIPELINES = "pipelines"
    SALES_ENGAGEMENT = "sales_engagement"
    SMS = "sms"
    TRANSACTIONAL = "transactional"


class UserRole(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    USER = "user"
    VIEWER = "viewer"


class ContactStatus(StrEnum):
    ACTIVE = "active"
    BOUNCED = "bounced"
    UNSUBSCRIBED = "unsubscribed"


class FieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    DATE = "date"
    DROPDOWN = "dropdown"
    NUMBER = "number"
    LANGUAGE = "language"


class SubscriptionStatus(StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class SendStatus(StrEnum):
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    FAILED = "failed"
    SKIPPED = "skipped"


class EventType(StrEnum):
    OPEN = "open"
    CLICK = "click"
    REPLY = "reply"
    FORWARD = "forward"
    SHARE = "share"
    UNSUBSCRIBE = "unsubscribe"
    BOUNCE = "bounce"


class Layout(StrEnum):
    TWO_COLUMN = "2 Column"
    SIMPLE = "Simple"
    EDITORIAL = "Editorial"
    CALLOUTS = "Callouts"
    IMAGE_GRID = "Image grid"


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class AutomationStatus(StrEnum):
    INACTIVE = "inactive"
    ACTIVE = "active"


class ScoreTarget(StrEnum):
    CONTACT = "contact"
    DEAL = "deal"


class OrderStatus(StrEnum):
    PLACED = "placed"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
