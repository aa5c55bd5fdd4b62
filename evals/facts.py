"""Facts an answer must state, computed from the fixture through the engine, never typed into the scenario.

A scenario writes ``campaign_open_rate(campaign="May 2026 - Newsletter")``; the function of that name
computes the value with core services on the scenario's database right after the turn, and the value is found
in the answer the way answers write numbers: a rate as a percentage (37.2%), a count as an integer (1,234),
money as an amount. Matching is tolerant to formatting (37.2% / 37.16 % / 37%), not to the number.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.accounts.service import feature_available, get_account
from core.automations import scores_report
from core.automations import service as automations
from core.automations.models import Automation
from core.billing import service as billing
from core.campaigns.lookup import resolve_campaign_id
from core.campaigns.models import Campaign, CampaignSend
from core.campaigns.recipients import audience_figures
from core.campaigns.troubleshoot import diagnose_campaign, last_problem_campaign
from core.contacts import service as contacts
from core.content import service as content
from core.crm import service as crm
from core.crm.models import Deal
from core.enums import AutomationStatus, CampaignStatus
from core.knowledge.service import search_help
from core.knowledge.store import KnowledgeStore
from core.periods import parse_period
from core.reports import performance
from core.reports.explain import explain_change
from core.scope import resolve
from core.segments import service as segments
from core.suggestions import homepage_ideas
from tools.base import REGISTRY

SENT = (CampaignStatus.SENT, CampaignStatus.SENDING)


# ---------------------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Rate:
    """A fraction, written as a percentage."""

    value: float

    def found_in(self, text: str) -> bool:
        want = self.value * 100
        for raw in re.findall(r"(-?\d+(?:[.,]\d+)?)\s?%", text):
            got = float(raw.replace(",", "."))
            decimals = len(raw.split(".")[1]) if "." in raw else 0
            if abs(got - want) <= 0.5 * 10**-decimals + 1e-9:
                return True
        return False

    def __str__(self) -> str:
        return f"{self.value:.1%}"


@dataclass(frozen=True)
class Count:
    """An integer, written with or without thousands separators."""

    value: int

    def found_in(self, text: str) -> bool:
        for raw in re.findall(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?![\d])|(?<![\w.,])-?\d+(?![\d%]|\.\d)", text):
            if int(raw.replace(",", "")) == self.value:
                return True
        return False

    def __str__(self) -> str:
        return f"{self.value:,}"


@dataclass(frozen=True)
class Money:
    """An amount, written with or without currency and separators (cents optional)."""

    value: Decimal

    def found_in(self, text: str) -> bool:
        for raw in re.findall(r"\d[\d,]*(?:\.\d+)?", text):
            try:
                got = Decimal(raw.replace(",", ""))
            except ArithmeticError:
                continue
            if abs(got - self.value) < Decimal("0.5"):
                return True
        return False

    def __str__(self) -> str:
        return f"{self.value:,.0f}"


@dataclass(frozen=True)
class Text:
    """A name or phrase, found case-insensitively with whitespace normalised."""

    value: str

    def found_in(self, text: str) -> bool:
        norm = lambda s: re.sub(r"\s+", " ", s).strip().lower()  # noqa: E731
        return norm(self.value) in norm(text)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class AllOf:
    """Every one of the values must be stated."""

    values: tuple[Any, ...]

    def found_in(self, text: str) -> bool:
        return all(v.found_in(text) for v in self.values)

    def __str__(self) -> str:
        return " and ".join(map(str, self.values))


@dataclass(frozen=True)
class AnyOf:
    """One of the values must be stated."""

    values: tuple[Any, ...]

    def found_in(self, text: str) -> bool:
        return any(v.found_in(text) for v in self.values)

    def __str__(self) -> str:
        return " or ".join(map(str, self.values))


FactValue = Rate | Count | Money | Text | AllOf | AnyOf


# ---------------------------------------------------------------------------------------------- context


@dataclass
class FactContext:
    """Where facts are computed: the scenario's database, account, clock and retrieval store."""

    session_factory: sessionmaker[Session]
    account_id: int
    now: datetime
    knowledge: KnowledgeStore | None = None

    def tz(self, session: Session) -> str:
        return get_account(session, account_id=self.account_id).timezone

    def campaign_id(self, session: Session, ref: str | int | None, *, sent: bool = True) -> int:
        return resolve_campaign_id(
            session,
            account_id=self.account_id,
            ref=ref,
            now=self.now,
            tz=self.tz(session),
            statuses=SENT if sent else None,
        )

    def period(self, session: Session, text: str) -> tuple[datetime, datetime]:
        span = parse_period(text, now=self.now, tz=self.tz(session))
        return span.start, span.end


FactFn = Callable[..., FactValue]
FACTS: dict[str, FactFn] = {}


def fact(fn: FactFn) -> FactFn:
    """Register a fact function under its name."""
    FACTS[fn.__name__] = fn
    return fn


def _perf(ctx: FactContext, s: Session, campaign: str | int | None, exclude_mpp: bool = False) -> Any:
    return performance.campaign_performance(
        s, account_id=ctx.account_id, campaign=ctx.campaign_id(s, campaign), exclude_mpp=exclude_mpp
    )


@fact
def campaign_name(ctx: FactContext, s: Session, campaign: str | None = None, sent: bool = True) -> FactValue:
    """The full name of the campaign a reference resolves to."""
    cid = ctx.campaign_id(s, campaign, sent=sent)
    return Text(s.get(Campaign, cid).name)  # type: ignore[union-attr]


@fact
def campaign_open_rate(
    ctx: FactContext, s: Session, campaign: str | None = None, exclude_mpp: bool = False
) -> FactValue:
    """Unique opens over delivered."""
    return Rate(_perf(ctx, s, campaign, exclude_mpp).open_rate)


@fact
def campaign_click_rate(ctx: FactContext, s: Session, campaign: str | None = None) -> FactValue:
    """Unique clickers over delivered."""
    return Rate(_perf(ctx, s, campaign).click_rate)


@fact
def campaign_click_to_open_rate(ctx: FactContext, s: Session, campaign: str | None = None) -> FactValue:
    """Unique clickers over unique openers."""
    return Rate(_perf(ctx, s, campaign).click_to_open_rate)


@fact
def campaign_delivered(ctx: FactContext, s: Session, campaign: str | None = None) -> FactValue:
    """Delivered messages."""
    return Count(_perf(ctx, s, campaign).delivered)


@fact
def campaign_unique_opens(ctx: FactContext, s: Session, campaign: str | None = None) -> FactValue:
    """Contacts who opened."""
    return Count(_perf(ctx, s, campaign).unique_opens)


@fact
def campaign_unique_clickers(ctx: FactContext, s: Session, campaign: str | None = None) -> FactValue:
    """Contacts who clicked (bot clicks left out when BotSense is on)."""
    return Count(
        performance.clicks_report(
            s, account_id=ctx.account_id, campaign=ctx.campaign_id(s, campaign)
        ).unique_clickers
    )


def _period(ctx: FactContext, s: Session, period: str, channel: str | None = None) -> Any:
    start, end = ctx.period(s, period)
    return performance.period_performance(s, account_id=ctx.account_id, start=start, end=end, channel=channel)


@fact
def period_open_rate(ctx: FactContext, s: Session, period: str, channel: str | None = None) -> FactValue:
    """The open rate of all campaigns sent in a period (from summed counts)."""
    return Rate(_period(ctx, s, period, channel).totals.open_rate)


@fact
def period_click_rate(ctx: FactContext, s: Session, period: str, channel: str | None = None) -> FactValue:
    """The click rate of all campaigns sent in a period."""
    return Rate(_period(ctx, s, period, channel).totals.click_rate)


@fact
def period_delivered(ctx: FactContext, s: Session, period: str, channel: str | None = None) -> FactValue:
    """Messages delivered by the campaigns sent in a period."""
    return Count(_period(ctx, s, period, channel).totals.delivered)


@fact
def period_campaigns(ctx: FactContext, s: Session, period: str, channel: str | None = None) -> FactValue:
    """How many campaigns were sent in a period."""
    return Count(_period(ctx, s, period, channel).totals.campaigns)


@fact
def period_campaign_names(ctx: FactContext, s: Session, period: str, channel: str | None = None) -> FactValue:
    """Every campaign sent in a period, by name."""
    return AllOf(tuple(Text(r.campaign_name) for r in _period(ctx, s, period, channel).rows))


@fact
def most_clicked_campaign(ctx: FactContext, s: Session, period: str = "last 90 days") -> FactValue:
    """The campaign with the most unique clickers among those sent in a period."""
    start, end = ctx.period(s, period)
    rows = performance.period_performance(s, account_id=ctx.account_id, start=start, end=end).rows
    best = max(rows, key=lambda r: (r.unique_clicks, r.campaign_id))
    return Text(best.campaign_name)


@fact
def best_open_rate_campaign(
    ctx: FactContext, s: Session, period: str, channel: str | None = None
) -> FactValue:
    """The campaign with the best open rate among those sent in a period."""
    return Text(max(_period(ctx, s, period, channel).rows, key=lambda r: r.open_rate).campaign_name)


@fact
def campaign_subject(ctx: FactContext, s: Session, campaign: str) -> FactValue:
    """A campaign's subject line."""
    return Text(str(s.get(Campaign, ctx.campaign_id(s, campaign, sent=False)).subject))  # type: ignore[union-attr]


@fact
def rate_now(ctx: FactContext, s: Session, metric: str = "open_rate", period: str = "last week") -> FactValue:
    """A rate in a period, as the change explanation computes it."""
    start, end = ctx.period(s, period)
    return Rate(explain_change(s, account_id=ctx.account_id, metric=metric, start=start, end=end).current)  # type: ignore[arg-type]


@fact
def rate_before(
    ctx: FactContext, s: Session, metric: str = "open_rate", period: str = "last week"
) -> FactValue:
    """The same rate in the period just before."""
    start, end = ctx.period(s, period)
    return Rate(explain_change(s, account_id=ctx.account_id, metric=metric, start=start, end=end).previous)  # type: ignore[arg-type]


def _tree(conditions: list[dict[str, Any]], match: str) -> dict[str, Any]:
    return {"version": 1, "root": {"type": "group", "match": match, "conditions": conditions}}


@fact
def contacts_matching(
    ctx: FactContext, s: Session, conditions: list[dict[str, Any]], match: str = "all"
) -> FactValue:
    """How many contacts match segment conditions (the tool's condition format)."""
    return Count(
        segments.count_contacts(s, account_id=ctx.account_id, tree=_tree(conditions, match), now=ctx.now)
    )


@fact
def segment_count(ctx: FactContext, s: Session, segment: str) -> FactValue:
    """How many contacts a saved segment matches now."""
    return Count(segments.count_segment(s, account_id=ctx.account_id, segment=segment, now=ctx.now))


@fact
def tag_contacts(ctx: FactContext, s: Session, tag: str) -> FactValue:
    """How many contacts carry a tag."""
    rows = {t.name.lower(): t.contact_count for t in contacts.list_tags(s, account_id=ctx.account_id)}
    return Count(rows[tag.lower()])


@fact
def list_subscribers(ctx: FactContext, s: Session, list: str) -> FactValue:  # noqa: A002
    """Subscribers of a list."""
    return Count(contacts.get_list(s, account_id=ctx.account_id, list_ref=list).subscriber_count)


@fact
def list_names(ctx: FactContext, s: Session) -> FactValue:
    """Every list's name."""
    return AllOf(tuple(Text(x.name) for x in contacts.list_lists(s, account_id=ctx.account_id)))


@fact
def problem_campaign(ctx: FactContext, s: Session) -> FactValue:
    """The most recent campaign that failed or is stuck."""
    cid = last_problem_campaign(s, account_id=ctx.account_id)
    return Text(s.get(Campaign, cid).name)  # type: ignore[union-attr]


@fact
def diagnosis_cause(ctx: FactContext, s: Session, campaign: str | None = None) -> FactValue:
    """The first cause the troubleshooter names for a campaign (default: the latest problem campaign)."""
    cid = (
        ctx.campaign_id(s, campaign, sent=False)
        if campaign
        else last_problem_campaign(s, account_id=ctx.account_id)
    )
    d = diagnose_campaign(s, account_id=ctx.account_id, campaign_id=cid, now=ctx.now)  # type: ignore[arg-type]
    return Text(d.causes[0] if d.causes else d.summary)


@fact
def audience_recipients(ctx: FactContext, s: Session, campaign: str) -> FactValue:
    """How many contacts a campaign would reach now (after exclusions)."""
    cid = ctx.campaign_id(s, campaign, sent=False)
    return Count(audience_figures(s, account_id=ctx.account_id, campaign_id=cid, now=ctx.now).recipients)


@fact
def sent_count(ctx: FactContext, s: Session, campaign: str) -> FactValue:
    """How many messages a campaign sent (its send rows)."""
    cid = ctx.campaign_id(s, campaign, sent=False)
    return Count(
        int(
            s.scalar(select(func.count()).select_from(CampaignSend).where(CampaignSend.campaign_id == cid))
            or 0
        )
    )


@fact
def listed_segment_count(ctx: FactContext, s: Session, n: int) -> FactValue:
    """The size of the n-th segment (1-based) in the order list_segments shows them."""
    row = segments.list_segments(s, account_id=ctx.account_id)[n - 1]
    return Count(segments.count_segment(s, account_id=ctx.account_id, segment=row.id, now=ctx.now))


@fact
def sms_credit_balance(ctx: FactContext, s: Session) -> FactValue:
    """The SMS credit balance."""
    return Count(billing.credit_balance(s, account_id=ctx.account_id).balance)


@fact
def activities_remaining(ctx: FactContext, s: Session) -> FactValue:
    """AI activities left this month."""
    return Count(billing.activity_usage(s, account_id=ctx.account_id, now=ctx.now).remaining)


@fact
def activities_used(ctx: FactContext, s: Session) -> FactValue:
    """AI activities used this month."""
    return Count(billing.activity_usage(s, account_id=ctx.account_id, now=ctx.now).used)


@fact
def plan_name(ctx: FactContext, s: Session) -> FactValue:
    """The plan's name (pro, starter...)."""
    return Text(get_account(s, account_id=ctx.account_id).plan.value)


@fact
def feature_upgrade_plans(ctx: FactContext, s: Session, feature: str) -> FactValue:
    """The explanation's first plan name when a feature is unavailable (e.g. "Plus")."""
    out = feature_available(s, account_id=ctx.account_id, feature=feature)
    m = re.search(r"on the (\w+)", out.message)
    return Text(m.group(1) if m and not out.available else "available")


@fact
def capability_areas(ctx: FactContext, s: Session) -> FactValue:
    """Every area of the tool registry."""
    return AllOf(tuple(Text(a) for a in sorted({i.area for i in REGISTRY.values()})))


@fact
def personalization_tags(ctx: FactContext, s: Session) -> FactValue:
    """The custom fields' personalization tags (%LOYALTY_POINTS%...)."""
    return AllOf(tuple(Text(f.tag) for f in contacts.list_custom_fields(s, account_id=ctx.account_id)))


@fact
def custom_field_names(ctx: FactContext, s: Session) -> FactValue:
    """Every custom field's name."""
    return AllOf(tuple(Text(f.name) for f in contacts.list_custom_fields(s, account_id=ctx.account_id)))


@fact
def automation_names(ctx: FactContext, s: Session, status: str | None = None) -> FactValue:
    """Every automation's name (of a status)."""
    # Plain names: the automation schemas may refuse stored rows, and a fact must not depend on that.
    stmt = select(Automation.name).where(Automation.account_id == ctx.account_id)
    if status:
        stmt = stmt.where(Automation.status == AutomationStatus(status))
    return AllOf(tuple(Text(n) for n in s.scalars(stmt)))


@fact
def first_contact_email(ctx: FactContext, s: Session, query: str) -> FactValue:
    """The e-mail of the first contact a search finds."""
    return Text(contacts.search_contacts(s, account_id=ctx.account_id, query=query, limit=1).items[0].email)


@fact
def contact_search_total(ctx: FactContext, s: Session, query: str) -> FactValue:
    """How many contacts a search finds."""
    return Count(contacts.search_contacts(s, account_id=ctx.account_id, query=query, limit=1).total)


@fact
def primary_brand_kit(ctx: FactContext, s: Session) -> FactValue:
    """The primary brand kit's name."""
    kit = content.get_primary_brand_kit(s, account_id=ctx.account_id)
    return Text(kit.name if kit else "no brand kit")


@fact
def goal_names(ctx: FactContext, s: Session) -> FactValue:
    """Every business goal's name."""
    return AllOf(tuple(Text(g.name) for g in content.list_business_goals(s, account_id=ctx.account_id)))


@fact
def form_names(ctx: FactContext, s: Session) -> FactValue:
    """Every form's name."""
    return AllOf(tuple(Text(f.name) for f in content.list_forms(s, account_id=ctx.account_id)))


@fact
def segment_names(ctx: FactContext, s: Session) -> FactValue:
    """Every saved segment's name."""
    return AllOf(tuple(Text(x.name) for x in segments.list_segments(s, account_id=ctx.account_id)))


@fact
def pipeline_names(ctx: FactContext, s: Session) -> FactValue:
    """Every pipeline's name."""
    return AllOf(tuple(Text(p.name) for p in crm.list_pipelines(s, account_id=ctx.account_id)))


@fact
def deal_count(
    ctx: FactContext, s: Session, status: str | None = None, pipeline: str | None = None
) -> FactValue:
    """How many deals match (as list_deals counts them)."""
    return Count(
        crm.list_deals(s, account_id=ctx.account_id, status=status, pipeline=pipeline, limit=1).total
    )


@fact
def first_deal_title(
    ctx: FactContext, s: Session, status: str | None = None, pipeline: str | None = None
) -> FactValue:
    """The title of the first deal a deal listing shows."""
    page = crm.list_deals(s, account_id=ctx.account_id, status=status, pipeline=pipeline, limit=1)
    return Text(page.items[0].title)


@fact
def deal_stage(ctx: FactContext, s: Session, deal: str) -> FactValue:
    """A deal's current stage."""
    row = resolve(s, Deal, account_id=ctx.account_id, ref=deal, kind="deal", attr="title")
    return Text(crm.get_deal(s, account_id=ctx.account_id, deal_id=row.id).stage)


@fact
def deal_value(ctx: FactContext, s: Session, deal: str) -> FactValue:
    """A deal's value in its currency."""
    row = resolve(s, Deal, account_id=ctx.account_id, ref=deal, kind="deal", attr="title")
    return Money(crm.get_deal(s, account_id=ctx.account_id, deal_id=row.id).value)


@fact
def newest_campaign_name(ctx: FactContext, s: Session) -> FactValue:
    """The name of the campaign created last (a draft the scenario made)."""
    name = s.scalars(
        select(Campaign.name).where(Campaign.account_id == ctx.account_id).order_by(Campaign.id.desc())
    ).first()
    return Text(str(name))


@fact
def campaigns_total(ctx: FactContext, s: Session, status: str | None = None) -> FactValue:
    """How many campaigns the account has (of a status)."""
    stmt = select(func.count()).select_from(Campaign).where(Campaign.account_id == ctx.account_id)
    if status:
        stmt = stmt.where(Campaign.status == CampaignStatus(status))
    return Count(int(s.scalar(stmt) or 0))


@fact
def top_idea(ctx: FactContext, s: Session) -> FactValue:
    """The first idea card's title."""
    return Text(homepage_ideas(s, account_id=ctx.account_id, now=ctx.now)[0].title)


@fact
def help_page_title(ctx: FactContext, s: Session, question: str) -> FactValue:
    """The title of the help page that answers a question best."""
    if ctx.knowledge is None:
        raise LookupError("help_page_title needs the retrieval store")
    return Text(search_help(ctx.knowledge, query=question, k=1)[0].title)


@fact
def score_names(ctx: FactContext, s: Session) -> FactValue:
    """Every contact and deal score's name."""
    return AllOf(tuple(Text(x.name) for x in automations.list_scores(s, account_id=ctx.account_id)))


@fact
def top_scored_contact(
    ctx: FactContext, s: Session, score: str | None = None, position: int = 1
) -> FactValue:
    """The email of the contact at ``position`` (1: the first) of a contact score's ranking."""
    out = scores_report.top_scored_contacts(s, account_id=ctx.account_id, score=score, limit=max(1, position))
    return Text(out.items[position - 1].email)


@fact
def scored_contacts(ctx: FactContext, s: Session, score: str | None = None) -> FactValue:
    """How many contacts hold points on a contact score."""
    return Count(scores_report.top_scored_contacts(s, account_id=ctx.account_id, score=score, limit=1).scored)


@fact
def contact_score(ctx: FactContext, s: Session, contact: str, score: str) -> FactValue:
    """A contact's points on a contact score (0 when none are stored)."""
    out = scores_report.contact_scores(s, account_id=ctx.account_id, contact=contact, score=score)
    return Count(out.scores[0].points)


@fact
def deal_score(ctx: FactContext, s: Session, deal: str, score: str) -> FactValue:
    """A deal's points on a deal score (0 when none are stored)."""
    out = scores_report.deal_scores(s, account_id=ctx.account_id, deal=deal, score=score)
    return Count(out.scores[0].points)


# ---------------------------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class FactCall:
    """A parsed fact expression."""

    name: str
    kwargs: dict[str, Any]
    source: str


def parse_fact(expr: str) -> FactCall:
    """Parse ``name(key=literal, ...)``; raise ValueError on anything else or an unknown fact."""
    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f'fact {expr!r} is not a call like name(key="value"): {exc.msg}') from None
    if isinstance(node, ast.Name):
        node = ast.Call(func=node, args=[], keywords=[])
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.args:
        raise ValueError(f"fact {expr!r} must be name(key=value, ...) with keyword arguments only")
    if node.func.id not in FACTS:
        raise ValueError(f"unknown fact {node.func.id!r}; known: {', '.join(sorted(FACTS))}")
    kwargs = {}
    for kw in node.keywords:
        try:
            kwargs[str(kw.arg)] = ast.literal_eval(kw.value)
        except ValueError:
            raise ValueError(f"fact {expr!r}: argument {kw.arg} must be a literal") from None
    return FactCall(node.func.id, kwargs, expr.strip())


def compute_fact(ctx: FactContext, expr: str) -> FactValue:
    """Compute a fact expression on the scenario's database."""
    call = parse_fact(expr)
    with ctx.session_factory() as session:
        return FACTS[call.name](ctx, session, **call.kwargs)
