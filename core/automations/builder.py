"""Build a whole email automation from a short spec: the draft emails, the trigger and the steps.

A "welcome series of 3 emails, 2 days apart, for people who join the Newsletter list" becomes three draft
email campaigns written by the offline copywriter ("Welcome series — Email 1" ...) and an inactive
automation: subscribes to 'Newsletter' -> send, wait 2 days, send, wait 2 days, send. Everything is checked
before anything is written, and the writes share one savepoint, so a failure leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.models import Account
from core.accounts.service import require_feature
from core.automations import service as automations
from core.automations.models import Automation
from core.automations.schemas import AutomationOut, Runs
from core.campaigns import service as campaigns
from core.campaigns.models import Campaign
from core.campaigns.schemas import CampaignOut, check_link, invalid_from_validation
from core.contacts.models import CustomField, MailingList, Tag
from core.content import service as content
from core.content.copywriter import EmailBrief, EmailDraft, Length, draft_email
from core.content.models import BrandKit, Form
from core.content.phrasebank import TONE_SYNONYMS, Tone
from core.content.schemas import BrandKitOut
from core.enums import FieldType
from core.errors import Conflict, FeatureUnavailable, InvalidRequest, NotFound
from core.scope import get_by_name, resolve
from core.segments.service import describe_tree

Ref = int | str
AutomationKind = Literal[
    "welcome",
    "win_back",
    "abandoned_cart",
    "post_purchase",
    "birthday",
    "lead_nurture",
    "re_engagement",
    "event_follow_up",
    "custom",
]
AUTOMATION_KINDS: tuple[str, ...] = (
    "welcome",
    "win_back",
    "abandoned_cart",
    "post_purchase",
    "birthday",
    "lead_nurture",
    "re_engagement",
    "event_follow_up",
    "custom",
)
WaitUnit = Literal["minutes", "hours", "days", "weeks"]
MAX_EMAILS = 10
EMAIL_SEPARATOR = " — Email "


@dataclass(frozen=True)
class _Step:
    purpose: str
    topic: str  # {subject} is the spec's topic, or the kind's default subject
    offer: bool = False


@dataclass(frozen=True)
class _Recipe:
    name: str
    emails: int
    delay: tuple[int, str]
    trigger: Literal["list", "tag", "form", "cart", "purchase", "date"]
    steps: tuple[_Step, ...]
    extra: tuple[_Step, ...]
    first_wait: tuple[int, str] | None = None
    tag_hints: tuple[str, ...] = ()
    tag_example: str = "Lapsed customer"
    branch_on_open: bool = False
    runs: Runs = "once"
    subject: str = "our products"


RECIPES: dict[str, _Recipe] = {
    # Step topics are what each email is about; the copywriter's purpose supplies the framing around them.
    "welcome": _Recipe(
        name="Welcome series",
        emails=3,
        delay=(2, "days"),
        trigger="list",
        steps=(
            _Step("welcome", "{subject}"),
            _Step("newsletter", "getting the most out of {subject}"),
            _Step("promotion", "your first order", offer=True),
            _Step("follow_up", "your first weeks with {subject}"),
            _Step("newsletter", "our most popular picks"),
        ),
        extra=(_Step("newsletter", "more ideas from {subject}"),),
        subject="{brand}",
    ),
    "win_back": _Recipe(
        name="Win-back series",
        emails=3,
        delay=(5, "days"),
        trigger="tag",
        steps=(
            _Step("win_back", "we miss you"),
            _Step("promotion", "your next order", offer=True),
            _Step("re_engagement", "{subject} news"),
        ),
        extra=(_Step("win_back", "we miss you"),),
        tag_hints=("lapsed", "win-back", "win back", "winback", "churn", "inactive customer", "dormant"),
        branch_on_open=True,
        subject="{brand}",
    ),
    "abandoned_cart": _Recipe(
        name="Abandoned cart reminders",
        emails=3,
        delay=(1, "days"),
        trigger="cart",
        steps=(
            _Step("abandoned_cart", "the items in your cart"),
            _Step("abandoned_cart", "the items in your cart"),
            _Step("promotion", "the items in your cart", offer=True),
        ),
        extra=(_Step("abandoned_cart", "the items in your cart"),),
        first_wait=(1, "hours"),
        runs="multiple",
    ),
    "post_purchase": _Recipe(
        name="Post-purchase follow-up",
        emails=2,
        delay=(7, "days"),
        trigger="purchase",
        steps=(
            _Step("thank_you", "your order"),
            _Step("follow_up", "your recent order"),
            _Step("newsletter", "getting the most from your purchase"),
            _Step("promotion", "picks that go with your purchase", offer=True),
        ),
        extra=(_Step("newsletter", "ideas for {subject}"),),
        runs="multiple",
    ),
    "birthday": _Recipe(
        name="Birthday email",
        emails=1,
        delay=(7, "days"),
        trigger="date",
        steps=(
            _Step("promotion", "birthday treat on your next order", offer=True),
            _Step("follow_up", "your birthday treat"),
        ),
        extra=(_Step("follow_up", "your birthday treat"),),
        runs="multiple",
    ),
    "lead_nurture": _Recipe(
        name="Lead nurture series",
        emails=5,
        delay=(3, "days"),
        trigger="form",
        steps=(
            _Step("welcome", "{subject}"),
            _Step("newsletter", "getting started with {subject}"),
            _Step("newsletter", "how customers use {subject}"),
            _Step("promotion", "{subject}", offer=True),
            _Step("follow_up", "your questions about {subject}"),
        ),
        extra=(_Step("newsletter", "more about {subject}"),),
    ),
    "re_engagement": _Recipe(
        name="Re-engagement series",
        emails=3,
        delay=(4, "days"),
        trigger="tag",
        steps=(
            _Step("re_engagement", "{subject}"),
            _Step("newsletter", "the best of {subject}"),
            _Step("re_engagement", "{subject}"),
        ),
        extra=(_Step("newsletter", "the best of {subject}"),),
        tag_hints=("inactive", "unengaged", "re-engage", "reengage", "cold", "not opened"),
        tag_example="Inactive subscriber",
        subject="our updates",
    ),
    "event_follow_up": _Recipe(
        name="Event follow-up",
        emails=2,
        delay=(2, "days"),
        trigger="tag",
        steps=(
            _Step("thank_you", "attending {subject}"),
            _Step("follow_up", "{subject}"),
            _Step("promotion", "your next order", offer=True),
        ),
        extra=(_Step("follow_up", "{subject}"),),
        tag_hints=("attend", "event", "webinar", "registered", "workshop"),
        tag_example="Attended webinar",
        subject="our event",
    ),
    "custom": _Recipe(
        name="Email series",
        emails=3,
        delay=(3, "days"),
        trigger="list",
        steps=(
            _Step("announcement", "{subject}"),
            _Step("newsletter", "{subject}"),
            _Step("follow_up", "{subject}"),
        ),
        extra=(_Step("newsletter", "{subject}"),),
    ),
}


def _lower(value: object) -> object:
    return value.strip().lower().replace("-", "_").replace(" ", "_") if isinstance(value, str) else value


def _tone(value: object) -> object:
    if not isinstance(value, str) or not value.strip():
        return value or None
    key = value.strip().lower()
    return TONE_SYNONYMS.get(key, key)


class TriggerChoice(BaseModel):
    """What starts the automation: a list, tag, form or date field (at most one); none = the kind's own."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    list: Ref | None = None
    tag: str | None = Field(default=None, max_length=100)
    form: Ref | None = None
    date_field: str | None = Field(default=None, max_length=100)
    runs: Runs | None = None

    @model_validator(mode="after")
    def _one(self) -> TriggerChoice:
        given = [k for k in ("list", "tag", "form", "date_field") if getattr(self, k) not in (None, "")]
        if len(given) > 1:
            raise ValueError(f"give one trigger, not {' and '.join(given)}")
        return self


class AutomationSpec(BaseModel):
    """A request for an email automation: its kind, how many emails, how far apart, and what starts it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Annotated[AutomationKind, BeforeValidator(_lower)]
    name: str | None = Field(default=None, max_length=120)
    emails: int | None = Field(default=None, ge=1, le=MAX_EMAILS)
    delay_amount: int | None = Field(default=None, ge=1, le=525_600)
    delay_unit: Annotated[WaitUnit | None, BeforeValidator(_lower)] = None
    trigger: TriggerChoice | None = None
    topic: str | None = Field(default=None, max_length=300)
    tone: Annotated[Tone | None, BeforeValidator(_tone)] = None
    audience: str | None = Field(default=None, max_length=200)
    offer: str | None = Field(default=None, max_length=60)
    length: Length = "medium"
    brand_kit: Ref | None = None
    cta_url: str | None = Field(default=None, max_length=500)
    from_name: str | None = Field(default=None, max_length=120)
    from_email: str | None = Field(default=None, max_length=255)

    @field_validator("cta_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else check_link(v, allow_tag=False)

    @field_validator("delay_unit", mode="before")
    @classmethod
    def _plural(cls, v: object) -> object:
        return v + "s" if isinstance(v, str) and v in ("minute", "hour", "day", "week") else v


class BuiltAutomation(BaseModel):
    """The automation (inactive) and its draft emails, with a plain-English description."""

    automation: AutomationOut
    campaigns: list[CampaignOut]
    description: str
    # Names of the objects the trigger and steps refer to by id: {"lists": {3: "Newsletter"}, ...}.
    names: dict[str, dict[int, str]]


def parse_spec(data: AutomationSpec | Mapping[str, Any]) -> AutomationSpec:
    """Validate an automation spec given as a mapping; bad values raise InvalidRequest naming the field."""
    if isinstance(data, AutomationSpec):
        return data
    try:
        return AutomationSpec.model_validate(dict(data))
    except ValidationError as err:
        raise invalid_from_validation(err, what="automation spec", field="spec") from None


# ---------------------------------------------------------------- resolving the trigger


@dataclass
class _Trigger:
    data: dict[str, Any]
    names: dict[str, dict[int, str]]


def _quoted(names: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _natural_list(session: Session, account_id: int, automation: str) -> MailingList:
    lists = session.scalars(
        select(MailingList).where(MailingList.account_id == account_id).order_by(MailingList.id)
    ).all()
    if len(lists) == 1:
        return lists[0]
    if not lists:
        raise InvalidRequest(
            f"{automation!r} starts when someone subscribes to a list, and this account has no lists yet. "
            "Create a list first, or start it from a tag or a form instead.",
            field="trigger",
        )
    raise InvalidRequest(
        f"Which list should start {automation!r}? This account has {len(lists)} lists: "
        f"{_quoted([row.name for row in lists])}. Give the list name as the trigger.",
        field="trigger",
    )


def _natural_tag(session: Session, account_id: int, recipe: _Recipe, automation: str) -> Tag:
    tags = session.scalars(select(Tag).where(Tag.account_id == account_id).order_by(Tag.name)).all()
    hinted = [t for t in tags if any(h in t.name.lower() for h in recipe.tag_hints)]
    if len(hinted) == 1:
        return hinted[0]
    pool = hinted or list(tags)
    if not pool:
        raise InvalidRequest(
            f"{automation!r} starts when a tag is added, and this account has no tags yet. Tag the contacts "
            f"it is for (e.g. {recipe.tag_example!r}), then give that tag as the trigger, or start it from a "
            "list.",
            field="trigger",
        )
    raise InvalidRequest(
        f"Which tag should start {automation!r}? Matching tags: {_quoted([t.name for t in pool])}. "
        "Give the tag name as the trigger.",
        field="trigger",
    )


def _date_field(session: Session, account_id: int, name: str | None, automation: str) -> CustomField:
    if name is not None:
        row = get_by_name(session, CustomField, account_id=account_id, name=name, kind="custom field")
        if row.type != FieldType.DATE:
            raise InvalidRequest(
                f"Field {row.name!r} is a {row.type.value} field; a date-based trigger needs a date field.",
                field="trigger",
            )
        return row
    fields = session.scalars(
        select(CustomField)
        .where(CustomField.account_id == account_id, CustomField.type == FieldType.DATE)
        .order_by(CustomField.id)
    ).all()
    birthdays = [f for f in fields if "birth" in f.name.lower()]
    if len(birthdays) == 1:
        return birthdays[0]
    if len(fields) == 1:
        return fields[0]
    if not fields:
        raise InvalidRequest(
            f"{automation!r} runs on a date, and this account has no date fields. Create a date field "
            "such as 'Birthday' first.",
            field="trigger",
        )
    raise InvalidRequest(
        f"Which date field should {automation!r} use? Date fields: {_quoted([f.name for f in fields])}.",
        field="trigger",
    )


def _trigger(
    session: Session, account_id: int, spec: AutomationSpec, recipe: _Recipe, automation: str
) -> _Trigger:
    choice = spec.trigger or TriggerChoice()
    runs = choice.runs or recipe.runs
    names: dict[str, dict[int, str]] = {}
    if choice.list is not None or (
        recipe.trigger == "list" and choice.tag is None and choice.form is None and choice.date_field is None
    ):
        row = (
            resolve(session, MailingList, account_id=account_id, ref=choice.list, kind="list")
            if choice.list is not None
            else _natural_list(session, account_id, automation)
        )
        names["lists"] = {row.id: row.name}
        return _Trigger({"type": "subscribes_to_list", "list": row.id, "runs": runs}, names)
    if choice.tag is not None or (
        recipe.trigger == "tag" and choice.form is None and choice.date_field is None
    ):
        tag = (
            get_by_name(session, Tag, account_id=account_id, name=choice.tag, kind="tag")
            if choice.tag is not None
            else _natural_tag(session, account_id, recipe, automation)
        )
        return _Trigger({"type": "tag_added", "tag": tag.name, "runs": runs}, names)
    if choice.form is not None or (recipe.trigger == "form" and choice.date_field is None):
        if choice.form is None:
            return _Trigger({"type": "submits_form", "form": None, "runs": runs}, names)
        form = resolve(session, Form, account_id=account_id, ref=choice.form, kind="form")
        names["forms"] = {form.id: form.name}
        return _Trigger({"type": "submits_form", "form": form.id, "runs": runs}, names)
    if choice.date_field is not None or recipe.trigger == "date":
        field = _date_field(session, account_id, choice.date_field, automation)
        return _Trigger(
            {"type": "date_based", "field": field.name, "when": "on", "days": 0, "runs": runs}, names
        )
    if recipe.trigger == "cart":
        return _Trigger({"type": "abandons_cart", "runs": runs}, names)
    return _Trigger({"type": "makes_purchase", "runs": runs}, names)


def _check_trigger_plan(session: Session, account_id: int, trigger_type: str) -> None:
    option = next(
        o for o in automations.available_triggers(session, account_id=account_id) if o.type == trigger_type
    )
    if not option.available:
        raise FeatureUnavailable(option.message, field="trigger")


# ---------------------------------------------------------------- names


def _taken(session: Session, model: Any, account_id: int, names: Sequence[str]) -> list[str]:
    lowered = [n.lower() for n in names]
    return list(
        session.scalars(
            select(model.name).where(model.account_id == account_id, func.lower(model.name).in_(lowered))
        ).all()
    )


def _email_names(name: str, count: int) -> list[str]:
    return [f"{name}{EMAIL_SEPARATOR}{k}" for k in range(1, count + 1)]


def _choose_name(session: Session, account_id: int, spec: AutomationSpec, recipe: _Recipe, count: int) -> str:
    if spec.name:
        clash = _taken(session, Automation, account_id, [spec.name])
        if clash:
            raise Conflict(
                f"An automation named {clash[0]!r} already exists; choose another name.", field="name"
            )
        taken = _taken(session, Campaign, account_id, _email_names(spec.name, count))
        if taken:
            raise Conflict(
                f"Campaigns named {_quoted(taken)} already exist, so the emails of {spec.name!r} cannot use "
                "those names. Choose another automation name.",
                field="name",
            )
        return spec.name
    # A default name gets a number when it is taken, so asking twice gives "Welcome series (2)".
    for n in range(1, 100):
        candidate = recipe.name if n == 1 else f"{recipe.name} ({n})"
        if not _taken(session, Automation, account_id, [candidate]) and not _taken(
            session, Campaign, account_id, _email_names(candidate, count)
        ):
            return candidate
    raise Conflict(f"Too many automations are named {recipe.name!r}; give this one a name.", field="name")


# ---------------------------------------------------------------- emails and steps


def _brand(session: Session, account_id: int, ref: Ref | None) -> BrandKitOut | None:
    if ref is None:
        return content.get_primary_brand_kit(session, account_id=account_id)
    row = resolve(session, BrandKit, account_id=account_id, ref=ref, kind="brand kit")
    return content.get_brand_kit(session, account_id=account_id, brand_kit_id=row.id)


def _steps_for(recipe: _Recipe, count: int) -> list[_Step]:
    steps = list(recipe.steps[:count])
    while len(steps) < count:
        steps.append(recipe.extra[(len(steps) - len(recipe.steps)) % len(recipe.extra)])
    return steps


def _drafts(spec: AutomationSpec, recipe: _Recipe, brand: BrandKitOut | None, count: int) -> list[EmailDraft]:
    default_subject = recipe.subject.format(brand=brand.name if brand else "us")
    if recipe.subject == "{brand}" and brand is None:
        default_subject = "our community"
    subject = spec.topic or default_subject
    out = []
    for k, step in enumerate(_steps_for(recipe, count), start=1):
        brief = EmailBrief(
            topic=step.topic.format(subject=subject),
            purpose=step.purpose,  # type: ignore[arg-type]  # recipe purposes are copywriter purposes
            audience=spec.audience,
            tone=spec.tone,
            length=spec.length,
            offer=spec.offer if step.offer else None,
            cta_url=spec.cta_url,
        )
        out.append(draft_email(brief, brand, seed=k))
    return out


def _wait(amount: int, unit: str) -> dict[str, Any]:
    return {"type": "wait", "amount": amount, "unit": unit}


def _opened(campaign_id: int) -> dict[str, Any]:
    return {"conditions": [{"type": "engagement", "action": "open", "campaign": campaign_id}]}


def _chain(ids: Sequence[int], k: int, delay: tuple[int, str], branch: bool) -> list[dict[str, Any]]:
    """Steps from sending email ``k`` (0-based) to the end; with ``branch`` openers leave after each email."""
    steps: list[dict[str, Any]] = [{"type": "send_email", "campaign": ids[k]}]
    if k + 1 < len(ids):
        steps.append(_wait(*delay))
        rest = _chain(ids, k + 1, delay, branch)
        steps.extend(
            [{"type": "if_else", "condition": _opened(ids[k]), "yes": [], "no": rest}] if branch else rest
        )
    return steps


def build_automation(
    session: Session,
    *,
    account_id: int,
    spec: AutomationSpec | Mapping[str, Any],
    now: datetime,
    created_by: int | None = None,
) -> BuiltAutomation:
    """Write the draft emails and create the (inactive) automation that sends them, or nothing on error."""
    spec = parse_spec(spec)
    if session.get(Account, account_id) is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    require_feature(session, account_id=account_id, feature="ai_campaign_builder")
    recipe = RECIPES[spec.kind]
    count = spec.emails or recipe.emails
    delay = (spec.delay_amount or recipe.delay[0], spec.delay_unit or recipe.delay[1])
    if spec.delay_unit and not spec.delay_amount:
        delay = (1, spec.delay_unit)
    name = _choose_name(session, account_id, spec, recipe, count)
    trigger = _trigger(session, account_id, spec, recipe, name)
    _check_trigger_plan(session, account_id, trigger.data["type"])
    brand = _brand(session, account_id, spec.brand_kit)
    drafts = _drafts(spec, recipe, brand, count)
    emails = _email_names(name, count)

    with session.begin_nested():
        made = [
            campaigns.create_campaign(
                session,
                account_id=account_id,
                name=email_name,
                now=now,
                subject=d.subject,
                preheader=d.preheader,
                layout=d.layout,
                blocks=d.blocks,
                brand_kit=brand.id if brand else None,
                from_name=spec.from_name or (brand.name if brand else None),
                from_email=spec.from_email,
                created_by=created_by,
            )
            for email_name, d in zip(emails, drafts, strict=True)
        ]
        ids = [c.id for c in made]
        steps = ([_wait(*recipe.first_wait)] if recipe.first_wait else []) + _chain(
            ids, 0, delay, recipe.branch_on_open and count > 1
        )
        names = {**trigger.names, "campaigns": {c.id: c.name for c in made}}
        description = describe_automation_steps(trigger.data, steps, names)
        automation = automations.create_automation(
            session,
            account_id=account_id,
            name=name,
            trigger=trigger.data,
            steps=steps,
            now=now,
            description=description,
        )
    return BuiltAutomation(automation=automation, campaigns=made, description=description, names=names)


# ---------------------------------------------------------------- plain English


def _name_of(names: Mapping[str, Mapping[int, str]], group: str, ref: object, kind: str) -> str:
    if isinstance(ref, int) and ref in names.get(group, {}):
        return repr(names[group][ref])
    return repr(ref) if isinstance(ref, str) else f"{kind} #{ref}"


def _amount(amount: int, unit: str) -> str:
    return f"{amount} {unit.removesuffix('s') if amount == 1 else unit}"


def _describe_trigger(t: Mapping[str, Any], names: Mapping[str, Mapping[int, str]]) -> str:
    kind = t.get("type")
    if kind == "subscribes_to_list":
        target = "any list" if t.get("list") is None else _name_of(names, "lists", t["list"], "list")
        return f"When someone subscribes to {target}"
    if kind == "unsubscribes_from_list":
        target = "any list" if t.get("list") is None else _name_of(names, "lists", t["list"], "list")
        return f"When someone unsubscribes from {target}"
    if kind == "tag_added":
        return f"When tag {t['tag']!r} is added to a contact"
    if kind == "tag_removed":
        return f"When tag {t['tag']!r} is removed from a contact"
    if kind == "submits_form":
        target = (
            "any form" if t.get("form") is None else "the form " + _name_of(names, "forms", t["form"], "form")
        )
        return f"When someone submits {target}"
    if kind == "abandons_cart":
        return "When someone abandons their cart"
    if kind == "makes_purchase":
        return "When someone makes a purchase"
    if kind == "date_based":
        days, when = int(t.get("days") or 0), t.get("when", "on")
        if when == "on" or days == 0:
            return f"Every year on the date in each contact's {t['field']!r} field"
        return f"Every year, {_amount(days, 'days')} {when} the date in each contact's {t['field']!r} field"
    return f"When the trigger '{automations.TRIGGER_LABELS.get(str(kind), str(kind))}' fires"


def _describe_condition(condition: Mapping[str, Any], names: Mapping[str, Mapping[int, str]]) -> str:
    parts = condition.get("conditions") or condition.get("root", {}).get("conditions") or []
    if len(parts) == 1 and parts[0].get("type") == "engagement" and parts[0].get("action") == "open":
        ref = parts[0].get("campaign")
        return "they opened " + (
            _name_of(names, "campaigns", ref, "campaign") if ref is not None else "any email"
        )
    return describe_tree(dict(condition))


def _describe_steps(steps: Sequence[Mapping[str, Any]], names: Mapping[str, Mapping[int, str]]) -> str:
    out = []
    for st in steps:
        kind = st.get("type")
        if kind == "send_email":
            out.append("send " + _name_of(names, "campaigns", st["campaign"], "campaign"))
        elif kind == "wait":
            out.append(f"wait {_amount(int(st['amount']), str(st['unit']))}")
        elif kind == "if_else":
            yes = _describe_steps(st.get("yes", []), names) or "stop"
            no = _describe_steps(st.get("no", []), names) or "stop"
            out.append(f"then if {_describe_condition(st['condition'], names)}: {yes}; otherwise: {no}")
        elif kind in ("add_tag", "remove_tag"):
            out.append(f"{'add' if kind == 'add_tag' else 'remove'} tag {st['tag']!r}")
        elif kind in ("subscribe_list", "unsubscribe_list"):
            verb = "subscribe them to" if kind == "subscribe_list" else "unsubscribe them from"
            out.append(f"{verb} {_name_of(names, 'lists', st['list'], 'list')}")
        else:
            out.append(str(kind).replace("_", " "))
    return ", ".join(out)


def describe_automation_steps(
    trigger: Mapping[str, Any],
    steps: Sequence[Mapping[str, Any]],
    names: Mapping[str, Mapping[int, str]] | None = None,
) -> str:
    """Describe a trigger and steps in plain English, naming the lists and campaigns ``names`` knows."""
    names = names or {}
    body = _describe_steps(steps, names) or "do nothing yet (no steps)"
    return f"{_describe_trigger(trigger, names)}: {body}."


def describe_automation(
    automation: AutomationOut | BuiltAutomation, *, names: Mapping[str, Mapping[int, str]] | None = None
) -> str:
    """Describe an automation in plain English ("When someone subscribes to 'Newsletter': send ...")."""
    if isinstance(automation, BuiltAutomation):
        names = {**automation.names, **(names or {})}
        automation = automation.automation
    trigger = automation.trigger.model_dump(mode="json")
    steps = [st.model_dump(mode="json") for st in automation.steps]
    status = "" if automation.status.value == "active" else " (inactive)"
    return f"{automation.name}{status}. " + describe_automation_steps(trigger, steps, names)


def automation_names(
    session: Session, *, account_id: int, automation: AutomationOut
) -> dict[str, dict[int, str]]:
    """Look up the names of the lists, forms and campaigns an automation refers to by id."""
    trigger = automation.trigger.model_dump(mode="json")
    ids: dict[str, set[int]] = {"lists": set(), "forms": set(), "campaigns": set()}

    def walk(steps: Sequence[Mapping[str, Any]]) -> None:
        for st in steps:
            if st.get("type") == "send_email":
                ids["campaigns"].add(int(st["campaign"]))
            elif st.get("type") in ("subscribe_list", "unsubscribe_list"):
                ids["lists"].add(int(st["list"]))
            elif st.get("type") == "if_else":
                for cond in st["condition"].get("conditions", []):
                    if isinstance(cond.get("campaign"), int):
                        ids["campaigns"].add(cond["campaign"])
                walk(st.get("yes", []))
                walk(st.get("no", []))

    walk([st.model_dump(mode="json") for st in automation.steps])
    if isinstance(trigger.get("list"), int):
        ids["lists"].add(trigger["list"])
    if isinstance(trigger.get("form"), int):
        ids["forms"].add(trigger["form"])
    if isinstance(trigger.get("campaign"), int):
        ids["campaigns"].add(trigger["campaign"])
    models = {"lists": MailingList, "forms": Form, "campaigns": Campaign}
    out: dict[str, dict[int, str]] = {}
    for group, wanted in ids.items():
        if wanted:
            model: Any = models[group]
            rows = session.execute(
                select(model.id, model.name).where(model.account_id == account_id, model.id.in_(wanted))
            ).all()
            out[group] = {i: n for i, n in rows}
    return out


def describe_saved_automation(session: Session, *, account_id: int, automation_id: int) -> str:
    """Describe a stored automation in plain English, with the names of what it refers to."""
    automation = automations.get_automation(session, account_id=account_id, automation_id=automation_id)
    return describe_automation(
        automation, names=automation_names(session, account_id=account_id, automation=automation)
    )
