"""Site tracking (domains, visits, identification, custom events) and commerce (orders, carts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.campaigns import service as campaigns
from core.commerce import service as commerce
from core.commerce.models import Order, OrderItem
from core.contacts.models import Contact, MailingList
from core.enums import OrderStatus
from core.errors import Conflict, InvalidRequest, NotFound
from core.tracking import service as tracking
from core.tracking.models import CustomEvent, PageVisit, TrackedDomain


def _account(session: Session, name: str = "Acme") -> int:
    return accounts.create_account(session, name=name, plan="plus").id


def _contact(session: Session, aid: int, email: str = "jane@example.com") -> int:
    row = Contact(account_id=aid, email=email)
    session.add(row)
    session.flush()
    return row.id


def _count(session: Session, model: Any, aid: int) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.account_id == aid)) or 0


# ---------------------------------------------------------------- tracked domains


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("acme.com", "acme.com"),
        ("https://www.Acme.com/", "acme.com"),
        ("shop.acme.co.uk", "shop.acme.co.uk"),
        ("http://bücher.de", "xn--bcher-kva.de"),
    ],
    ids=["plain", "url-with-www", "subdomain", "idn"],
)
def test_add_tracked_domain_normalises(session: Session, now: datetime, raw: str, domain: str) -> None:
    aid = _account(session)
    assert tracking.add_tracked_domain(session, account_id=aid, domain=raw, now=now).domain == domain


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        ("acme", "not a valid domain"),
        ("acme.com/pricing", "points at a page"),
        ("ac me.com", "not a valid domain"),
        ("-acme.com", "not a valid domain"),
        ("acme.c0m", "not a valid domain"),
    ],
    ids=["empty", "no-tld", "page", "space", "dash", "digit-tld"],
)
def test_bad_domains(session: Session, now: datetime, raw: str, fragment: str) -> None:
    aid = _account(session)
    with pytest.raises(InvalidRequest, match=fragment):
        tracking.add_tracked_domain(session, account_id=aid, domain=raw, now=now)
    assert _count(session, TrackedDomain, aid) == 0


def test_duplicate_and_removed_domains(session: Session, now: datetime) -> None:
    aid = _account(session)
    tracking.add_tracked_domain(session, account_id=aid, domain="acme.com", now=now)
    with pytest.raises(Conflict, match="already tracked"):
        tracking.add_tracked_domain(session, account_id=aid, domain="www.acme.com", now=now)
    tracking.remove_tracked_domain(session, account_id=aid, domain="https://acme.com")
    with pytest.raises(NotFound, match="none"):
        tracking.remove_tracked_domain(session, account_id=aid, domain="acme.com")


# ---------------------------------------------------------------- page visits


def test_page_visits_only_on_tracked_domains(session: Session, now: datetime) -> None:
    aid = _account(session)
    cid = _contact(session, aid)
    tracking.add_tracked_domain(session, account_id=aid, domain="acme.com", now=now)
    for url in ("https://acme.com/pricing", "https://www.acme.com/", "https://blog.shop.acme.com/post?id=1"):
        tracking.record_page_visit(session, account_id=aid, url=url, contact_id=cid, visited_at=now)
    for url in ("https://notacme.com/", "https://acme.com.evil.io/"):
        with pytest.raises(InvalidRequest, match="add_tracked_domain") as err:
            tracking.record_page_visit(session, account_id=aid, url=url, contact_id=cid, visited_at=now)
        assert "acme.com" in str(err.value)
    with pytest.raises(InvalidRequest, match="full web address"):
        tracking.record_page_visit(
            session, account_id=aid, url="acme.com/pricing", contact_id=cid, visited_at=now
        )
    with pytest.raises(InvalidRequest, match="contact_id or the visitor_id"):
        tracking.record_page_visit(session, account_id=aid, url="https://acme.com/", visited_at=now)
    with pytest.raises(InvalidRequest, match="Visitor id"):
        tracking.record_page_visit(
            session, account_id=aid, url="https://acme.com/", visitor_id="bad id!", visited_at=now
        )
    with pytest.raises(InvalidRequest, match="negative"):
        tracking.record_page_visit(
            session,
            account_id=aid,
            url="https://acme.com/",
            contact_id=cid,
            visited_at=now,
            duration_seconds=-1,
        )
    assert _count(session, PageVisit, aid) == 3


def test_identify_visitor_attaches_the_last_30_days(session: Session, now: datetime) -> None:
    aid = _account(session)
    cid = _contact(session, aid)
    tracking.add_tracked_domain(session, account_id=aid, domain="acme.com", now=now)
    for days in (1, 29, 31):
        tracking.record_page_visit(
            session,
            account_id=aid,
            url=f"https://acme.com/{days}",
            visitor_id="cookie-1",
            visited_at=now - timedelta(days=days),
        )
    tracking.record_page_visit(
        session, account_id=aid, url="https://acme.com/other", visitor_id="cookie-2", visited_at=now
    )
    result = tracking.identify_visitor(
        session, account_id=aid, visitor_id="cookie-1", contact_id=cid, now=now
    )
    assert result.visits_attached == 2 and result.visits_too_old == 1
    urls = {v.url for v in tracking.list_page_visits(session, account_id=aid, contact_id=cid)}
    assert urls == {"https://acme.com/1", "https://acme.com/29"}
    # The browser is known now: its next visit belongs to the contact straight away.
    later = tracking.record_page_visit(
        session,
        account_id=aid,
        url="https://acme.com/next",
        visitor_id="cookie-1",
        visited_at=now + timedelta(hours=1),
    )
    assert later.contact_id == cid
    assert tracking.list_page_visits(session, account_id=aid, visitor_id="cookie-2")[0].contact_id is None


def test_custom_events(session: Session, now: datetime) -> None:
    aid = _account(session)
    cid = _contact(session, aid)
    event = tracking.record_custom_event(
        session,
        account_id=aid,
        contact_id=cid,
        name="trial_started",
        value="pro",
        data={"seats": 5},
        occurred_at=now,
    )
    assert event.name == "trial_started" and event.data == {"seats": 5}
    bad: list[dict[str, Any]] = [
        {"name": ""},
        {"name": "x" * 101},
        {"name": "<script>"},
        {"value": "v" * 256},
        {"data": {"when": now}},
        {"data": {"blob": "x" * 10_001}},
    ]
    for kwargs in bad:
        args: dict[str, Any] = {"name": "ok", **kwargs}
        with pytest.raises(InvalidRequest):
            tracking.record_custom_event(session, account_id=aid, contact_id=cid, occurred_at=now, **args)
    assert _count(session, CustomEvent, aid) == 1
    assert (
        len(tracking.list_custom_events(session, account_id=aid, contact_id=cid, name="TRIAL_STARTED")) == 1
    )


# ---------------------------------------------------------------- orders


ITEMS = [
    {"product_name": "Mug", "category": "Kitchen", "quantity": 2, "price_cents": 1250},
    {"product_name": "Tea", "quantity": 3, "price_cents": 499},
]


def test_order_totals_come_from_items(session: Session, now: datetime) -> None:
    aid = _account(session)
    cid = _contact(session, aid)
    order = commerce.record_order(
        session,
        account_id=aid,
        contact_id=cid,
        external_id="1001",
        items=ITEMS,
        currency="eur",
        placed_at=now,
    )
    assert order.total_cents == 2 * 1250 + 3 * 499 and order.currency == "EUR"
    assert [i.product_name for i in order.items] == ["Mug", "Tea"] and order.status is OrderStatus.PLACED
    refunded = commerce.update_order_status(session, account_id=aid, order_id=order.id, status="Refunded")
    assert refunded.status is OrderStatus.REFUNDED
    with pytest.raises(Conflict, match="already recorded"):
        commerce.record_order(
            session, account_id=aid, contact_id=cid, external_id="1001", items=ITEMS, placed_at=now
        )
    assert [o.external_id for o in commerce.list_orders(session, account_id=aid, contact_id=cid)] == ["1001"]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"items": []}, "at least one item"),
        ({"items": [{"product_name": "Mug", "price_cents": -1}]}, "item 1 price_cents"),
        ({"items": [{"product_name": "Mug", "price_cents": 100, "quantity": 0}]}, "item 1 quantity"),
        ({"items": [{"product_name": "", "price_cents": 100}]}, "item 1 product_name"),
        ({"currency": "dollars"}, "ISO 4217"),
        ({"external_id": " "}, "order number"),
        ({"status": "shipped"}, "'placed'"),
    ],
    ids=["no-items", "negative-price", "zero-quantity", "no-name", "currency", "external-id", "status"],
)
def test_bad_orders_write_nothing(
    session: Session, now: datetime, kwargs: dict[str, Any], fragment: str
) -> None:
    aid = _account(session)
    cid = _contact(session, aid)
    args: dict[str, Any] = {"external_id": "A1", "items": ITEMS, **kwargs}
    with pytest.raises(InvalidRequest, match=fragment):
        commerce.record_order(session, account_id=aid, contact_id=cid, placed_at=now, **args)
    assert _count(session, Order, aid) == 0 and _count(session, OrderItem, aid) == 0


def test_order_attribution_needs_a_send(session: Session, now: datetime) -> None:
    aid = _account(session)
    cid = _contact(session, aid)
    other = _contact(session, aid, "sam@example.com")
    session.add(MailingList(account_id=aid, name="All"))
    session.flush()
    c = campaigns.create_campaign(
        session,
        account_id=aid,
        name="Promo",
        now=now,
        subject="S",
        from_name="A",
        from_email="a@acme.com",
        lists=["All"],
        blocks=[{"type": "text", "text": "Hi"}],
    )
    campaigns.start_sending(session, account_id=aid, campaign_id=c.id, now=now)
    campaigns.record_sends(session, account_id=aid, campaign_id=c.id, contact_ids=[cid], now=now)
    with pytest.raises(InvalidRequest, match="was not sent campaign 'Promo'"):
        commerce.record_order(
            session,
            account_id=aid,
            contact_id=other,
            external_id="2",
            items=ITEMS,
            placed_at=now,
            campaign_id=c.id,
        )
    order = commerce.record_order(
        session, account_id=aid, contact_id=cid, external_id="1", items=ITEMS, placed_at=now, campaign_id=c.id
    )
    assert order.campaign_id == c.id and _count(session, Order, aid) == 1


def test_abandoned_carts_and_recovery(session: Session, now: datetime) -> None:
    aid = _account(session)
    cid = _contact(session, aid)
    other = _contact(session, aid, "sam@example.com")
    cart = commerce.record_abandoned_cart(
        session, account_id=aid, contact_id=cid, total_cents=4999, abandoned_at=now
    )
    with pytest.raises(InvalidRequest, match="above 0"):
        commerce.record_abandoned_cart(
            session, account_id=aid, contact_id=cid, total_cents=0, abandoned_at=now
        )
    early = commerce.record_order(
        session,
        account_id=aid,
        contact_id=cid,
        external_id="E",
        items=ITEMS,
        placed_at=now - timedelta(hours=1),
    )
    theirs = commerce.record_order(
        session,
        account_id=aid,
        contact_id=other,
        external_id="T",
        items=ITEMS,
        placed_at=now + timedelta(hours=1),
    )
    good = commerce.record_order(
        session,
        account_id=aid,
        contact_id=cid,
        external_id="G",
        items=ITEMS,
        placed_at=now + timedelta(hours=2),
    )
    with pytest.raises(InvalidRequest, match="placed before"):
        commerce.mark_cart_recovered(session, account_id=aid, cart_id=cart.id, order_id=early.id)
    with pytest.raises(InvalidRequest, match="another contact"):
        commerce.mark_cart_recovered(session, account_id=aid, cart_id=cart.id, order_id=theirs.id)
    assert (
        commerce.mark_cart_recovered(
            session, account_id=aid, cart_id=cart.id, order_id=good.id
        ).recovered_order_id
        == good.id
    )
    with pytest.raises(Conflict, match="already recovered"):
        commerce.mark_cart_recovered(session, account_id=aid, cart_id=cart.id, order_id=good.id)
    assert len(commerce.list_abandoned_carts(session, account_id=aid, recovered=True)) == 1
    assert commerce.list_abandoned_carts(session, account_id=aid, recovered=False) == []


# ---------------------------------------------------------------- tenant isolation


def test_tenant_isolation(session: Session, now: datetime) -> None:
    a = _account(session, "A")
    b = _account(session, "B")
    a_contact = _contact(session, a)
    b_contact = _contact(session, b, "bob@example.com")
    tracking.add_tracked_domain(session, account_id=a, domain="acme.com", now=now)
    tracking.record_page_visit(
        session, account_id=a, url="https://acme.com/", visitor_id="v1", visited_at=now
    )
    order = commerce.record_order(
        session, account_id=a, contact_id=a_contact, external_id="1", items=ITEMS, placed_at=now
    )
    cart = commerce.record_abandoned_cart(
        session, account_id=a, contact_id=a_contact, total_cents=100, abandoned_at=now
    )
    # A's domain does not whitelist B's visits, and B cannot touch A's contacts, orders or carts.
    with pytest.raises(InvalidRequest, match="none yet"):
        tracking.record_page_visit(
            session, account_id=b, url="https://acme.com/", contact_id=b_contact, visited_at=now
        )
    calls = [
        lambda: tracking.record_page_visit(
            session, account_id=a, url="https://acme.com/", contact_id=b_contact, visited_at=now
        ),
        lambda: tracking.identify_visitor(
            session, account_id=b, visitor_id="v1", contact_id=a_contact, now=now
        ),
        lambda: tracking.record_custom_event(
            session, account_id=b, contact_id=a_contact, name="x", occurred_at=now
        ),
        lambda: tracking.list_page_visits(session, account_id=b, contact_id=a_contact),
        lambda: commerce.get_order(session, account_id=b, order_id=order.id),
        lambda: commerce.update_order_status(session, account_id=b, order_id=order.id, status="cancelled"),
        lambda: commerce.record_order(
            session, account_id=b, contact_id=a_contact, external_id="9", items=ITEMS, placed_at=now
        ),
        lambda: commerce.mark_cart_recovered(session, account_id=b, cart_id=cart.id, order_id=order.id),
        lambda: commerce.record_abandoned_cart(
            session, account_id=b, contact_id=a_contact, total_cents=1, abandoned_at=now
        ),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    # B identifying the same cookie value touches only B's visits (there are none).
    assert (
        tracking.identify_visitor(
            session, account_id=b, visitor_id="v1", contact_id=b_contact, now=now
        ).visits_attached
        == 0
    )
    assert tracking.list_page_visits(session, account_id=a, visitor_id="v1")[0].contact_id is None
    assert tracking.list_tracked_domains(session, account_id=b) == []
    assert (
        commerce.list_orders(session, account_id=b) == []
        and commerce.list_abandoned_carts(session, account_id=b) == []
    )
    # Order numbers are unique per account, not globally.
    assert (
        commerce.record_order(
            session, account_id=b, contact_id=b_contact, external_id="1", items=ITEMS, placed_at=now
        ).external_id
        == "1"
    )
