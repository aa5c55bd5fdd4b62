"""Site tracking: whitelisted domains, page visits, visitor identification and custom events."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.models import Account
from core.campaigns.models import Campaign
from core.contacts.models import Contact
from core.errors import Conflict, InvalidRequest, NotFound
from core.scope import get_owned
from core.tracking.models import CustomEvent, PageVisit, TrackedDomain
from core.tracking.schemas import CustomEventOut, PageVisitOut, TrackedDomainOut, VisitorIdentified

# Identifying a visitor attaches the anonymous visits of the last 30 days (the help center's window).
IDENTIFY_LOOKBACK_DAYS = 30
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_VISITOR = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_EVENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,99}$")


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    return account


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidRequest(
            f"{field} {value.isoformat()} has no time zone; give an aware time.", field=field
        )
    return value


def normalise_domain(raw: str) -> str:
    """Turn 'https://www.Acme.com/' into 'acme.com'; refuse anything that is not a plain domain."""
    text = (raw or "").strip()
    if not text:
        raise InvalidRequest(
            "The domain is empty; give your website's domain, like 'acme.com'.", field="domain"
        )
    parts = urlsplit(text if "://" in text else "//" + text)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidRequest(
            f"{raw!r} points at a page; whitelist the whole domain instead, like "
            f"{parts.hostname or 'acme.com'!r} "
            "(every page on it is tracked).",
            field="domain",
        )
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        host = ""
    host = host.removeprefix("www.")
    labels = host.split(".")
    if (
        len(host) > 253
        or len(labels) < 2
        or not all(_LABEL.match(lb) for lb in labels)
        or not re.match(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]+)$", labels[-1])
    ):
        raise InvalidRequest(
            f"{raw!r} is not a valid domain; use a name like 'acme.com' or 'shop.acme.co.uk' (no 'http://').",
            field="domain",
        )
    return host


def add_tracked_domain(session: Session, *, account_id: int, domain: str, now: datetime) -> TrackedDomainOut:
    """Whitelist a domain for site tracking; its subdomains are tracked too."""
    _account(session, account_id)
    host = normalise_domain(domain)
    exists = session.scalars(
        select(TrackedDomain).where(TrackedDomain.account_id == account_id, TrackedDomain.domain == host)
    ).first()
    if exists is not None:
        raise Conflict(f"Domain {host!r} is already tracked.", field="domain")
    row = TrackedDomain(account_id=account_id, domain=host, created_at=now)
    session.add(row)
    session.flush()
    return TrackedDomainOut.model_validate(row)


def list_tracked_domains(session: Session, *, account_id: int) -> list[TrackedDomainOut]:
    """Return the whitelisted domains, alphabetically."""
    rows = session.scalars(
        select(TrackedDomain).where(TrackedDomain.account_id == account_id).order_by(TrackedDomain.domain)
    ).all()
    return [TrackedDomainOut.model_validate(r) for r in rows]


def remove_tracked_domain(session: Session, *, account_id: int, domain: str) -> None:
    """Stop tracking a domain (visits already recorded stay)."""
    host = normalise_domain(domain)
    row = session.scalars(
        select(TrackedDomain).where(TrackedDomain.account_id == account_id, TrackedDomain.domain == host)
    ).first()
    if row is None:
        names = [d.domain for d in list_tracked_domains(session, account_id=account_id)]
        raise NotFound(
            f"Domain {host!r} is not tracked; tracked domains: {', '.join(names) or 'none'}.", field="domain"
        )
    session.delete(row)
    session.flush()


def tracked_host(session: Session, *, account_id: int, host: str) -> str | None:
    """Return the whitelisted domain covering ``host`` (itself or a parent domain), or None."""
    host = host.lower().rstrip(".")
    domains = session.scalars(
        select(TrackedDomain.domain).where(TrackedDomain.account_id == account_id)
    ).all()
    return next((d for d in domains if host == d or host.endswith("." + d)), None)


def _visitor(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not _VISITOR.match(text):
        raise InvalidRequest(
            f"Visitor id {value!r} is not valid; it is the tracking cookie value (letters, digits, '_', '-', "
            "'.', ':'; up to 64 characters).",
            field="visitor_id",
        )
    return text


def record_page_visit(
    session: Session,
    *,
    account_id: int,
    url: str,
    visited_at: datetime,
    contact_id: int | None = None,
    visitor_id: str | None = None,
    referrer: str | None = None,
    campaign_id: int | None = None,
    duration_seconds: int | None = None,
) -> PageVisitOut:
    """Record a page view on a tracked domain by a contact or an anonymous visitor."""
    _account(session, account_id)
    visited_at = _aware(visited_at, "visited_at")
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(text) > 500:
        raise InvalidRequest(
            f"Page {url!r} is not a full web address (up to 500 characters); use e.g. "
            "'https://acme.com/pricing'.",
            field="url",
        )
    if tracked_host(session, account_id=account_id, host=parts.hostname) is None:
        tracked = [d.domain for d in list_tracked_domains(session, account_id=account_id)]
        raise InvalidRequest(
            f"{parts.hostname!r} is not a tracked domain, so visits to it are not recorded. Add it first "
            "with "
            "add_tracked_domain (Website > Site Tracking); tracked domains: "
            f"{', '.join(tracked) or 'none yet'}.",
            field="url",
        )
    visitor = _visitor(visitor_id)
    if contact_id is None and visitor is None:
        raise InvalidRequest(
            "A page visit needs a contact_id or the visitor_id of the browser.", field="contact_id"
        )
    if contact_id is not None:
        get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")
    elif visitor is not None:
        # A browser identified earlier keeps its contact: later visits are no longer anonymous.
        contact_id = session.scalars(
            select(PageVisit.contact_id)
            .where(
                PageVisit.account_id == account_id,
                PageVisit.visitor_id == visitor,
                PageVisit.contact_id.is_not(None),
            )
            .order_by(PageVisit.visited_at.desc())
            .limit(1)
        ).first()
    if campaign_id is not None:
        get_owned(session, Campaign, account_id=account_id, id=campaign_id, kind="campaign")
    if duration_seconds is not None and duration_seconds < 0:
        raise InvalidRequest(
            f"Duration {duration_seconds} is negative; use seconds, 0 or more.", field="duration"
        )
    visit = PageVisit(
        account_id=account_id,
        contact_id=contact_id,
        visitor_id=visitor,
        url=text,
        referrer=(referrer or "").strip()[:500] or None,
        campaign_id=campaign_id,
        visited_at=visited_at,
        duration_seconds=duration_seconds,
    )
    session.add(visit)
    session.flush()
    return PageVisitOut.model_validate(visit)


def identify_visitor(
    session: Session, *, account_id: int, visitor_id: str, contact_id: int, now: datetime
) -> VisitorIdentified:
    """Attach a browser's anonymous visits of the last 30 days to the contact it now belongs to."""
    visitor = _visitor(visitor_id)
    if visitor is None:
        raise InvalidRequest(
            "Give the visitor_id (the tracking cookie value) to identify.", field="visitor_id"
        )
    get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")
    since = now - timedelta(days=IDENTIFY_LOOKBACK_DAYS)
    visits = session.scalars(
        select(PageVisit).where(
            PageVisit.account_id == account_id,
            PageVisit.visitor_id == visitor,
            PageVisit.contact_id.is_(None),
        )
    ).all()
    recent = [v for v in visits if v.visited_at >= since]
    for visit in recent:
        visit.contact_id = contact_id
    session.flush()
    return VisitorIdentified(
        visitor_id=visitor,
        contact_id=contact_id,
        visits_attached=len(recent),
        visits_too_old=len(visits) - len(recent),
    )


def list_page_visits(
    session: Session,
    *,
    account_id: int,
    contact_id: int | None = None,
    visitor_id: str | None = None,
    limit: int = 100,
) -> list[PageVisitOut]:
    """Return recent page visits of a contact or a visitor, newest first."""
    if (contact_id is None) == (visitor_id is None):
        raise InvalidRequest("Give exactly one of contact_id or visitor_id.", field="contact_id")
    if not 1 <= limit <= 1000:
        raise InvalidRequest(f"limit {limit} is out of range; use 1 to 1000.", field="limit")
    query = select(PageVisit).where(PageVisit.account_id == account_id)
    if contact_id is not None:
        get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")
        query = query.where(PageVisit.contact_id == contact_id)
    else:
        query = query.where(PageVisit.visitor_id == _visitor(visitor_id))
    rows = session.scalars(
        query.order_by(PageVisit.visited_at.desc(), PageVisit.id.desc()).limit(limit)
    ).all()
    return [PageVisitOut.model_validate(r) for r in rows]


def record_custom_event(
    session: Session,
    *,
    account_id: int,
    contact_id: int,
    name: str,
    occurred_at: datetime,
    value: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> CustomEventOut:
    """Record a custom event (event tracking) performed by a contact."""
    get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")
    occurred_at = _aware(occurred_at, "occurred_at")
    clean = (name or "").strip()
    if not _EVENT_NAME.match(clean):
        raise InvalidRequest(
            f"Event name {name!r} is not valid; use up to 100 letters, digits, spaces, '_', '-', '.' or ':', "
            "like 'trial_started'.",
            field="name",
        )
    if value is not None and len(value) > 255:
        raise InvalidRequest(f"Event value is {len(value)} characters; the limit is 255.", field="value")
    payload = dict(data or {})
    try:
        size = len(json.dumps(payload))
    except (TypeError, ValueError):
        raise InvalidRequest(
            "Event data must be plain JSON values (text, numbers, true/false, lists, objects).", field="data"
        ) from None
    if size > 10_000 or not all(isinstance(k, str) for k in payload):
        raise InvalidRequest("Event data must have text keys and stay under 10,000 characters.", field="data")
    event = CustomEvent(
        account_id=account_id,
        contact_id=contact_id,
        name=clean,
        value=value,
        data=payload,
        occurred_at=occurred_at,
    )
    session.add(event)
    session.flush()
    return CustomEventOut.model_validate(event)


def list_custom_events(
    session: Session, *, account_id: int, contact_id: int, name: str | None = None, limit: int = 100
) -> list[CustomEventOut]:
    """Return a contact's custom events, newest first, optionally of one name."""
    get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")
    query = select(CustomEvent).where(
        CustomEvent.account_id == account_id, CustomEvent.contact_id == contact_id
    )
    if name is not None:
        query = query.where(func.lower(CustomEvent.name) == name.strip().lower())
    rows = session.scalars(
        query.order_by(CustomEvent.occurred_at.desc()).limit(max(1, min(limit, 1000)))
    ).all()
    return [CustomEventOut.model_validate(r) for r in rows]
