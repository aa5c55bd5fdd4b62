"""The name catalog the language understanding reads: newest first, capped per kind, one account only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from core.accounts.models import Account
from core.campaigns.models import Campaign
from core.catalog import account_catalog
from core.contacts.models import MailingList, Tag
from core.enums import Channel

T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)


def _accounts(session: Session) -> tuple[int, int]:
    a, b = Account(name="Catalog A", plan="pro", timezone="UTC"), Account(name="Catalog B", plan="pro", timezone="UTC")
    session.add_all([a, b])
    session.flush()
    return a.id, b.id


def test_catalog_lists_names_newest_first_per_kind_and_caps_each_kind(session: Session) -> None:
    a, _ = _accounts(session)
    for i, name in enumerate(["Old promo", "Mid promo", "New promo"]):
        session.add(Campaign(account_id=a, name=name, channel=Channel.EMAIL, created_at=T0 + timedelta(days=i)))
    session.add_all([MailingList(account_id=a, name=f"List {i}") for i in range(5)])
    session.add_all([Tag(account_id=a, name="vip"), Tag(account_id=a, name="lead")])
    session.flush()

    catalog = account_catalog(session, account_id=a)
    assert catalog["campaigns"] == ["New promo", "Mid promo", "Old promo"]
    assert catalog["lists"] == ["List 4", "List 3", "List 2", "List 1", "List 0"]
    assert catalog["tags"] == ["lead", "vip"]
    assert catalog["segments"] == [] and catalog["scores"] == []
    assert account_catalog(session, account_id=a, limit=2)["lists"] == ["List 4", "List 3"]
    assert account_catalog(session, account_id=a, limit=2)["campaigns"] == ["New promo", "Mid promo"]


def test_catalog_never_shows_another_accounts_names(session: Session) -> None:
    a, b = _accounts(session)
    session.add_all([MailingList(account_id=a, name="A's customers"), Tag(account_id=b, name="b-only")])
    session.add(Campaign(account_id=b, name="B's secret launch", channel=Channel.EMAIL, created_at=T0))
    session.flush()

    names_a = {n for names in account_catalog(session, account_id=a).values() for n in names}
    names_b = {n for names in account_catalog(session, account_id=b).values() for n in names}
    assert names_a == {"A's customers"}
    assert names_b == {"b-only", "B's secret launch"}
