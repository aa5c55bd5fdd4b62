"""Campaigns (email and SMS): drafting, locked blocks, the status machine, sends, events, SMS rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.campaigns import service as campaigns
from core.campaigns import sms
from core.campaigns.models import Campaign, CampaignLink, CampaignSend, EngagementEvent
from core.contacts.models import Contact, CustomField, MailingList
from core.enums import CampaignStatus, FieldType, Layout, SendStatus
from core.errors import Conflict, FeatureUnavailable, InvalidRequest, NotFound
from core.segments.models import Segment

BLOCKS: list[dict[str, Any]] = [
    {"type": "heading", "text": "Summer sale", "locked": True},
    {"type": "text", "text": 'Hi %FIRSTNAME%, see <a href="https://acme.io/new">what is new</a>.'},
    {"type": "button", "label": "Shop now", "url": "https://acme.io/shop"},
    {"type": "social", "links": [{"network": "instagram", "url": "https://instagram.com/acme"}]},
]


def _setup(session: Session, plan: str = "pro", addons: list[str] | None = None, name: str = "Acme") -> int:
    acc = accounts.create_account(session, name=name, plan=plan, addons=addons or [])
    session.add_all(
        [
            MailingList(account_id=acc.id, name="Newsletter"),
            MailingList(account_id=acc.id, name="SMS Club", allows_sms=True),
            Segment(account_id=acc.id, name="VIP", tree={"all": []}),
            CustomField(
                account_id=acc.id, name="Favorite color", tag="%FAVORITE_COLOR%", type=FieldType.TEXT
            ),
        ]
    )
    session.flush()
    return acc.id


def _contacts(session: Session, account_id: int, n: int, prefix: str = "c") -> list[int]:
    rows = [Contact(account_id=account_id, email=f"{prefix}{i}@example.com") for i in range(n)]
    session.add_all(rows)
    session.flush()
    return [r.id for r in rows]


def _email(session: Session, aid: int, now: datetime, **overrides: Any) -> Any:
    kwargs: dict[str, Any] = dict(
        name="June news",
        now=now,
        subject="Hello %FIRSTNAME%",
        preheader="Sale inside",
        from_name="Ann",
        from_email="ann@acme.io",
        layout="editorial",
        blocks=BLOCKS,
        lists=["newsletter"],
    )
    kwargs.update(overrides)
    return campaigns.create_campaign(session, account_id=aid, **kwargs)


def _count(session: Session, model: Any, aid: int) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.account_id == aid)) or 0


def _sending(session: Session, aid: int, now: datetime, n: int = 3) -> tuple[Any, list[int]]:
    c = _email(session, aid, now)
    campaigns.start_sending(session, account_id=aid, campaign_id=c.id, now=now)
    ids = _contacts(session, aid, n)
    campaigns.record_sends(session, account_id=aid, campaign_id=c.id, contact_ids=ids, now=now)
    return c, ids


# ---------------------------------------------------------------- drafting


def test_create_email_campaign_resolves_names_and_derives_links(session: Session, now: datetime) -> None:
    aid = _setup(session)
    c = _email(session, aid, now, layout="IMAGE grid", segment="vip", subject="%favorite_color% deals")
    assert c.status is CampaignStatus.DRAFT and c.layout is Layout.IMAGE_GRID
    assert c.list_names == ["Newsletter"] and c.segment_name == "VIP"
    assert [b.type for b in c.blocks] == ["heading", "text", "button", "social"] and c.blocks[0].locked
    links = campaigns.list_campaign_links(session, account_id=aid, campaign_id=c.id)
    urls = {link.url for link in links if not link.is_honeypot and not link.is_unsubscribe}
    assert urls == {"https://acme.io/new", "https://acme.io/shop", "https://instagram.com/acme"}
    assert sum(link.is_honeypot for link in links) == 1 and sum(link.is_unsubscribe for link in links) == 1
    assert campaigns.find_campaign(session, account_id=aid, name="JUNE NEWS").id == c.id
    with pytest.raises(NotFound, match="Did you mean 'June news'"):
        campaigns.find_campaign(session, account_id=aid, name="Jun news")


def test_no_links_are_tracked_when_tracking_is_off(session: Session, now: datetime) -> None:
    aid = _setup(session)
    c = _email(session, aid, now, link_tracking=False)
    assert campaigns.list_campaign_links(session, account_id=aid, campaign_id=c.id) == []


@pytest.mark.parametrize(
    ("overrides", "error", "fragment"),
    [
        ({"from_email": "ann at acme"}, InvalidRequest, "news@yourdomain.com"),
        ({"layout": "Three column"}, InvalidRequest, "'2 Column'"),
        ({"blocks": [{"type": "video", "url": "https://x.io/v"}]}, InvalidRequest, "'heading'"),
        (
            {"blocks": [{"type": "button", "label": "Go", "url": "acme dot io"}]},
            InvalidRequest,
            "not a web address",
        ),
        ({"blocks": [{"type": "heading"}]}, InvalidRequest, "block 1 (heading) text: Field required"),
        ({"lists": ["Newsleter"]}, NotFound, "Did you mean 'Newsletter'"),
        ({"segment": "Gold"}, NotFound, "VIP"),
        ({"subject": "Hi %NICKNAME%"}, InvalidRequest, "%FAVORITE_COLOR%"),
        ({"sms_body": "hello"}, InvalidRequest, "remove it"),
        ({"predictive_sending": True, "channel": "fax"}, InvalidRequest, "'email', 'sms'"),
    ],
    ids=[
        "from-email",
        "layout",
        "block-type",
        "button-url",
        "block-field",
        "list",
        "segment",
        "tag",
        "sms-field",
        "channel",
    ],
)
def test_bad_campaign_input_is_refused_and_nothing_written(
    session: Session, now: datetime, overrides: dict[str, Any], error: type[Exception], fragment: str
) -> None:
    aid = _setup(session)
    with pytest.raises(error) as err:
        _email(session, aid, now, **overrides)
    assert fragment in str(err.value)
    assert _count(session, Campaign, aid) == 0 and _count(session, CampaignLink, aid) == 0


def test_unknown_tag_error_lists_valid_tags(session: Session, now: datetime) -> None:
    aid = _setup(session)
    with pytest.raises(InvalidRequest) as err:
        _email(session, aid, now, blocks=[{"type": "text", "text": "Dear %NICKNAME%, 50% off!"}])
    message = str(err.value)
    assert "%NICKNAME%" in message and "%FIRSTNAME%" in message and "%EMAIL%" in message
    assert "%LASTNAME%" in message and "%FAVORITE_COLOR%" in message


def test_campaign_names_are_unique_per_account(session: Session, now: datetime) -> None:
    aid = _setup(session)
    _email(session, aid, now)
    with pytest.raises(Conflict, match="already exists"):
        _email(session, aid, now, name="june NEWS")
    other = _setup(session, name="Other")
    assert _email(session, other, now).name == "June news"


def test_predictive_sending_needs_pro(session: Session, now: datetime) -> None:
    aid = _setup(session, plan="plus")
    with pytest.raises(FeatureUnavailable, match="Pro"):
        _email(session, aid, now, predictive_sending=True)
    assert _count(session, Campaign, aid) == 0


# ---------------------------------------------------------------- editing and locked blocks


def test_update_only_while_draft(session: Session, now: datetime) -> None:
    aid = _setup(session)
    c = _email(session, aid, now)
    updated = campaigns.update_campaign(
        session, account_id=aid, campaign_id=c.id, now=now, subject="New subject", preheader=None
    )
    assert updated.subject == "New subject" and updated.preheader is None and updated.from_name == "Ann"
    campaigns.schedule_campaign(
        session, account_id=aid, campaign_id=c.id, at=now + timedelta(days=1), now=now
    )
    with pytest.raises(Conflict, match="unschedule it first"):
        campaigns.update_campaign(session, account_id=aid, campaign_id=c.id, now=now, subject="Later")
    back = campaigns.unschedule_campaign(session, account_id=aid, campaign_id=c.id, now=now)
    assert back.status is CampaignStatus.DRAFT and back.scheduled_at is None
    campaigns.start_sending(session, account_id=aid, campaign_id=c.id, now=now)
    campaigns.mark_sent(session, account_id=aid, campaign_id=c.id, now=now)
    with pytest.raises(Conflict, match="only draft campaigns"):
        campaigns.update_campaign(session, account_id=aid, campaign_id=c.id, now=now, subject="Too late")
    assert campaigns.get_campaign(session, account_id=aid, campaign_id=c.id).subject == "New subject"


def test_locked_blocks_cannot_be_changed_by_update(session: Session, now: datetime) -> None:
    aid = _setup(session)
    c = _email(session, aid, now)
    changed = [dict(BLOCKS[0], text="Winter sale"), *BLOCKS[1:]]
    with pytest.raises(Conflict, match=r"Block 1 \(heading 'Summer sale'\) is locked"):
        campaigns.update_campaign(session, account_id=aid, campaign_id=c.id, now=now, blocks=changed)
    with pytest.raises(Conflict, match="locked"):
        campaigns.update_campaign(session, account_id=aid, campaign_id=c.id, now=now, blocks=BLOCKS[1:])
    # Other blocks can change around a locked one.
    kept = [BLOCKS[0], {"type": "text", "text": "Fresh copy"}, BLOCKS[2]]
    out = campaigns.update_campaign(session, account_id=aid, campaign_id=c.id, now=now, blocks=kept)
    assert [b.type for b in out.blocks] == ["heading", "text", "button"]
    campaigns.set_block_locked(session, account_id=aid, campaign_id=c.id, position=1, locked=False, now=now)
    unlocked = [{"type": "heading", "text": "Winter sale"}, *kept[1:]]
    out = campaigns.update_campaign(session, account_id=aid, campaign_id=c.id, now=now, blocks=unlocked)
    assert out.blocks[0].text == "Winter sale"  # type: ignore[union-attr]
    with pytest.raises(InvalidRequest, match="position 9 does not exist"):
        campaigns.set_block_locked(
            session, account_id=aid, campaign_id=c.id, position=9, locked=True, now=now
        )


def test_update_refreshes_links_and_validates_before_writing(session: Session, now: datetime) -> None:
    aid = _setup(session)
    c = _email(session, aid, now)
    with pytest.raises(InvalidRequest, match="%NOPE%"):
        campaigns.update_campaign(
            session, account_id=aid, campaign_id=c.id, now=now, subject="%NOPE%", blocks=[BLOCKS[0]]
        )
    assert campaigns.get_campaign(session, account_id=aid, campaign_id=c.id).subject == "Hello %FIRSTNAME%"
    campaigns.update_campaign(
        session,
        account_id=aid,
        campaign_id=c.id,
        now=now,
        blocks=[BLOCKS[0], {"type": "button", "label": "Book", "url": "https://acme.io/book"}],
    )
    urls = [link.url for link in campaigns.list_campaign_links(session, account_id=aid, campaign_id=c.id)]
    assert "https://acme.io/book" in urls and "https://acme.io/shop" not in urls


# ---------------------------------------------------------------- status machine


def test_schedule_refuses_past_times_and_lists_what_is_missing(session: Session, now: datetime) -> None:
    aid = _setup(session)
    bare = campaigns.create_campaign(
        session, account_id=aid, name="Bare", now=now, blocks=[{"type": "button", "label": "Buy"}]
    )
    with pytest.raises(InvalidRequest) as err:
        campaigns.schedule_campaign(
            session, account_id=aid, campaign_id=bare.id, at=now + timedelta(hours=2), now=now
        )
    message = str(err.value)
    for part in ("a subject", "a from name", "a from email", "recipients", "a link for button 'Buy'"):
        assert part in message
    assert campaigns.get_campaign(session, account_id=aid, campaign_id=bare.id).status is CampaignStatus.DRAFT
    ready = _email(session, aid, now)
    with pytest.raises(InvalidRequest, match="not in the future"):
        campaigns.schedule_campaign(
            session, account_id=aid, campaign_id=ready.id, at=now - timedelta(minutes=1), now=now
        )
    with pytest.raises(InvalidRequest, match="no time zone"):
        campaigns.schedule_campaign(
            session, account_id=aid, campaign_id=ready.id, at=datetime(2030, 1, 1), now=now
        )
    out = campaigns.schedule_campaign(
        session, account_id=aid, campaign_id=ready.id, at=now + timedelta(days=2), now=now
    )
    assert out.status is CampaignStatus.SCHEDULED and out.scheduled_at == now + timedelta(days=2)


def test_status_machine(session: Session, now: datetime) -> None:
    aid = _setup(session)
    c = _email(session, aid, now)
    at = now + timedelta(hours=3)
    campaigns.schedule_campaign(session, account_id=aid, campaign_id=c.id, at=at, now=now)
    with pytest.raises(Conflict, match="it starts then"):
        campaigns.start_sending(session, account_id=aid, campaign_id=c.id, now=now)
    with pytest.raises(Conflict, match="only a sending campaign"):
        campaigns.mark_sent(session, account_id=aid, campaign_id=c.id, now=at)
    assert (
        campaigns.start_sending(session, account_id=aid, campaign_id=c.id, now=at).status
        is CampaignStatus.SENDING
    )
    with pytest.raises(InvalidRequest, match="plain words"):
        campaigns.mark_failed(session, account_id=aid, campaign_id=c.id, reason="  ", now=at)
    failed = campaigns.mark_failed(
        session, account_id=aid, campaign_id=c.id, reason="The sending domain is not verified.", now=at
    )
    assert (
        failed.status is CampaignStatus.FAILED
        and failed.failure_reason == "The sending domain is not verified."
    )
    with pytest.raises(Conflict):
        campaigns.start_sending(session, account_id=aid, campaign_id=c.id, now=at)
    d = _email(session, aid, now, name="Sent one")
    campaigns.start_sending(session, account_id=aid, campaign_id=d.id, now=now)
    sent = campaigns.mark_sent(session, account_id=aid, campaign_id=d.id, now=now + timedelta(minutes=5))
    assert sent.status is CampaignStatus.SENT and sent.sent_at == now + timedelta(minutes=5)
    with pytest.raises(Conflict, match="only scheduled or sending"):
        campaigns.mark_failed(session, account_id=aid, campaign_id=d.id, reason="Late", now=now)


def test_list_campaigns_filters_and_pages(session: Session, now: datetime) -> None:
    aid = _setup(session, addons=["sms"])
    for i in range(5):
        c = _email(session, aid, now, name=f"Weekly {i}")
        campaigns.start_sending(session, account_id=aid, campaign_id=c.id, now=now)
        campaigns.mark_sent(session, account_id=aid, campaign_id=c.id, now=now - timedelta(days=7 * i))
    _email(session, aid, now, name="Draft one")
    campaigns.create_campaign(
        session, account_id=aid, name="Text", now=now, channel="sms", sms_body="Hi", lists=["SMS Club"]
    )
    page = campaigns.list_campaigns(session, account_id=aid, status="sent", limit=2)
    assert page.total == 5 and [c.name for c in page.items] == ["Weekly 0", "Weekly 1"]
    assert (
        campaigns.list_campaigns(session, account_id=aid, status="sent", offset=4, limit=2).items[0].name
        == "Weekly 4"
    )
    window = campaigns.list_campaigns(
        session, account_id=aid, sent_from=now - timedelta(days=15), sent_to=now - timedelta(days=1)
    )
    assert sorted(c.name for c in window.items) == ["Weekly 1", "Weekly 2"]
    assert campaigns.list_campaigns(session, account_id=aid, channel="SMS").total == 1
    with pytest.raises(InvalidRequest, match="'draft'"):
        campaigns.list_campaigns(session, account_id=aid, status="archived")
    with pytest.raises(InvalidRequest, match="limit"):
        campaigns.list_campaigns(session, account_id=aid, limit=0)


# ---------------------------------------------------------------- sends and events


def test_record_sends_never_writes_a_send_twice(session: Session, now: datetime) -> None:
    aid = _setup(session)
    c, ids = _sending(session, aid, now)
    again = campaigns.record_sends(
        session, account_id=aid, campaign_id=c.id, contact_ids=[ids[0], ids[0]] + ids, now=now
    )
    assert again.recorded == 0 and again.skipped_contact_ids == ids
    more = _contacts(session, aid, 2, prefix="new")
    mixed = campaigns.record_sends(
        session, account_id=aid, campaign_id=c.id, contact_ids=ids[:1] + more, now=now
    )
    assert mixed.recorded == 2 and mixed.skipped_contact_ids == ids[:1]
    assert _count(session, CampaignSend, aid) == 5


def test_record_sends_validates_everything_first(session: Session, now: datetime) -> None:
    aid = _setup(session)
    c = _email(session, aid, now)
    ids = _contacts(session, aid, 2)
    with pytest.raises(Conflict, match="start_sending"):
        campaigns.record_sends(session, account_id=aid, campaign_id=c.id, contact_ids=ids, now=now)
    campaigns.start_sending(session, account_id=aid, campaign_id=c.id, now=now)
    other = _setup(session, name="Other")
    foreign = _contacts(session, other, 1, prefix="b")
    with pytest.raises(NotFound, match=str(foreign[0])):
        campaigns.record_sends(session, account_id=aid, campaign_id=c.id, contact_ids=ids + foreign, now=now)
    with pytest.raises(InvalidRequest, match="SMS campaigns only"):
        campaigns.record_sends(
            session, account_id=aid, campaign_id=c.id, contact_ids=ids, now=now, credits={ids[0]: 1}
        )
    assert _count(session, CampaignSend, aid) == 0


def test_record_event_rules(session: Session, now: datetime) -> None:
    aid = _setup(session)
    c, ids = _sending(session, aid, now)
    later = now + timedelta(hours=1)
    opened = campaigns.record_event(
        session,
        account_id=aid,
        campaign_id=c.id,
        contact_id=ids[0],
        type="OPEN",
        occurred_at=later,
        is_mpp=True,
    )
    assert opened.type.value == "open" and opened.is_mpp
    click = campaigns.record_event(
        session,
        account_id=aid,
        campaign_id=c.id,
        contact_id=ids[0],
        type="click",
        occurred_at=later,
        url="https://acme.io/shop",
    )
    assert click.url == "https://acme.io/shop" and not click.is_bot
    honeypot = next(
        link.url
        for link in campaigns.list_campaign_links(session, account_id=aid, campaign_id=c.id)
        if link.is_honeypot
    )
    scanner = campaigns.record_event(
        session,
        account_id=aid,
        campaign_id=c.id,
        contact_id=ids[1],
        type="click",
        occurred_at=later,
        url=honeypot,
    )
    assert scanner.is_bot  # only scanners follow the hidden link
    bad: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"type": "glance"}, InvalidRequest, "'open'"),
        ({"type": "click", "url": "https://evil.io"}, InvalidRequest, "https://acme.io/shop"),
        ({"type": "click"}, InvalidRequest, "needs the URL"),
        ({"type": "click", "url": "https://acme.io/shop", "is_mpp": True}, InvalidRequest, "is_mpp"),
        ({"type": "open", "url": "https://acme.io/shop"}, InvalidRequest, "no URL"),
        ({"type": "open", "occurred_at": now - timedelta(days=1)}, InvalidRequest, "before the campaign"),
    ]
    before = _count(session, EngagementEvent, aid)
    for kwargs, error, fragment in bad:
        args: dict[str, Any] = {"occurred_at": later, **kwargs}
        with pytest.raises(error, match=fragment):
            campaigns.record_event(session, account_id=aid, campaign_id=c.id, contact_id=ids[2], **args)
    stranger = _contacts(session, aid, 1, prefix="stranger")[0]
    with pytest.raises(InvalidRequest, match="was not sent"):
        campaigns.record_event(
            session, account_id=aid, campaign_id=c.id, contact_id=stranger, type="open", occurred_at=later
        )
    assert _count(session, EngagementEvent, aid) == before
    campaigns.record_event(
        session, account_id=aid, campaign_id=c.id, contact_id=ids[2], type="bounce", occurred_at=later
    )
    send = session.scalars(select(CampaignSend).where(CampaignSend.contact_id == ids[2])).one()
    assert send.status is SendStatus.BOUNCED


# ---------------------------------------------------------------- SMS


def test_sms_campaigns_need_the_sms_add_on(session: Session, now: datetime) -> None:
    plus = _setup(session, plan="plus")
    with pytest.raises(FeatureUnavailable, match="SMS add-on"):
        campaigns.create_campaign(
            session, account_id=plus, name="Flash", now=now, channel="sms", sms_body="Hi"
        )
    starter = _setup(session, plan="starter", addons=["sms"], name="Small")
    with pytest.raises(FeatureUnavailable, match="Upgrade the plan"):
        campaigns.create_campaign(
            session, account_id=starter, name="Flash", now=now, channel="sms", sms_body="Hi"
        )
    assert _count(session, Campaign, plus) == 0 and _count(session, Campaign, starter) == 0


def test_sms_campaign_rules(session: Session, now: datetime) -> None:
    aid = _setup(session, plan="plus", addons=["sms"])
    base: dict[str, Any] = {"now": now, "channel": "sms", "from_name": "Acme"}
    with pytest.raises(InvalidRequest, match="not SMS lists"):
        campaigns.create_campaign(
            session, account_id=aid, name="A", sms_body="Hi", lists=["Newsletter"], **base
        )
    with pytest.raises(InvalidRequest, match="1,601 characters; the maximum is 1,600"):
        campaigns.create_campaign(session, account_id=aid, name="A", sms_body="x" * 1601, **base)
    with pytest.raises(InvalidRequest, match="subject is for email campaigns"):
        campaigns.create_campaign(session, account_id=aid, name="A", sms_body="Hi", subject="S", **base)
    with pytest.raises(InvalidRequest, match="PNG, JPEG or GIF"):
        campaigns.create_campaign(
            session, account_id=aid, name="A", sms_body="Hi", sms_media_url="https://a.io/x.pdf", **base
        )
    c = campaigns.create_campaign(
        session,
        account_id=aid,
        name="Flash sale",
        sms_body="Sale today at https://acme.io/flash. Reply STOP to end",
        lists=["sms club"],
        sms_media_url="https://acme.io/promo.png",
        **base,
    )
    assert c.list_names == ["SMS Club"] and c.sms_media_url == "https://acme.io/promo.png"
    links = campaigns.list_campaign_links(session, account_id=aid, campaign_id=c.id)
    assert [link.url for link in links] == ["https://acme.io/flash"]  # no honeypot or unsubscribe link in SMS
    campaigns.start_sending(session, account_id=aid, campaign_id=c.id, now=now)
    [cid] = _contacts(session, aid, 1)
    campaigns.record_sends(
        session, account_id=aid, campaign_id=c.id, contact_ids=[cid], now=now, credits={cid: 3}
    )
    assert session.scalars(select(CampaignSend.credits).where(CampaignSend.contact_id == cid)).one() == 3
    with pytest.raises(InvalidRequest, match="SMS campaigns record only"):
        campaigns.record_event(
            session, account_id=aid, campaign_id=c.id, contact_id=cid, type="open", occurred_at=now
        )
    campaigns.record_event(
        session,
        account_id=aid,
        campaign_id=c.id,
        contact_id=cid,
        type="click",
        occurred_at=now,
        url="https://acme.io/flash",
    )


@pytest.mark.parametrize(
    ("chars", "segments"),
    [(1, 1), (160, 1), (161, 2), (320, 2), (321, 3), (1600, 10)],
    ids=["1", "160", "161", "320", "321", "1600"],
)
def test_sms_segments(chars: int, segments: int) -> None:
    cost = sms.sms_cost("x" * chars, ["US"])
    assert cost.segments == segments and cost.characters == chars and cost.total_credits == segments


def test_sms_credits_per_country_and_mms() -> None:
    body = "y" * 200  # two SMS segments
    cost = sms.sms_cost(body, ["US", "us", "UK", "AU", "FR", None])
    by_country = {c.country: c for c in cost.per_country}
    assert by_country["US"].credits == 2 * 1 * 2 and by_country["GB"].credits == 2 * 5
    assert by_country["AU"].credits == 2 * 3 and cost.total_credits == 4 + 10 + 6
    assert cost.unsupported == {"FR": 1, "unknown": 1} and cost.recipients == 6
    mms = sms.sms_cost(body, ["US", "AU", "GB"], media_url="https://acme.io/a.gif")
    by_country = {c.country: c for c in mms.per_country}
    assert by_country["US"].kind == "mms" and by_country["US"].credits == 3
    assert by_country["AU"].kind == "mms" and by_country["AU"].credits == 21
    # The UK has no MMS: the image goes as a link, which pushes 200 + 1 + 21 characters into two segments.
    assert by_country["GB"].kind == "sms" and by_country["GB"].credits == 2 * 5
    short = sms.sms_cost("z" * 140, ["GB"], media_url="https://acme.io/a.gif")
    assert short.per_country[0].segments == 2  # 140 + 1 + 21 > 160
    with pytest.raises(InvalidRequest, match="empty"):
        sms.sms_cost("   ", ["US"])
    with pytest.raises(InvalidRequest, match="maximum is 1,600"):
        sms.sms_cost("x" * 1601, ["US"])


@pytest.mark.parametrize(
    ("utc_time", "zone", "allowed"),
    [
        ("2026-06-15T11:59:00", "America/New_York", False),  # 07:59 local
        ("2026-06-15T12:00:00", "America/New_York", True),  # 08:00 local
        ("2026-06-16T00:59:00", "America/New_York", True),  # 20:59 local
        ("2026-06-16T01:00:00", "America/New_York", False),  # 21:00 local
        ("2026-06-15T12:00:00", "Australia/Sydney", False),  # 22:00 local
        ("2026-06-15T12:00:00", "Mars/Olympus", False),  # unknown zone fails closed
        ("2026-06-15T12:00:00", None, False),
    ],
    ids=["before-8", "at-8", "before-21", "at-21", "sydney-night", "unknown-zone", "no-zone"],
)
def test_quiet_hours(utc_time: str, zone: str | None, allowed: bool) -> None:
    at = datetime.fromisoformat(utc_time).replace(tzinfo=UTC)
    assert sms.is_allowed_sending_time(at, zone) is allowed


def test_next_allowed_sending_time_holds_to_the_window_edge() -> None:
    night = datetime(2026, 6, 16, 2, 0, tzinfo=UTC)  # 22:00 in New York
    nxt = sms.next_allowed_sending_time(night, "America/New_York")
    assert nxt == datetime(2026, 6, 16, 12, 0, tzinfo=UTC)  # 08:00 EDT
    early = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)  # 05:00 EDT on the day clocks go forward
    assert sms.next_allowed_sending_time(early, "America/New_York") == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert sms.next_allowed_sending_time(night, "Nowhere/Land") is None
    noon = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)
    assert sms.next_allowed_sending_time(noon, "America/New_York") == noon
    with pytest.raises(InvalidRequest, match="no time zone"):
        sms.is_allowed_sending_time(datetime(2026, 6, 15, 12), "UTC")


# ---------------------------------------------------------------- tenant isolation


def test_tenant_isolation(session: Session, now: datetime) -> None:
    a = _setup(session, name="A")
    b = _setup(session, name="B")
    c, ids = _sending(session, a, now)
    calls = [
        lambda: campaigns.get_campaign(session, account_id=b, campaign_id=c.id),
        lambda: campaigns.update_campaign(session, account_id=b, campaign_id=c.id, now=now, subject="x"),
        lambda: campaigns.schedule_campaign(
            session, account_id=b, campaign_id=c.id, at=now + timedelta(days=1), now=now
        ),
        lambda: campaigns.mark_sent(session, account_id=b, campaign_id=c.id, now=now),
        lambda: campaigns.mark_failed(session, account_id=b, campaign_id=c.id, reason="x", now=now),
        lambda: campaigns.record_sends(session, account_id=b, campaign_id=c.id, contact_ids=[], now=now),
        lambda: campaigns.record_event(
            session, account_id=b, campaign_id=c.id, contact_id=ids[0], type="open", occurred_at=now
        ),
        lambda: campaigns.list_campaign_links(session, account_id=b, campaign_id=c.id),
        lambda: campaigns.set_block_locked(
            session, account_id=b, campaign_id=c.id, position=1, locked=False, now=now
        ),
        lambda: campaigns.find_campaign(session, account_id=b, name="June news"),
        lambda: campaigns.duplicate_campaign(session, account_id=b, campaign_id=c.id, now=now),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert campaigns.list_campaigns(session, account_id=b).total == 0
    # B cannot address A's lists or segments by id either.
    a_list = session.scalars(select(MailingList.id).where(MailingList.account_id == a)).first()
    with pytest.raises(NotFound):
        campaigns.create_campaign(session, account_id=b, name="Steal", now=now, lists=[a_list])
    b_campaign = _email(session, b, now)
    with pytest.raises(NotFound):
        campaigns.start_sending(session, account_id=a, campaign_id=b_campaign.id, now=now)
    assert campaigns.get_campaign(session, account_id=a, campaign_id=c.id).status is CampaignStatus.SENDING


def test_duplicate_makes_a_new_draft(session: Session, now: datetime) -> None:
    aid = _setup(session)
    c, _ = _sending(session, aid, now)
    campaigns.mark_sent(session, account_id=aid, campaign_id=c.id, now=now)
    first = campaigns.duplicate_campaign(session, account_id=aid, campaign_id=c.id, now=now)
    second = campaigns.duplicate_campaign(session, account_id=aid, campaign_id=c.id, now=now)
    assert (first.name, second.name) == ("June news (copy)", "June news (copy 2)")
    assert first.status is CampaignStatus.DRAFT and first.sent_at is None and first.blocks == c.blocks
    assert first.blocks[0].locked and first.list_names == ["Newsletter"]
    assert len(campaigns.list_campaign_links(session, account_id=aid, campaign_id=first.id)) == 5
    named = campaigns.duplicate_campaign(session, account_id=aid, campaign_id=c.id, now=now, name="July news")
    assert named.name == "July news"
    with pytest.raises(Conflict):
        campaigns.duplicate_campaign(session, account_id=aid, campaign_id=c.id, now=now, name="june news")
