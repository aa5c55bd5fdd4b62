"""Test emails: one copy of an email campaign, filled with the requesting user's details, sent to a few people.

A test is not a send. It writes no ``campaign_sends`` row and no engagement event, uses no AI activity and no
credit, and works on drafts (no sending domain, lists or from address needed: the user's own name and address
stand in for a missing sender). Each test is logged in ``test_sends``, which answers "when did I last test
it?" and carries the hourly limit.

Limits (the help center states none, so these are ours): at most ``MAX_TEST_RECIPIENTS`` addresses per test,
and at most ``MAX_TESTS_PER_CAMPAIGN_PER_HOUR`` tests of one campaign in any rolling hour.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.models import Account, User
from core.auth.ratelimit import RateLimited
from core.campaigns import service as campaigns
from core.campaigns.models import Campaign, TestSend
from core.campaigns.render import RenderedEmail, render_email
from core.campaigns.schemas import CampaignOut
from core.contacts.fields import RESERVED_TAGS, parse_email
from core.contacts.models import Contact, ContactFieldValue, CustomField
from core.crm.models import CrmAccount
from core.enums import Channel
from core.errors import InvalidRequest
from core.mail.transport import MailTransport
from core.scope import get_owned

MAX_TEST_RECIPIENTS = 5
MAX_TESTS_PER_CAMPAIGN_PER_HOUR = 10
SUBJECT_PREFIX = "[Test] "
# The unsubscribe link of a test goes nowhere: nobody is on a list because of a test.
TEST_UNSUBSCRIBE_URL = "https://unsubscribe.activeintel.invalid/test-email"
HISTORY_MAX = 50
_ME_WORDS = {"me", "myself", "my address", "my email", "my inbox"}


class TestSendPlan(BaseModel):
    """What a test send would do, worked out without sending: the tool shows it for approval."""

    __test__ = False

    campaign_id: int
    campaign_name: str
    recipients: list[str]
    # Addresses that are not users of this account (sending to them needs the user's approval).
    outside_recipients: list[str]
    subject: str
    tests_in_last_hour: int


class TestSendOut(BaseModel):
    """One logged test send."""

    __test__ = False

    id: int
    campaign_id: int
    campaign_name: str
    user_id: int | None
    recipients: list[str]
    subject: str
    transport: str
    message_ids: list[str]
    sent_at: datetime


class TestSendResult(TestSendOut):
    """A test just sent, with what the reviewer should look at in it."""

    preheader: str | None
    from_name: str
    from_email: str
    empty_tags: list[str]
    unknown_tags: list[str]
    buttons_without_link: list[str]


# ---------------------------------------------------------------------------------------------- checks


def _user(session: Session, account_id: int, user_id: int) -> User:
    return get_owned(session, User, account_id=account_id, id=user_id, kind="user")


def _check_campaign(c: CampaignOut) -> None:
    if c.channel == Channel.SMS:
        raise InvalidRequest(
            f"{c.name!r} is an SMS campaign; test sends are for email campaigns only. Show the campaign to "
            "read its text (SMS tests are not sent, so no credits are used).",
            field="campaign",
        )
    if not (c.subject or "").strip() and not c.blocks:
        raise InvalidRequest(
            f"Campaign {c.name!r} has no subject and no content yet, so there is nothing to test. Add a subject "
            "and at least one content block (or draft it with AI) first.",
            field="campaign",
        )


def normalize_recipients(to: Sequence[str] | str | None, *, default: str) -> list[str]:
    """Validated, lower-cased, de-duplicated addresses, at most the cap.

    ``default`` (the requesting user's address) is used when none are given, and stands for "me"/"myself".
    """
    if isinstance(to, str):
        to = to.replace(";", ",").split(",")
    raw = [t.strip() for t in (to or []) if t and t.strip()]
    raw = [default if t.lower() in _ME_WORDS else t for t in raw]
    addresses = list(dict.fromkeys(parse_email(t) for t in raw)) or [parse_email(default)]
    if len(addresses) > MAX_TEST_RECIPIENTS:
        raise InvalidRequest(
            f"A test email can go to at most {MAX_TEST_RECIPIENTS} addresses at once; {len(addresses)} were given. "
            "Send it in smaller groups.",
            field="to",
        )
    return addresses


def _recent_tests(session: Session, account_id: int, campaign_id: int, now: datetime) -> list[datetime]:
    since = now - timedelta(hours=1)
    return list(session.scalars(
        select(TestSend.created_at)
        .where(TestSend.account_id == account_id, TestSend.campaign_id == campaign_id, TestSend.created_at > since)
        .order_by(TestSend.created_at)
    ).all())


def _check_rate(recent: list[datetime], campaign: str, now: datetime, tz: str) -> None:
    if len(recent) < MAX_TESTS_PER_CAMPAIGN_PER_HOUR:
        return
    free_at = recent[-MAX_TESTS_PER_CAMPAIGN_PER_HOUR] + timedelta(hours=1)
    wait = max(1, int((free_at - now).total_seconds()) + 1)
    local = free_at.astimezone(ZoneInfo(tz))
    raise RateLimited(
        f"{campaign!r} has had {len(recent)} test emails in the last hour; the limit is "
        f"{MAX_TESTS_PER_CAMPAIGN_PER_HOUR} per campaign per hour. The next one can go at "
        f"{local:%H:%M} ({tz}).",
        retry_after=wait,
    )


def _timezone(session: Session, account_id: int) -> str:
    account = session.get(Account, account_id)
    return account.timezone if account is not None else "UTC"


def internal_addresses(session: Session, *, account_id: int) -> set[str]:
    """The account's users' addresses: a test to them stays inside the account."""
    return {e.lower() for e in session.scalars(select(User.email).where(User.account_id == account_id)).all()}


def plan_test_send(
    session: Session,
    *,
    account_id: int,
    campaign_id: int,
    user_id: int,
    to: Sequence[str] | str | None,
    now: datetime,
) -> TestSendPlan:
    """Check a test send without sending: campaign, addresses, the cap and the hourly limit (read-only)."""
    user = _user(session, account_id, user_id)
    c = campaigns.get_campaign(session, account_id=account_id, campaign_id=campaign_id)
    _check_campaign(c)
    recipients = normalize_recipients(to, default=user.email)
    inside = internal_addresses(session, account_id=account_id)
    recent = _recent_tests(session, account_id, campaign_id, now)
    _check_rate(recent, c.name, now, _timezone(session, account_id))
    return TestSendPlan(
        campaign_id=c.id,
        campaign_name=c.name,
        recipients=recipients,
        outside_recipients=[r for r in recipients if r not in inside],
        subject=SUBJECT_PREFIX + ((c.subject or "").strip() or "(no subject yet)"),
        tests_in_last_hour=len(recent),
    )


# ---------------------------------------------------------------------------------------------- values


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def sample_values(session: Session, *, account_id: int, user: User, now: datetime) -> dict[str, str]:
    """Personalization values for a test: the user's own contact record when there is one, else their user
    details; fields nobody has a value for stay empty, as they would for a real contact without them."""
    account = session.get(Account, account_id)
    tz = _timezone(session, account_id)
    today = now.astimezone(ZoneInfo(tz))
    contact = session.scalars(
        select(Contact).where(Contact.account_id == account_id, Contact.email == user.email.lower())
    ).first()
    first, _, last = user.name.strip().partition(" ")
    org = account.name if account else ""
    if contact is not None and contact.crm_account_id is not None:
        crm = session.get(CrmAccount, contact.crm_account_id)
        org = crm.name if crm is not None else org
    values = {t.strip("%"): "" for t in RESERVED_TAGS}
    values |= {
        "FIRSTNAME": (contact.first_name if contact and contact.first_name else first),
        "LASTNAME": (contact.last_name if contact and contact.last_name else last.strip()),
        "EMAIL": user.email,
        "PHONE": (contact.phone if contact else None) or "",
        "ORGNAME": org,
        "CITY": (contact.city if contact else None) or "",
        "COUNTRY": (contact.country if contact else None) or "",
        "TIMEZONE": (contact.timezone if contact else None) or tz,
        "PREFERRED_LANGUAGE": (contact.preferred_language if contact else None) or "",
        "TODAY": f"{today:%B} {today.day}, {today.year}",
        "SUBSCRIBERID": str(contact.id) if contact else "test",
    }
    values["FULLNAME"] = " ".join(p for p in (values["FIRSTNAME"], values["LASTNAME"]) if p)
    fields = session.execute(
        select(CustomField.id, CustomField.tag).where(CustomField.account_id == account_id)
    ).all()
    own: dict[int, str] = {}
    if contact is not None:
        rows = session.execute(
            select(ContactFieldValue.field_id, ContactFieldValue.value_text, ContactFieldValue.value_number,
                   ContactFieldValue.value_date)
            .where(ContactFieldValue.contact_id == contact.id, ContactFieldValue.account_id == account_id)
        ).all()
        own = {fid: _text(t if t is not None else n if n is not None else d) for fid, t, n, d in rows}
    for fid, tag in fields:
        values[tag.strip("%").upper()] = own.get(fid, "")
    return values


# ---------------------------------------------------------------------------------------------- sending


def _message_id(key: str | None, recipient: str, domain: str) -> str:
    if key is None:
        return make_msgid(idstring="test", domain=domain)
    # The same request (a resumed approval) gets the same id, so a transport keyed by it never sends twice.
    digest = hashlib.sha256(f"{key}\0{recipient}".encode()).hexdigest()[:32]
    return f"<test-{digest}@{domain}>"


def _build(
    rendered: RenderedEmail, *, subject: str, sender: tuple[str, str], recipient: str, message_id: str,
    now: datetime, campaign_id: int,
) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = formataddr(sender)
    msg["To"] = recipient
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    msg["X-ActiveIntel-Test"] = "yes"
    msg["X-ActiveIntel-Campaign"] = str(campaign_id)
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def send_test_email(
    session: Session,
    *,
    account_id: int,
    campaign_id: int,
    user_id: int,
    to: Sequence[str] | str | None,
    transport: MailTransport,
    now: datetime,
    message_key: str | None = None,
) -> TestSendResult:
    """Send a test copy of an email campaign to ``to`` (default: the requesting user) and log it.

    ``message_key`` makes the Message-IDs deterministic, so repeating the same request (e.g. a resumed
    approval) reuses them and a keyed transport such as the outbox keeps a single copy.
    """
    plan = plan_test_send(session, account_id=account_id, campaign_id=campaign_id, user_id=user_id, to=to, now=now)
    user = _user(session, account_id, user_id)
    c = campaigns.get_campaign(session, account_id=account_id, campaign_id=campaign_id)
    sender = ((c.from_name or user.name).strip(), (c.from_email or user.email).strip())
    rendered = render_email(
        c, sample_values(session, account_id=account_id, user=user, now=now),
        footer=f"This is a test of “{c.name}”, sent at the request of {user.name}. Opens and clicks in a "
               "test are not tracked.",
        unsubscribe_url=TEST_UNSUBSCRIBE_URL,
    )
    subject = SUBJECT_PREFIX + (rendered.subject or "(no subject yet)")
    domain = sender[1].rpartition("@")[2] or "activeintel.local"
    message_ids = []
    for recipient in plan.recipients:
        message = _build(
            rendered, subject=subject, sender=sender, recipient=recipient,
            message_id=_message_id(message_key, recipient, domain), now=now, campaign_id=c.id,
        )
        message_ids.append(transport.send(message, account_id=account_id).message_id)
    row = TestSend(
        account_id=account_id, campaign_id=c.id, user_id=user.id, recipients=plan.recipients,
        subject=subject[:300], transport=transport.name, message_ids=message_ids, created_at=now,
    )
    session.add(row)
    session.flush()
    return TestSendResult(
        id=row.id, campaign_id=c.id, campaign_name=c.name, user_id=user.id, recipients=plan.recipients,
        subject=row.subject, transport=row.transport, message_ids=message_ids, sent_at=now,
        preheader=rendered.preheader, from_name=sender[0], from_email=sender[1],
        empty_tags=rendered.empty_tags, unknown_tags=rendered.unknown_tags,
        buttons_without_link=rendered.buttons_without_link,
    )


# ---------------------------------------------------------------------------------------------- history


def list_test_sends(
    session: Session, *, account_id: int, campaign_id: int | None = None, limit: int = 10
) -> list[TestSendOut]:
    """The account's test sends (of one campaign, when given), newest first."""
    if not 1 <= limit <= HISTORY_MAX:
        raise InvalidRequest(f"limit {limit} is out of range; use 1 to {HISTORY_MAX}.", field="limit")
    stmt = (
        select(TestSend, Campaign.name)
        .join(Campaign, Campaign.id == TestSend.campaign_id)
        .where(TestSend.account_id == account_id)
    )
    if campaign_id is not None:
        campaigns.get_campaign(session, account_id=account_id, campaign_id=campaign_id)
        stmt = stmt.where(TestSend.campaign_id == campaign_id)
    rows = session.execute(stmt.order_by(TestSend.created_at.desc(), TestSend.id.desc()).limit(limit)).all()
    return [
        TestSendOut(
            id=t.id, campaign_id=t.campaign_id, campaign_name=name, user_id=t.user_id, recipients=list(t.recipients),
            subject=t.subject, transport=t.transport, message_ids=list(t.message_ids), sent_at=t.created_at,
        )
        for t, name in rows
    ]

