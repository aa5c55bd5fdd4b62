"""Find the campaign a user means: "my last campaign", "the May newsletter", a name or an id."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.campaigns.models import Campaign
from core.enums import CampaignStatus, Channel
from core.errors import NotFound, not_found
from core.periods import MONTHS, parse_period

_LATEST = re.compile(
    r"^(?:my |the |our )?(?:last|latest|most recent|newest|recent|previous|last sent)"
    r"(?: (?P<noun>one|campaign|email|e-mail|newsletter|send|sms|text|blast|broadcast|promo|promotion|sale))?$"
)
# "my last email" is the latest email campaign; "my last newsletter" the latest whose name or subject says so.
_NOUN_CHANNEL = {"email": Channel.EMAIL, "e-mail": Channel.EMAIL, "sms": Channel.SMS, "text": Channel.SMS}
_NOUN_WORD = {"newsletter": "newsletter", "promo": "promo", "promotion": "promotion", "sale": "sale"}
_FILLER = {"my", "the", "our", "a", "an", "campaign", "email", "mail", "blast", "send", "one", "in", "of", "from"}


def _latest(
    session: Session, account_id: int, statuses: tuple[CampaignStatus, ...] | None, noun: str | None = None
) -> Campaign | None:
    stmt = select(Campaign).where(Campaign.account_id == account_id)
    if noun in _NOUN_CHANNEL:
        stmt = stmt.where(Campaign.channel == _NOUN_CHANNEL[noun])
    elif noun in _NOUN_WORD:
        pattern = f"%{_NOUN_WORD[noun]}%"
        stmt = stmt.where(func.lower(Campaign.name).like(pattern) | func.lower(Campaign.subject).like(pattern))
    if statuses:
        stmt = stmt.where(Campaign.status.in_(statuses))
    order = func.coalesce(Campaign.sent_at, Campaign.scheduled_at, Campaign.updated_at)
    return session.scalars(stmt.order_by(order.desc(), Campaign.id.desc()).limit(1)).first()


def resolve_campaign_id(
    session: Session,
    *,
    account_id: int,
    ref: str | int | None,
    now: datetime,
    tz: str = "UTC",
    statuses: tuple[CampaignStatus, ...] | None = None,
) -> int:
    """Return the id of the campaign ``ref`` names; None or "last" means the most recent one.

    ``statuses`` narrows "last" (e.g. the last *sent* campaign for a performance question).
    """
    latest = _LATEST.match(ref.strip().lower()) if isinstance(ref, str) else None
    if ref is None or (isinstance(ref, str) and (not ref.strip() or latest)):
        row = _latest(session, account_id, statuses, latest.group("noun") if latest else None)
        if row is None:
            raise NotFound("This account has no campaigns yet; draft one first.", field="campaign")
        return row.id
    if isinstance(ref, int) or ref.strip().isdigit():
        row = session.get(Campaign, int(ref))
        if row is None or row.account_id != account_id:
            raise NotFound(f"No campaign with id {ref} in this account.", field="campaign")
        return row.id
    text = ref.strip()
    exact = session.scalars(
        select(Campaign.id).where(Campaign.account_id == account_id, func.lower(Campaign.name) == text.lower())
    ).first()
    if exact is not None:
        return exact
    # "May newsletter": a month narrows by send date, the other words must appear in the name or subject.
    words = [w for w in re.findall(r"[a-z0-9%']+", text.lower()) if w not in _FILLER]
    month_words = [w for w in words if w in MONTHS]
    rest = [w for w in words if w not in MONTHS and not re.fullmatch(r"20\d\d", w)]
    stmt = select(Campaign).where(Campaign.account_id == account_id)
    if month_words:
        year = next((w for w in words if re.fullmatch(r"20\d\d", w)), "")
        span = parse_period(f"{month_words[0]} {year}".strip(), now=now, tz=tz)
        stmt = stmt.where(Campaign.sent_at >= span.start, Campaign.sent_at < span.end)
    for w in rest:
        pattern = f"%{w.rstrip('s')}%"
        stmt = stmt.where(func.lower(Campaign.name).like(pattern) | func.lower(Campaign.subject).like(pattern))
    if month_words or rest:
        order = func.coalesce(Campaign.sent_at, Campaign.updated_at)
        row = session.scalars(stmt.order_by(order.desc(), Campaign.id.desc()).limit(1)).first()
        if row is not None:
            return row.id
    names = session.scalars(
        select(Campaign.name).where(Campaign.account_id == account_id).order_by(Campaign.id.desc()).limit(300)
    ).all()
    raise not_found("campaign", text, names)
