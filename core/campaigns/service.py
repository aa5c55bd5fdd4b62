"""Campaigns (email and SMS): drafting, the status machine, and the send and engagement records.

Status machine: draft -> scheduled -> sending -> sent, with scheduled -> draft (unschedule) and
scheduled/sending -> failed. Content can change only in draft.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.accounts.models import Account, User
from core.accounts.service import require_feature
from core.campaigns import sms
from core.campaigns.models import Campaign, CampaignLink, CampaignSend, EngagementEvent
from core.campaigns.schemas import (
    BLOCK_TYPES,
    UNSET,
    Block,
    CampaignLinkOut,
    CampaignOut,
    CampaignPage,
    EventOut,
    SendsRecorded,
    Unset,
    invalid_from_validation,
)
from core.contacts.fields import RESERVED_TAGS, parse_email
from core.contacts.models import Contact, CustomField, MailingList
from core.content.models import BrandKit
from core.enums import CampaignStatus, Channel, EventType, Layout, SendStatus
from core.errors import Conflict, InvalidRequest, NotFound, invalid_choice
from core.scope import get_by_name, get_owned, resolve
from core.segments.models import Segment

MAX_BLOCKS = 100
MAX_PAGE = 200
# Never shown to people; only link scanners follow it, which marks their clicks as bot clicks.
HONEYPOT_URL = "https://honeypot.activeintel.invalid/c/{campaign_id}"
UNSUBSCRIBE_URL = "%UNSUBSCRIBELINK%"
_SMS_EVENTS = (EventType.CLICK, EventType.REPLY, EventType.UNSUBSCRIBE, EventType.BOUNCE)
_EVENT_STATUSES = (CampaignStatus.SENDING, CampaignStatus.SENT, CampaignStatus.FAILED)
_TAG_RE = re.compile(r"%([A-Za-z][A-Za-z0-9_-]{2,})%")
_URL_RE = re.compile(r"https?://[^\s\"'<>]+")
_BLOCKS = TypeAdapter(list[Block])

Ref = int | str


# ---------------------------------------------------------------- lookups and small parsers


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    return account


def _load(session: Session, account_id: int, campaign_id: int) -> Campaign:
    return get_owned(session, Campaign, account_id=account_id, id=campaign_id, kind="campaign")


def _clean_name(session: Session, account_id: int, name: str, *, exclude_id: int | None = None) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise InvalidRequest("Campaign name is empty; give the campaign a name.", field="name")
    if len(cleaned) > 200:
        raise InvalidRequest(f"Campaign name is {len(cleaned)} characters; the limit is 200.", field="name")
    clash = session.scalars(
        select(Campaign).where(
            Campaign.account_id == account_id, func.lower(Campaign.name) == cleaned.lower()
        )
    ).first()
    if clash is not None and clash.id != exclude_id:
        raise Conflict(
            f"A campaign named {clash.name!r} already exists (id {clash.id}, {clash.status.value}); "
            "choose another name.",
            field="name",
        )
    return cleaned


def _clean_text(value: str | None, *, field: str, label: str, max_len: int) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) > max_len:
        raise InvalidRequest(
            f"{label} is {len(text)} characters; the limit is {max_len}. Shorten it.", field=field
        )
    return text


def parse_layout(value: Layout | str) -> Layout:
    """Match a layout by its display name ('2 Column', 'Image grid'), case-insensitively."""
    if isinstance(value, Layout):
        return value
    key = re.sub(r"[\s_-]+", " ", str(value)).strip().lower()
    for layout in Layout:
        if key in (layout.value.lower(), layout.name.replace("_", " ").lower()):
            return layout
    raise invalid_choice("layout", value, [layout.value for layout in Layout])


def parse_blocks(raw: Sequence[Any]) -> list[dict[str, Any]]:
    """Validate content blocks (dicts or Block models) and return them as stored JSON."""
    items = [b.model_dump() if hasattr(b, "model_dump") else b for b in raw]
    if len(items) > MAX_BLOCKS:
        raise InvalidRequest(
            f"A campaign holds at most {MAX_BLOCKS} blocks; this one has {len(items)}.", field="blocks"
        )
    try:
        blocks = _BLOCKS.validate_python(items)
    except ValidationError as err:
        raise invalid_from_validation(
            err, what="blocks", field="blocks", item="block", tags=BLOCK_TYPES
        ) from None
    return [b.model_dump(mode="json") for b in blocks]


def _lists(session: Session, account_id: int, refs: Iterable[Ref]) -> list[MailingList]:
    found: dict[int, MailingList] = {}
    for ref in refs:
        row = resolve(session, MailingList, account_id=account_id, ref=ref, kind="list")
        found.setdefault(row.id, row)
    return list(found.values())


def _channel(value: Channel | str) -> Channel:
    try:
        return Channel(str(value).strip().lower())
    except ValueError:
        raise invalid_choice("channel", value, [c.value for c in Channel]) from None


def _status(value: CampaignStatus | str) -> CampaignStatus:
    try:
        return CampaignStatus(str(value).strip().lower())
    except ValueError:
        raise invalid_choice("status", value, [s.value for s in CampaignStatus]) from None


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidRequest(
            f"{field} {value.isoformat()} has no time zone; give an aware time (for example in UTC).",
            field=field,
        )
    return value


# ---------------------------------------------------------------- personalization


def valid_personalization_tags(session: Session, *, account_id: int) -> list[str]:
    """Return the personalization tags usable in this account: the standard ones and each custom field's."""
    custom = session.scalars(select(CustomField.tag).where(CustomField.account_id == account_id)).all()
    tags = {t.strip("%").upper() for t in RESERVED_TAGS} | {t.strip("%").upper() for t in custom}
    return sorted(f"%{t}%" for t in tags)


def check_personalization(session: Session, *, account_id: int, texts: Iterable[str | None]) -> list[str]:
    """Return the tags used in ``texts``; an unknown tag is an InvalidRequest listing the valid ones."""
    used = {m.group(1).upper() for text in texts if text for m in _TAG_RE.finditer(text)}
    if not used:
        return []
    valid = valid_personalization_tags(session, account_id=account_id)
    unknown = sorted(t for t in used if f"%{t}%" not in valid)
    if unknown:
        shown = ", ".join(f"%{t}%" for t in unknown)
        raise InvalidRequest(
            f"Unknown personalization tag{'s' if len(unknown) > 1 else ''} {shown}. Valid tags: "
            f"{', '.join(valid)}. "
            "Create a custom field to get a new tag.",
            field="personalization",
        )
    return sorted(f"%{t}%" for t in used)


def _block_texts(blocks: list[dict[str, Any]]) -> list[str]:
    keys = ("text", "label", "url", "alt", "link_url", "name", "description")
    return [str(b[k]) for b in blocks for k in keys if b.get(k)]


def _links_of(blocks: list[dict[str, Any]], sms_body: str | None) -> list[str]:
    """Collect trackable links; mailto: and tag-only links cannot be tracked, so they are left out."""
    urls: list[str] = []
    for b in blocks:
        for key in ("url", "link_url"):
            if b["type"] != "image" or key == "link_url":
                value = b.get(key)
                if isinstance(value, str) and value.lower().startswith(("http://", "https://")):
                    urls.append(value)
        urls.extend(link["url"] for link in b.get("links", []))
        if b["type"] == "text":
            urls.extend(m.group(0).rstrip(".,;:!?)") for m in _URL_RE.finditer(b["text"]))
    if sms_body:
        urls.extend(m.group(0).rstrip(".,;:!?)") for m in _URL_RE.finditer(sms_body))
    return list(dict.fromkeys(u[:500] for u in urls))


def _sync_links(session: Session, campaign: Campaign) -> None:
    session.execute(delete(CampaignLink).where(CampaignLink.campaign_id == campaign.id))
    if not campaign.link_tracking:
        return
    rows = [CampaignLink(url=u) for u in _links_of(campaign.blocks, campaign.sms_body)]
    if campaign.channel == Channel.EMAIL:
        rows.append(CampaignLink(url=UNSUBSCRIBE_URL, is_unsubscribe=True))
        rows.append(CampaignLink(url=HONEYPOT_URL.format(campaign_id=campaign.id), is_honeypot=True))
    for row in rows:
        row.account_id = campaign.account_id
        row.campaign_id = campaign.id
        session.add(row)


# ---------------------------------------------------------------- output


def _outs(session: Session, campaigns: Sequence[Campaign]) -> list[CampaignOut]:
    list_ids = {i for c in campaigns for i in c.list_ids}
    seg_ids = {c.segment_id for c in campaigns if c.segment_id is not None}
    list_names: dict[int, str] = {}
    seg_names: dict[int, str] = {}
    if list_ids:
        rows = session.execute(select(MailingList.id, MailingList.name).where(MailingList.id.in_(list_ids)))
        list_names = {i: n for i, n in rows}
    if seg_ids:
        rows = session.execute(select(Segment.id, Segment.name).where(Segment.id.in_(seg_ids)))
        seg_names = {i: n for i, n in rows}
    out = []
    for c in campaigns:
        out.append(
            CampaignOut(
                id=c.id,
                account_id=c.account_id,
                name=c.name,
                channel=c.channel,
                status=c.status,
                failure_reason=c.failure_reason,
                subject=c.subject,
                preheader=c.preheader,
                from_name=c.from_name,
                from_email=c.from_email,
                layout=c.layout,
                blocks=_BLOCKS.validate_python(c.blocks),
                sms_body=c.sms_body,
                sms_media_url=c.sms_media_url,
                list_ids=list(c.list_ids),
                list_names=[list_names[i] for i in c.list_ids if i in list_names],
                segment_id=c.segment_id,
                segment_name=seg_names.get(c.segment_id) if c.segment_id else None,
                brand_kit_id=c.brand_kit_id,
                link_tracking=c.link_tracking,
                predictive_sending=c.predictive_sending,
                created_at=c.created_at,
                updated_at=c.updated_at,
                scheduled_at=c.scheduled_at,
                sent_at=c.sent_at,
            )
        )
    return out


def _out(session: Session, campaign: Campaign) -> CampaignOut:
    return _outs(session, [campaign])[0]


# ---------------------------------------------------------------- drafting


_EMAIL_ONLY = ("subject", "preheader", "from_email", "layout", "blocks")
_SMS_ONLY = ("sms_body", "sms_media_url")


def _clean_changes(
    session: Session, account: Account, channel: Channel, given: dict[str, Any]
) -> dict[str, Any]:
    """Validate the given (not UNSET) fields and return the values to store."""
    aid = account.id
    clean: dict[str, Any] = {}
    wrong = _EMAIL_ONLY if channel == Channel.SMS else _SMS_ONLY
    for key in wrong:
        if given.get(key) not in (None, [], UNSET):
            this, other = ("an SMS", "email") if channel == Channel.SMS else ("an email", "SMS")
            raise InvalidRequest(
                f"{key} is for {other} campaigns and this is {this} campaign; remove it.", field=key
            )
    if "subject" in given:
        clean["subject"] = _clean_text(given["subject"], field="subject", label="Subject", max_len=255)
    if "preheader" in given:
        clean["preheader"] = _clean_text(
            given["preheader"], field="preheader", label="Preheader", max_len=255
        )
    if "from_name" in given:
        clean["from_name"] = _clean_text(
            given["from_name"], field="from_name", label="From name", max_len=120
        )
    if "from_email" in given:
        raw = given["from_email"]
        clean["from_email"] = None if raw is None or not str(raw).strip() else _from_email(raw)
    if "layout" in given:
        clean["layout"] = None if given["layout"] is None else parse_layout(given["layout"])
    if "blocks" in given:
        clean["blocks"] = parse_blocks(given["blocks"] or [])
    if "sms_body" in given:
        clean["sms_body"] = None if given["sms_body"] is None else sms.check_body(given["sms_body"])
    if "sms_media_url" in given:
        raw = given["sms_media_url"]
        clean["sms_media_url"] = None if raw is None or not raw.strip() else sms.check_media_url(raw)
    if "lists" in given:
        rows = _lists(session, aid, given["lists"] or [])
        if channel == Channel.SMS:
            not_sms = [r.name for r in rows if not r.allows_sms]
            if not_sms:
                raise InvalidRequest(
                    f"List{'s' if len(not_sms) > 1 else ''} {', '.join(repr(n) for n in not_sms)} "
                    "are not SMS lists; SMS goes only to contacts who consented on an SMS list. "
                    "Pick an SMS list.",
                    field="lists",
                )
        clean["list_ids"] = [r.id for r in rows]
    if "segment" in given:
        ref = given["segment"]
        clean["segment_id"] = (
            None if ref is None else resolve(session, Segment, account_id=aid, ref=ref, kind="segment").id
        )
    if "brand_kit" in given:
        ref = given["brand_kit"]
        clean["brand_kit_id"] = (
            None if ref is None else resolve(session, BrandKit, account_id=aid, ref=ref, kind="brand kit").id
        )
    if "link_tracking" in given:
        clean["link_tracking"] = bool(given["link_tracking"])
    if "predictive_sending" in given:
        clean["predictive_sending"] = bool(given["predictive_sending"])
        if clean["predictive_sending"]:
            if channel == Channel.SMS:
                raise InvalidRequest(
                    "Predictive sending is for email campaigns only.", field="predictive_sending"
                )
            require_feature(session, account_id=aid, feature="predictive_sending")
    return clean


def _from_email(raw: str) -> str:
    try:
        return parse_email(raw)
    except InvalidRequest:
        raise InvalidRequest(
            f"From email {raw!r} is not a valid address; use the form 'news@yourdomain.com'.",
            field="from_email",
        ) from None


def _check_locked(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    position = -1
    for i, block in enumerate(old):
        if not block.get("locked"):
            continue
        try:
            position = new.index(block, position + 1)
        except ValueError:
            raise Conflict(
                f"Block {i + 1} ({_describe(block)}) is locked and cannot be changed, moved or removed. "
                f"Unlock it first with set_block_locked(position={i + 1}, locked=False), or keep it as it "
                "is.",
                field="blocks",
            ) from None


def _describe(block: dict[str, Any]) -> str:
    text = block.get("text") or block.get("label") or block.get("name") or block.get("url") or ""
    short = text if len(text) <= 40 else text[:37] + "..."
    return f"{block['type']} {short!r}" if short else block["type"]


def _texts(campaign: Campaign) -> list[str | None]:
    return [campaign.subject, campaign.preheader, campaign.sms_body, *_block_texts(campaign.blocks)]


def create_campaign(
    session: Session,
    *,
    account_id: int,
    name: str,
    now: datetime,
    channel: Channel | str = Channel.EMAIL,
    subject: str | None = None,
    preheader: str | None = None,
    from_name: str | None = None,
    from_email: str | None = None,
    layout: Layout | str | None = None,
    blocks: Sequence[Any] | None = None,
    sms_body: str | None = None,
    sms_media_url: str | None = None,
    lists: Sequence[Ref] | None = None,
    segment: Ref | None = None,
    brand_kit: Ref | None = None,
    link_tracking: bool = True,
    predictive_sending: bool = False,
    created_by: int | None = None,
) -> CampaignOut:
    """Create a draft email or SMS campaign; lists, segment and brand kit are given by name or id."""
    account = _account(session, account_id)
    kind = _channel(channel)
    if kind == Channel.SMS:
        require_feature(session, account_id=account_id, feature="sms")
    clean_name = _clean_name(session, account_id, name)
    given: dict[str, Any] = {
        "subject": subject,
        "preheader": preheader,
        "from_name": from_name,
        "from_email": from_email,
        "layout": layout,
        "blocks": blocks,
        "sms_body": sms_body,
        "sms_media_url": sms_media_url,
        "lists": lists,
        "segment": segment,
        "brand_kit": brand_kit,
        "link_tracking": link_tracking,
        "predictive_sending": predictive_sending,
    }
    clean = _clean_changes(session, account, kind, given)
    if created_by is not None:
        user = session.get(User, created_by)
        if user is None or user.account_id != account_id:
            raise NotFound(f"No user with id {created_by} in this account.", field="created_by")
    campaign = Campaign(
        account_id=account_id,
        name=clean_name,
        channel=kind,
        status=CampaignStatus.DRAFT,
        created_by=created_by,
        created_at=now,
        updated_at=now,
        **{"blocks": [], "list_ids": [], **clean},
    )
    check_personalization(session, account_id=account_id, texts=_texts(campaign))
    session.add(campaign)
    session.flush()
    _sync_links(session, campaign)
    session.flush()
    return _out(session, campaign)


def update_campaign(
    session: Session,
    *,
    account_id: int,
    campaign_id: int,
    now: datetime,
    name: str | Unset = UNSET,
    subject: str | None | Unset = UNSET,
    preheader: str | None | Unset = UNSET,
    from_name: str | None | Unset = UNSET,
    from_email: str | None | Unset = UNSET,
    layout: Layout | str | None | Unset = UNSET,
    blocks: Sequence[Any] | Unset = UNSET,
    sms_body: str | None | Unset = UNSET,
    sms_media_url: str | None | Unset = UNSET,
    lists: Sequence[Ref] | Unset = UNSET,
    segment: Ref | None | Unset = UNSET,
    brand_kit: Ref | None | Unset = UNSET,
    link_tracking: bool | Unset = UNSET,
    predictive_sending: bool | Unset = UNSET,
) -> CampaignOut:
    """Change a draft campaign; only the given fields change (None clears a field). Locked blocks stay."""
    campaign = _load(session, account_id, campaign_id)
    _require_draft(campaign, "edit")
    account = _account(session, account_id)
    given = {
        k: v
        for k, v in {
            "subject": subject,
            "preheader": preheader,
            "from_name": from_name,
            "from_email": from_email,
            "layout": layout,
            "blocks": blocks,
            "sms_body": sms_body,
            "sms_media_url": sms_media_url,
            "lists": lists,
            "segment": segment,
            "brand_kit": brand_kit,
            "link_tracking": link_tracking,
            "predictive_sending": predictive_sending,
        }.items()
        if v is not UNSET
    }
    clean_name = (
        campaign.name
        if isinstance(name, Unset)
        else _clean_name(session, account_id, name, exclude_id=campaign.id)
    )
    clean = _clean_changes(session, account, campaign.channel, given)
    if "blocks" in clean:
        _check_locked(campaign.blocks, clean["blocks"])
    merged = {k: clean.get(k, getattr(campaign, k)) for k in ("subject", "preheader", "sms_body", "blocks")}
    check_personalization(
        session,
        account_id=account_id,
        texts=[merged["subject"], merged["preheader"], merged["sms_body"], *_block_texts(merged["blocks"])],
    )
    campaign.name = clean_name
    for key, value in clean.items():
        setattr(campaign, key, value)
    campaign.updated_at = now
    session.flush()
    _sync_links(session, campaign)
    session.flush()
    return _out(session, campaign)


def duplicate_campaign(
    session: Session, *, account_id: int, campaign_id: int, now: datetime, name: str | None = None
) -> CampaignOut:
    """Copy a campaign (any status) into a new draft, named ``name`` or '<name> (copy)'."""
    source = _load(session, account_id, campaign_id)
    if source.channel == Channel.SMS:
        require_feature(session, account_id=account_id, feature="sms")
    if name is None:
        base = f"{source.name[:190]} (copy"
        taken = {
            n.lower()
            for n in session.scalars(
                select(Campaign.name).where(
                    Campaign.account_id == account_id, func.lower(Campaign.name).startswith(base.lower())
                )
            ).all()
        }
        name = next(
            f"{base}{'' if n == 1 else f' {n}'})"
            for n in range(1, len(taken) + 2)
            if f"{base}{'' if n == 1 else f' {n}'})".lower() not in taken
        )
    copy = Campaign(
        account_id=account_id,
        name=_clean_name(session, account_id, name),
        channel=source.channel,
        status=CampaignStatus.DRAFT,
        created_by=source.created_by,
        created_at=now,
        updated_at=now,
        **{
            key: getattr(source, key)
            for key in (
                "subject",
                "preheader",
                "from_name",
                "from_email",
                "layout",
                "blocks",
                "sms_body",
                "sms_media_url",
                "list_ids",
                "segment_id",
                "brand_kit_id",
                "link_tracking",
                "predictive_sending",
            )
        },
    )
    session.add(copy)
    session.flush()
    _sync_links(session, copy)
    session.flush()
    return _out(session, copy)


def set_block_locked(
    session: Session, *, account_id: int, campaign_id: int, position: int, locked: bool, now: datetime
) -> CampaignOut:
    """Lock or unlock the block at ``position`` (1 = first) of a draft campaign."""
    campaign = _load(session, account_id, campaign_id)
    _require_draft(campaign, "lock or unlock blocks of")
    if not 1 <= position <= len(campaign.blocks):
        raise InvalidRequest(
            f"Campaign {campaign.name!r} has {len(campaign.blocks)} blocks; position {position} does not "
            "exist "
            f"(use 1 to {len(campaign.blocks)}).",
            field="position",
        )
    blocks = [dict(b) for b in campaign.blocks]
    blocks[position - 1]["locked"] = locked
    campaign.blocks = blocks
    campaign.updated_at = now
    session.flush()
    return _out(session, campaign)


def _require_draft(campaign: Campaign, action: str) -> None:
    if campaign.status == CampaignStatus.DRAFT:
        return
    if campaign.status == CampaignStatus.SCHEDULED:
        when = campaign.scheduled_at.isoformat() if campaign.scheduled_at else "later"
        raise Conflict(
            f"Campaign {campaign.name!r} is scheduled for {when}; unschedule it first "
            f"(it goes back to draft) to {action} it.",
            field="status",
        )
    raise Conflict(
        f"Campaign {campaign.name!r} is {campaign.status.value}; only draft campaigns can be changed. "
        "Duplicate it (duplicate_campaign) to make a new version.",
        field="status",
    )


# ---------------------------------------------------------------- reading


def get_campaign(session: Session, *, account_id: int, campaign_id: int) -> CampaignOut:
    """Return one campaign of the account."""
    return _out(session, _load(session, account_id, campaign_id))


def find_campaign(session: Session, *, account_id: int, name: str) -> CampaignOut:
    """Find a campaign by name (case-insensitive), suggesting near names when unknown."""
    return _out(session, get_by_name(session, Campaign, account_id=account_id, name=name, kind="campaign"))


def list_campaigns(
    session: Session,
    *,
    account_id: int,
    status: CampaignStatus | str | None = None,
    channel: Channel | str | None = None,
    sent_from: datetime | None = None,
    sent_to: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> CampaignPage:
    """List campaigns newest first, filtered by status, channel and sent time [sent_from, sent_to)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit {limit} is out of range; use 1 to {MAX_PAGE}.", field="limit")
    if offset < 0:
        raise InvalidRequest(f"offset {offset} is negative; use 0 or more.", field="offset")
    conds: list[Any] = [Campaign.account_id == account_id]
    if status is not None:
        conds.append(Campaign.status == _status(status))
    if channel is not None:
        conds.append(Campaign.channel == _channel(channel))
    if sent_from is not None:
        conds.append(Campaign.sent_at >= _aware(sent_from, "sent_from"))
    if sent_to is not None:
        conds.append(Campaign.sent_at < _aware(sent_to, "sent_to"))
    if sent_from is not None and sent_to is not None and sent_to <= sent_from:
        raise InvalidRequest("sent_to must be after sent_from.", field="sent_to")
    total = session.scalar(select(func.count()).select_from(Campaign).where(*conds)) or 0
    order = func.coalesce(Campaign.sent_at, Campaign.scheduled_at, Campaign.created_at)
    rows = session.scalars(
        select(Campaign).where(*conds).order_by(order.desc(), Campaign.id.desc()).offset(offset).limit(limit)
    ).all()
    return CampaignPage(items=_outs(session, rows), total=total, offset=offset, limit=limit)


def list_campaign_links(session: Session, *, account_id: int, campaign_id: int) -> list[CampaignLinkOut]:
    """Return the tracked links of a campaign (empty when link tracking is off)."""
    _load(session, account_id, campaign_id)
    rows = session.scalars(
        select(CampaignLink).where(CampaignLink.campaign_id == campaign_id).order_by(CampaignLink.id)
    ).all()
    return [CampaignLinkOut.model_validate(r) for r in rows]


# ---------------------------------------------------------------- status machine


def missing_for_sending(session: Session, *, account_id: int, campaign_id: int) -> list[str]:
    """List what a campaign still needs before it can be scheduled or sent (empty when ready)."""
    return _missing(session, _load(session, account_id, campaign_id))


def _missing(session: Session, c: Campaign) -> list[str]:
    missing: list[str] = []
    if c.channel == Channel.EMAIL:
        if not c.subject:
            missing.append("a subject")
        if not c.from_name:
            missing.append("a from name")
        if not c.from_email:
            missing.append("a from email")
    else:
        if not c.sms_body:
            missing.append("a message body")
        if not c.from_name:
            missing.append("a sender name")
    existing: set[int] = set()
    if c.list_ids:
        existing = set(session.scalars(select(MailingList.id).where(MailingList.id.in_(c.list_ids))).all())
    gone = [i for i in c.list_ids if i not in existing]
    if gone:
        missing.append(
            "recipients: list id " + ", ".join(map(str, gone)) + " no longer exists; pick other lists"
        )
    elif not c.list_ids and c.segment_id is None:
        missing.append("recipients (a list or a segment)")
    if c.channel == Channel.EMAIL:
        if not c.blocks:
            missing.append("content (at least one block)")
        missing.extend(
            f"a link for button {b['label']!r}"
            for b in c.blocks
            if b["type"] == "button" and not b.get("url")
        )
    return missing


def _check_ready(session: Session, c: Campaign, action: str) -> None:
    missing = _missing(session, c)
    if missing:
        raise InvalidRequest(
            f"Campaign {c.name!r} cannot be {action} yet; it is missing: {'; '.join(missing)}. "
            "Add them with update_campaign and try again.",
            field="campaign",
        )
    # The plan may have changed since the draft was made.
    if c.channel == Channel.SMS:
        require_feature(session, account_id=c.account_id, feature="sms")
    if c.predictive_sending:
        require_feature(session, account_id=c.account_id, feature="predictive_sending")
    check_personalization(session, account_id=c.account_id, texts=_texts(c))


def schedule_campaign(
    session: Session, *, account_id: int, campaign_id: int, at: datetime, now: datetime
) -> CampaignOut:
    """Schedule a draft (or reschedule a scheduled) campaign for a future time."""
    campaign = _load(session, account_id, campaign_id)
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise Conflict(
            f"Campaign {campaign.name!r} is {campaign.status.value}; only draft campaigns can be scheduled.",
            field="status",
        )
    at = _aware(at, "at")
    if at <= now:
        raise InvalidRequest(
            f"Send time {at.isoformat()} is not in the future (now is {now.isoformat()}); choose a later "
            "time.",
            field="at",
        )
    _check_ready(session, campaign, "scheduled")
    campaign.status = CampaignStatus.SCHEDULED
    campaign.scheduled_at = at
    campaign.updated_at = now
    session.flush()
    return _out(session, campaign)


def unschedule_campaign(session: Session, *, account_id: int, campaign_id: int, now: datetime) -> CampaignOut:
    """Take a scheduled campaign back to draft so it can be edited."""
    campaign = _load(session, account_id, campaign_id)
    if campaign.status != CampaignStatus.SCHEDULED:
        raise Conflict(
            f"Campaign {campaign.name!r} is {campaign.status.value}, not scheduled; nothing to unschedule.",
            field="status",
        )
    campaign.status = CampaignStatus.DRAFT
    campaign.scheduled_at = None
    campaign.updated_at = now
    session.flush()
    return _out(session, campaign)


def start_sending(session: Session, *, account_id: int, campaign_id: int, now: datetime) -> CampaignOut:
    """Move a ready draft ("send now") or a due scheduled campaign to sending."""
    campaign = _load(session, account_id, campaign_id)
    if campaign.status == CampaignStatus.SCHEDULED and campaign.scheduled_at and campaign.scheduled_at > now:
        raise Conflict(
            f"Campaign {campaign.name!r} is scheduled for {campaign.scheduled_at.isoformat()}; it starts "
            "then. "
            "Unschedule it to send it now.",
            field="status",
        )
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise Conflict(
            f"Campaign {campaign.name!r} is {campaign.status.value}; it cannot start sending again.",
            field="status",
        )
    _check_ready(session, campaign, "sent")
    campaign.status = CampaignStatus.SENDING
    campaign.updated_at = now
    session.flush()
    return _out(session, campaign)


def mark_sent(session: Session, *, account_id: int, campaign_id: int, now: datetime) -> CampaignOut:
    """Mark a sending campaign as sent."""
    campaign = _load(session, account_id, campaign_id)
    if campaign.status != CampaignStatus.SENDING:
        raise Conflict(
            f"Campaign {campaign.name!r} is {campaign.status.value}; only a sending campaign can be marked "
            "sent.",
            field="status",
        )
    campaign.status = CampaignStatus.SENT
    campaign.sent_at = now
    campaign.updated_at = now
    session.flush()
    return _out(session, campaign)


def mark_failed(
    session: Session, *, account_id: int, campaign_id: int, reason: str, now: datetime
) -> CampaignOut:
    """Mark a scheduled or sending campaign as failed, with the reason in plain words."""
    campaign = _load(session, account_id, campaign_id)
    text = (reason or "").strip()
    if not text:
        raise InvalidRequest(
            "Give the failure reason in plain words, e.g. 'The sending domain is not verified.'",
            field="reason",
        )
    if len(text) > 500:
        raise InvalidRequest(
            f"The failure reason is {len(text)} characters; keep it under 500.", field="reason"
        )
    if campaign.status not in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING):
        raise Conflict(
            f"Campaign {campaign.name!r} is {campaign.status.value}; only scheduled or sending campaigns can "
            "fail.",
            field="status",
        )
    campaign.status = CampaignStatus.FAILED
    campaign.failure_reason = text
    campaign.updated_at = now
    session.flush()
    return _out(session, campaign)


# ---------------------------------------------------------------- sends and events


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def record_sends(
    session: Session,
    *,
    account_id: int,
    campaign_id: int,
    contact_ids: Iterable[int],
    now: datetime,
    status: SendStatus | str = SendStatus.DELIVERED,
    credits: Mapping[int, int] | None = None,
) -> SendsRecorded:
    """Record one send per contact; contacts that already have a send for this campaign are skipped.

    ``credits`` maps contact id to SMS credits charged (SMS campaigns only).
    """
    campaign = _load(session, account_id, campaign_id)
    if campaign.status != CampaignStatus.SENDING:
        raise Conflict(
            f"Campaign {campaign.name!r} is {campaign.status.value}; sends are recorded only while it is "
            "sending "
            "(start_sending first).",
            field="status",
        )
    try:
        send_status = SendStatus(status)
    except ValueError:
        raise invalid_choice("send status", status, [s.value for s in SendStatus]) from None
    wanted = list(dict.fromkeys(int(i) for i in contact_ids))
    credits = dict(credits or {})
    if credits and campaign.channel != Channel.SMS:
        raise InvalidRequest(
            "Credits apply to SMS campaigns only; this is an email campaign.", field="credits"
        )
    bad_credits = {k: v for k, v in credits.items() if v < 0 or k not in wanted}
    if bad_credits:
        raise InvalidRequest(
            "Credits must be 0 or more and only for the contacts being sent; check contacts "
            f"{sorted(bad_credits)}.",
            field="credits",
        )
    owned: set[int] = set()
    for chunk in _chunks(wanted):
        owned.update(
            session.scalars(
                select(Contact.id).where(Contact.account_id == account_id, Contact.id.in_(chunk))
            ).all()
        )
    unknown = [i for i in wanted if i not in owned]
    if unknown:
        shown = ", ".join(map(str, unknown[:10])) + (" ..." if len(unknown) > 10 else "")
        raise NotFound(
            f"No contacts with ids {shown} in this account; no sends were recorded.", field="contact"
        )
    session.flush()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted: set[int] = set()
    for chunk in _chunks(wanted):
        rows = [
            {
                "account_id": account_id,
                "campaign_id": campaign.id,
                "contact_id": cid,
                "status": send_status.value,
                "sent_at": now,
                "credits": credits.get(cid, 0),
            }
            for cid in chunk
        ]
        # The unique (campaign, contact) key decides, so concurrent senders never write a send twice.
        stmt = (
            insert(CampaignSend)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["campaign_id", "contact_id"])
            .returning(CampaignSend.contact_id)
        )
        inserted.update(session.execute(stmt).scalars().all())
    return SendsRecorded(
        campaign_id=campaign.id,
        recorded=len(inserted),
        skipped_contact_ids=[i for i in wanted if i not in inserted],
    )


def record_event(
    session: Session,
    *,
    account_id: int,
    campaign_id: int,
    contact_id: int,
    type: EventType | str,
    occurred_at: datetime,
    url: str | None = None,
    is_bot: bool = False,
    is_mpp: bool = False,
    user_agent: str | None = None,
    ip: str | None = None,
) -> EventOut:
    """Record an open, click, reply, forward, share, unsubscribe or bounce by a recipient of the campaign."""
    try:
        kind = EventType(str(type).strip().lower())
    except ValueError:
        raise invalid_choice("event type", type, [e.value for e in EventType]) from None
    campaign = _load(session, account_id, campaign_id)
    get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")
    occurred_at = _aware(occurred_at, "occurred_at")
    if campaign.status not in _EVENT_STATUSES:
        raise Conflict(
            f"Campaign {campaign.name!r} is {campaign.status.value} and has no recipients yet; events come "
            "after "
            "sending.",
            field="status",
        )
    if campaign.channel == Channel.SMS and kind not in _SMS_EVENTS:
        raise InvalidRequest(
            f"SMS campaigns record only {', '.join(e.value for e in _SMS_EVENTS)} events, not {kind.value}.",
            field="type",
        )
    send = session.scalars(
        select(CampaignSend).where(
            CampaignSend.campaign_id == campaign.id, CampaignSend.contact_id == contact_id
        )
    ).first()
    if send is None:
        raise InvalidRequest(
            f"Contact {contact_id} was not sent campaign {campaign.name!r}; events are recorded only for its "
            "recipients.",
            field="contact",
        )
    if occurred_at < send.sent_at:
        raise InvalidRequest(
            f"Event time {occurred_at.isoformat()} is before the campaign reached this contact "
            f"({send.sent_at.isoformat()}).",
            field="occurred_at",
        )
    if is_mpp and kind != EventType.OPEN:
        raise InvalidRequest(
            "Only opens can be Apple Mail Privacy Protection opens; is_mpp applies to opens.", field="is_mpp"
        )
    if kind == EventType.CLICK:
        url, is_bot = _check_click(session, campaign, url, is_bot)
    elif url is not None and kind != EventType.SHARE:
        raise InvalidRequest(
            f"A {kind.value} event has no URL; only clicks and shares carry one.", field="url"
        )
    event = EngagementEvent(
        account_id=account_id,
        campaign_id=campaign.id,
        contact_id=contact_id,
        type=kind,
        occurred_at=occurred_at,
        url=url[:500] if url else None,
        is_bot=is_bot,
        is_mpp=is_mpp,
        user_agent=user_agent[:200] if user_agent else None,
        ip=ip[:45] if ip else None,
    )
    session.add(event)
    if kind == EventType.BOUNCE:
        send.status = SendStatus.BOUNCED
    session.flush()
    return EventOut.model_validate(event)


def _check_click(session: Session, campaign: Campaign, url: str | None, is_bot: bool) -> tuple[str, bool]:
    if not campaign.link_tracking:
        raise Conflict(
            f"Link tracking is off for campaign {campaign.name!r}, so its clicks are not tracked.",
            field="url",
        )
    if not url or not url.strip():
        raise InvalidRequest("A click needs the URL that was clicked.", field="url")
    links = session.scalars(select(CampaignLink).where(CampaignLink.campaign_id == campaign.id)).all()
    match = next((link for link in links if link.url == url.strip()), None)
    if match is None:
        shown = ", ".join(repr(link.url) for link in links if not link.is_honeypot) or "none"
        raise InvalidRequest(
            f"URL {url!r} is not a tracked link of campaign {campaign.name!r}; its links are: {shown}.",
            field="url",
        )
    return match.url, is_bot or match.is_honeypot
