"""Automation definitions (typed trigger and steps, plan gates, activation) and score definitions.

Runners come later: this module only stores validated definitions and score values. New automations are
inactive; activate_automation re-checks everything (the plan, referenced objects, purchased activities).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.accounts.features import FeatureRule, check_feature, plan_label
from core.accounts.models import Account, User
from core.automations import schemas as s
from core.automations.models import Automation, ScoreDefinition, ScoreValue
from core.automations.schemas import AutomationOut, ScoreOut, ScoreRule, ScoreValueOut, TriggerOption
from core.campaigns.models import Campaign, CampaignLink
from core.campaigns.schemas import UNSET, Unset, check_link, check_web_url, invalid_from_validation
from core.campaigns.service import check_personalization
from core.contacts import fields as cf
from core.contacts.models import Contact, CustomField, MailingList
from core.content.models import Form
from core.crm.models import Deal, Pipeline, Stage
from core.enums import PLAN_ORDER, AddOn, AutomationStatus, Channel, FieldType, Plan, ScoreTarget
from core.errors import (
    Conflict,
    DomainError,
    FeatureUnavailable,
    InvalidRequest,
    NotFound,
    invalid_choice,
    not_found,
)
from core.scope import get_by_name, get_owned, resolve
from core.segments.service import validate_tree
from core.tracking.service import tracked_host

MAX_STEPS = 200
MAX_DEPTH = 10
MAX_WAIT_MINUTES = 365 * 24 * 60
_TRIGGER = TypeAdapter(s.Trigger)
_STEPS = TypeAdapter(list[s.Step])
_RULES = TypeAdapter(list[ScoreRule])
_UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 1_440, "weeks": 10_080}

TRIGGER_LABELS: dict[str, str] = {
    "subscribes_to_list": "Subscribes to a list",
    "unsubscribes_from_list": "Unsubscribes from a list",
    "submits_form": "Submits a form",
    "opens_email": "Opens/reads an email",
    "clicks_link": "Clicks a link in email",
    "shares_email": "Shares an email",
    "forwards_email": "Forwards an email",
    "replies_to_email": "Replies to an email",
    "tag_added": "Tag is added",
    "tag_removed": "Tag is removed",
    "web_page_visited": "Web page is visited",
    "makes_purchase": "Makes a purchase",
    "abandons_cart": "Abandons cart",
    "order_created": "Order is created",
    "order_updated": "Order is updated",
    "contact_field_changes": "Contact field changes",
    "contact_jumped_to": "Contact jumped to",
    "rss_based": "RSS based",
    "date_based": "Date based",
    "score_changes": "Score changes",
    "dismisses_site_message": "Dismisses a site message",
    "event_recorded": "Event is recorded",
    "conversion_occurs": "Conversion occurs",
    "recurring_payment_created": "Recurring Payment is created",
    "recurring_payment_updated": "Recurring Payment is updated",
    "custom_object_created": "[Custom Object] is created",
    "custom_object_updated": "[Custom Object] is updated",
    "account_field_changes": "Account field changes",
    "deal_stage_changes": "Deal stage changes",
    "deal_status_changes": "Deal status changes",
    "deal_value_changes": "Deal Value changes",
    "deal_owner_changes": "Deal Owner changes",
    "enters_pipeline": "Enters a pipeline",
    "deal_field_changes": "Deal field changes",
    "file_downloaded": "File is downloaded",
    "task_completed": "Task is completed",
    "sentiment_changes": "Sentiment changes",
    "replies_to_sms": "Replies to an SMS message",
}
_CRM_ADDONS = (AddOn.PIPELINES, AddOn.SALES_ENGAGEMENT)
# Plan gates from "Automation triggers explained"; triggers not listed are on every plan.
TRIGGER_RULES: dict[str, FeatureRule] = {
    **{
        t: FeatureRule(TRIGGER_LABELS[t], Plan.PLUS)
        for t in (
            "contact_field_changes",
            "contact_jumped_to",
            "rss_based",
            "date_based",
            "score_changes",
            "dismisses_site_message",
            "event_recorded",
        )
    },
    **{
        t: FeatureRule(TRIGGER_LABELS[t], Plan.PRO)
        for t in ("conversion_occurs", "recurring_payment_created", "recurring_payment_updated")
    },
    **{
        t: FeatureRule(TRIGGER_LABELS[t], Plan.ENTERPRISE)
        for t in ("custom_object_created", "custom_object_updated")
    },
    **{
        t: FeatureRule(TRIGGER_LABELS[t], Plan.PLUS, _CRM_ADDONS, (Plan.ENTERPRISE,))
        for t in (
            "account_field_changes",
            "deal_stage_changes",
            "deal_status_changes",
            "deal_value_changes",
            "deal_owner_changes",
            "enters_pipeline",
            "deal_field_changes",
            "file_downloaded",
            "task_completed",
        )
    },
    "sentiment_changes": FeatureRule(
        TRIGGER_LABELS["sentiment_changes"], Plan.PLUS, (AddOn.SALES_ENGAGEMENT,), (Plan.ENTERPRISE,)
    ),
    "replies_to_sms": FeatureRule(TRIGGER_LABELS["replies_to_sms"], Plan.PLUS, (AddOn.SMS,)),
}
_ONE_TO_ONE = FeatureRule("the 1:1 email option", Plan.PLUS, _CRM_ADDONS, (Plan.ENTERPRISE,))
_ADDON_LABEL = {
    AddOn.PIPELINES: "Pipelines",
    AddOn.SALES_ENGAGEMENT: "Sales Engagement",
    AddOn.SMS: "SMS",
    AddOn.TRANSACTIONAL: "Transactional",
}
STANDARD_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "preferred_language",
    "timezone",
    "country",
    "city",
)


# ---------------------------------------------------------------- plan gates


def _rule_check(rule: FeatureRule, plan: Plan, addons: Sequence[str]) -> tuple[bool, str]:
    """Like core.accounts.features.check_feature, for rules that are not account features."""
    plan_ok = PLAN_ORDER.index(plan) >= PLAN_ORDER.index(rule.min_plan)
    addon_ok = (
        not rule.any_addon or plan in rule.included_in or any(a.value in addons for a in rule.any_addon)
    )
    if plan_ok and addon_ok:
        return True, f"{rule.label} is available on this account."
    plans = ", ".join(plan_label(p) for p in PLAN_ORDER[PLAN_ORDER.index(rule.min_plan) :])
    if not rule.any_addon:
        return False, (
            f"The {rule.label!r} trigger is available on the {plans} plans; this account is on "
            f"{plan_label(plan)}. "
            "Upgrade the plan to use it, or pick another trigger."
        )
    names = " or ".join(_ADDON_LABEL[a] for a in rule.any_addon)
    included = " (included with Enterprise)" if rule.included_in else ""
    if not plan_ok:
        return False, (
            f"{rule.label!r} needs the {names} add-on{included}, which can be bought on the {plans} plans; "
            "this "
            f"account is on {plan_label(plan)}. Upgrade the plan, then add {names}."
        )
    return (
        False,
        f"{rule.label!r} needs the {names} add-on{included}. Add it from Billing & Upgrade to use it.",
    )


def _require_rule(account: Account, rule: FeatureRule, field: str) -> None:
    ok, message = _rule_check(rule, account.plan, list(account.addons))
    if not ok:
        raise FeatureUnavailable(message, field=field)


def _require_feature(account: Account, feature: str) -> None:
    ok, message = check_feature(account.plan, list(account.addons), feature)
    if not ok:
        raise FeatureUnavailable(message, field=feature)


def available_triggers(session: Session, *, account_id: int) -> list[TriggerOption]:
    """List every trigger type with whether this account can use it and, if not, what it needs."""
    account = _account(session, account_id)
    out = []
    for key, label in TRIGGER_LABELS.items():
        rule = TRIGGER_RULES.get(key)
        ok, message = (
            (True, f"{label} is available on every plan.")
            if rule is None
            else _rule_check(rule, account.plan, list(account.addons))
        )
        out.append(TriggerOption(type=key, label=label, available=ok, message=message))
    return out


# ---------------------------------------------------------------- reference resolution


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    return account


class _Ctx:
    """What resolution needs: the session and account, plus a running step count."""

    def __init__(self, session: Session, account: Account) -> None:
        self.session = session
        self.account = account
        self.steps = 0

    def ref(self, model: Any, ref: s.Ref, kind: str) -> Any:
        return resolve(self.session, model, account_id=self.account.id, ref=ref, kind=kind)


def _campaign(ctx: _Ctx, ref: s.Ref, channel: Channel) -> Campaign:
    campaign: Campaign = ctx.ref(Campaign, ref, "campaign")
    if campaign.channel != channel:
        names = {Channel.EMAIL: "an email", Channel.SMS: "an SMS"}
        raise InvalidRequest(
            f"Campaign {campaign.name!r} is {names[campaign.channel]} campaign; this needs {names[channel]} "
            "campaign.",
            field="campaign",
        )
    return campaign


def _user(ctx: _Ctx, ref: s.Ref) -> User:
    if isinstance(ref, int) or str(ref).strip().isdigit():
        user: User = get_owned(ctx.session, User, account_id=ctx.account.id, id=int(ref), kind="user")
        return user
    key = str(ref).strip().lower()
    users = ctx.session.scalars(select(User).where(User.account_id == ctx.account.id)).all()
    for u in users:
        if key in (u.email.lower(), u.name.lower()):
            return u
    raise not_found("user", ref, [u.name for u in users])


def _stage(ctx: _Ctx, pipeline: Pipeline, ref: s.Ref) -> Stage:
    stages = ctx.session.scalars(
        select(Stage).where(Stage.pipeline_id == pipeline.id).order_by(Stage.position)
    ).all()
    for st in stages:
        if (isinstance(ref, int) and st.id == ref) or str(ref).strip().lower() in (
            st.name.lower(),
            str(st.id),
        ):
            return st
    raise not_found(f"stage in pipeline {pipeline.name!r}", ref, [st.name for st in stages])


def _field_name(ctx: _Ctx, name: str) -> tuple[str, CustomField | None]:
    """Resolve a standard contact field ('First name' -> 'first_name') or a custom field by name."""
    key = name.strip().lower().replace(" ", "_")
    if key in STANDARD_FIELDS:
        return key, None
    custom = ctx.session.scalars(
        select(CustomField).where(
            CustomField.account_id == ctx.account.id, func.lower(CustomField.name) == name.strip().lower()
        )
    ).first()
    if custom is not None:
        return custom.name, custom
    names = list(STANDARD_FIELDS) + list(
        ctx.session.scalars(select(CustomField.name).where(CustomField.account_id == ctx.account.id)).all()
    )
    raise not_found("contact field", name, names)


def _custom_field(ctx: _Ctx, name: str, *, what: str) -> CustomField:
    return get_by_name(
        ctx.session, CustomField, account_id=ctx.account.id, name=name, kind=f"custom field ({what})"
    )


def _standard_value(key: str, value: object) -> str:
    label = key.replace("_", " ").capitalize()
    if key == "email":
        return cf.parse_email(str(value))
    if key == "phone":
        return cf.parse_phone(str(value))
    if key == "preferred_language":
        return cf.parse_language(value)
    if key == "timezone":
        return cf.parse_timezone(str(value))
    if key == "country":
        return cf.parse_country(str(value))
    return cf.parse_text(value if isinstance(value, str) else str(value), field=label, max_len=100)


def _page_pattern(ctx: _Ctx, url: str) -> str:
    text = url.strip()
    bare = text.split("://", 1)[1] if "://" in text else text
    host = bare.split("/", 1)[0].lower()
    if "*" in host or not host:
        raise InvalidRequest(
            f"Page {url!r} needs a domain without wildcards, like 'acme.com/*' or 'acme.com/*/test.php'.",
            field="url",
        )
    if tracked_host(ctx.session, account_id=ctx.account.id, host=host.split(":")[0]) is None:
        raise InvalidRequest(
            f"{host!r} is not a tracked domain; this trigger needs site tracking on the site. Add the domain "
            "with "
            "add_tracked_domain first.",
            field="url",
        )
    return text


def _safe_webhook(url: str) -> str:
    # Webhooks are called from our servers: never let one reach into a private network.
    text = url.strip()
    host = (urlsplit(text).hostname or "").lower()
    try:
        ip = ipaddress.ip_address(host)
        private = ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
    except ValueError:
        private = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    if private:
        raise InvalidRequest(
            f"Webhook URL {url!r} points at a private or local address; webhooks go to public https "
            "endpoints.",
            field="url",
        )
    try:
        return check_web_url(text)
    except ValueError as err:
        raise InvalidRequest(f"Webhook URL: {err}.", field="url") from None


def _clean_trigger(ctx: _Ctx, t: Any) -> Any:
    """Check the plan gate and resolve references of a parsed trigger; return the trigger to store."""
    rule = TRIGGER_RULES.get(t.type)
    if rule is not None:
        _require_rule(ctx.account, rule, "trigger")
    up: dict[str, Any] = {}
    if isinstance(t, s.SubscribesToList | s.UnsubscribesFromList) and t.list is not None:
        up["list"] = ctx.ref(MailingList, t.list, "list").id
    elif isinstance(t, s.SubmitsForm) and t.form is not None:
        up["form"] = ctx.ref(Form, t.form, "form").id
    elif isinstance(t, s.OpensEmail | s.ClicksLink | s.SharesEmail | s.ForwardsEmail | s.RepliesToEmail):
        source = getattr(t, "source", "campaign")
        if source == "one_to_one":
            _require_rule(ctx.account, _ONE_TO_ONE, "trigger")
            if t.campaign is not None:
                raise InvalidRequest(
                    "The 1:1 email option is not tied to a campaign; remove 'campaign'.", field="campaign"
                )
        elif t.campaign is not None:
            campaign = _campaign(ctx, t.campaign, Channel.EMAIL)
            up["campaign"] = campaign.id
            if isinstance(t, s.ClicksLink) and t.link is not None:
                links = ctx.session.scalars(
                    select(CampaignLink.url).where(
                        CampaignLink.campaign_id == campaign.id, CampaignLink.is_honeypot.is_(False)
                    )
                ).all()
                if t.link not in links:
                    raise InvalidRequest(
                        f"Link {t.link!r} is not a tracked link of campaign {campaign.name!r}; its links "
                        "are: "
                        f"{', '.join(map(repr, links)) or 'none (link tracking is off)'}.",
                        field="link",
                    )
        if isinstance(t, s.ClicksLink) and t.link is not None:
            try:
                check_link(t.link, allow_tag=False)
            except ValueError as err:
                raise InvalidRequest(f"Link: {err}.", field="link") from None
    elif isinstance(t, s.WebPageVisited):
        up["url"] = _page_pattern(ctx, t.url)
    elif isinstance(t, s.ContactFieldChanges):
        up["field"] = _field_name(ctx, t.field)[0]
    elif isinstance(t, s.ContactJumpedTo) and t.automation is not None:
        up["automation"] = ctx.ref(Automation, t.automation, "automation").id
    elif isinstance(t, s.RssBased):
        try:
            up["feed_url"] = check_web_url(t.feed_url)
        except ValueError as err:
            raise InvalidRequest(f"RSS feed: {err}.", field="feed_url") from None
    elif isinstance(t, s.DateBased):
        custom = _custom_field(ctx, t.field, what="a date field")
        if custom.type != FieldType.DATE:
            raise InvalidRequest(
                f"Field {custom.name!r} is a {custom.type.value} field; a date-based trigger needs a date "
                "field.",
                field="field",
            )
        up["field"] = custom.name
    elif isinstance(t, s.ScoreChanges):
        up["score"] = ctx.ref(ScoreDefinition, t.score, "score").id
    elif isinstance(t, s.DealStageChanges | s.EntersPipeline):
        pipeline: Pipeline = ctx.ref(Pipeline, t.pipeline, "pipeline")
        up["pipeline"] = pipeline.id
        if isinstance(t, s.DealStageChanges):
            for key in ("from_stage", "to_stage"):
                if getattr(t, key) is not None:
                    up[key] = _stage(ctx, pipeline, getattr(t, key)).id
    elif isinstance(t, s.DealOwnerChanges):
        for key in ("from_owner", "to_owner"):
            if getattr(t, key) is not None:
                up[key] = _user(ctx, getattr(t, key)).id
    elif isinstance(t, s.RepliesToSms) and t.campaign is not None:
        up["campaign"] = _campaign(ctx, t.campaign, Channel.SMS).id
    return t.model_copy(update=up)


def _clean_steps(ctx: _Ctx, steps: Sequence[Any], depth: int, where: str) -> list[Any]:
    if depth > MAX_DEPTH:
        raise InvalidRequest(
            f"If/else branches nest more than {MAX_DEPTH} deep; flatten the automation.", field="steps"
        )
    out = []
    for n, step in enumerate(steps, start=1):
        ctx.steps += 1
        if ctx.steps > MAX_STEPS:
            raise InvalidRequest(
                f"An automation holds at most {MAX_STEPS} steps; split it into smaller automations.",
                field="steps",
            )
        label = f"{where}{n}"
        try:
            out.append(_clean_step(ctx, step, depth, label))
        except DomainError as err:
            if err.message.startswith("Step "):
                raise
            raise type(err)(f"Step {label} ({step.type}): {err.message}", field=err.field) from None
    return out


def _clean_step(ctx: _Ctx, st: Any, depth: int, label: str) -> Any:
    up: dict[str, Any] = {}
    if isinstance(st, s.SendEmail):
        up["campaign"] = _campaign(ctx, st.campaign, Channel.EMAIL).id
        if st.predictive_sending:
            _require_feature(ctx.account, "predictive_sending")
    elif isinstance(st, s.Wait):
        if st.amount * _UNIT_MINUTES[st.unit] > MAX_WAIT_MINUTES:
            raise InvalidRequest(
                f"A wait of {st.amount} {st.unit} is longer than one year; shorten it.", field="wait"
            )
    elif isinstance(st, s.WaitUntil):
        up["condition"] = _condition(ctx, st.condition)
    elif isinstance(st, s.IfElse):
        up["condition"] = _condition(ctx, st.condition)
        up["yes"] = _clean_steps(ctx, st.yes, depth + 1, f"{label} yes.")
        up["no"] = _clean_steps(ctx, st.no, depth + 1, f"{label} no.")
    elif isinstance(st, s.AdjustScore):
        score: ScoreDefinition = ctx.ref(ScoreDefinition, st.score, "score")
        if not score.active:
            raise Conflict(
                f"Score {score.name!r} is inactive; activate it before adjusting it from an automation.",
                field="score",
            )
        up["score"] = score.id
    elif isinstance(st, s.SubscribeList | s.UnsubscribeList):
        up["list"] = ctx.ref(MailingList, st.list, "list").id
    elif isinstance(st, s.UpdateField):
        key, custom = _field_name(ctx, st.field)
        up["field"] = key
        if st.value is not None and not (isinstance(st.value, str) and not st.value.strip()):
            if custom is None:
                up["value"] = _standard_value(key, st.value)
            else:
                up["value"] = str(
                    cf.parse_field_value(custom.type, st.value, custom.options, field=custom.name)
                )
        else:
            if key == "email":
                raise InvalidRequest("A contact's email cannot be cleared.", field="value")
            up["value"] = None
    elif isinstance(st, s.CreateDeal):
        _require_feature(ctx.account, "deals")
        pipeline: Pipeline = ctx.ref(Pipeline, st.pipeline, "pipeline")
        up["pipeline"] = pipeline.id
        if st.stage is not None:
            up["stage"] = _stage(ctx, pipeline, st.stage).id
        else:
            first = ctx.session.scalars(
                select(Stage)
                .where(Stage.pipeline_id == pipeline.id)
                .order_by(Stage.position, Stage.id)
                .limit(1)
            ).first()
            if first is None:
                raise InvalidRequest(
                    f"Pipeline {pipeline.name!r} has no stages; add a stage first.", field="stage"
                )
            up["stage"] = first.id
        if st.owner is not None:
            up["owner"] = _user(ctx, st.owner).id
    elif isinstance(st, s.CreateTask) and st.owner is not None:
        up["owner"] = _user(ctx, st.owner).id
    elif isinstance(st, s.Notify):
        up["to"] = list(dict.fromkeys(_user(ctx, r).id for r in st.to))
    elif isinstance(st, s.Webhook):
        up["url"] = _safe_webhook(st.url)
    elif isinstance(st, s.AiAction):
        up.update(_clean_ai_action(ctx, st))
    return st.model_copy(update=up)


def _condition(ctx: _Ctx, tree: s.Condition) -> s.Condition:
    """Validate a segment condition tree against the account and return its normalised form."""
    return validate_tree(ctx.session, account_id=ctx.account.id, tree=tree).model_dump(mode="json")


def _clean_ai_action(ctx: _Ctx, st: s.AiAction) -> dict[str, Any]:
    _require_feature(ctx.account, "ai_actions")
    up: dict[str, Any] = {}
    target = _custom_field(ctx, st.target_field, what="where the AI answer is saved")
    if st.action == "summarize" and target.type != FieldType.TEXTAREA:
        raise InvalidRequest(
            f"Summaries can be saved only to a text area field; {target.name!r} is {target.type.value}.",
            field="target_field",
        )
    up["target_field"] = target.name
    if st.action == "build_your_own":
        if not st.prompt:
            raise InvalidRequest("'Build your own action' needs a prompt.", field="prompt")
        tags = check_personalization(ctx.session, account_id=ctx.account.id, texts=[st.prompt])
        if not 1 <= len(tags) <= 3:
            raise InvalidRequest(
                f"A 'Build your own action' prompt uses 1 to 3 personalization tags (it has {len(tags)}), "
                "e.g. 'Summarize %FEEDBACK% in one line'.",
                field="prompt",
            )
    else:
        if not st.source_field:
            raise InvalidRequest(
                f"The {st.action} action needs the field to read (source_field).", field="source_field"
            )
        up["source_field"] = _field_name(ctx, st.source_field)[0]
    if st.action == "analyze" and not st.prompt:
        raise InvalidRequest("Analyze needs a prompt saying what to look for.", field="prompt")
    if st.action == "translate":
        if not st.language:
            raise InvalidRequest("Translate needs the language to translate to, e.g. 'fr'.", field="language")
        up["language"] = cf.parse_language(st.language, field="Language")
    elif st.language is not None:
        raise InvalidRequest("Only the translate action takes a language.", field="language")
    if (st.options or st.max_outputs) and st.action not in ("analyze", "classify_intent"):
        raise InvalidRequest("Only analyze and classify intent take a set list of outputs.", field="options")
    if st.max_outputs is not None and st.options and st.max_outputs > len(st.options):
        raise InvalidRequest(
            f"max_outputs {st.max_outputs} is more than the {len(st.options)} allowed outputs.",
            field="max_outputs",
        )
    if st.summary_length is not None and st.action != "summarize":
        raise InvalidRequest("Only the summarize action takes a summary length.", field="summary_length")
    return up


def _parse(
    adapter: TypeAdapter[Any],
    raw: Any,
    *,
    what: str,
    field: str,
    item: str = "item",
    tags: Sequence[str] = (),
) -> Any:
    data = raw.model_dump() if isinstance(raw, BaseModel) else raw
    if isinstance(data, list):
        data = [d.model_dump() if isinstance(d, BaseModel) else d for d in data]
    try:
        return adapter.validate_python(data)
    except ValidationError as err:
        raise invalid_from_validation(err, what=what, field=field, item=item, tags=tags) from None


def _definition(ctx: _Ctx, trigger: Any, steps: Sequence[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    parsed_trigger = _parse(_TRIGGER, trigger, what="trigger", field="trigger", tags=tuple(TRIGGER_LABELS))
    parsed_steps = _parse(_STEPS, list(steps), what="steps", field="steps", item="step", tags=s.STEP_TYPES)
    clean_trigger = _clean_trigger(ctx, parsed_trigger)
    clean_steps = _clean_steps(ctx, parsed_steps, 1, "")
    return clean_trigger.model_dump(mode="json"), [st.model_dump(mode="json") for st in clean_steps]


# ---------------------------------------------------------------- automations


def _out(a: Automation) -> AutomationOut:
    return AutomationOut(
        id=a.id,
        account_id=a.account_id,
        name=a.name,
        description=a.description,
        status=a.status,
        trigger=_TRIGGER.validate_python(a.trigger),
        steps=_STEPS.validate_python(a.steps),
        created_at=a.created_at,
        updated_at=a.updated_at,
    )


def _load(session: Session, account_id: int, automation_id: int) -> Automation:
    return get_owned(session, Automation, account_id=account_id, id=automation_id, kind="automation")


def _clean_name(
    session: Session, model: Any, account_id: int, name: str, kind: str, exclude_id: int | None = None
) -> str:
    text = (name or "").strip()
    if not text:
        raise InvalidRequest(f"The {kind} name is empty; give it a name.", field="name")
    if len(text) > 150:
        raise InvalidRequest(f"The {kind} name is {len(text)} characters; the limit is 150.", field="name")
    clash = session.scalars(
        select(model).where(model.account_id == account_id, func.lower(model.name) == text.lower())
    ).first()
    if clash is not None and clash.id != exclude_id:
        article = "An" if kind[:1] in "aeiou" else "A"
        raise Conflict(f"{article} {kind} named {clash.name!r} already exists; choose another name.", field="name")
    return text


def create_automation(
    session: Session,
    *,
    account_id: int,
    name: str,
    trigger: Any,
    steps: Sequence[Any],
    now: datetime,
    description: str | None = None,
) -> AutomationOut:
    """Create an inactive automation from a typed trigger and steps (dicts or schema models)."""
    ctx = _Ctx(session, _account(session, account_id))
    clean_name = _clean_name(session, Automation, account_id, name, "automation")
    trigger_json, steps_json = _definition(ctx, trigger, steps)
    row = Automation(
        account_id=account_id,
        name=clean_name,
        description=(description or "").strip()[:2_000] or None,
        status=AutomationStatus.INACTIVE,
        trigger=trigger_json,
        steps=steps_json,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return _out(row)


def update_automation(
    session: Session,
    *,
    account_id: int,
    automation_id: int,
    now: datetime,
    name: str | Unset = UNSET,
    description: str | None | Unset = UNSET,
    trigger: Any | Unset = UNSET,
    steps: Sequence[Any] | Unset = UNSET,
) -> AutomationOut:
    """Change an inactive automation; an active one must be deactivated first."""
    row = _load(session, account_id, automation_id)
    if row.status == AutomationStatus.ACTIVE:
        raise Conflict(
            f"Automation {row.name!r} is active; set it inactive (deactivate_automation) before editing it, "
            "then "
            "activate it again.",
            field="status",
        )
    ctx = _Ctx(session, _account(session, account_id))
    new_name = (
        row.name
        if isinstance(name, Unset)
        else _clean_name(session, Automation, account_id, name, "automation", exclude_id=row.id)
    )
    trigger_json, steps_json = _definition(
        ctx,
        row.trigger if isinstance(trigger, Unset) else trigger,
        row.steps if isinstance(steps, Unset) else steps,
    )
    row.name = new_name
    if not isinstance(description, Unset):
        row.description = (description or "").strip()[:2_000] or None
    row.trigger = trigger_json
    row.steps = steps_json
    row.updated_at = now
    session.flush()
    return _out(row)


def get_automation(session: Session, *, account_id: int, automation_id: int) -> AutomationOut:
    """Return one automation."""
    return _out(_load(session, account_id, automation_id))


def find_automation(session: Session, *, account_id: int, name: str) -> AutomationOut:
    """Find an automation by name (case-insensitive), suggesting near names."""
    return _out(get_by_name(session, Automation, account_id=account_id, name=name, kind="automation"))


def list_automations(
    session: Session, *, account_id: int, status: AutomationStatus | str | None = None
) -> list[AutomationOut]:
    """Return the account's automations by name, optionally only active or inactive ones."""
    query = select(Automation).where(Automation.account_id == account_id)
    if status is not None:
        try:
            query = query.where(Automation.status == AutomationStatus(str(status).strip().lower()))
        except ValueError:
            raise invalid_choice("status", status, [x.value for x in AutomationStatus]) from None
    return [_out(a) for a in session.scalars(query.order_by(func.lower(Automation.name))).all()]


def _contains_ai_action(steps: Sequence[dict[str, Any]]) -> bool:
    return any(
        st["type"] == "ai_action"
        or (st["type"] == "if_else" and (_contains_ai_action(st["yes"]) or _contains_ai_action(st["no"])))
        for st in steps
    )


def activate_automation(
    session: Session, *, account_id: int, automation_id: int, now: datetime
) -> AutomationOut:
    """Turn an automation on after re-checking its plan gates, references and purchased activities."""
    row = _load(session, account_id, automation_id)
    if row.status == AutomationStatus.ACTIVE:
        return _out(row)
    if not row.steps:
        raise InvalidRequest(
            f"Automation {row.name!r} has no steps; add at least one action first.", field="steps"
        )
    account = _account(session, account_id)
    trigger_json, steps_json = _definition(_Ctx(session, account), row.trigger, row.steps)
    if _contains_ai_action(steps_json) and account.monthly_activity_limit <= 0:
        raise Conflict(
            f"Automation {row.name!r} uses the AI Actions Library, which spends activities, and this account "
            "has "
            "none. Purchase a monthly activity limit (Billing & Upgrade) first.",
            field="activities",
        )
    row.trigger, row.steps = trigger_json, steps_json
    row.status = AutomationStatus.ACTIVE
    row.updated_at = now
    session.flush()
    return _out(row)


def deactivate_automation(
    session: Session, *, account_id: int, automation_id: int, now: datetime
) -> AutomationOut:
    """Turn an automation off (contacts stop entering it)."""
    row = _load(session, account_id, automation_id)
    if row.status != AutomationStatus.INACTIVE:
        row.status = AutomationStatus.INACTIVE
        row.updated_at = now
        session.flush()
    return _out(row)


# ---------------------------------------------------------------- scores


def _target(value: ScoreTarget | str) -> ScoreTarget:
    try:
        return ScoreTarget(str(value).strip().lower())
    except ValueError:
        raise invalid_choice("score target", value, [t.value for t in ScoreTarget]) from None


def _rules(session: Session, account: Account, raw: Sequence[Any]) -> list[dict[str, Any]]:
    rules = _parse(_RULES, list(raw), what="score rules", field="rules", item="rule")
    if not rules:
        raise InvalidRequest(
            "A score needs at least one rule: a condition and the points to add (or subtract).", field="rules"
        )
    ctx = _Ctx(session, account)
    out = []
    for n, rule in enumerate(rules, start=1):
        try:
            condition = _condition(ctx, rule.condition)
        except DomainError as err:
            raise type(err)(f"Rule {n}: {err.message}", field=err.field) from None
        out.append(rule.model_copy(update={"condition": condition}).model_dump(mode="json"))
    return out


def create_score(
    session: Session,
    *,
    account_id: int,
    name: str,
    rules: Sequence[Any],
    now: datetime,
    target: ScoreTarget | str = ScoreTarget.CONTACT,
    pipeline: s.Ref | None = None,
    active: bool = True,
) -> ScoreOut:
    """Create a contact or deal score from rules (condition, points +/-, optional expiry in days)."""
    account = _account(session, account_id)
    kind = _target(target)
    _require_feature(account, "deal_scoring" if kind == ScoreTarget.DEAL else "contact_scoring")
    clean_name = _clean_name(session, ScoreDefinition, account_id, name, "score")
    pipeline_id = None
    if pipeline is not None:
        if kind != ScoreTarget.DEAL:
            raise InvalidRequest(
                "Only deal scores belong to a pipeline; remove 'pipeline'.", field="pipeline"
            )
        pipeline_id = resolve(session, Pipeline, account_id=account_id, ref=pipeline, kind="pipeline").id
    row = ScoreDefinition(
        account_id=account_id,
        name=clean_name,
        target=kind,
        pipeline_id=pipeline_id,
        rules=_rules(session, account, rules),
        active=active,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return ScoreOut.model_validate(row)


def update_score(
    session: Session,
    *,
    account_id: int,
    score_id: int,
    name: str | Unset = UNSET,
    rules: Sequence[Any] | Unset = UNSET,
    active: bool | Unset = UNSET,
) -> ScoreOut:
    """Rename a score, replace its rules, or turn it on or off."""
    row = get_owned(session, ScoreDefinition, account_id=account_id, id=score_id, kind="score")
    new_name = (
        row.name
        if isinstance(name, Unset)
        else _clean_name(session, ScoreDefinition, account_id, name, "score", exclude_id=row.id)
    )
    new_rules = (
        row.rules if isinstance(rules, Unset) else _rules(session, _account(session, account_id), rules)
    )
    row.name, row.rules = new_name, new_rules
    if not isinstance(active, Unset):
        row.active = bool(active)
    session.flush()
    return ScoreOut.model_validate(row)


def get_score(session: Session, *, account_id: int, score_id: int) -> ScoreOut:
    """Return one score definition."""
    return ScoreOut.model_validate(
        get_owned(session, ScoreDefinition, account_id=account_id, id=score_id, kind="score")
    )


def find_score(session: Session, *, account_id: int, name: str) -> ScoreOut:
    """Find a score by name (case-insensitive), suggesting near names."""
    return ScoreOut.model_validate(
        get_by_name(session, ScoreDefinition, account_id=account_id, name=name, kind="score")
    )


def list_scores(
    session: Session, *, account_id: int, target: ScoreTarget | str | None = None
) -> list[ScoreOut]:
    """Return the account's scores by name, optionally only contact or deal scores."""
    query = select(ScoreDefinition).where(ScoreDefinition.account_id == account_id)
    if target is not None:
        query = query.where(ScoreDefinition.target == _target(target))
    rows = session.scalars(query.order_by(func.lower(ScoreDefinition.name))).all()
    return [ScoreOut.model_validate(r) for r in rows]


def _score_target(
    session: Session, score: ScoreDefinition, contact_id: int | None, deal_id: int | None
) -> tuple[int | None, int | None]:
    if score.target == ScoreTarget.CONTACT:
        if contact_id is None or deal_id is not None:
            raise InvalidRequest(
                f"Score {score.name!r} is a contact score; give contact_id only.", field="contact_id"
            )
        get_owned(session, Contact, account_id=score.account_id, id=contact_id, kind="contact")
        return contact_id, None
    if deal_id is None or contact_id is not None:
        raise InvalidRequest(f"Score {score.name!r} is a deal score; give deal_id only.", field="deal_id")
    deal = get_owned(session, Deal, account_id=score.account_id, id=deal_id, kind="deal")
    if score.pipeline_id is not None and deal.pipeline_id != score.pipeline_id:
        raise InvalidRequest(
            f"Deal {deal.title!r} is in another pipeline than score {score.name!r} scores.", field="deal_id"
        )
    return None, deal_id


def set_score_value(
    session: Session,
    *,
    account_id: int,
    score_id: int,
    points: int,
    now: datetime,
    contact_id: int | None = None,
    deal_id: int | None = None,
) -> ScoreValueOut:
    """Store the current points of one contact (contact score) or deal (deal score)."""
    score = get_owned(session, ScoreDefinition, account_id=account_id, id=score_id, kind="score")
    if isinstance(points, bool) or not isinstance(points, int) or abs(points) > 2_000_000_000:
        raise InvalidRequest(
            f"Points {points!r} must be a whole number (within +/- 2 billion).", field="points"
        )
    cid, did = _score_target(session, score, contact_id, deal_id)
    session.flush()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    key_col = "contact_id" if cid is not None else "deal_id"
    stmt = insert(ScoreValue).values(
        account_id=account_id, score_id=score.id, contact_id=cid, deal_id=did, points=points, updated_at=now
    )
    # One row per (score, contact) or (score, deal): the partial unique index makes this an upsert.
    stmt = stmt.on_conflict_do_update(
        index_elements=["score_id", key_col],
        index_where=getattr(ScoreValue, key_col).is_not(None),
        set_={"points": points, "updated_at": now},
    )
    session.execute(stmt)
    out = get_score_value(session, account_id=account_id, score_id=score.id, contact_id=cid, deal_id=did)
    if out is None:
        raise NotFound(f"The value of score {score.name!r} could not be read back.", field="score")
    return out


def get_score_value(
    session: Session,
    *,
    account_id: int,
    score_id: int,
    contact_id: int | None = None,
    deal_id: int | None = None,
) -> ScoreValueOut | None:
    """Return the stored points of a contact or deal on a score, or None when none are stored."""
    score = get_owned(session, ScoreDefinition, account_id=account_id, id=score_id, kind="score")
    cid, did = _score_target(session, score, contact_id, deal_id)
    cond = ScoreValue.contact_id == cid if cid is not None else ScoreValue.deal_id == did
    row = session.scalars(
        select(ScoreValue)
        .where(ScoreValue.score_id == score.id, cond)
        .execution_options(populate_existing=True)
    ).first()
    return ScoreValueOut.model_validate(row) if row else None
