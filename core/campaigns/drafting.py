"""Draft a campaign from a brief with the brand kit, and revise it by follow-up ("make it shorter")."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.models import Account
from core.campaigns import service as campaigns
from core.campaigns.models import Campaign
from core.campaigns.schemas import CampaignOut
from core.content import copywriter
from core.content import service as content
from core.content.schemas import BrandKitOut
from core.enums import Channel
from core.errors import InvalidRequest, NotFound


def _brand(session: Session, account_id: int, brand_kit: str | int | None) -> BrandKitOut | None:
    if brand_kit is not None:
        if isinstance(brand_kit, int) or str(brand_kit).isdigit():
            return content.get_brand_kit(session, account_id=account_id, brand_kit_id=int(brand_kit))
        return content.find_brand_kit(session, account_id=account_id, name=str(brand_kit))
    return content.get_primary_brand_kit(session, account_id=account_id)


def _unique_name(session: Session, account_id: int, base: str) -> str:
    base = base[:180]
    taken = set(
        n.lower() for n in session.scalars(
            select(Campaign.name).where(Campaign.account_id == account_id, func.lower(Campaign.name).like(f"{base.lower()}%"))
        )
    )
    if base.lower() not in taken:
        return base
    k = 2
    while f"{base} ({k})".lower() in taken:
        k += 1
    return f"{base} ({k})"


def _sender(account: Account, brand: BrandKitOut | None) -> tuple[str, str | None]:
    name = brand.name.removesuffix(" brand") if brand else account.name
    domain = None
    if brand and brand.website:
        domain = re.sub(r"^https?://(www\.)?", "", brand.website).split("/")[0] or None
    return name, (f"hello@{domain}" if domain else None)


def draft_campaign(
    session: Session,
    *,
    account_id: int,
    brief: copywriter.EmailBrief | Mapping[str, Any],
    now: datetime,
    name: str | None = None,
    channel: Channel | str = Channel.EMAIL,
    lists: Sequence[str | int] | None = None,
    segment: str | int | None = None,
    brand_kit: str | int | None = None,
    created_by: int | None = None,
) -> CampaignOut:
    """Write an email (or SMS) from the brief and the brand kit and save it as a draft campaign."""
    parsed = copywriter.parse_brief(brief)
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    brand = _brand(session, account_id, brand_kit)
    from_name, from_email = _sender(account, brand)
    title = name or f"{parsed.topic[:1].upper()}{parsed.topic[1:60]} ({now:%b %Y})"
    unique = _unique_name(session, account_id, title)
    if Channel(str(channel).lower()) == Channel.SMS:
        body = copywriter.draft_sms(parsed.topic, parsed.tone, brand=brand, offer=parsed.offer)
        return campaigns.create_campaign(
            session, account_id=account_id, name=unique, now=now, channel=Channel.SMS, sms_body=body,
            from_name=from_name, lists=lists, segment=segment, created_by=created_by,
        )
    draft = copywriter.draft_email(parsed, brand)
    out = campaigns.create_campaign(
        session, account_id=account_id, name=unique, now=now, subject=draft.subject, preheader=draft.preheader,
        from_name=from_name, from_email=from_email, layout=draft.layout, blocks=draft.blocks, lists=lists,
        segment=segment, brand_kit=brand.id if brand else None, created_by=created_by,
    )
    row = session.get(Campaign, out.id)
    assert row is not None
    row.draft_meta = draft.model_dump(mode="json")
    session.flush()
    return out


def _current_draft(row: Campaign, out: CampaignOut) -> copywriter.EmailDraft:
    if not row.draft_meta:
        raise InvalidRequest(
            f"{row.name!r} was not written by the assistant, so I can't rewrite it; tell me the new subject or "
            "text to set instead.",
            field="campaign",
        )
    draft = copywriter.EmailDraft.model_validate(row.draft_meta)
    # Edits made since the draft (a new subject, locked blocks) win over the stored copy.
    return draft.model_copy(update={
        "subject": out.subject or draft.subject,
        "preheader": out.preheader or draft.preheader,
        "blocks": [b.model_dump() if hasattr(b, "model_dump") else b for b in out.blocks],
    })


def revise_campaign(
    session: Session,
    *,
    account_id: int,
    campaign_id: int,
    revision: copywriter.Revision | Mapping[str, Any],
    now: datetime,
) -> CampaignOut:
    """Apply one revision (shorter, longer, tone, subject, CTA, feedback, layout) to a drafted email."""
    out = campaigns.get_campaign(session, account_id=account_id, campaign_id=campaign_id)
    if out.channel == Channel.SMS:
        raise InvalidRequest("To change an SMS, give me the new text and I'll set it.", field="campaign")
    row = session.get(Campaign, campaign_id)
    assert row is not None
    new = copywriter.revise_email(_current_draft(row, out), copywriter.parse_revision(revision))
    updated = campaigns.update_campaign(
        session, account_id=account_id, campaign_id=campaign_id, now=now, subject=new.subject,
        preheader=new.preheader, layout=new.layout, blocks=new.blocks,
    )
    row.draft_meta = new.model_dump(mode="json")
    session.flush()
    return updated
