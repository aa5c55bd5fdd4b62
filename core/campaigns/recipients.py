"""Who a campaign reaches, and who is left out and why: the figures an approval screen shows.

The audience is the members of the campaign's lists (any list when only a segment is chosen), narrowed by its
segment. Recipients are the audience minus bounced contacts, minus those unsubscribed from every chosen list,
and for SMS minus those without consent or a phone, minus anyone already sent this campaign.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from core.accounts.models import Account
from core.campaigns.models import Campaign, CampaignSend
from core.campaigns.sms import sms_cost
from core.contacts.models import Contact, ListSubscription
from core.enums import Channel, ContactStatus, SubscriptionStatus
from core.scope import get_owned
from core.segments.service import segment_contact_ids


class AudienceFigures(BaseModel):
    """Server-computed audience figures for one campaign."""

    campaign_id: int
    channel: Channel
    members: int
    recipients: int
    excluded_bounced: int
    excluded_unsubscribed: int
    excluded_no_consent: int
    already_sent: int
    credits_needed: int = 0
    credit_balance: int = 0
    unsupported_countries: dict[str, int] = {}


def _membership(account_id: int, list_ids: list[int], *extra: object) -> object:
    conds = [ListSubscription.contact_id == Contact.id, ListSubscription.account_id == account_id, *extra]
    if list_ids:
        conds.append(ListSubscription.list_id.in_(list_ids))
    return exists().where(*conds)


def _audience(session: Session, c: Campaign, now: datetime) -> Select[tuple[int]]:
    stmt = select(Contact.id).where(Contact.account_id == c.account_id, _membership(c.account_id, c.list_ids))
    if c.segment_id is not None:
        members = segment_contact_ids(session, account_id=c.account_id, segment=c.segment_id, now=now)
        stmt = stmt.where(Contact.id.in_(members))
    return stmt


def recipient_ids(session: Session, *, account_id: int, campaign_id: int, now: datetime) -> Select[tuple[int]]:
    """Select the contacts this campaign may be sent to now (never bounced, unsubscribed or already sent)."""
    c = get_owned(session, Campaign, account_id=account_id, id=campaign_id, kind="campaign")
    stmt = _audience(session, c, now).where(
        Contact.status == ContactStatus.ACTIVE,
        _membership(account_id, c.list_ids, ListSubscription.email_status == SubscriptionStatus.SUBSCRIBED),
        ~exists().where(CampaignSend.campaign_id == c.id, CampaignSend.contact_id == Contact.id),
    )
    if c.channel == Channel.SMS:
        stmt = stmt.where(
            Contact.phone.is_not(None),
            _membership(account_id, c.list_ids, ListSubscription.sms_consent.is_(True),
                        ListSubscription.email_status == SubscriptionStatus.SUBSCRIBED),
        )
    return stmt


def _count(session: Session, stmt: Select[tuple[int]]) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def audience_figures(session: Session, *, account_id: int, campaign_id: int, now: datetime) -> AudienceFigures:
    """Count the audience, the recipients and each exclusion reason (a contact counts under its first reason)."""
    c = get_owned(session, Campaign, account_id=account_id, id=campaign_id, kind="campaign")
    audience = _audience(session, c, now)
    members = _count(session, audience)
    bounced = _count(session, audience.where(Contact.status == ContactStatus.BOUNCED))
    active = audience.where(Contact.status != ContactStatus.BOUNCED)
    subscribed = _membership(account_id, c.list_ids, ListSubscription.email_status == SubscriptionStatus.SUBSCRIBED)
    unsubscribed = _count(session, active.where(~subscribed | (Contact.status == ContactStatus.UNSUBSCRIBED)))
    no_consent = 0
    if c.channel == Channel.SMS:
        consenting = _membership(
            account_id, c.list_ids, ListSubscription.sms_consent.is_(True),
            ListSubscription.email_status == SubscriptionStatus.SUBSCRIBED,
        )
        no_consent = _count(
            session,
            active.where(subscribed, Contact.status == ContactStatus.ACTIVE, ~consenting | Contact.phone.is_(None)),
        )
    already = session.scalar(select(func.count()).where(CampaignSend.campaign_id == c.id)) or 0
    ids = recipient_ids(session, account_id=account_id, campaign_id=c.id, now=now)
    recipients = _count(session, ids)
    figures = AudienceFigures(
        campaign_id=c.id, channel=c.channel, members=members, recipients=recipients, excluded_bounced=bounced,
        excluded_unsubscribed=unsubscribed, excluded_no_consent=no_consent, already_sent=already,
    )
    if c.channel == Channel.SMS and c.sms_body:
        countries = session.scalars(select(Contact.country).where(Contact.id.in_(ids))).all()
        cost = sms_cost(c.sms_body, countries, media_url=c.sms_media_url)
        account = session.get(Account, account_id)
        figures.credits_needed = cost.total_credits
        figures.credit_balance = account.sms_credit_balance if account else 0
        figures.unsupported_countries = cost.unsupported
    return figures
