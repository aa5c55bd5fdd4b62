"""Idea cards for the homepage and the sidebar, computed from the account's own data."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.automations.models import Automation
from core.campaigns.models import Campaign
from core.commerce.models import AbandonedCart
from core.enums import AutomationStatus, CampaignStatus
from core.segments.service import count_contacts


class IdeaCard(BaseModel):
    """One suggestion: what we noticed, how big it is, and the prompt that acts on it."""

    key: str
    title: str
    body: str
    size: int | None = None
    prompt: str


def _stopped_opening(now_days: int = 60, before_days: int = 180) -> dict[str, object]:
    return {
        "version": 1,
        "root": {"type": "group", "match": "all", "conditions": [
            {"type": "engagement", "action": "open", "op": "has", "period": {"last_days": before_days}},
            {"type": "engagement", "action": "open", "op": "has_not", "period": {"last_days": now_days}},
        ]},
    }


def homepage_ideas(session: Session, *, account_id: int, now: datetime, limit: int = 4) -> list[IdeaCard]:
    """The most useful things to do next in this account, biggest first."""
    cards: list[IdeaCard] = []
    failed = session.scalars(
        select(Campaign.name).where(Campaign.account_id == account_id, Campaign.status == CampaignStatus.FAILED)
        .order_by(Campaign.updated_at.desc()).limit(1)
    ).first()
    if failed:
        cards.append(IdeaCard(
            key="failed_campaign", title="A campaign failed to send",
            body=f"{failed!r} did not go out. Find out why and fix it.", prompt=f"Why didn't {failed} send?",
        ))
    lapsed = count_contacts(session, account_id=account_id, tree=_stopped_opening(), now=now)
    if lapsed:
        cards.append(IdeaCard(
            key="win_back", title="Win back contacts who stopped opening",
            body=f"{lapsed:,} contacts opened in the last 6 months but not in the last 60 days.", size=lapsed,
            prompt="Create a segment of people who opened in the last 180 days but not in the last 60 days, "
                   "then draft a win-back email for them",
        ))
    carts = session.scalar(
        select(func.count()).where(
            AbandonedCart.account_id == account_id, AbandonedCart.abandoned_at >= now - timedelta(days=7),
            AbandonedCart.recovered_order_id.is_(None),
        )
    ) or 0
    has_cart_flow = session.scalar(
        select(func.count()).where(
            Automation.account_id == account_id, Automation.status == AutomationStatus.ACTIVE,
            func.lower(Automation.name).like("%cart%"),
        )
    )
    if carts and not has_cart_flow:
        cards.append(IdeaCard(
            key="abandoned_cart", title="Recover abandoned carts",
            body=f"{carts:,} carts were abandoned in the last 7 days and no cart automation is active.", size=carts,
            prompt="Build a 2-email abandoned cart automation with 1 day between",
        ))
    engaged = count_contacts(session, account_id=account_id, tree={
        "version": 1, "root": {"type": "group", "match": "all", "conditions": [
            {"type": "engagement", "action": "click", "op": "has", "period": {"last_days": 30}},
            {"type": "purchase", "op": "has_not", "period": {"last_days": 90}},
        ]},
    }, now=now)
    if engaged:
        cards.append(IdeaCard(
            key="engaged_non_buyers", title="Convert engaged non-buyers",
            body=f"{engaged:,} contacts clicked in the last 30 days but have not bought in 90 days.", size=engaged,
            prompt="Create a segment of people who clicked in the last 30 days but did not buy in the last 90 days",
        ))
    cards.append(IdeaCard(
        key="last_month", title="How did last month go?", body="Open, click and unsubscribe rates with a chart.",
        prompt="How did my emails do last month?",
    ))
    return cards[:limit]


def sidebar_ideas(page: str, object_type: str | None = None) -> list[IdeaCard]:
    """Prompts that fit the page the user is on."""
    by_page = {
        "campaign": [("How did this campaign do?", "performance"), ("Which links got clicked here?", "clicks"),
                     ("Why didn't this campaign send?", "troubleshoot")],
        "automation": [("Explain this automation", "explain"), ("Turn this automation on", "activate")],
        "contacts": [("How many contacts opened in the last 30 days?", "count"),
                     ("Save these filters as a segment", "segment")],
        "deal": [("What's the win probability of this deal?", "win"), ("Add a note to this deal", "note")],
    }
    items = by_page.get(object_type or page, [("What can you do?", "help"), ("How did my emails do last month?", "month")])
    return [IdeaCard(key=k, title=p, body="", prompt=p) for p, k in items]
