"""Campaign performance: one campaign, all campaigns of a period, and the clicks report.

Everything is aggregated in SQL, one GROUP BY per table for any number of campaigns, never a query per
campaign. Bot opens and clicks leave the numbers when the account's BotSense is on (or the caller asks);
Apple MPP opens leave them when the caller asks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, func, literal, or_, select, true
from sqlalchemy.orm import Session

from core.accounts.models import Account
from core.campaigns.models import Campaign, CampaignLink, CampaignSend, EngagementEvent
from core.enums import Channel, EventType, SendStatus
from core.errors import InvalidRequest, NotFound, invalid_choice
from core.reports.schemas import (
    CampaignPerformance,
    ClicksReport,
    LinkClicks,
    Metrics,
    PeriodPerformance,
    PeriodTotals,
    ReportFilters,
)
from core.scope import resolve

_E = EngagementEvent


def _filters(
    session: Session, account_id: int, exclude_bots: bool | None, exclude_mpp: bool
) -> ReportFilters:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    rule = "botsense" if exclude_bots is None else "request"
    bots = bool(account.botsense_enabled) if exclude_bots is None else exclude_bots
    applied = []
    if bots:
        applied.append("bot opens and clicks excluded" + (" (BotSense is on)" if rule == "botsense" else ""))
    if exclude_mpp:
        applied.append("Apple Mail Privacy Protection opens excluded")
    return ReportFilters(exclude_bots=bots, exclude_mpp=exclude_mpp, bots_rule=rule, applied=applied)


def _kept(f: ReportFilters) -> ColumnElement[bool]:
    """True for the events the report counts."""
    dropped: list[ColumnElement[bool]] = []
    if f.exclude_bots:
        dropped.append(and_(_E.is_bot == true(), _E.type.in_([EventType.OPEN, EventType.CLICK])))
    if f.exclude_mpp:
        dropped.append(and_(_E.is_mpp == true(), _E.type == EventType.OPEN))
    return ~or_(*dropped) if dropped else literal(True)


def _flag_count(flag: Any, event_type: EventType, active: bool) -> Any:
    if not active:
        return literal(0)
    return func.sum(case((and_(flag == true(), _E.type == event_type), 1), else_=0))


def _event_counts(
    session: Session, campaign_ids: Sequence[int], f: ReportFilters
) -> dict[int, dict[str, int]]:
    """Per campaign: total and unique counts per event type, and the machine events left out."""
    kept = _kept(f)
    bot_excluded = _E.is_bot == true() if f.exclude_bots else literal(False)
    stmt = (
        select(
            _E.campaign_id,
            _E.type,
            func.sum(case((kept, 1), else_=0)).label("total"),
            func.count(func.distinct(case((kept, _E.contact_id)))).label("uniq"),
            func.sum(case((bot_excluded, 1), else_=0)).label("bots"),
            func.sum(case((and_(~bot_excluded, _E.is_mpp == true()), 1), else_=0)).label("mpp")
            if f.exclude_mpp
            else literal(0).label("mpp"),
        )
        .where(_E.campaign_id.in_(campaign_ids))
        .group_by(_E.campaign_id, _E.type)
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in session.execute(stmt):
        c = counts[row.campaign_id]
        kind = EventType(row.type).value
        c[kind] = int(row.total or 0)
        c[f"unique_{kind}"] = int(row.uniq or 0)
        if kind in ("open", "click"):
            c[f"bot_{kind}"] = int(row.bots or 0)
        if kind == "open":
            c["mpp_open"] = int(row.mpp or 0)
    return counts


def _send_counts(session: Session, campaign_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per campaign: attempted sends and bounces (a bounced send, or a bounce event on a delivered one)."""
    s = CampaignSend
    attempted = s.status.in_([SendStatus.DELIVERED, SendStatus.BOUNCED])
    sends = (
        select(
            s.campaign_id,
            func.sum(case((attempted, 1), else_=0)).label("sends"),
            func.sum(case((s.status == SendStatus.BOUNCED, 1), else_=0)).label("bounced"),
        )
        .where(s.campaign_id.in_(campaign_ids))
        .group_by(s.campaign_id)
    )
    late = (
        select(_E.campaign_id, func.count(func.distinct(_E.contact_id)).label("late"))
        .where(
            _E.campaign_id.in_(campaign_ids),
            _E.type == EventType.BOUNCE,
            ~exists().where(
                s.campaign_id == _E.campaign_id, s.contact_id == _E.contact_id, s.status == SendStatus.BOUNCED
            ),
        )
        .group_by(_E.campaign_id)
    )
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in session.execute(sends):
        out[row.campaign_id]["sends"] = int(row.sends or 0)
        out[row.campaign_id]["bounces"] = int(row.bounced or 0)
    for row in session.execute(late):
        out[row.campaign_id]["bounces"] += int(row.late or 0)
    return out


def _ratio(num: int, den: int) -> float:
    return round(num / den, 6) if den else 0.0


def _metrics(sends: dict[str, int], events: dict[str, int]) -> dict[str, Any]:
    bounces = sends.get("bounces", 0)
    n_sends = max(sends.get("sends", 0), bounces)
    delivered = n_sends - bounces
    values = {
        "sends": n_sends,
        "delivered": delivered,
        "bounces": bounces,
        "opens": events.get("open", 0),
        "unique_opens": events.get("unique_open", 0),
        "clicks": events.get("click", 0),
        "unique_clicks": events.get("unique_click", 0),
        "unsubscribes": events.get("unique_unsubscribe", 0),
        "replies": events.get("reply", 0),
        "forwards": events.get("forward", 0),
        "shares": events.get("share", 0),
        "bot_opens_excluded": events.get("bot_open", 0),
        "bot_clicks_excluded": events.get("bot_click", 0),
        "mpp_opens_excluded": events.get("mpp_open", 0),
    }
    return values | _rates(values)


def _rates(v: dict[str, Any]) -> dict[str, float]:
    return {
        "open_rate": _ratio(v["unique_opens"], v["delivered"]),
        "click_rate": _ratio(v["unique_clicks"], v["delivered"]),
        "click_to_open_rate": _ratio(v["unique_clicks"], v["unique_opens"]),
        "unsubscribe_rate": _ratio(v["unsubscribes"], v["delivered"]),
        "bounce_rate": _ratio(v["bounces"], v["sends"]),
    }


def _performance_rows(
    session: Session, campaigns: Sequence[Campaign], f: ReportFilters
) -> list[CampaignPerformance]:
    ids = [c.id for c in campaigns]
    if not ids:
        return []
    events = _event_counts(session, ids, f)
    sends = _send_counts(session, ids)
    return [
        CampaignPerformance(
            campaign_id=c.id,
            campaign_name=c.name,
            channel=c.channel,
            sent_at=c.sent_at,
            filters=f,
            **_metrics(sends.get(c.id, {}), events.get(c.id, {})),
        )
        for c in campaigns
    ]


def campaign_performance(
    session: Session,
    *,
    account_id: int,
    campaign: int | str,
    exclude_bots: bool | None = None,
    exclude_mpp: bool = False,
) -> CampaignPerformance:
    """Report one campaign (by id or name): sends, opens, clicks, unsubscribes, bounces and their rates."""
    row = resolve(session, Campaign, account_id=account_id, ref=campaign, kind="campaign")
    f = _filters(session, account_id, exclude_bots, exclude_mpp)
    return _performance_rows(session, [row], f)[0]


def period_performance(
    session: Session,
    *,
    account_id: int,
    start: datetime,
    end: datetime,
    channel: Channel | str | None = None,
    exclude_bots: bool | None = None,
    exclude_mpp: bool = False,
) -> PeriodPerformance:
    """Report every campaign sent in ``[start, end)`` (oldest first) and their totals."""
    if end <= start:
        raise InvalidRequest(
            f"The period ends ({end.isoformat()}) before it starts ({start.isoformat()}); "
            "swap start and end.",
            field="end",
        )
    chosen: Channel | None = None
    if channel is not None:
        try:
            chosen = Channel(str(channel).strip().lower())
        except ValueError:
            raise invalid_choice("channel", channel, [c.value for c in Channel]) from None
    f = _filters(session, account_id, exclude_bots, exclude_mpp)
    stmt = select(Campaign).where(
        Campaign.account_id == account_id, Campaign.sent_at >= start, Campaign.sent_at < end
    )
    if chosen is not None:
        stmt = stmt.where(Campaign.channel == chosen)
    campaigns = session.scalars(stmt.order_by(Campaign.sent_at, Campaign.id)).all()
    rows = _performance_rows(session, campaigns, f)
    summed: dict[str, Any] = {
        key: sum(getattr(r, key) for r in rows)
        for key, info in Metrics.model_fields.items()
        if info.annotation in (int, "int")
    }
    totals = PeriodTotals(campaigns=len(rows), **(summed | _rates(summed)))
    return PeriodPerformance(start=start, end=end, channel=chosen, rows=rows, totals=totals, filters=f)


def clicks_report(
    session: Session, *, account_id: int, campaign: int | str, exclude_bots: bool | None = None
) -> ClicksReport:
    """Report a campaign's clicks per URL (total and unique) and overall."""
    row = resolve(session, Campaign, account_id=account_id, ref=campaign, kind="campaign")
    f = _filters(session, account_id, exclude_bots, False)
    click = [_E.campaign_id == row.id, _E.type == EventType.CLICK]
    human = [_E.is_bot == false()] if f.exclude_bots else []
    per_url = session.execute(
        select(_E.url, func.count().label("clicks"), func.count(func.distinct(_E.contact_id)).label("uniq"))
        .where(*click, *human)
        .group_by(_E.url)
    ).all()
    overall = session.execute(
        select(
            func.count(func.distinct(case((_kept(f), _E.contact_id)))).label("clickers"),
            func.sum(case((_E.is_bot == true(), 1), else_=0)).label("bots"),
        ).where(*click)
    ).one()
    links = {
        link.url: link
        for link in session.scalars(select(CampaignLink).where(CampaignLink.campaign_id == row.id))
    }
    delivered = _metrics(_send_counts(session, [row.id]).get(row.id, {}), {})["delivered"]
    rows = [
        LinkClicks(
            url=r.url or "(unknown link)",
            clicks=int(r.clicks),
            unique_clicks=int(r.uniq),
            is_unsubscribe=bool(links[r.url].is_unsubscribe) if r.url in links else False,
            is_honeypot=bool(links[r.url].is_honeypot) if r.url in links else False,
        )
        for r in per_url
    ]
    rows.sort(key=lambda r: (-r.clicks, r.url))
    total = sum(r.clicks for r in rows)
    clickers = int(overall.clickers or 0)
    return ClicksReport(
        campaign_id=row.id,
        campaign_name=row.name,
        delivered=delivered,
        unique_clickers=clickers,
        total_clicks=total,
        did_not_click=max(delivered - clickers, 0),
        avg_clicks_per_clicker=_ratio(total, clickers),
        bot_clicks_excluded=int(overall.bots or 0) if f.exclude_bots else 0,
        links=rows,
        filters=f,
    )
