"""Explain why a campaign did not send (or sent to fewer people than expected), in plain words."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.features import check_feature
from core.accounts.models import Account
from core.campaigns import service as campaigns
from core.campaigns.models import Campaign, CampaignSend
from core.campaigns.recipients import audience_figures
from core.enums import CampaignStatus, Channel, SendStatus


class Diagnosis(BaseModel):
    """What happened to a campaign and what to do about it."""

    campaign_id: int
    campaign_name: str
    status: CampaignStatus
    summary: str
    causes: list[str]
    fixes: list[str]
    delivered: int = 0
    bounced: int = 0


def diagnose_campaign(session: Session, *, account_id: int, campaign_id: int, now: datetime) -> Diagnosis:
    """Diagnose one campaign: failure reason, missing pieces, plan gates, audience exclusions, bounces."""
    c = campaigns.get_campaign(session, account_id=account_id, campaign_id=campaign_id)
    account = session.get(Account, account_id)
    assert account is not None
    causes: list[str] = []
    fixes: list[str] = []
    counts = dict(
        session.execute(
            select(CampaignSend.status, func.count())
            .where(CampaignSend.campaign_id == c.id)
            .group_by(CampaignSend.status)
        ).all()
    )
    delivered = counts.get(SendStatus.DELIVERED, 0)
    bounced = counts.get(SendStatus.BOUNCED, 0)
    if c.status == CampaignStatus.FAILED:
        causes.append(f"The send failed: {c.failure_reason or 'no reason was recorded'}.")
    missing = campaigns.missing_for_sending(session, account_id=account_id, campaign_id=c.id)
    if missing and c.status in (CampaignStatus.DRAFT, CampaignStatus.FAILED, CampaignStatus.SCHEDULED):
        causes.append("It is missing " + "; ".join(missing) + ".")
        fixes.append("Add the missing pieces to the draft, then schedule or send it again.")
    if c.channel == Channel.SMS:
        ok, message = check_feature(account.plan, list(account.addons), "sms")
        if not ok:
            causes.append(message)
        if account.sms_credit_balance <= 0:
            causes.append("The account has no SMS credits left.")
            fixes.append("Buy SMS credits, then send again.")
    if c.status == CampaignStatus.DRAFT:
        causes.append("It is still a draft: nobody scheduled or sent it.")
        fixes.append("Schedule it or send it now (you will be asked to approve).")
    if c.status == CampaignStatus.SCHEDULED and c.scheduled_at is not None:
        when = "in the future" if c.scheduled_at > now else "in the past but it has not started"
        causes.append(f"It is scheduled for {c.scheduled_at:%Y-%m-%d %H:%M} UTC ({when}).")
    if c.list_ids or c.segment_id:
        fig = audience_figures(session, account_id=account_id, campaign_id=c.id, now=now)
        if fig.recipients == 0:
            causes.append(
                f"Nobody in its audience can receive it: {fig.members} members, "
                f"{fig.excluded_unsubscribed} unsubscribed, {fig.excluded_bounced} bounced"
                + (f", {fig.excluded_no_consent} without SMS consent" if c.channel == Channel.SMS else "")
                + "."
            )
            fixes.append("Pick a list or segment with subscribed contacts.")
    if c.status == CampaignStatus.SENT and bounced and bounced > 0.05 * max(1, delivered + bounced):
        causes.append(f"{bounced} of {delivered + bounced} recipients bounced ({bounced / (delivered + bounced):.0%}).")
        fixes.append("Clean the list: remove bounced and long-inactive addresses before the next send.")
    if not causes:
        summary = (
            f"{c.name!r} was sent to {delivered:,} contacts; nothing looks wrong."
            if c.status == CampaignStatus.SENT else f"{c.name!r} is {c.status.value}; nothing blocks it."
        )
    else:
        summary = f"{c.name!r} is {c.status.value}. " + causes[0]
    return Diagnosis(
        campaign_id=c.id, campaign_name=c.name, status=c.status, summary=summary, causes=causes, fixes=fixes,
        delivered=delivered, bounced=bounced,
    )


def last_problem_campaign(session: Session, *, account_id: int) -> int | None:
    """The campaign a user means by "why didn't my last campaign send?": the latest failed one, else one stuck
    in sending, else one whose scheduled time has passed without it going out."""
    order = func.coalesce(Campaign.scheduled_at, Campaign.updated_at).desc()
    for status in (CampaignStatus.FAILED, CampaignStatus.SENDING, CampaignStatus.SCHEDULED):
        found = session.scalars(
            select(Campaign.id)
            .where(Campaign.account_id == account_id, Campaign.status == status)
            .order_by(order, Campaign.id.desc())
            .limit(1)
        ).first()
        if found is not None:
            return found
    return None
