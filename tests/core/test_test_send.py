"""Test emails: rendering with the user's details, the outbox and SMTP transports, limits, and no effect on sends."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.auth.ratelimit import RateLimited
from core.billing.models import ActivityEntry
from core.campaigns import service as campaigns
from core.campaigns import test_send as ts
from core.campaigns.models import Campaign, CampaignSend, EngagementEvent
from core.config import Settings
from core.contacts.models import Contact, ContactFieldValue, CustomField, MailingList
from core.enums import EventType, FieldType
from core.errors import InvalidRequest, NotFound
from core.mail import MailDeliveryError, OutboxTransport, SmtpTransport, parse_smtp_url, transport_from_settings
from core.reports.performance import campaign_performance

BLOCKS: list[dict[str, Any]] = [
    {"type": "heading", "text": "Hello %FIRSTNAME%"},
    {"type": "text", "text": "Your %FAVORITE_COLOR% picks are in, %FULLNAME%.\n\nSee you in %CITY%."},
    {"type": "button", "label": "Shop now", "url": "https://acme.example.com/shop"},
    {"type": "product", "name": "Teal mug", "price_cents": 1900, "url": "https://acme.example.com/mug"},
]


def _world(session: Session, name: str = "Acme") -> dict[str, int]:
    acc = accounts.create_account(session, name=name, plan="pro", addons=["sms"], timezone="Europe/Berlin")
    user = accounts.create_user(session, account_id=acc.id, email=f"ann@{name.lower()}.io", name="Ann Lee", role="admin")
    colleague = accounts.create_user(session, account_id=acc.id, email=f"carl@{name.lower()}.io", name="Carl")
    session.add_all([
        MailingList(account_id=acc.id, name="Newsletter"),
        MailingList(account_id=acc.id, name="SMS Club", allows_sms=True),
        CustomField(account_id=acc.id, name="Favorite color", tag="%FAVORITE_COLOR%", type=FieldType.TEXT),
    ])
    session.flush()
    return {"account": acc.id, "user": user.id, "colleague": colleague.id}


def _campaign(session: Session, aid: int, now: datetime, **overrides: Any) -> Any:
    kwargs: dict[str, Any] = dict(
        name="June news", now=now, subject="%FIRSTNAME%, June is here", preheader="New for %FIRSTNAME%",
        blocks=BLOCKS,
    )
    kwargs.update(overrides)
    return campaigns.create_campaign(session, account_id=aid, **kwargs)


def _read(path: Path) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())  # type: ignore[return-value]


def _send(session: Session, w: dict[str, int], cid: int, transport: Any, now: datetime, **kw: Any) -> ts.TestSendResult:
    return ts.send_test_email(
        session, account_id=w["account"], campaign_id=cid, user_id=w["user"], to=kw.pop("to", None),
        transport=transport, now=now, **kw,
    )


# ---------------------------------------------------------------------------------------------- outbox


def test_draft_renders_with_the_users_details_and_goes_to_their_own_address(
    session: Session, now: datetime, tmp_path: Path
) -> None:
    w = _world(session)
    # A draft with no sender, no lists and no sending domain can still be tested.
    c = _campaign(session, w["account"], now)
    outbox = OutboxTransport(tmp_path / "outbox")
    out = _send(session, w, c.id, outbox, now)
    assert out.recipients == ["ann@acme.io"] and out.transport == "outbox"
    assert out.subject == "[Test] Ann, June is here"
    assert (out.from_name, out.from_email) == ("Ann Lee", "ann@acme.io")
    assert out.empty_tags == ["%CITY%", "%FAVORITE_COLOR%"] and out.unknown_tags == []
    [path] = outbox.messages(w["account"])
    assert path.parent == tmp_path / "outbox" / f"account_{w['account']}"
    msg = _read(path)
    assert msg["Subject"] == "[Test] Ann, June is here" and msg["To"] == "ann@acme.io"
    assert msg["From"] == "Ann Lee <ann@acme.io>" and msg["Message-ID"] == out.message_ids[0]
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Hello Ann" in text and "picks are in, Ann Lee." in text and "%" not in text.split("--")[0]
    assert "Shop now: https://acme.example.com/shop" in text and "Teal mug - $19.00" in text
    assert "<h1" in html and "Hello Ann" in html and 'href="https://acme.example.com/shop"' in html
    assert "New for Ann" in html  # the preheader, hidden at the top
    assert "%FIRSTNAME%" not in html


def test_the_users_contact_record_fills_the_other_tags(session: Session, now: datetime, tmp_path: Path) -> None:
    w = _world(session)
    me = Contact(account_id=w["account"], email="ann@acme.io", first_name="Annie", last_name="Lee", city="Berlin")
    session.add(me)
    session.flush()
    field_id = session.scalar(select(CustomField.id).where(CustomField.account_id == w["account"]))
    session.add(ContactFieldValue(contact_id=me.id, field_id=field_id, account_id=w["account"], value_text="teal"))
    session.flush()
    c = _campaign(session, w["account"], now)
    outbox = OutboxTransport(tmp_path)
    out = _send(session, w, c.id, outbox, now)
    assert out.empty_tags == []
    text = _read(outbox.messages(w["account"])[0]).get_body(("plain",)).get_content()
    assert "Your teal picks are in, Annie Lee." in text and "See you in Berlin." in text


def test_several_addresses_each_get_their_own_message(session: Session, now: datetime, tmp_path: Path) -> None:
    w = _world(session)
    c = _campaign(session, w["account"], now, from_name="Acme Shop", from_email="news@acme.example.com")
    outbox = OutboxTransport(tmp_path)
    out = _send(session, w, c.id, outbox, now, to=["Bob@Example.com", "carl@acme.io", "bob@example.com"])
    assert out.recipients == ["bob@example.com", "carl@acme.io"]
    sent = {str(_read(p)["To"]): _read(p) for p in outbox.messages(w["account"])}
    assert set(sent) == {"bob@example.com", "carl@acme.io"}
    assert all(m["From"] == "Acme Shop <news@acme.example.com>" for m in sent.values())


def test_plan_marks_outside_addresses_for_approval(session: Session, now: datetime) -> None:
    w = _world(session)
    c = _campaign(session, w["account"], now)
    plan = ts.plan_test_send(
        session, account_id=w["account"], campaign_id=c.id, user_id=w["user"],
        to=["ann@acme.io", "CARL@acme.io", "bob@example.com"], now=now,
    )
    assert plan.recipients == ["ann@acme.io", "carl@acme.io", "bob@example.com"]
    assert plan.outside_recipients == ["bob@example.com"]
    assert ts.plan_test_send(session, account_id=w["account"], campaign_id=c.id, user_id=w["user"], to=None,
                             now=now).outside_recipients == []
    # "me" is the requesting user's own address.
    assert ts.plan_test_send(session, account_id=w["account"], campaign_id=c.id, user_id=w["user"],
                             to=["me", "bob@example.com"], now=now).recipients == ["ann@acme.io", "bob@example.com"]


@pytest.mark.parametrize(
    ("to", "message"),
    [
        (["bob@example"], "'bob@example' is not a valid address"),
        (["ok@example.com", "not an address"], "'not an address' is not a valid address"),
        ([f"p{i}@example.com" for i in range(6)], "at most 5 addresses at once; 6 were given"),
    ],
    ids=["no-tld", "one-bad-of-two", "over-the-cap"],
)
def test_bad_or_too_many_addresses_are_refused_and_nothing_is_sent(
    session: Session, now: datetime, tmp_path: Path, to: list[str], message: str
) -> None:
    w = _world(session)
    c = _campaign(session, w["account"], now)
    outbox = OutboxTransport(tmp_path)
    with pytest.raises(InvalidRequest, match=message):
        _send(session, w, c.id, outbox, now, to=to)
    assert outbox.messages(w["account"]) == []
    assert ts.list_test_sends(session, account_id=w["account"]) == []


def test_sms_campaigns_are_refused_with_a_clear_message(session: Session, now: datetime, tmp_path: Path) -> None:
    w = _world(session)
    c = campaigns.create_campaign(
        session, account_id=w["account"], name="Flash", now=now, channel="sms", sms_body="Sale today", lists=["SMS Club"]
    )
    with pytest.raises(InvalidRequest, match="'Flash' is an SMS campaign; test sends are for email campaigns"):
        _send(session, w, c.id, OutboxTransport(tmp_path), now)


def test_a_campaign_with_nothing_in_it_has_nothing_to_test(session: Session, now: datetime, tmp_path: Path) -> None:
    w = _world(session)
    c = campaigns.create_campaign(session, account_id=w["account"], name="Empty", now=now)
    with pytest.raises(InvalidRequest, match="no subject and no content yet"):
        _send(session, w, c.id, OutboxTransport(tmp_path), now)


def test_unknown_tags_and_missing_button_links_are_reported_not_hidden(
    session: Session, now: datetime, tmp_path: Path
) -> None:
    w = _world(session)
    c = _campaign(session, w["account"], now, blocks=[{"type": "button", "label": "Book"}], subject="Hi")
    # A tag nothing fills any more, as when its custom field was deleted after the draft was written (the
    # service refuses unknown tags on save, so the row is changed directly).
    session.get(Campaign, c.id).subject = "Hi %NICKNAME%"
    session.flush()
    out = _send(session, w, c.id, OutboxTransport(tmp_path), now)
    assert out.unknown_tags == ["%NICKNAME%"] and out.subject == "[Test] Hi %NICKNAME%"
    assert out.buttons_without_link == ["Book"]


def test_a_test_is_not_a_send_reports_and_activities_are_unchanged(
    session: Session, now: datetime, tmp_path: Path
) -> None:
    w = _world(session)
    contacts = [Contact(account_id=w["account"], email=f"c{i}@example.com") for i in range(3)]
    session.add_all(contacts)
    session.flush()
    c = _campaign(session, w["account"], now - timedelta(days=3), from_name="Acme", from_email="hi@acme.example.com",
                  lists=["Newsletter"])
    campaigns.schedule_campaign(session, account_id=w["account"], campaign_id=c.id, at=now - timedelta(days=2),
                                now=now - timedelta(days=3))
    campaigns.start_sending(session, account_id=w["account"], campaign_id=c.id, now=now - timedelta(days=2))
    campaigns.record_sends(session, account_id=w["account"], campaign_id=c.id, contact_ids=[x.id for x in contacts],
                           now=now - timedelta(days=2))
    campaigns.mark_sent(session, account_id=w["account"], campaign_id=c.id, now=now - timedelta(days=2))
    campaigns.record_event(session, account_id=w["account"], campaign_id=c.id, contact_id=contacts[0].id,
                           type=EventType.OPEN, occurred_at=now - timedelta(days=1))
    before = campaign_performance(session, account_id=w["account"], campaign=c.id)

    def counts() -> tuple[int, int, int]:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model).where(model.account_id == w["account"]))
            for model in (CampaignSend, EngagementEvent, ActivityEntry)
        )

    sends_before = counts()
    _send(session, w, c.id, OutboxTransport(tmp_path), now, to=["c0@example.com", "ann@acme.io"])
    assert counts() == sends_before == (3, 1, 0)
    assert campaign_performance(session, account_id=w["account"], campaign=c.id) == before
    assert campaigns.get_campaign(session, account_id=w["account"], campaign_id=c.id).status.value == "sent"


def test_hourly_limit_per_campaign_and_the_history(session: Session, now: datetime, tmp_path: Path) -> None:
    w = _world(session)
    c = _campaign(session, w["account"], now)
    other = _campaign(session, w["account"], now, name="Other news")
    outbox = OutboxTransport(tmp_path)
    start = now - timedelta(minutes=50)
    for i in range(ts.MAX_TESTS_PER_CAMPAIGN_PER_HOUR):
        _send(session, w, c.id, outbox, start + timedelta(minutes=5 * i))
    with pytest.raises(RateLimited, match="10 test emails in the last hour; the limit is 10 per campaign per hour") as err:
        _send(session, w, c.id, outbox, now)
    # The oldest of the ten (50 minutes ago) leaves the window in 10 minutes: 12:10 UTC is 14:10 in Berlin.
    assert "14:10 (Europe/Berlin)" in err.value.message and 590 <= err.value.retry_after <= 601
    # Another campaign has its own allowance; the first is free again once the hour has passed.
    _send(session, w, other.id, outbox, now)
    _send(session, w, c.id, outbox, start + timedelta(hours=1, seconds=1))
    history = ts.list_test_sends(session, account_id=w["account"], campaign_id=c.id, limit=3)
    assert [h.sent_at for h in history] == [
        start + timedelta(hours=1, seconds=1), start + timedelta(minutes=45), start + timedelta(minutes=40)
    ]
    assert history[0].recipients == ["ann@acme.io"] and history[0].campaign_name == "June news"
    assert history[0].user_id == w["user"] and history[0].subject == "[Test] Ann, June is here"


def test_the_same_message_key_never_writes_a_second_file(session: Session, now: datetime, tmp_path: Path) -> None:
    w = _world(session)
    c = _campaign(session, w["account"], now)
    outbox = OutboxTransport(tmp_path)
    first = _send(session, w, c.id, outbox, now, message_key="thread-1:call-1")
    again = _send(session, w, c.id, outbox, now + timedelta(seconds=5), message_key="thread-1:call-1")
    assert first.message_ids == again.message_ids and len(outbox.messages(w["account"])) == 1
    _send(session, w, c.id, outbox, now, message_key="thread-1:call-2")
    assert len(outbox.messages(w["account"])) == 2


def test_another_tenant_cannot_test_send_or_read_the_history(session: Session, now: datetime, tmp_path: Path) -> None:
    a = _world(session)
    b = _world(session, name="Beta")
    c = _campaign(session, a["account"], now)
    outbox = OutboxTransport(tmp_path)
    _send(session, a, c.id, outbox, now)
    with pytest.raises(NotFound, match=f"No campaign with id {c.id}"):
        _send(session, b, c.id, outbox, now)
    # Nor with A's user id smuggled in with B's account.
    with pytest.raises(NotFound, match="No user with id"):
        ts.send_test_email(session, account_id=b["account"], campaign_id=c.id, user_id=a["user"], to=None,
                           transport=outbox, now=now)
    with pytest.raises(NotFound):
        ts.list_test_sends(session, account_id=b["account"], campaign_id=c.id)
    assert ts.list_test_sends(session, account_id=b["account"]) == []
    assert outbox.messages(b["account"]) == [] and len(outbox.messages(a["account"])) == 1


# ---------------------------------------------------------------------------------------------- SMTP


class _Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses one address."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"mailer", b"s3cret:pw")
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Any:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=_authenticator, auth_require_tls=False,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_smtp_transport_delivers_to_a_real_server_with_login(
    session: Session, now: datetime, smtp_server: Any
) -> None:
    inbox, port = smtp_server
    w = _world(session)
    c = _campaign(session, w["account"], now, from_name="Acme", from_email="news@acme.example.com")
    # The password has a ':' (written %3A) to show the URL is decoded.
    transport = transport_from_settings(Settings(ACTIVEINTEL_SMTP_URL=f"smtp://mailer:s3cret%3Apw@127.0.0.1:{port}"))
    assert isinstance(transport, SmtpTransport)
    out = _send(session, w, c.id, transport, now, to=["ann@acme.io", "bob@example.com"])
    assert out.transport == "smtp" and len(out.message_ids) == 2
    assert [(frm, to) for frm, to, _ in inbox.messages] == [
        ("news@acme.example.com", ["ann@acme.io"]), ("news@acme.example.com", ["bob@example.com"])
    ]
    msg = BytesParser(policy=policy.default).parsebytes(inbox.messages[0][2])
    assert msg["Subject"] == "[Test] Ann, June is here" and msg["Message-ID"] == out.message_ids[0]
    assert "Hello Ann" in msg.get_body(("plain",)).get_content()
    assert "<h1" in msg.get_body(("html",)).get_content()
    assert [h.transport for h in ts.list_test_sends(session, account_id=w["account"])] == ["smtp"]


def test_smtp_envelope_sender_can_be_overridden(smtp_server: Any) -> None:
    inbox, port = smtp_server
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@shop.example.com", "x@example.com", "Hi"
    msg.set_content("hello")
    SmtpTransport.from_url(f"smtp://mailer:s3cret%3Apw@127.0.0.1:{port}?sender=relay%40example.net").send(msg, account_id=1)
    assert inbox.messages[0][0] == "relay@example.net"


@pytest.mark.parametrize(
    ("url", "to", "message"),
    [
        ("smtp://mailer:wrong@127.0.0.1:{port}", "x@example.com", "did not accept the user name and password"),
        ("smtp://mailer:s3cret%3Apw@127.0.0.1:{port}", "nobody@example.com", "refused the recipient nobody@example.com"),
        ("smtp://127.0.0.1:{port}?starttls=1", "x@example.com", "does not support what ACTIVEINTEL_SMTP_URL asks"),
        ("smtp://127.0.0.1:{closed}?timeout=3", "x@example.com", "could not take the message"),
    ],
    ids=["bad-password", "refused-recipient", "no-starttls", "unreachable"],
)
def test_smtp_failures_say_what_went_wrong(
    session: Session, now: datetime, smtp_server: Any, url: str, to: str, message: str
) -> None:
    inbox, port = smtp_server
    w = _world(session)
    c = _campaign(session, w["account"], now)
    transport = SmtpTransport.from_url(url.format(port=port, closed=_free_port()))
    with pytest.raises(MailDeliveryError, match=message) as err:
        _send(session, w, c.id, transport, now, to=[to])
    assert "s3cret" not in err.value.message
    assert inbox.messages == [] and ts.list_test_sends(session, account_id=w["account"]) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://u:p@mail.example.com:587?starttls=1", ("mail.example.com", 587, "u", "p", True, False)),
        ("smtps://u%40x.com:p%2Fq@mail.example.com", ("mail.example.com", 465, "u@x.com", "p/q", False, True)),
        ("smtp://localhost", ("localhost", 25, None, None, False, False)),
    ],
    ids=["starttls", "implicit-tls-encoded", "bare"],
)
def test_smtp_urls_are_read(url: str, expected: tuple[Any, ...]) -> None:
    cfg = parse_smtp_url(url)
    assert (cfg.host, cfg.port, cfg.username, cfg.password, cfg.starttls, cfg.implicit_tls) == expected
    assert "password=" not in repr(cfg)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.com", "must look like"),
        ("smtp://mail.example.com?starttls=maybe", "starttls='maybe' is not understood"),
        ("smtp://mail.example.com:99999", "bad port"),
    ],
    ids=["scheme", "flag", "port"],
)
def test_bad_smtp_urls_are_refused_clearly(url: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        parse_smtp_url(url)


def test_without_an_smtp_url_mail_goes_to_the_outbox_in_the_data_dir(tmp_path: Path) -> None:
    transport = transport_from_settings(Settings(ACTIVEINTEL_DATA_DIR=str(tmp_path)))
    assert isinstance(transport, OutboxTransport)
    assert transport.folder(7) == tmp_path / "outbox" / "account_7"


# ---------------------------------------------------------------------------------------------- help page


@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("how do I send a test email to myself", "Overview"),
        ("do test emails count in my reports", "A test is not a send"),
        ("can I test a draft without a sending domain", "Drafts can be tested"),
    ],
)
def test_the_help_page_answers_questions_about_test_emails(tmp_path: Path, question: str, section: str) -> None:
    from core.knowledge import service
    from core.knowledge.store import KnowledgeStore

    store = KnowledgeStore(data_dir=tmp_path, help_dir=Path(__file__).resolve().parents[2] / "docs" / "help")
    service.index_help_pages(store)
    top = service.search_help(store, query=question, k=1)[0]
    assert (top.page, top.section) == ("test-emails", section)
