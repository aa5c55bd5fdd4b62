"""Typed automation triggers and steps, score definitions and score values.

Triggers follow the help center's "Automation triggers explained". References to other objects (a list, a
form, a campaign, a score, a pipeline) are given by name or id and stored as ids. Conditions (if/else, wait
until, score rules) are segment condition trees, validated by the segments package.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.campaigns.schemas import SocialNetwork
from core.enums import AutomationStatus, DealStatus, OrderStatus, ScoreTarget

Ref = int | str
Runs = Literal["once", "multiple"]
EmailSource = Literal["campaign", "one_to_one"]
# A segment condition tree (see core.segments.tree); the service validates it against the account with
# core.segments.service.validate_tree and stores its normalised form.
Condition = dict[str, Any]


def _condition(value: Condition) -> Condition:
    if not value:
        raise ValueError("the condition is empty; describe who matches, as a segment condition tree")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Trigger(_Model):
    # "multiple": a contact may re-enter each time the trigger fires (at most 10 times in 24 hours).
    runs: Runs = "once"


# ---- available on every plan


class SubscribesToList(_Trigger):
    type: Literal["subscribes_to_list"] = "subscribes_to_list"
    list: Ref | None = None  # None: any list


class UnsubscribesFromList(_Trigger):
    type: Literal["unsubscribes_from_list"] = "unsubscribes_from_list"
    list: Ref | None = None


class SubmitsForm(_Trigger):
    type: Literal["submits_form"] = "submits_form"
    form: Ref | None = None


class OpensEmail(_Trigger):
    type: Literal["opens_email"] = "opens_email"
    campaign: Ref | None = None
    source: EmailSource = "campaign"


class ClicksLink(_Trigger):
    type: Literal["clicks_link"] = "clicks_link"
    campaign: Ref | None = None
    link: str | None = Field(default=None, max_length=500)
    source: EmailSource = "campaign"


class SharesEmail(_Trigger):
    type: Literal["shares_email"] = "shares_email"
    campaign: Ref | None = None
    network: SocialNetwork | None = None


class ForwardsEmail(_Trigger):
    type: Literal["forwards_email"] = "forwards_email"
    campaign: Ref | None = None


class RepliesToEmail(_Trigger):
    type: Literal["replies_to_email"] = "replies_to_email"
    campaign: Ref | None = None
    source: EmailSource = "campaign"


class TagAdded(_Trigger):
    type: Literal["tag_added"] = "tag_added"
    tag: str = Field(min_length=1, max_length=100)


class TagRemoved(_Trigger):
    type: Literal["tag_removed"] = "tag_removed"
    tag: str = Field(min_length=1, max_length=100)


class WebPageVisited(_Trigger):
    type: Literal["web_page_visited"] = "web_page_visited"
    # A page, or a group of pages with '*' wildcards: 'acme.com/*' or 'acme.com/*/test.php'.
    url: str = Field(min_length=3, max_length=500)


class MakesPurchase(_Trigger):
    type: Literal["makes_purchase"] = "makes_purchase"
    product: str | None = Field(default=None, max_length=200)


class AbandonsCart(_Trigger):
    type: Literal["abandons_cart"] = "abandons_cart"
    product: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=100)
    min_value_cents: int | None = Field(default=None, ge=0)


class OrderCreated(_Trigger):
    type: Literal["order_created"] = "order_created"


class OrderUpdated(_Trigger):
    type: Literal["order_updated"] = "order_updated"
    from_status: OrderStatus | None = None
    to_status: OrderStatus | None = None


# ---- Plus, Pro and Enterprise


class ContactFieldChanges(_Trigger):
    type: Literal["contact_field_changes"] = "contact_field_changes"
    field: str = Field(min_length=1, max_length=100)
    from_value: str | None = None
    to_value: str | None = None


class ContactJumpedTo(_Trigger):
    type: Literal["contact_jumped_to"] = "contact_jumped_to"
    automation: Ref | None = None
    outcome: Literal["jumped_to", "skipped"] = "jumped_to"


class RssBased(_Trigger):
    type: Literal["rss_based"] = "rss_based"
    feed_url: str = Field(max_length=500)
    check_every_hours: int = Field(default=24, ge=1, le=168)
    min_new_items: int = Field(default=1, ge=1, le=100)


class DateBased(_Trigger):
    type: Literal["date_based"] = "date_based"
    field: str = Field(min_length=1, max_length=100)
    when: Literal["before", "on", "after"] = "on"
    days: int = Field(default=0, ge=0, le=365)


class ScoreChanges(_Trigger):
    type: Literal["score_changes"] = "score_changes"
    score: Ref
    direction: Literal["above", "below"] = "above"
    threshold: int


class DismissesSiteMessage(_Trigger):
    type: Literal["dismisses_site_message"] = "dismisses_site_message"
    site_message: str = Field(min_length=1, max_length=150)


class EventRecorded(_Trigger):
    type: Literal["event_recorded"] = "event_recorded"
    event: str = Field(min_length=1, max_length=100)
    value: str | None = Field(default=None, max_length=255)


# ---- Pro and Enterprise


class ConversionOccurs(_Trigger):
    type: Literal["conversion_occurs"] = "conversion_occurs"
    conversion: str = Field(min_length=1, max_length=150)


class RecurringPaymentCreated(_Trigger):
    type: Literal["recurring_payment_created"] = "recurring_payment_created"


class RecurringPaymentUpdated(_Trigger):
    type: Literal["recurring_payment_updated"] = "recurring_payment_updated"
    from_status: str | None = Field(default=None, max_length=50)
    to_status: str | None = Field(default=None, max_length=50)


# ---- Enterprise


class CustomObjectCreated(_Trigger):
    type: Literal["custom_object_created"] = "custom_object_created"
    object_name: str = Field(min_length=1, max_length=100)


class CustomObjectUpdated(_Trigger):
    type: Literal["custom_object_updated"] = "custom_object_updated"
    object_name: str = Field(min_length=1, max_length=100)
    field: str | None = Field(default=None, max_length=100)


class AccountFieldChanges(_Trigger):
    type: Literal["account_field_changes"] = "account_field_changes"
    field: str = Field(min_length=1, max_length=100)
    from_value: str | None = None
    to_value: str | None = None


# ---- Pipelines and Sales Engagement add-ons


class DealStageChanges(_Trigger):
    type: Literal["deal_stage_changes"] = "deal_stage_changes"
    pipeline: Ref
    from_stage: Ref | None = None
    to_stage: Ref | None = None


class DealStatusChanges(_Trigger):
    type: Literal["deal_status_changes"] = "deal_status_changes"
    from_status: DealStatus | None = None
    to_status: DealStatus | None = None


class DealValueChanges(_Trigger):
    type: Literal["deal_value_changes"] = "deal_value_changes"
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    from_value_cents: int | None = Field(default=None, ge=0)
    to_value_cents: int | None = Field(default=None, ge=0)


class DealOwnerChanges(_Trigger):
    type: Literal["deal_owner_changes"] = "deal_owner_changes"
    from_owner: Ref | None = None
    to_owner: Ref | None = None


class EntersPipeline(_Trigger):
    type: Literal["enters_pipeline"] = "enters_pipeline"
    pipeline: Ref


class DealFieldChanges(_Trigger):
    type: Literal["deal_field_changes"] = "deal_field_changes"
    field: str = Field(min_length=1, max_length=100)
    from_value: str | None = None
    to_value: str | None = None


class FileDownloaded(_Trigger):
    type: Literal["file_downloaded"] = "file_downloaded"
    file_name: str | None = Field(default=None, max_length=255)


class TaskCompleted(_Trigger):
    type: Literal["task_completed"] = "task_completed"
    task_title: str | None = Field(default=None, max_length=200)
    task_type: str | None = Field(default=None, max_length=30)


class SentimentChanges(_Trigger):
    type: Literal["sentiment_changes"] = "sentiment_changes"
    to: Literal["positive", "negative", "neutral", "mixed"] | None = None


# ---- SMS add-on


class RepliesToSms(_Trigger):
    type: Literal["replies_to_sms"] = "replies_to_sms"
    campaign: Ref | None = None


Trigger = Annotated[
    SubscribesToList
    | UnsubscribesFromList
    | SubmitsForm
    | OpensEmail
    | ClicksLink
    | SharesEmail
    | ForwardsEmail
    | RepliesToEmail
    | TagAdded
    | TagRemoved
    | WebPageVisited
    | MakesPurchase
    | AbandonsCart
    | OrderCreated
    | OrderUpdated
    | ContactFieldChanges
    | ContactJumpedTo
    | RssBased
    | DateBased
    | ScoreChanges
    | DismissesSiteMessage
    | EventRecorded
    | ConversionOccurs
    | RecurringPaymentCreated
    | RecurringPaymentUpdated
    | CustomObjectCreated
    | CustomObjectUpdated
    | AccountFieldChanges
    | DealStageChanges
    | DealStatusChanges
    | DealValueChanges
    | DealOwnerChanges
    | EntersPipeline
    | DealFieldChanges
    | FileDownloaded
    | TaskCompleted
    | SentimentChanges
    | RepliesToSms,
    Field(discriminator="type"),
]


# ---------------------------------------------------------------- steps


class SendEmail(_Model):
    type: Literal["send_email"] = "send_email"
    campaign: Ref
    predictive_sending: bool = False


class Wait(_Model):
    type: Literal["wait"] = "wait"
    amount: int = Field(ge=1, le=10_000)
    unit: Literal["minutes", "hours", "days", "weeks"] = "days"


class WaitUntil(_Model):
    type: Literal["wait_until"] = "wait_until"
    condition: Condition
    # Give up and continue after this many days; None waits as long as it takes.
    timeout_days: int | None = Field(default=None, ge=1, le=365)

    @field_validator("condition")
    @classmethod
    def _cond(cls, v: Condition) -> Condition:
        return _condition(v)


class IfElse(_Model):
    type: Literal["if_else"] = "if_else"
    condition: Condition
    yes: list[Step] = Field(default_factory=list)
    no: list[Step] = Field(default_factory=list)

    @field_validator("condition")
    @classmethod
    def _cond(cls, v: Condition) -> Condition:
        return _condition(v)


class AdjustScore(_Model):
    type: Literal["adjust_score"] = "adjust_score"
    score: Ref
    operation: Literal["add", "subtract", "set"] = "add"
    points: int = Field(ge=0, le=1_000_000)
    expires_days: int | None = Field(default=None, ge=1, le=3_650)


class AddTag(_Model):
    type: Literal["add_tag"] = "add_tag"
    tag: str = Field(min_length=1, max_length=100)


class RemoveTag(_Model):
    type: Literal["remove_tag"] = "remove_tag"
    tag: str = Field(min_length=1, max_length=100)


class SubscribeList(_Model):
    type: Literal["subscribe_list"] = "subscribe_list"
    list: Ref


class UnsubscribeList(_Model):
    type: Literal["unsubscribe_list"] = "unsubscribe_list"
    list: Ref


class UpdateField(_Model):
    type: Literal["update_field"] = "update_field"
    field: str = Field(min_length=1, max_length=100)
    # None clears the field.
    value: str | int | float | None = None


class CreateDeal(_Model):
    type: Literal["create_deal"] = "create_deal"
    title: str = Field(min_length=1, max_length=200)
    pipeline: Ref
    stage: Ref | None = None  # None: the pipeline's first stage
    value_cents: int = Field(default=0, ge=0)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    owner: Ref | None = None


class CreateTask(_Model):
    type: Literal["create_task"] = "create_task"
    title: str = Field(min_length=1, max_length=200)
    kind: Literal["todo", "call", "email", "meeting"] = "todo"
    due_in_days: int = Field(default=1, ge=0, le=365)
    owner: Ref | None = None


class Notify(_Model):
    type: Literal["notify"] = "notify"
    # Users of this account (name, email or id); notifications never go outside the account.
    to: list[Ref] = Field(min_length=1, max_length=20)
    subject: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=5_000)


class Webhook(_Model):
    type: Literal["webhook"] = "webhook"
    url: str = Field(max_length=500)


AiActionKind = Literal[
    "summarize", "analyze", "translate", "classify_intent", "determine_sentiment", "build_your_own"
]


class AiAction(_Model):
    type: Literal["ai_action"] = "ai_action"
    action: AiActionKind
    # The contact field read by a preconfigured action; "build your own" reads fields via tags in its prompt.
    source_field: str | None = Field(default=None, max_length=100)
    # The contact field the answer is saved to.
    target_field: str = Field(min_length=1, max_length=100)
    prompt: str | None = Field(default=None, max_length=2_000)
    language: str | None = None
    summary_length: Literal["short", "medium", "long"] | None = None
    # Analyze / classify intent: restrict the answers to this set, and how many may be returned.
    options: list[str] = Field(default_factory=list, max_length=50)
    max_outputs: int | None = Field(default=None, ge=1, le=50)


Step = Annotated[
    SendEmail
    | Wait
    | WaitUntil
    | IfElse
    | AdjustScore
    | AddTag
    | RemoveTag
    | SubscribeList
    | UnsubscribeList
    | UpdateField
    | CreateDeal
    | CreateTask
    | Notify
    | Webhook
    | AiAction,
    Field(discriminator="type"),
]
IfElse.model_rebuild()
STEP_TYPES = (
    "send_email",
    "wait",
    "wait_until",
    "if_else",
    "adjust_score",
    "add_tag",
    "remove_tag",
    "subscribe_list",
    "unsubscribe_list",
    "update_field",
    "create_deal",
    "create_task",
    "notify",
    "webhook",
    "ai_action",
)


class AutomationOut(BaseModel):
    id: int
    account_id: int
    name: str
    description: str | None
    status: AutomationStatus
    trigger: Trigger
    steps: list[Step]
    created_at: datetime
    updated_at: datetime


class ScoreRule(_Model):
    """Points given (or taken, when negative) to whoever matches the condition, optionally expiring."""

    condition: Condition
    points: int = Field(ge=-1_000_000, le=1_000_000)
    expires_days: int | None = Field(default=None, ge=1, le=3_650)

    @field_validator("condition")
    @classmethod
    def _cond(cls, v: Condition) -> Condition:
        return _condition(v)

    @field_validator("points")
    @classmethod
    def _nonzero(cls, v: int) -> int:
        if v == 0:
            raise ValueError("a rule must add or subtract points; 0 points does nothing")
        return v


class ScoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    name: str
    target: ScoreTarget
    pipeline_id: int | None
    rules: list[ScoreRule]
    active: bool
    created_at: datetime


class ScoreValueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    score_id: int
    contact_id: int | None
    deal_id: int | None
    points: int
    updated_at: datetime


class TriggerOption(BaseModel):
    """A trigger type, its help-center name and whether this account's plan and add-ons allow it."""

    type: str
    label: str
    available: bool
    message: str
