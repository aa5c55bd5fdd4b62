"""Segments: every condition type and operator, nesting, periods, BotSense/MPP, errors, CRUD, tenancy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.accounts.models import Account, User
from core.automations.models import ScoreDefinition, ScoreValue
from core.campaigns.models import Campaign, EngagementEvent
from core.commerce.models import Order, OrderItem
from core.contacts.models import (
    Contact,
    ContactFieldValue,
    ContactTag,
    CustomField,
    ListSubscription,
    MailingList,
    Tag,
)
from core.crm.models import Deal, Pipeline, Stage
from core.enums import (
    CampaignStatus,
    Channel,
    ContactStatus,
    DealStatus,
    EventType,
    FieldType,
    OrderStatus,
    ScoreTarget,
    SubscriptionStatus,
)
from core.errors import Conflict, InvalidRequest, NotFound
from core.segments import compiler
from core.segments.service import (
    count_contacts,
    count_segment,
    create_segment,
    delete_segment,
    describe_tree,
    get_segment,
    list_segments,
    preview,
    sample_contacts,
    segment_contact_ids,
    update_segment,
    validate_tree,
)
from core.segments.tree import SegmentTree, parse_tree
from core.tracking.models import CustomEvent, PageVisit

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def at(days_ago: float) -> datetime:
    return NOW - timedelta(days=days_ago)


@dataclass
class World:
    a: int
    b: int
    c: dict[str, int]
    b_contact: int
    may: int
    june: int


def _contact(s: Session, account: int, email: str, **kw: Any) -> int:
    row = Contact(account_id=account, email=email, created_at=kw.pop("created_at", at(200)), **kw)
    s.add(row)
    s.flush()
    return row.id


def _event(
    s: Session, account: int, campaign: int, contact: int, kind: EventType, when: datetime, **kw: Any
) -> None:
    s.add(
        EngagementEvent(
            account_id=account, campaign_id=campaign, contact_id=contact, type=kind, occurred_at=when, **kw
        )
    )


def build_world(s: Session) -> World:
    a = Account(name="Acme", plan="pro", timezone="UTC")
    b = Account(name="Other", plan="pro", timezone="UTC")
    s.add_all([a, b])
    s.flush()
    c = {
        "alice": _contact(
            s,
            a.id,
            "alice@x.com",
            first_name="Alice",
            last_name="Smith",
            country="US",
            city="Boston",
            preferred_language="en",
            created_at=datetime(2026, 1, 10, 9, tzinfo=UTC),
            phone="+1555",
        ),
        "bob": _contact(
            s,
            a.id,
            "bob@y.org",
            first_name="Bob",
            last_name="Jones",
            country="FR",
            city="Paris",
            preferred_language="fr",
            created_at=datetime(2026, 5, 3, 23, 30, tzinfo=UTC),
        ),
        "carol": _contact(
            s,
            a.id,
            "carol@x.com",
            first_name="Carol",
            status=ContactStatus.UNSUBSCRIBED,
            preferred_language="en-US",
            created_at=datetime(2026, 6, 1, tzinfo=UTC),
        ),
        "dave": _contact(
            s,
            a.id,
            "dave@z.net",
            status=ContactStatus.BOUNCED,
            first_name="",
            created_at=datetime(2026, 6, 14, tzinfo=UTC),
        ),
        "eve": _contact(
            s,
            a.id,
            "eve_100%@x.com",
            first_name="Eve",
            last_name="O'Neil",
            created_at=datetime(2025, 12, 31, tzinfo=UTC),
        ),
    }
    b_contact = _contact(s, b.id, "alice@x.com", first_name="Alice")
    # Tags
    tags = {n: Tag(account_id=a.id, name=n) for n in ("VIP", "Trial", "Newsletter readers")}
    b_vip = Tag(account_id=b.id, name="VIP")
    s.add_all([*tags.values(), b_vip])
    s.flush()
    for who, tag in (("alice", "VIP"), ("bob", "VIP"), ("carol", "Trial")):
        s.add(ContactTag(contact_id=c[who], tag_id=tags[tag].id, account_id=a.id))
    s.add(ContactTag(contact_id=b_contact, tag_id=b_vip.id, account_id=b.id))
    # Lists
    news = MailingList(account_id=a.id, name="Newsletter")
    s.add(news)
    s.flush()
    s.add_all(
        [
            ListSubscription(contact_id=c["alice"], list_id=news.id, account_id=a.id),
            ListSubscription(
                contact_id=c["bob"],
                list_id=news.id,
                account_id=a.id,
                email_status=SubscriptionStatus.UNSUBSCRIBED,
            ),
            ListSubscription(contact_id=c["carol"], list_id=news.id, account_id=a.id),
        ]
    )
    # Custom fields
    color = CustomField(
        account_id=a.id,
        name="Favorite color",
        tag="%FAVORITE_COLOR%",
        type=FieldType.DROPDOWN,
        options=["Red", "Blue"],
    )
    seats = CustomField(account_id=a.id, name="Seats", tag="%SEATS%", type=FieldType.NUMBER)
    renewal = CustomField(account_id=a.id, name="Renewal date", tag="%RENEWAL%", type=FieldType.DATE)
    company = CustomField(account_id=a.id, name="Company", tag="%COMPANY%", type=FieldType.TEXT)
    s.add_all([color, seats, renewal, company])
    s.flush()
    s.add_all(
        [
            ContactFieldValue(contact_id=c["alice"], field_id=color.id, account_id=a.id, value_text="Red"),
            ContactFieldValue(contact_id=c["bob"], field_id=color.id, account_id=a.id, value_text="Blue"),
            ContactFieldValue(
                contact_id=c["alice"], field_id=seats.id, account_id=a.id, value_number=Decimal("25")
            ),
            ContactFieldValue(
                contact_id=c["bob"], field_id=seats.id, account_id=a.id, value_number=Decimal("5")
            ),
            ContactFieldValue(
                contact_id=c["alice"], field_id=renewal.id, account_id=a.id, value_date=date(2026, 7, 1)
            ),
            ContactFieldValue(
                contact_id=c["carol"], field_id=renewal.id, account_id=a.id, value_date=date(2026, 6, 1)
            ),
            ContactFieldValue(
                contact_id=c["alice"], field_id=company.id, account_id=a.id, value_text="Acme Corp"
            ),
            ContactFieldValue(
                contact_id=c["bob"], field_id=company.id, account_id=a.id, value_text="100%_Pure Ltd"
            ),
            ContactFieldValue(contact_id=c["eve"], field_id=company.id, account_id=a.id, value_text=""),
        ]
    )
    # Campaigns and engagement
    may = Campaign(account_id=a.id, name="May Newsletter", status=CampaignStatus.SENT, sent_at=at(36))
    june = Campaign(account_id=a.id, name="June Promo", status=CampaignStatus.SENT, sent_at=at(5))
    sms = Campaign(
        account_id=a.id, name="SMS Flash", channel=Channel.SMS, status=CampaignStatus.SENT, sent_at=at(3)
    )
    b_camp = Campaign(account_id=b.id, name="B news", status=CampaignStatus.SENT, sent_at=at(5))
    s.add_all([may, june, sms, b_camp])
    s.flush()
    _event(s, a.id, may.id, c["alice"], EventType.OPEN, at(35))
    _event(s, a.id, june.id, c["alice"], EventType.OPEN, at(4))
    _event(s, a.id, june.id, c["alice"], EventType.OPEN, at(4))
    _event(
        s, a.id, june.id, c["alice"], EventType.CLICK, at(4), url="https://shop.example.com/p/red_shoes?utm=1"
    )
    _event(s, a.id, june.id, c["bob"], EventType.OPEN, at(5), is_bot=True)
    _event(
        s,
        a.id,
        june.id,
        c["bob"],
        EventType.CLICK,
        at(5),
        is_bot=True,
        url="https://shop.example.com/p/redXshoes",
    )
    _event(s, a.id, june.id, c["carol"], EventType.OPEN, at(4), is_mpp=True)
    _event(s, a.id, may.id, c["eve"], EventType.OPEN, at(100))
    _event(s, a.id, may.id, c["eve"], EventType.UNSUBSCRIBE, at(35))
    _event(s, a.id, june.id, c["carol"], EventType.REPLY, at(3))
    _event(s, a.id, sms.id, c["dave"], EventType.CLICK, at(2), url="https://sms.example.com/x")
    _event(s, b.id, b_camp.id, b_contact, EventType.OPEN, at(4))
    # Orders
    o1 = Order(account_id=a.id, contact_id=c["alice"], external_id="o1", total_cents=12000, placed_at=at(14))
    o2 = Order(account_id=a.id, contact_id=c["bob"], external_id="o2", total_cents=3000, placed_at=at(200))
    o3 = Order(
        account_id=a.id,
        contact_id=c["carol"],
        external_id="o3",
        total_cents=9000,
        placed_at=at(10),
        status=OrderStatus.REFUNDED,
    )
    o4 = Order(account_id=a.id, contact_id=c["alice"], external_id="o4", total_cents=1000, placed_at=at(60))
    ob = Order(account_id=b.id, contact_id=b_contact, external_id="o1", total_cents=5000, placed_at=at(3))
    s.add_all([o1, o2, o3, o4, ob])
    s.flush()
    s.add_all(
        [
            OrderItem(
                account_id=a.id, order_id=o1.id, product_name="Red Shoes", category="Shoes", price_cents=12000
            ),
            OrderItem(
                account_id=a.id, order_id=o2.id, product_name="Blue Hat", category="Hats", price_cents=3000
            ),
            OrderItem(
                account_id=a.id,
                order_id=o4.id,
                product_name="Socks",
                category="Accessories",
                price_cents=1000,
            ),
        ]
    )
    # Site tracking and custom events
    s.add_all(
        [
            PageVisit(
                account_id=a.id,
                contact_id=c["alice"],
                url="https://www.example.com/pricing?utm_source=mail",
                visited_at=at(1),
            ),
            PageVisit(
                account_id=a.id,
                contact_id=c["bob"],
                url="https://example.com/blog/post-1",
                visited_at=at(100),
            ),
            PageVisit(
                account_id=a.id, contact_id=c["bob"], url="https://example.com/blog/post-2", visited_at=at(2)
            ),
            PageVisit(
                account_id=a.id,
                contact_id=None,
                visitor_id="anon",
                url="https://example.com/pricing",
                visited_at=at(1),
            ),
            CustomEvent(
                account_id=a.id,
                contact_id=c["alice"],
                name="webinar_attended",
                value="June",
                occurred_at=at(13),
            ),
            CustomEvent(
                account_id=a.id,
                contact_id=c["alice"],
                name="webinar_attended",
                value="May",
                occurred_at=at(40),
            ),
            CustomEvent(
                account_id=a.id,
                contact_id=c["bob"],
                name="webinar_attended",
                value="June",
                occurred_at=at(13),
            ),
        ]
    )
    # Scores
    engagement = ScoreDefinition(account_id=a.id, name="Engagement")
    deal_score = ScoreDefinition(account_id=a.id, name="Deal heat", target=ScoreTarget.DEAL)
    s.add_all([engagement, deal_score])
    s.flush()
    s.add_all(
        [
            ScoreValue(account_id=a.id, score_id=engagement.id, contact_id=c["alice"], points=15),
            ScoreValue(account_id=a.id, score_id=engagement.id, contact_id=c["bob"], points=5),
            ScoreValue(account_id=a.id, score_id=engagement.id, contact_id=c["eve"], points=-3),
        ]
    )
    # Deals
    owner = User(account_id=a.id, email="sam@acme.test", name="Sam Seller")
    pipe = Pipeline(account_id=a.id, name="Sales")
    s.add_all([owner, pipe])
    s.flush()
    lead = Stage(account_id=a.id, pipeline_id=pipe.id, name="Lead", position=0)
    proposal = Stage(account_id=a.id, pipeline_id=pipe.id, name="Proposal", position=1)
    s.add_all([lead, proposal])
    s.flush()
    d1 = Deal(
        account_id=a.id,
        pipeline_id=pipe.id,
        stage_id=proposal.id,
        title="Big",
        value_cents=500_000,
        contact_id=c["alice"],
        owner_id=owner.id,
        win_probability=0.72,
        forecast_close_date=date(2026, 7, 1),
        source="referral",
    )
    d2 = Deal(
        account_id=a.id,
        pipeline_id=pipe.id,
        stage_id=lead.id,
        title="Small",
        value_cents=100_000,
        contact_id=c["bob"],
        status=DealStatus.WON,
    )
    s.add_all([d1, d2])
    s.flush()
    s.add(ScoreValue(account_id=a.id, score_id=deal_score.id, deal_id=d1.id, points=40))
    s.flush()
    return World(a=a.id, b=b.id, c=c, b_contact=b_contact, may=may.id, june=june.id)


@pytest.fixture
def w(session: Session) -> World:
    return build_world(session)


def match(
    session: Session, w: World, *conditions: dict[str, Any], how: str = "all", account: int | None = None
) -> set[str]:
    """Names of the contacts matching the conditions (through the compiled SELECT and through the count)."""
    tree = {"root": {"match": how, "conditions": list(conditions)}}
    account_id = account or w.a
    parsed = validate_tree(session, account_id=account_id, tree=tree)
    ids = set(session.scalars(compiler.compile(session, account_id=account_id, tree=parsed, now=NOW)).all())
    assert count_contacts(session, account_id=account_id, tree=parsed, now=NOW) == len(ids)
    names = {v: k for k, v in w.c.items()} | {w.b_contact: "b-alice"}
    return {names[i] for i in ids}


def set_botsense(session: Session, w: World, on: bool) -> None:
    session.get(Account, w.a).botsense_enabled = on  # type: ignore[union-attr]
    session.flush()


# --- fields


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "email", "op": "eq", "value": "ALICE@x.com"}, {"alice"}),
        ({"field": "email", "op": "neq", "value": "alice@x.com"}, {"bob", "carol", "dave", "eve"}),
        ({"field": "email", "op": "contains", "value": "@x.com"}, {"alice", "carol", "eve"}),
        ({"field": "email", "op": "contains", "value": "100%"}, {"eve"}),
        ({"field": "email", "op": "contains", "value": "e_1"}, {"eve"}),
        ({"field": "email", "op": "not_contains", "value": "@x.com"}, {"bob", "dave"}),
        ({"field": "email", "op": "starts_with", "value": "b"}, {"bob"}),
        ({"field": "email", "op": "ends_with", "value": ".net"}, {"dave"}),
        ({"field": "email", "op": "in", "value": ["bob@y.org", "DAVE@z.net"]}, {"bob", "dave"}),
        ({"field": "first_name", "op": "is_empty"}, {"dave"}),
        ({"field": "last_name", "op": "is_empty"}, {"carol", "dave"}),
        ({"field": "last_name", "op": "is_not_empty"}, {"alice", "bob", "eve"}),
        ({"field": "last_name", "op": "neq", "value": "smith"}, {"bob", "carol", "dave", "eve"}),
        ({"field": "last_name", "op": "contains", "value": "'ne"}, {"eve"}),
        ({"field": "phone", "op": "is_not_empty"}, {"alice"}),
        ({"field": "status", "op": "eq", "value": "Active"}, {"alice", "bob", "eve"}),
        ({"field": "status", "op": "neq", "value": "active"}, {"carol", "dave"}),
        ({"field": "status", "op": "in", "value": ["bounced", "unsubscribed"]}, {"carol", "dave"}),
        ({"field": "preferred_language", "op": "eq", "value": "en"}, {"alice", "carol"}),
        ({"field": "preferred_language", "op": "eq", "value": "French"}, {"bob"}),
        ({"field": "preferred_language", "op": "neq", "value": "en"}, {"bob", "dave", "eve"}),
        ({"field": "preferred_language", "op": "is_empty"}, {"dave", "eve"}),
        ({"field": "country", "op": "eq", "value": "us"}, {"alice"}),
        ({"field": "country", "op": "in", "value": ["US", "FR"]}, {"alice", "bob"}),
        ({"field": "city", "op": "starts_with", "value": "par"}, {"bob"}),
        ({"field": "created_at", "op": "eq", "value": "2026-05-03"}, {"bob"}),
        ({"field": "created_at", "op": "gt", "value": "2026-06-01"}, {"dave"}),
        ({"field": "created_at", "op": "gte", "value": "2026-06-01"}, {"carol", "dave"}),
        ({"field": "created_at", "op": "lt", "value": "2026-01-10"}, {"eve"}),
        ({"field": "created_at", "op": "lte", "value": "2026-01-10"}, {"alice", "eve"}),
        ({"field": "created_at", "op": "between", "value": ["2026-01-01", "2026-05-03"]}, {"alice", "bob"}),
        ({"field": "created_at", "op": "gte", "value": "14 days ago"}, {"carol", "dave"}),
        ({"field": "created_at", "op": "neq", "value": "June 14"}, {"alice", "bob", "carol", "eve"}),
    ],
    ids=lambda v: repr(v)[:60] if isinstance(v, dict) else "",
)
def test_standard_fields(session: Session, w: World, condition: dict[str, Any], expected: set[str]) -> None:
    assert match(session, w, condition) == expected


def test_created_at_days_follow_the_account_time_zone(session: Session, w: World) -> None:
    # Bob was created 2026-05-03 23:30 UTC, which is already May 4 in Paris.
    session.get(Account, w.a).timezone = "Europe/Paris"  # type: ignore[union-attr]
    session.flush()
    assert match(session, w, {"field": "created_at", "op": "eq", "value": "2026-05-04"}) == {"bob"}
    assert match(session, w, {"field": "created_at", "op": "eq", "value": "2026-05-03"}) == set()


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "favorite color", "op": "eq", "value": "red"}, {"alice"}),
        ({"field": "Favorite color", "op": "neq", "value": "Red"}, {"bob", "carol", "dave", "eve"}),
        ({"field": "Favorite color", "op": "in", "value": ["Red", "Blue"]}, {"alice", "bob"}),
        ({"field": "Favorite color", "op": "is_empty"}, {"carol", "dave", "eve"}),
        ({"field": "Seats", "op": "gt", "value": 5}, {"alice"}),
        ({"field": "Seats", "op": "gte", "value": "5"}, {"alice", "bob"}),
        ({"field": "Seats", "op": "lt", "value": 25}, {"bob"}),
        ({"field": "Seats", "op": "lte", "value": 25.0}, {"alice", "bob"}),
        ({"field": "Seats", "op": "between", "value": [30, 1]}, {"alice", "bob"}),
        ({"field": "Seats", "op": "eq", "value": 5}, {"bob"}),
        ({"field": "Seats", "op": "neq", "value": 5}, {"alice", "carol", "dave", "eve"}),
        ({"field": "Seats", "op": "is_not_empty"}, {"alice", "bob"}),
        ({"field": "Renewal date", "op": "eq", "value": "2026-07-01"}, {"alice"}),
        ({"field": "Renewal date", "op": "lt", "value": "today"}, {"carol"}),
        ({"field": "Renewal date", "op": "lte", "value": "in 16 days"}, {"alice", "carol"}),
        ({"field": "Renewal date", "op": "between", "value": ["2026-05-01", "2026-06-30"]}, {"carol"}),
        ({"field": "Renewal date", "op": "is_empty"}, {"bob", "dave", "eve"}),
        ({"field": "Company", "op": "contains", "value": "acme"}, {"alice"}),
        ({"field": "Company", "op": "contains", "value": "%_"}, {"bob"}),
        ({"field": "Company", "op": "not_contains", "value": "acme"}, {"bob", "carol", "dave", "eve"}),
        ({"field": "Company", "op": "starts_with", "value": "100%"}, {"bob"}),
        ({"field": "Company", "op": "ends_with", "value": "LTD"}, {"bob"}),
        ({"field": "Company", "op": "is_empty"}, {"carol", "dave", "eve"}),
        ({"field": "Company", "op": "is_not_empty"}, {"alice", "bob"}),
    ],
    ids=lambda v: repr(v)[:60] if isinstance(v, dict) else "",
)
def test_custom_fields(session: Session, w: World, condition: dict[str, Any], expected: set[str]) -> None:
    assert match(session, w, condition) == expected


def test_custom_field_values_are_checked_against_the_type(session: Session, w: World) -> None:
    with pytest.raises(
        InvalidRequest, match=r"root.conditions\[0\].value: 'Green' is not an option .*'Red', 'Blue'"
    ):
        match(session, w, {"field": "Favorite color", "op": "eq", "value": "Green"})
    with pytest.raises(InvalidRequest, match=r"root.conditions\[0\].op: 'contains' does not apply"):
        match(session, w, {"field": "Seats", "op": "contains", "value": "1"})
    with pytest.raises(InvalidRequest, match=r"needs a number"):
        match(session, w, {"field": "Seats", "op": "gt", "value": "many"})
    with pytest.raises(InvalidRequest, match=r"Date 'soonish' is not understood"):
        match(session, w, {"field": "Renewal date", "op": "gt", "value": "soonish"})


# --- tags, lists


def test_tags(session: Session, w: World) -> None:
    assert match(session, w, {"type": "tag", "tag": "vip", "op": "has"}) == {"alice", "bob"}
    assert match(session, w, {"tag": "VIP", "op": "has_not"}) == {"carol", "dave", "eve"}
    assert match(session, w, {"tag": "Newsletter readers"}) == set()


def test_lists(session: Session, w: World) -> None:
    assert match(session, w, {"list": "newsletter", "op": "subscribed"}) == {"alice", "carol"}
    assert match(session, w, {"list": "Newsletter", "op": "unsubscribed"}) == {"bob"}
    assert match(session, w, {"list": "Newsletter", "op": "not_subscribed"}) == {"bob", "dave", "eve"}


# --- engagement


def test_engagement_any_campaign_and_periods(session: Session, w: World) -> None:
    opened = {"type": "engagement", "action": "open"}
    assert match(session, w, opened) == {"alice", "bob", "carol", "eve"}
    assert match(session, w, {**opened, "period": {"last_days": 90}}) == {"alice", "bob", "carol"}
    assert match(session, w, {**opened, "period": "last 7 days"}) == {"alice", "bob", "carol"}
    assert match(session, w, {**opened, "op": "has_not", "period": {"last_days": 90}}) == {"dave", "eve"}
    assert match(session, w, {**opened, "period": {"start": "2026-05-11", "end": "2026-05-11"}}) == {"alice"}
    assert match(session, w, {**opened, "period": "May"}) == {"alice"}
    assert match(session, w, {**opened, "period": {"since": "2026-06-10"}}) == {"alice", "bob", "carol"}
    assert match(session, w, {**opened, "period": {"last": "4 months"}}) == {"alice", "bob", "carol", "eve"}


def test_period_boundaries_are_half_open(session: Session, w: World) -> None:
    # Alice's May open is at exactly NOW - 35 days: inside "last 35 days", outside "last 34 days".
    opened = {"type": "engagement", "action": "open", "campaign": "May Newsletter"}
    assert match(session, w, {**opened, "period": {"last_days": 35}}) == {"alice"}
    assert match(session, w, {**opened, "period": {"last_days": 34}}) == set()
    # A whole-day range ends at the next local midnight: 2026-05-12 00:00 is not part of "2026-05-11".
    session.add(
        EngagementEvent(
            account_id=w.a,
            campaign_id=w.may,
            contact_id=w.c["dave"],
            type=EventType.OPEN,
            occurred_at=datetime(2026, 5, 12, tzinfo=UTC),
        )
    )
    session.flush()
    day = {"start": "2026-05-11", "end": "2026-05-11"}
    assert match(session, w, {**opened, "period": day}) == {"alice"}
    assert match(session, w, {**opened, "period": {"start": "2026-05-11", "end": "2026-05-12"}}) == {
        "alice",
        "dave",
    }
    assert match(session, w, {**opened, "period": "2026-05-12"}) == {"dave"}


def test_engagement_one_campaign_by_name_or_id_and_channel(session: Session, w: World) -> None:
    assert match(session, w, {"action": "open", "campaign": "may newsletter"}) == {"alice", "eve"}
    assert match(session, w, {"action": "open", "campaign": w.june}) == {"alice", "bob", "carol"}
    assert match(session, w, {"action": "click", "channel": "sms"}) == {"dave"}
    assert match(session, w, {"action": "click", "channel": "email"}) == {"alice", "bob"}


def test_engagement_other_actions(session: Session, w: World) -> None:
    assert match(session, w, {"action": "unsubscribe"}) == {"eve"}
    assert match(session, w, {"action": "reply", "period": "last 30 days"}) == {"carol"}
    assert match(session, w, {"action": "forward", "op": "has_not"}) == {
        "alice",
        "bob",
        "carol",
        "dave",
        "eve",
    }


def test_min_count(session: Session, w: World) -> None:
    opened = {"action": "open", "min_count": 2}
    assert match(session, w, opened) == {"alice"}
    assert match(session, w, {**opened, "min_count": 3}) == {"alice"}
    assert match(session, w, {**opened, "min_count": 4}) == set()
    assert match(session, w, {**opened, "op": "has_not", "min_count": 3}) == {"bob", "carol", "dave", "eve"}
    # With another positive condition (the count is then checked per candidate) the answer is the same.
    assert match(session, w, {"tag": "VIP"}, {**opened, "min_count": 3}) == {"alice"}
    assert match(session, w, {"tag": "VIP"}, {**opened, "op": "has_not", "min_count": 3}) == {"bob"}


def test_click_url_wildcards(session: Session, w: World) -> None:
    click = {"action": "click"}
    assert match(session, w, {**click, "url": "https://shop.example.com/p/red_shoes"}) == {"alice"}
    # "_" is literal: it must not match the "X" in Bob's redXshoes.
    assert match(session, w, {**click, "url": "shop.example.com/p/red_*"}) == {"alice"}
    assert match(session, w, {**click, "url": "shop.example.com/*/red*"}) == {"alice", "bob"}
    assert match(session, w, {**click, "url": "*"}) == {"alice", "bob", "dave"}
    assert match(session, w, {**click, "url": "https://shop.example.com/p/red"}) == set()


def test_botsense_changes_engagement_counts(session: Session, w: World) -> None:
    opened = {"action": "open", "period": "last 30 days"}
    clicked = {"action": "click", "channel": "email"}
    set_botsense(session, w, False)
    assert match(session, w, opened) == {"alice", "bob", "carol"}
    assert match(session, w, clicked) == {"alice", "bob"}
    set_botsense(session, w, True)
    assert match(session, w, opened) == {"alice", "carol"}
    assert match(session, w, clicked) == {"alice"}
    assert match(session, w, {**opened, "op": "has_not"}) == {"bob", "dave", "eve"}


def test_mpp_switch_changes_open_counts(session: Session, w: World) -> None:
    opened = {"action": "open", "campaign": "June Promo"}
    assert match(session, w, opened) == {"alice", "bob", "carol"}
    assert match(session, w, {**opened, "exclude_mpp": True}) == {"alice", "bob"}
    set_botsense(session, w, True)
    assert match(session, w, {**opened, "exclude_mpp": True}) == {"alice"}


# --- activity


def test_page_visits(session: Session, w: World) -> None:
    assert match(session, w, {"type": "page_visit", "url": "example.com/pricing"}) == {"alice"}
    assert match(session, w, {"type": "page_visit", "url": "https://example.com/blog/*"}) == {"bob"}
    assert match(session, w, {"type": "page_visit", "url": "example.com/*/post-1"}) == {"bob"}
    assert match(session, w, {"type": "page_visit", "url": "example.com/blog/*", "min_count": 2}) == {"bob"}
    assert match(
        session, w, {"type": "page_visit", "url": "example.com/blog/*", "period": "last 30 days"}
    ) == {"bob"}
    assert (
        match(session, w, {"type": "page_visit", "url": "example.com/*/post-1", "period": "last 30 days"})
        == set()
    )
    # Anonymous visits have no contact and never leak into a negation.
    assert match(session, w, {"type": "page_visit", "url": "*", "op": "has_not"}) == {"carol", "dave", "eve"}


def test_purchases(session: Session, w: World) -> None:
    bought = {"type": "purchase"}
    assert match(session, w, bought) == {"alice", "bob"}
    assert match(session, w, {**bought, "period": {"last_days": 90}}) == {"alice"}
    assert match(session, w, {**bought, "op": "has_not", "period": {"last_days": 90}}) == {
        "bob",
        "carol",
        "dave",
        "eve",
    }
    assert match(session, w, {**bought, "product": "red shoes"}) == {"alice"}
    assert match(session, w, {**bought, "product": "*hat"}) == {"bob"}
    assert match(session, w, {**bought, "category": "Shoes"}) == {"alice"}
    assert match(session, w, {**bought, "min_count": 2}) == {"alice"}
    assert match(session, w, {**bought, "min_total": "125.00"}) == {"alice"}
    assert match(session, w, {**bought, "min_total": "130.01"}) == set()
    assert match(session, w, {**bought, "min_total": 25, "period": "last 30 days"}) == {"alice"}


def test_custom_events(session: Session, w: World) -> None:
    ev = {"type": "event", "name": "webinar_attended"}
    assert match(session, w, ev) == {"alice", "bob"}
    assert match(session, w, {**ev, "value": "May"}) == {"alice"}
    assert match(session, w, {**ev, "min_count": 2}) == {"alice"}
    assert match(session, w, {**ev, "period": "last 30 days", "min_count": 2}) == set()
    assert match(session, w, {**ev, "op": "has_not"}) == {"carol", "dave", "eve"}


# --- scores, deals


def test_scores_treat_missing_points_as_zero(session: Session, w: World) -> None:
    score = {"type": "score", "score": "engagement"}
    assert match(session, w, {**score, "op": "gt", "value": 10}) == {"alice"}
    assert match(session, w, {**score, "op": "gte", "value": 5}) == {"alice", "bob"}
    assert match(session, w, {**score, "op": "lt", "value": 5}) == {"carol", "dave", "eve"}
    assert match(session, w, {**score, "op": "lte", "value": 0}) == {"carol", "dave", "eve"}
    assert match(session, w, {**score, "op": "eq", "value": 0}) == {"carol", "dave"}
    assert match(session, w, {**score, "op": "lt", "value": 0}) == {"eve"}
    assert match(session, w, {"type": "score", "score": "Deal heat", "op": "gt", "value": 30}) == {"alice"}
    assert match(session, w, {"type": "score", "score": "Deal heat", "op": "lt", "value": 30}) == {"bob"}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "status", "op": "eq", "value": "won"}, {"bob"}),
        ({"field": "status", "op": "neq", "value": "won"}, {"alice"}),
        ({"field": "status", "op": "in", "value": ["open", "won"]}, {"alice", "bob"}),
        ({"field": "value", "op": "gt", "value": "1000"}, {"alice"}),
        ({"field": "value", "op": "gte", "value": 1000}, {"alice", "bob"}),
        ({"field": "value", "op": "between", "value": [500, "$1,500"]}, {"bob"}),
        ({"field": "stage", "op": "eq", "value": "proposal"}, {"alice"}),
        ({"field": "stage", "op": "in", "value": ["Lead", "Proposal"]}, {"alice", "bob"}),
        ({"field": "pipeline", "op": "eq", "value": "sales"}, {"alice", "bob"}),
        ({"field": "owner", "op": "eq", "value": "Sam Seller"}, {"alice"}),
        ({"field": "owner", "op": "eq", "value": "sam@acme.test"}, {"alice"}),
        ({"field": "owner", "op": "is_empty"}, {"bob"}),
        ({"field": "win_probability", "op": "gt", "value": "70%"}, {"alice"}),
        ({"field": "win_probability", "op": "gte", "value": 0.72}, {"alice"}),
        ({"field": "win_probability", "op": "eq", "value": "72%"}, {"alice"}),
        ({"field": "win_probability", "op": "lt", "value": 0.5}, set()),
        ({"field": "win_probability", "op": "is_empty"}, {"bob"}),
        ({"field": "forecast_close_date", "op": "lte", "value": "2026-07-01"}, {"alice"}),
        ({"field": "forecast_close_date", "op": "gt", "value": "2026-07-01"}, set()),
        ({"field": "source", "op": "eq", "value": "Referral"}, {"alice"}),
        ({"field": "source", "op": "is_empty"}, {"bob"}),
    ],
    ids=lambda v: repr(v)[:60] if isinstance(v, dict) else "",
)
def test_deals(session: Session, w: World, condition: dict[str, Any], expected: set[str]) -> None:
    assert match(session, w, {"type": "deal", **condition}) == expected


# --- nesting


def test_and_or_not_nesting(session: Session, w: World) -> None:
    vip = {"tag": "VIP"}
    opened_recently = {"action": "open", "period": "last 30 days"}
    assert match(session, w, vip, opened_recently) == {"alice", "bob"}
    assert match(session, w, vip, opened_recently, how="any") == {"alice", "bob", "carol"}
    assert match(
        session, w, {"tag": "Trial"}, {"field": "country", "op": "eq", "value": "US"}, how="any"
    ) == {"alice", "carol"}
    nested = {
        "match": "any",
        "conditions": [{"tag": "Trial"}, {"field": "email", "op": "ends_with", "value": ".net"}],
    }
    assert match(session, w, {"list": "Newsletter", "op": "not_subscribed"}, nested) == {"dave"}
    negated = {
        "match": "all",
        "negate": True,
        "conditions": [vip, {"field": "country", "op": "eq", "value": "FR"}],
    }
    assert match(session, w, negated) == {"alice", "carol", "dave", "eve"}
    deep = {
        "conditions": [
            {"conditions": [{"conditions": [{"match": "any", "conditions": [vip, {"tag": "Trial"}]}]}]}
        ]
    }
    assert match(session, w, deep, {"action": "open", "op": "has_not", "campaign": "May Newsletter"}) == {
        "bob",
        "carol",
    }


def test_target_benchmark_shape(session: Session, w: World) -> None:
    # "opened any campaign in the last 90 days (no bots) AND has tag VIP AND did NOT purchase in 90 days"
    set_botsense(session, w, True)
    tree = [
        {"action": "open", "period": {"last_days": 90}},
        {"tag": "VIP"},
        {"type": "purchase", "op": "has_not", "period": {"last_days": 90}},
    ]
    assert match(session, w, *tree) == set()  # Bob's only open is a bot; Alice purchased.
    set_botsense(session, w, False)
    assert match(session, w, *tree) == {"bob"}


# --- errors


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        (
            {"root": {"conditions": [{"tag": "VIP", "op": "hass"}]}},
            r"root.conditions\[0\].op: 'hass' is not allowed; choose one of: 'has' or 'has_not'. "
            r"Did you mean 'has'\?",
        ),
        (
            {"root": {"conditions": [{"tag": "VIP"}, {"type": "tagg", "tag": "x"}]}},
            r"root.conditions\[1\].type: 'tagg' is not a condition type.*Did you mean 'tag'",
        ),
        (
            {"root": {"conditions": [{"tag": "VIP"}, {"tag": "VIP"}, {"op": "has"}]}},
            r"root.conditions\[2\]: each condition needs a 'type'",
        ),
        ({"root": {"conditions": []}}, r"root.conditions: needs at least 1"),
        ({"root": {"conditions": [{"tag": "x"}] * 51}}, r"root.conditions: allows at most 50"),
        ({"root": {"conditions": [{"action": "opened"}]}}, r"root.conditions\[0\].action: 'opened'.*'open'"),
        (
            {"root": {"conditions": [{"action": "open", "period": "fortnight-ish"}]}},
            r"root.conditions\[0\].period: Could not understand the period 'fortnight-ish'. "
            r"Try 'last 90 days'",
        ),
        (
            {"root": {"conditions": [{"action": "open", "period": {"last_days": 0}}]}},
            r"root.conditions\[0\].period: .*not a valid period",
        ),
        (
            {"root": {"conditions": [{"action": "open", "url": "x.com"}]}},
            r"root.conditions\[0\].url: a URL only applies to clicks",
        ),
        (
            {"root": {"conditions": [{"field": "status", "op": "contains", "value": "x"}]}},
            r"root.conditions\[0\].op: 'contains' does not apply to field 'status'",
        ),
        (
            {"root": {"conditions": [{"field": "email", "op": "between", "value": "x"}]}},
            r"root.conditions\[0\].value: 'between' needs a list of two values",
        ),
        (
            {"root": {"conditions": [{"field": "email", "op": "is_empty", "value": "x"}]}},
            r"root.conditions\[0\].value: 'is_empty' takes no value",
        ),
        (
            {
                "root": {
                    "conditions": [
                        {"type": "deal", "field": "win_probability", "op": "gt", "value": "likely"}
                    ]
                }
            },
            r"root.conditions\[0\].value: win probability 'likely'",
        ),
        (
            {"root": {"conditions": [{"type": "deal", "field": "colour", "op": "eq", "value": "x"}]}},
            r"root.conditions\[0\].field: 'colour' is not allowed",
        ),
        (
            {"root": {"conditions": [{"tag": "VIP", "colour": "red"}]}},
            r"root.conditions\[0\].colour: 'colour' is not a known key; allowed keys: 'type', 'tag', 'op'",
        ),
        ({"root": {"match": "both", "conditions": [{"tag": "VIP"}]}}, r"root.match: 'both' is not allowed"),
        (
            {
                "root": {
                    "conditions": [
                        {
                            "conditions": [
                                {
                                    "conditions": [
                                        {"conditions": [{"conditions": [{"conditions": [{"tag": "VIP"}]}]}]}
                                    ]
                                }
                            ]
                        }
                    ]
                }
            },
            r"root(.conditions\[0\]){5}: groups nest 6 deep; at most 5",
        ),
        ({"version": 2, "root": {"conditions": [{"tag": "VIP"}]}}, r"version: 2 is not allowed"),
        ("opened in May", r"A segment tree must be an object"),
    ],
    ids=lambda v: str(v)[:50],
)
def test_malformed_trees_name_the_path(session: Session, w: World, tree: Any, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        validate_tree(session, account_id=w.a, tree=tree)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"tag": "VPI"}, r"root.conditions\[0\].tag: No tag named 'VPI'. Did you mean 'VIP'\?"),
        (
            {"list": "Newsleter"},
            r"root.conditions\[0\].list: No list named 'Newsleter'. Did you mean 'Newsletter'",
        ),
        (
            {"field": "Favourite color", "op": "is_empty"},
            r"No field named 'Favourite color'. Did you mean 'Favorite color'",
        ),
        (
            {"type": "score", "score": "Engagment", "op": "gt", "value": 1},
            r"No score named 'Engagment'.*'Engagement'",
        ),
        (
            {"action": "open", "campaign": "May Newsleter"},
            r"campaign: No campaign named 'May Newsleter'.*'May Newsletter'",
        ),
        ({"action": "open", "campaign": 999999}, r"No campaign with id 999999"),
        (
            {"type": "deal", "field": "pipeline", "op": "eq", "value": "Sails"},
            r"No pipeline named 'Sails'.*'Sales'",
        ),
        (
            {"type": "deal", "field": "stage", "op": "eq", "value": "Proposl"},
            r"No stage named 'Proposl'.*'Proposal'",
        ),
        (
            {"type": "deal", "field": "owner", "op": "eq", "value": "Sam Seler"},
            r"No user named 'Sam Seler'.*'Sam Seller'",
        ),
    ],
    ids=lambda v: str(v)[:40],
)
def test_unknown_names_suggest_near_matches(
    session: Session, w: World, condition: dict[str, Any], message: str
) -> None:
    with pytest.raises(NotFound, match=message):
        validate_tree(session, account_id=w.a, tree={"root": {"conditions": [condition]}})


def test_bare_group_and_inferred_types_are_accepted(session: Session, w: World) -> None:
    tree = validate_tree(session, account_id=w.a, tree={"match": "and", "conditions": [{"tag": "VIP"}]})
    assert isinstance(tree, SegmentTree) and tree.root.match == "all"
    assert tree.root.conditions[0].type == "tag"


def test_user_text_is_bound_not_inlined(session: Session, w: World) -> None:
    evil = "x'; DROP TABLE contacts; --"
    tree = parse_tree(
        {
            "root": {
                "conditions": [
                    {"field": "email", "op": "contains", "value": evil},
                    {"action": "click", "url": evil + "*"},
                ]
            }
        }
    )
    stmt = compiler.compile(session, account_id=w.a, tree=tree, now=NOW)
    assert "DROP TABLE" not in str(stmt)
    assert session.scalars(stmt).all() == []


# --- describe, preview


def test_describe_tree() -> None:
    tree = {
        "root": {
            "match": "all",
            "conditions": [
                {"action": "open", "period": {"last_days": 90}},
                {"tag": "VIP"},
                {"type": "purchase", "op": "has_not", "period": "last 90 days"},
                {
                    "match": "any",
                    "conditions": [
                        {"field": "country", "op": "eq", "value": "US"},
                        {"list": "Newsletter", "op": "subscribed"},
                    ],
                },
            ],
        }
    }
    assert describe_tree(tree) == (
        "opened any campaign in the last 90 days and has tag 'VIP' and has not purchased in the last 90 days"
        " and (country is 'US' or is subscribed to list 'Newsletter')"
    )
    assert (
        describe_tree(
            {"conditions": [{"action": "click", "campaign": "June Promo", "url": "*/sale*", "min_count": 2}]}
        )
        == "clicked campaign 'June Promo' (link '*/sale*') at least 2 times"
    )
    assert (
        describe_tree(
            {
                "conditions": [{"type": "deal", "field": "win_probability", "op": "gte", "value": "70%"}],
                "negate": True,
            }
        )
        == "not (has a deal whose win probability is at least '70%')"
    )


def test_preview_and_sample(session: Session, w: World) -> None:
    tree = {"root": {"conditions": [{"tag": "VIP"}]}}
    p = preview(session, account_id=w.a, tree=tree, now=NOW, sample_size=1)
    assert p.count == 2
    assert [c.email for c in p.sample] == ["alice@x.com"]
    assert p.description == "has tag 'VIP'"
    sample = sample_contacts(session, account_id=w.a, tree=tree, now=NOW, limit=10)
    assert [(c.first_name, c.last_name) for c in sample] == [("Alice", "Smith"), ("Bob", "Jones")]
    with pytest.raises(InvalidRequest, match="limit 0 is out of range"):
        sample_contacts(session, account_id=w.a, tree=tree, now=NOW, limit=0)


# --- saved segments


def test_segment_crud(session: Session, w: World) -> None:
    tree = {"root": {"conditions": [{"tag": "VIP"}]}}
    seg = create_segment(
        session, account_id=w.a, name="  VIP  customers ", tree=tree, description="Top", now=NOW
    )
    assert (seg.name, seg.revision, seg.summary, seg.description) == (
        "VIP customers",
        1,
        "has tag 'VIP'",
        "Top",
    )
    assert seg.tree.root.conditions[0].type == "tag"
    with pytest.raises(Conflict, match="A segment named 'VIP customers' already exists"):
        create_segment(session, account_id=w.a, name="vip CUSTOMERS", tree=tree, now=NOW)
    assert get_segment(session, account_id=w.a, segment="vip customers").id == seg.id
    assert get_segment(session, account_id=w.a, segment=seg.id).name == "VIP customers"
    assert count_segment(session, account_id=w.a, segment="VIP customers", now=NOW) == 2
    later = NOW + timedelta(hours=1)
    updated = update_segment(
        session,
        account_id=w.a,
        segment=seg.id,
        now=later,
        tree={"root": {"conditions": [{"tag": "VIP"}, {"field": "country", "op": "eq", "value": "FR"}]}},
    )
    assert (updated.revision, updated.updated_at, updated.created_at) == (2, later, NOW)
    assert count_segment(session, account_id=w.a, segment=seg.id, now=NOW) == 1
    renamed = update_segment(session, account_id=w.a, segment=seg.id, name="French VIPs", now=later)
    assert (renamed.name, renamed.revision) == ("French VIPs", 3)
    other = create_segment(
        session, account_id=w.a, name="Trials", tree={"conditions": [{"tag": "Trial"}]}, now=NOW
    )
    with pytest.raises(Conflict):
        update_segment(session, account_id=w.a, segment=other.id, name="french vips", now=later)
    with pytest.raises(InvalidRequest, match="Nothing to change"):
        update_segment(session, account_id=w.a, segment=other.id, now=later)
    ids = session.scalars(segment_contact_ids(session, account_id=w.a, segment="French VIPs", now=NOW)).all()
    assert ids == [w.c["bob"]]
    assert [s.name for s in list_segments(session, account_id=w.a)] == ["French VIPs", "Trials"]
    with pytest.raises(NotFound, match="No segment named 'Trails'. Did you mean 'Trials'"):
        get_segment(session, account_id=w.a, segment="Trails")
    deleted = delete_segment(session, account_id=w.a, segment="Trials")
    assert deleted.name == "Trials"
    assert [s.name for s in list_segments(session, account_id=w.a)] == ["French VIPs"]


def test_invalid_segment_is_not_saved(session: Session, w: World) -> None:
    with pytest.raises(NotFound):
        create_segment(session, account_id=w.a, name="Bad", tree={"conditions": [{"tag": "Nope"}]}, now=NOW)
    with pytest.raises(InvalidRequest, match="Segment name is empty"):
        create_segment(session, account_id=w.a, name="  ", tree={"conditions": [{"tag": "VIP"}]}, now=NOW)
    seg = create_segment(session, account_id=w.a, name="Good", tree={"conditions": [{"tag": "VIP"}]}, now=NOW)
    with pytest.raises(NotFound):
        update_segment(
            session,
            account_id=w.a,
            segment=seg.id,
            name="Renamed",
            now=NOW,
            tree={"conditions": [{"tag": "Nope"}]},
        )
    again = get_segment(session, account_id=w.a, segment=seg.id)
    assert (again.name, again.revision) == ("Good", 1)
    assert list_segments(session, account_id=w.a)[0].name == "Good"


def test_segment_used_by_a_scheduled_campaign_cannot_be_deleted(session: Session, w: World) -> None:
    seg = create_segment(session, account_id=w.a, name="VIPs", tree={"conditions": [{"tag": "VIP"}]}, now=NOW)
    session.add(Campaign(account_id=w.a, name="Upcoming", status=CampaignStatus.SCHEDULED, segment_id=seg.id))
    session.flush()
    with pytest.raises(Conflict, match="audience of 'Upcoming'"):
        delete_segment(session, account_id=w.a, segment=seg.id)


# --- tenancy


def test_tenant_isolation(session: Session, w: World) -> None:
    # B's "VIP" tag and B's Alice never count in A, and A's never in B.
    assert match(session, w, {"tag": "VIP"}) == {"alice", "bob"}
    assert match(session, w, {"tag": "VIP"}, account=w.b) == {"b-alice"}
    assert match(session, w, {"action": "open", "period": "last 7 days"}, account=w.b) == {"b-alice"}
    assert match(session, w, {"type": "purchase", "period": "last 7 days"}, account=w.b) == {"b-alice"}
    assert match(session, w, {"field": "email", "op": "eq", "value": "alice@x.com"}, account=w.b) == {
        "b-alice"
    }
    # A's names do not resolve in B.
    with pytest.raises(NotFound, match="No campaign named 'June Promo'"):
        match(session, w, {"action": "open", "campaign": "June Promo"}, account=w.b)
    with pytest.raises(NotFound, match="No campaign with id"):
        match(session, w, {"action": "open", "campaign": w.june}, account=w.b)
    with pytest.raises(NotFound, match="No list named 'Newsletter'"):
        match(session, w, {"list": "Newsletter"}, account=w.b)
    with pytest.raises(NotFound, match="No field named 'Seats'"):
        match(session, w, {"field": "Seats", "op": "gt", "value": 1}, account=w.b)
    # Saved segments are per account.
    seg = create_segment(session, account_id=w.a, name="VIPs", tree={"conditions": [{"tag": "VIP"}]}, now=NOW)
    b_seg = create_segment(
        session, account_id=w.b, name="VIPs", tree={"conditions": [{"tag": "VIP"}]}, now=NOW
    )
    assert count_segment(session, account_id=w.b, segment="VIPs", now=NOW) == 1
    for call in (
        lambda: get_segment(session, account_id=w.b, segment=seg.id),
        lambda: count_segment(session, account_id=w.b, segment=seg.id, now=NOW),
        lambda: segment_contact_ids(session, account_id=w.b, segment=seg.id, now=NOW),
        lambda: update_segment(session, account_id=w.b, segment=seg.id, name="Mine", now=NOW),
        lambda: delete_segment(session, account_id=w.b, segment=seg.id),
    ):
        with pytest.raises(NotFound):
            call()
    assert [s.id for s in list_segments(session, account_id=w.b)] == [b_seg.id]
    assert get_segment(session, account_id=w.a, segment=seg.id).name == "VIPs"


def test_sql_shapes_per_backend(session: Session, w: World) -> None:
    """PostgreSQL gets EXISTS only; SQLite drives an AND group from one IN list and probes the rest."""
    tree = parse_tree(
        {
            "root": {
                "conditions": [
                    {"action": "open", "period": {"last_days": 90}},
                    {"tag": "VIP"},
                    {"type": "purchase", "op": "has_not", "period": {"last_days": 90}},
                ]
            }
        }
    )
    sql = str(compiler.compile(session, account_id=w.a, tree=tree, now=NOW)).upper()
    assert " NOT IN " not in sql
    if session.get_bind().dialect.name == "sqlite":
        assert sql.count("CONTACTS.ID IN (") == 1
        assert sql.count("EXISTS") == 2
    else:
        assert "CONTACTS.ID IN (" not in sql
        assert sql.count("EXISTS") == 3


@pytest.mark.parametrize("cap", [1, 10_000_000], ids=["lists", "probes"])
def test_every_plan_gives_the_same_answers(
    session: Session, w: World, cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite switches between probes and lists by the driver's size; both must agree with each other."""
    monkeypatch.setattr(compiler, "DRIVER_PROBE_CAP", cap)
    opened = {"action": "open", "period": {"last_days": 90}}
    assert match(
        session, w, opened, {"tag": "VIP"}, {"type": "purchase", "op": "has_not", "period": "last 90 days"}
    ) == {"bob"}
    assert match(
        session,
        w,
        {"tag": "VIP", "op": "has_not"},
        {"type": "page_visit", "url": "*", "op": "has_not"},
        {"list": "Newsletter", "op": "subscribed"},
    ) == {"carol"}
    assert (
        match(
            session,
            w,
            {"list": "Newsletter", "op": "not_subscribed"},
            {"action": "open", "min_count": 2},
            {"type": "event", "name": "webinar_attended"},
        )
        == set()
    )
    assert match(
        session,
        w,
        {"tag": "VIP"},
        {"action": "open", "min_count": 2},
        {"type": "deal", "field": "status", "op": "eq", "value": "open"},
    ) == {"alice"}
