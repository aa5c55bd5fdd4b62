"""Send a campaign now: recipients are re-checked at dispatch time, credits are charged before anything goes out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.billing.service import charge_credits
from core.campaigns import service as campaigns
from core.campaigns.recipients import audience_figures, recipient_ids
from core.campaigns.sms import is_allowed_sending_time
from core.contacts.models import Contact
from core.enums import CampaignStatus, Channel
from core.errors import Conflict, LimitExceeded


class SendResult(BaseModel):
    """What a send did."""

    campaign_id: int
    campaign_name: str
    sent: int
    held_quiet_hours: int = 0
    excluded_bounced: int
    excluded_unsubscribed: int
    excluded_no_consent: int
    credits_charged: int = 0


def send_now(session: Session, *, account_id: int, campaign_id: int, now: datetime) -> SendResult:
    """Send a ready draft (or a due scheduled campaign) to its recipients, once.

    SMS goes only to contacts whose local time is inside sending hours; the others are held (counted, not sent)
    and the campaign stays in "sending" so a later run can deliver them.
    """
    figures = audience_figures(session, account_id=account_id, campaign_id=campaign_id, now=now)
    if figures.recipients == 0:
        raise Conflict(
            "Nobody can receive this campaign: "
            f"{figures.excluded_unsubscribed} unsubscribed, {figures.excluded_bounced} bounced"
            + (f", {figures.excluded_no_consent} without SMS consent" if figures.channel == Channel.SMS else "")
            + ". Choose a list or segment with subscribed contacts.",
            field="recipients",
        )
    current = campaigns.get_campaign(session, account_id=account_id, campaign_id=campaign_id)
    ids_stmt = recipient_ids(session, account_id=account_id, campaign_id=campaign_id, now=now)
    held = 0
    credits = 0
    if current.channel == Channel.SMS:
        rows = session.execute(select(Contact.id, Contact.timezone).where(Contact.id.in_(ids_stmt))).all()
        ids = [cid for cid, tz in rows if is_allowed_sending_time(now, tz)]
        held = len(rows) - len(ids)
        # Checked before the status changes, so a refusal leaves the campaign exactly as it was.
        if figures.credits_needed > figures.credit_balance:
            raise LimitExceeded(
                f"Sending needs {figures.credits_needed:,} SMS credits but the balance is "
                f"{figures.credit_balance:,} (short by {figures.credits_needed - figures.credit_balance:,}). "
                "Buy credits or narrow the audience.",
                field="credits",
            )
        credits = round(figures.credits_needed * len(ids) / max(1, len(rows)))
    else:
        ids = list(session.scalars(ids_stmt).all())
    # A campaign left "sending" by held SMS continues; anything else must be a ready draft or due schedule.
    out = current if current.status == CampaignStatus.SENDING else campaigns.start_sending(
        session, account_id=account_id, campaign_id=campaign_id, now=now
    )
    if credits:
        charge_credits(
            session, account_id=account_id, amount=credits, now=now, reason=f"SMS campaign {out.name}",
            campaign_id=campaign_id,
        )
    recorded = campaigns.record_sends(session, account_id=account_id, campaign_id=campaign_id, contact_ids=ids, now=now)
    if not held:
        campaigns.mark_sent(session, account_id=account_id, campaign_id=campaign_id, now=now)
    return SendResult(
        campaign_id=campaign_id, campaign_name=out.name, sent=recorded.recorded, held_quiet_hours=held,
        excluded_bounced=figures.excluded_bounced, excluded_unsubscribed=figures.excluded_unsubscribed,
        excluded_no_consent=figures.excluded_no_consent, credits_charged=credits,
    )
