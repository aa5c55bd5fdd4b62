"""Campaign performance, period totals and the clicks report against hand-computed fixtures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.accounts.models import Account
from core.campaigns.models import Campaign, CampaignLink, CampaignSend, EngagementEvent
from core.contacts.models import Contact
from core.enums import CampaignStatus, Channel, EventType, SendStatus
from core.errors import InvalidRequest, NotFound
from core.reports.performance import campaign_performance, clicks_report, period_performance
from core.reports.schemas import Metrics

A_URL, B_URL, TRAP = "https://shop.test/a", "https://shop.test/b", "https://shop.test/trap"
OPEN, CLICK = EventType.OPEN, EventType.CLICK


@dataclass
class Fixture:
    a: int
    b: int
    may: int
    june: int
    sms: int
    b_campaign: int


def _campaign(
    s: Session, account: int, name: str, sent: datetime | None, channel: Channel = Channel.EMAIL
) -> int:
    row = Campaign(
        account_id=account,
        name=name,
        channel=channel,
        sent_at=sent,
        status=CampaignStatus.SENT if sent else CampaignStatus.DRAFT,
    )
    s.add(row)
    s.flush()
    return row.id


def build(s: Session) -> Fixture:
    a = Account(name="Acme", plan="pro")
    b = Account(name="Other", plan="pro")
    s.add_all([a, b])
    s.flush()
    c = {}
    for i in range(1, 11):
        row = Contact(account_id=a.id, email=f"c{i}@acme.test")
        s.add(row)
        s.flush()
        c[i] = row.id
    b_contact = Contact(account_id=b.id, email="x@other.test")
    s.add(b_contact)
    s.flush()
    may = _campaign(s, a.id, "May Newsletter", datetime(2026, 5, 10, 14, tzinfo=UTC))
    june = _campaign(s, a.id, "June Promo", datetime(2026, 6, 5, 9, tzinfo=UTC))
    sms = _campaign(s, a.id, "SMS Flash", datetime(2026, 6, 10, 9, tzinfo=UTC), Channel.SMS)
    _campaign(s, a.id, "Draft", None)
    b_campaign = _campaign(s, b.id, "B June", datetime(2026, 6, 6, tzinfo=UTC))
    s.add_all(
        [
            CampaignLink(account_id=a.id, campaign_id=may, url=A_URL),
            CampaignLink(account_id=a.id, campaign_id=may, url=TRAP, is_honeypot=True),
        ]
    )

    def send(
        campaign: int, contact: int, status: SendStatus = SendStatus.DELIVERED, account: int = a.id
    ) -> None:
        s.add(CampaignSend(account_id=account, campaign_id=campaign, contact_id=contact, status=status))

    def ev(
        campaign: int,
        contact: int,
        kind: EventType,
        url: str | None = None,
        account: int = a.id,
        **flags: Any,
    ) -> None:
        s.add(
            EngagementEvent(
                account_id=account,
                campaign_id=campaign,
                contact_id=contact,
                type=kind,
                url=url,
                occurred_at=datetime(2026, 5, 11, tzinfo=UTC),
                **flags,
            )
        )

    # May: 10 rows, 9 sends (one skipped); bounces: c7 (bounced send), c6 (late bounce event); 7 delivered.
    for i in (1, 2, 3, 4, 5, 6, 8, 9):
        send(may, c[i])
    send(may, c[7], SendStatus.BOUNCED)
    send(may, c[10], SendStatus.SKIPPED)
    ev(may, c[6], EventType.BOUNCE)
    ev(may, c[7], EventType.BOUNCE)  # already a bounced send: not counted twice
    # Opens: c1 x2, c2, c3 (MPP), c4 (bot), c5 (MPP) + c5 (human).
    for contact, flags in (
        (1, {}),
        (1, {}),
        (2, {}),
        (3, {"is_mpp": True}),
        (4, {"is_bot": True}),
        (5, {"is_mpp": True}),
        (5, {}),
    ):
        ev(may, c[contact], OPEN, **flags)
    # Clicks: c1 A, A, B; c2 A; c4 (a scanner) A, B and the honeypot.
    for contact, url, flags in (
        (1, A_URL, {}),
        (1, A_URL, {}),
        (1, B_URL, {}),
        (2, A_URL, {}),
        (4, A_URL, {"is_bot": True}),
        (4, B_URL, {"is_bot": True}),
        (4, TRAP, {"is_bot": True}),
    ):
        ev(may, c[contact], CLICK, url, **flags)
    ev(may, c[2], EventType.UNSUBSCRIBE)
    ev(may, c[2], EventType.UNSUBSCRIBE)  # a second click on the link is still one unsubscribe
    ev(may, c[1], EventType.REPLY)
    ev(may, c[1], EventType.FORWARD)
    ev(may, c[2], EventType.FORWARD)
    # June: 4 delivered; c1 opens and clicks; c2 shares.
    for i in (1, 2, 3, 4):
        send(june, c[i])
    ev(june, c[1], OPEN)
    ev(june, c[1], CLICK, A_URL)
    ev(june, c[2], EventType.SHARE)
    # SMS: 2 delivered, c2 clicks (plus a link-preview bot).
    send(sms, c[1])
    send(sms, c[2])
    ev(sms, c[2], CLICK, "https://sms.test/x")
    ev(sms, c[1], CLICK, "https://sms.test/x", is_bot=True)
    # Account B: must never show up in A's numbers.
    send(b_campaign, b_contact.id, account=b.id)
    ev(b_campaign, b_contact.id, OPEN, account=b.id)
    s.flush()
    return Fixture(a=a.id, b=b.id, may=may, june=june, sms=sms, b_campaign=b_campaign)


@pytest.fixture
def f(session: Session) -> Fixture:
    return build(session)


def numbers(report: Metrics) -> dict[str, Any]:
    return report.model_dump(include=set(Metrics.model_fields))


def test_campaign_performance_without_filters(session: Session, f: Fixture) -> None:
    r = campaign_performance(session, account_id=f.a, campaign="may newsletter")
    assert (r.campaign_id, r.campaign_name, r.channel, r.sent_at) == (
        f.may,
        "May Newsletter",
        Channel.EMAIL,
        datetime(2026, 5, 10, 14, tzinfo=UTC),
    )
    assert numbers(r) == {
        "sends": 9,
        "delivered": 7,
        "bounces": 2,
        "bounce_rate": round(2 / 9, 6),
        "opens": 7,
        "unique_opens": 5,
        "clicks": 7,
        "unique_clicks": 3,
        "open_rate": round(5 / 7, 6),
        "click_rate": round(3 / 7, 6),
        "click_to_open_rate": round(3 / 5, 6),
        "unsubscribes": 1,
        "unsubscribe_rate": round(1 / 7, 6),
        "replies": 1,
        "forwards": 2,
        "shares": 0,
        "bot_opens_excluded": 0,
        "bot_clicks_excluded": 0,
        "mpp_opens_excluded": 0,
    }
    assert (r.filters.exclude_bots, r.filters.exclude_mpp, r.filters.bots_rule, r.filters.applied) == (
        False,
        False,
        "botsense",
        [],
    )


def test_bot_filter_follows_botsense_unless_overridden(session: Session, f: Fixture) -> None:
    session.get(Account, f.a).botsense_enabled = True  # type: ignore[union-attr]
    session.flush()
    r = campaign_performance(session, account_id=f.a, campaign=f.may)
    assert (r.opens, r.unique_opens, r.clicks, r.unique_clicks) == (6, 4, 4, 2)
    assert (r.bot_opens_excluded, r.bot_clicks_excluded, r.mpp_opens_excluded) == (1, 3, 0)
    assert r.click_to_open_rate == round(2 / 4, 6)
    assert r.filters.bots_rule == "botsense" and "BotSense" in r.filters.applied[0]
    raw = campaign_performance(session, account_id=f.a, campaign=f.may, exclude_bots=False)
    assert (raw.opens, raw.unique_clicks, raw.filters.bots_rule, raw.bot_clicks_excluded) == (
        7,
        3,
        "request",
        0,
    )


def test_mpp_switch(session: Session, f: Fixture) -> None:
    r = campaign_performance(session, account_id=f.a, campaign=f.may, exclude_mpp=True)
    assert (r.opens, r.unique_opens, r.mpp_opens_excluded) == (5, 4, 2)
    both = campaign_performance(session, account_id=f.a, campaign=f.may, exclude_mpp=True, exclude_bots=True)
    assert (both.opens, both.unique_opens, both.bot_opens_excluded, both.mpp_opens_excluded) == (4, 3, 1, 2)
    assert (both.clicks, both.unique_clicks) == (4, 2)
    assert both.open_rate == round(3 / 7, 6)
    assert len(both.filters.applied) == 2


def test_zero_denominators_give_zero_rates(session: Session, f: Fixture) -> None:
    draft = campaign_performance(session, account_id=f.a, campaign="Draft")
    assert draft.sent_at is None
    assert (draft.sends, draft.delivered, draft.open_rate, draft.click_to_open_rate, draft.bounce_rate) == (
        0,
        0,
        0.0,
        0.0,
        0.0,
    )


def test_period_totals_are_sums_of_rows(session: Session, f: Fixture) -> None:
    start, end = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    p = period_performance(session, account_id=f.a, start=start, end=end)
    assert [r.campaign_name for r in p.rows] == ["May Newsletter", "June Promo", "SMS Flash"]
    assert p.rows[0] == campaign_performance(session, account_id=f.a, campaign=f.may)
    june = p.rows[1]
    assert (june.delivered, june.unique_opens, june.unique_clicks, june.shares) == (4, 1, 1, 1)
    sms = p.rows[2]
    assert (sms.delivered, sms.clicks, sms.unique_clicks, sms.click_rate) == (2, 2, 2, 1.0)
    t = p.totals
    assert t.campaigns == 3
    for key, info in Metrics.model_fields.items():
        if info.annotation in (int, "int"):
            assert getattr(t, key) == sum(getattr(r, key) for r in p.rows), key
    assert (t.delivered, t.unique_opens, t.unique_clicks) == (13, 6, 6)
    # Rates come from the sums, not from averaging the rows' rates.
    assert t.open_rate == round(6 / 13, 6)
    assert t.click_to_open_rate == round(6 / 6, 6)
    assert t.bounce_rate == round(2 / 15, 6)


def test_period_bounds_channel_and_filters(session: Session, f: Fixture) -> None:
    june = period_performance(
        session,
        account_id=f.a,
        start=datetime(2026, 6, 1, tzinfo=UTC),
        end=datetime(2026, 6, 10, 9, tzinfo=UTC),
    )
    assert [r.campaign_name for r in june.rows] == ["June Promo"]  # end is exclusive
    sms = period_performance(
        session,
        account_id=f.a,
        start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2027, 1, 1, tzinfo=UTC),
        channel="SMS",
        exclude_bots=True,
    )
    assert [r.campaign_name for r in sms.rows] == ["SMS Flash"]
    assert (sms.totals.clicks, sms.totals.bot_clicks_excluded, sms.channel) == (1, 1, Channel.SMS)
    empty = period_performance(
        session, account_id=f.a, start=datetime(2020, 1, 1, tzinfo=UTC), end=datetime(2020, 2, 1, tzinfo=UTC)
    )
    assert (empty.rows, empty.totals.campaigns, empty.totals.open_rate) == ([], 0, 0.0)
    with pytest.raises(InvalidRequest, match="channel 'fax' is not allowed"):
        period_performance(
            session,
            account_id=f.a,
            start=datetime(2026, 1, 1, tzinfo=UTC),
            end=datetime(2027, 1, 1, tzinfo=UTC),
            channel="fax",
        )
    with pytest.raises(InvalidRequest, match="swap start and end"):
        period_performance(
            session,
            account_id=f.a,
            start=datetime(2026, 2, 1, tzinfo=UTC),
            end=datetime(2026, 1, 1, tzinfo=UTC),
        )


def test_clicks_report(session: Session, f: Fixture) -> None:
    r = clicks_report(session, account_id=f.a, campaign="May Newsletter", exclude_bots=False)
    links = [(x.url, x.clicks, x.unique_clicks, x.is_honeypot) for x in r.links]
    assert links == [(A_URL, 4, 3, False), (B_URL, 2, 2, False), (TRAP, 1, 1, True)]
    assert (r.unique_clickers, r.total_clicks, r.delivered, r.did_not_click) == (3, 7, 7, 4)
    assert r.avg_clicks_per_clicker == round(7 / 3, 6)
    human = clicks_report(session, account_id=f.a, campaign=f.may, exclude_bots=True)
    assert [(x.url, x.clicks, x.unique_clicks) for x in human.links] == [(A_URL, 3, 2), (B_URL, 1, 1)]
    assert (human.unique_clickers, human.total_clicks, human.did_not_click, human.bot_clicks_excluded) == (
        2,
        4,
        5,
        3,
    )


def test_unknown_campaign_suggests_names(session: Session, f: Fixture) -> None:
    with pytest.raises(NotFound, match="No campaign named 'May Newsleter'. Did you mean 'May Newsletter'"):
        campaign_performance(session, account_id=f.a, campaign="May Newsleter")


def test_tenant_isolation(session: Session, f: Fixture) -> None:
    for call in (
        lambda: campaign_performance(session, account_id=f.b, campaign=f.may),
        lambda: campaign_performance(session, account_id=f.b, campaign="May Newsletter"),
        lambda: clicks_report(session, account_id=f.b, campaign=f.may),
        lambda: campaign_performance(session, account_id=f.a, campaign=f.b_campaign),
    ):
        with pytest.raises(NotFound):
            call()
    p = period_performance(
        session, account_id=f.b, start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert [r.campaign_name for r in p.rows] == ["B June"]
    assert (p.totals.delivered, p.totals.unique_opens) == (1, 1)
    a = period_performance(
        session, account_id=f.a, start=datetime(2026, 6, 6, tzinfo=UTC), end=datetime(2026, 6, 7, tzinfo=UTC)
    )
    assert a.rows == []
