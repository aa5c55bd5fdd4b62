"""One account's campaigns in its own Chroma collection: content plus results, for "similar campaigns".

Each campaign is one document (name, subject, preheader, the text of its blocks or its SMS body) with its
open and click rates in the metadata. Rates follow the reports' defaults: unique opens (or clicks) over
delivered messages, bot opens and clicks left out when the account's BotSense is on, Apple MPP opens kept.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import and_, exists, false, func, select
from sqlalchemy.orm import Session

from core.accounts.models import Account
from core.campaigns.models import Campaign, CampaignSend, EngagementEvent
from core.enums import CampaignStatus, EventType, SendStatus
from core.errors import InvalidRequest, NotFound
from core.knowledge.schemas import CampaignIndexResult, SimilarCampaign
from core.knowledge.store import KnowledgeStore, account_collection_name, sync_documents

MAX_K = 50
MAX_TEXT_CHARS = 8_000
_TAG_RE = re.compile(r"%[A-Za-z][A-Za-z0-9_-]*%")
_URL_RE = re.compile(r"https?://\S+")
_HTML_RE = re.compile(r"<[^>]+>")
_BLOCK_TEXT_KEYS = ("text", "label", "alt", "name", "description")


def _doc_id(campaign_id: int) -> str:
    return f"campaign-{campaign_id}"


def _clean(text: str) -> str:
    # Links and tags are the same in every campaign; they would only make campaigns look alike.
    text = _HTML_RE.sub(" ", text)
    text = _URL_RE.sub(" ", text)
    text = _TAG_RE.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def campaign_text(campaign: Campaign) -> str:
    """Return the text that represents a campaign: name, subject, preheader, block texts, SMS body."""
    parts: list[str] = [campaign.name, campaign.subject or "", campaign.preheader or ""]
    for block in campaign.blocks or []:
        parts.extend(str(block[key]) for key in _BLOCK_TEXT_KEYS if block.get(key))
    parts.append(campaign.sms_body or "")
    return _clean("\n".join(p for p in parts if p))[:MAX_TEXT_CHARS]


def _results(session: Session, account: Account) -> dict[int, tuple[int, int, int]]:
    """Per campaign of the account: (delivered, unique opens, unique clicks), in three grouped queries."""
    s, e = CampaignSend, EngagementEvent
    bounced_later = exists().where(
        e.campaign_id == s.campaign_id, e.contact_id == s.contact_id, e.type == EventType.BOUNCE
    )
    delivered_stmt = (
        select(s.campaign_id, func.count())
        .where(s.account_id == account.id, s.status == SendStatus.DELIVERED, ~bounced_later)
        .group_by(s.campaign_id)
    )
    delivered = {int(cid): int(n) for cid, n in session.execute(delivered_stmt)}

    def unique(kind: EventType) -> dict[int, int]:
        cond = [e.account_id == account.id, e.type == kind]
        if account.botsense_enabled:
            cond.append(e.is_bot.is_(false()))
        stmt = (
            select(e.campaign_id, func.count(func.distinct(e.contact_id)))
            .where(and_(*cond))
            .group_by(e.campaign_id)
        )
        return {int(cid): int(n) for cid, n in session.execute(stmt)}

    opens, clicks = unique(EventType.OPEN), unique(EventType.CLICK)
    ids = set(delivered) | set(opens) | set(clicks)
    return {i: (int(delivered.get(i, 0)), int(opens.get(i, 0)), int(clicks.get(i, 0))) for i in ids}


def _rate(count: int, delivered: int) -> float | None:
    return round(count / delivered, 4) if delivered else None


def _metadata(account_id: int, c: Campaign, results: tuple[int, int, int]) -> dict[str, Any]:
    delivered, opens, clicks = results
    meta: dict[str, Any] = {
        "account_id": account_id, "campaign_id": c.id, "name": c.name, "subject": c.subject or "",
        "channel": c.channel.value, "status": c.status.value,
        "sent_at": c.sent_at.isoformat() if c.sent_at else "", "delivered": delivered,
    }
    # Chroma metadata has no null; a missing key means "no rate yet".
    for key, value in (("open_rate", _rate(opens, delivered)), ("click_rate", _rate(clicks, delivered))):
        if value is not None:
            meta[key] = value
    return meta


def index_campaigns(store: KnowledgeStore, session: Session, *, account_id: int) -> CampaignIndexResult:
    """Bring the account's campaign collection in line with the database (upsert changed, delete gone)."""
    account_collection_name(account_id)  # validates the id before touching the database
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    campaigns = session.scalars(select(Campaign).where(Campaign.account_id == account_id)).all()
    results = _results(session, account)
    collection = store.account_collection(account_id, create=True)
    assert collection is not None
    documents = {
        _doc_id(c.id): (campaign_text(c), _metadata(account_id, c, results.get(c.id, (0, 0, 0))))
        for c in campaigns
    }
    upserted, removed = sync_documents(collection, documents)
    return CampaignIndexResult(account_id=account_id, campaigns=len(campaigns), upserted=upserted,
                               removed=removed)


def find_similar_campaigns(
    store: KnowledgeStore,
    *,
    account_id: int,
    text: str,
    k: int = 5,
    sent_only: bool = False,
    exclude_campaign_id: int | None = None,
) -> list[SimilarCampaign]:
    """Return the account's campaigns whose content is closest to ``text``, best first, with their rates.

    Only this account's collection is searched; an account that was never indexed has no results.
    """
    query = (text or "").strip()
    if not query:
        raise InvalidRequest(
            "Describe the campaign to compare with, e.g. its subject or topic.", field="text"
        )
    if not 1 <= k <= MAX_K:
        raise InvalidRequest(f"k {k} is out of range; ask for 1 to {MAX_K} campaigns.", field="k")
    collection = store.account_collection(account_id)
    if collection is None:
        return []
    total = collection.count()
    if total == 0:
        return []
    # The collection is already this account's; the filter is a second lock on the same door.
    conditions: list[dict[str, Any]] = [{"account_id": account_id}]
    if sent_only:
        conditions.append({"status": CampaignStatus.SENT.value})
    if exclude_campaign_id is not None:
        conditions.append({"campaign_id": {"$ne": exclude_campaign_id}})
    where: dict[str, Any] = conditions[0] if len(conditions) == 1 else {"$and": conditions}
    found = collection.query(query_texts=[query[:MAX_TEXT_CHARS]], n_results=min(k, total), where=where,
                             include=["metadatas", "distances"])
    out: list[SimilarCampaign] = []
    for meta, distance in zip((found["metadatas"] or [[]])[0], (found["distances"] or [[]])[0], strict=True):
        if meta.get("account_id") != account_id:
            continue
        open_rate, click_rate = meta.get("open_rate"), meta.get("click_rate")
        out.append(SimilarCampaign(
            campaign_id=int(meta["campaign_id"]), name=str(meta["name"]),
            subject=str(meta["subject"]) or None,
            channel=str(meta["channel"]), status=str(meta["status"]), sent_at=str(meta["sent_at"]) or None,
            score=round(1.0 - float(distance), 4), delivered=int(meta["delivered"]),
            open_rate=float(open_rate) if open_rate is not None else None,
            click_rate=float(click_rate) if click_rate is not None else None,
        ))
    return out
