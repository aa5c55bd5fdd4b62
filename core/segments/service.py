"""Segments: validate condition trees, count and preview them, and keep named segments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from core.campaigns.models import Campaign
from core.contacts.models import Contact
from core.enums import CampaignStatus
from core.errors import Conflict, InvalidRequest
from core.scope import resolve
from core.segments import compiler
from core.segments.models import Segment
from core.segments.schemas import ContactBrief, SegmentOut, SegmentPreview
from core.segments.tree import SegmentTree, parse_tree
from core.segments.tree import describe_tree as _describe

MAX_NAME = 150
MAX_SAMPLE = 100
# Validation builds (and discards) the SQL to resolve every name; relative dates need some clock to
# resolve against, and the result does not depend on which, so a fixed one keeps validation deterministic.
_VALIDATION_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def validate_tree(session: Session, *, account_id: int, tree: dict[str, Any] | SegmentTree) -> SegmentTree:
    """Check a tree's shape and every name in it against the account.

    Malformed trees raise InvalidRequest naming the path; unknown names raise NotFound with suggestions.
    """
    parsed = parse_tree(tree)
    ctx = compiler.load_context(session, account_id=account_id, now=_VALIDATION_NOW, estimate=False)
    compiler.group_clause(ctx, parsed.root, "root")
    return parsed


def describe_tree(tree: dict[str, Any] | SegmentTree) -> str:
    """Describe a tree in plain English, e.g. "opened any campaign in the last 90 days and has tag 'VIP'"."""
    return _describe(parse_tree(tree))


def _where(session: Session, *, account_id: int, tree: SegmentTree, now: datetime) -> ColumnElement[bool]:
    ctx = compiler.load_context(session, account_id=account_id, now=now)
    return compiler.contact_filter(ctx, tree)


def count_contacts(
    session: Session, *, account_id: int, tree: dict[str, Any] | SegmentTree, now: datetime
) -> int:
    """Count this account's contacts matching ``tree``."""
    where = _where(session, account_id=account_id, tree=parse_tree(tree), now=now)
    stmt = select(func.count(Contact.id)).where(where)
    return int(session.scalar(stmt) or 0)


def sample_contacts(
    session: Session, *, account_id: int, tree: dict[str, Any] | SegmentTree, now: datetime, limit: int = 10
) -> list[ContactBrief]:
    """Return up to ``limit`` matching contacts (lowest ids first)."""
    if not 1 <= limit <= MAX_SAMPLE:
        raise InvalidRequest(
            f"limit {limit} is out of range; ask for 1 to {MAX_SAMPLE} contacts.", field="limit"
        )
    where = _where(session, account_id=account_id, tree=parse_tree(tree), now=now)
    stmt = (
        select(Contact.id, Contact.email, Contact.first_name, Contact.last_name)
        .where(where)
        .order_by(Contact.id)
        .limit(limit)
    )
    return [
        ContactBrief(id=r.id, email=r.email, first_name=r.first_name, last_name=r.last_name)
        for r in session.execute(stmt)
    ]


def preview(
    session: Session,
    *,
    account_id: int,
    tree: dict[str, Any] | SegmentTree,
    now: datetime,
    sample_size: int = 5,
) -> SegmentPreview:
    """Count, sample and describe a tree before saving it."""
    parsed = validate_tree(session, account_id=account_id, tree=tree)
    return SegmentPreview(
        count=count_contacts(session, account_id=account_id, tree=parsed, now=now),
        sample=sample_contacts(session, account_id=account_id, tree=parsed, now=now, limit=sample_size),
        description=_describe(parsed),
    )


# ----------------------------------------------------------------------------------------------------------
# Saved segments


def _out(row: Segment) -> SegmentOut:
    tree = parse_tree(row.tree)
    return SegmentOut(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        description=row.description,
        summary=_describe(tree),
        tree=tree,
        schema_version=row.schema_version,
        revision=row.revision,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise InvalidRequest("Segment name is empty; give the segment a name.", field="name")
    if len(cleaned) > MAX_NAME:
        raise InvalidRequest(
            f"Segment name is {len(cleaned)} characters; use at most {MAX_NAME}.", field="name"
        )
    if cleaned.isdigit():
        raise InvalidRequest(
            f"Segment name {cleaned!r} is only digits; include a word so it is not read as an id.",
            field="name",
        )
    return cleaned


def _check_unique(session: Session, *, account_id: int, name: str, except_id: int | None = None) -> None:
    stmt = select(Segment.name).where(
        Segment.account_id == account_id, func.lower(Segment.name) == name.lower()
    )
    if except_id is not None:
        stmt = stmt.where(Segment.id != except_id)
    existing = session.scalars(stmt.limit(1)).first()
    if existing is not None:
        raise Conflict(
            f"A segment named {existing!r} already exists; choose another name or update that one.",
            field="name",
        )


def available_name(session: Session, *, account_id: int, name: str) -> str:
    """Return ``name``, or "name (2)", "name (3)"... when a segment already uses it."""
    base = _clean_name(name)
    taken = {n.lower() for n in session.scalars(select(Segment.name).where(Segment.account_id == account_id))}
    candidate, k = base, 2
    while candidate.lower() in taken:
        candidate, k = f"{base} ({k})", k + 1
    return candidate


def _get_row(session: Session, *, account_id: int, segment: int | str) -> Segment:
    return resolve(session, Segment, account_id=account_id, ref=segment, kind="segment")


def create_segment(
    session: Session,
    *,
    account_id: int,
    name: str,
    tree: dict[str, Any] | SegmentTree,
    description: str | None = None,
    now: datetime,
) -> SegmentOut:
    """Save a named segment (names are unique per account, ignoring case)."""
    cleaned = _clean_name(name)
    parsed = validate_tree(session, account_id=account_id, tree=tree)
    _check_unique(session, account_id=account_id, name=cleaned)
    row = Segment(
        account_id=account_id,
        name=cleaned,
        description=(description or "").strip() or None,
        schema_version=parsed.version,
        revision=1,
        tree=parsed.model_dump(mode="json"),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return _out(row)


def update_segment(
    session: Session,
    *,
    account_id: int,
    segment: int | str,
    name: str | None = None,
    tree: dict[str, Any] | SegmentTree | None = None,
    description: str | None = None,
    now: datetime,
) -> SegmentOut:
    """Rename, redescribe or replace the tree of a segment; every change bumps its revision."""
    row = _get_row(session, account_id=account_id, segment=segment)
    cleaned = _clean_name(name) if name is not None else None
    parsed = validate_tree(session, account_id=account_id, tree=tree) if tree is not None else None
    if cleaned is not None:
        _check_unique(session, account_id=account_id, name=cleaned, except_id=row.id)
    if cleaned is None and parsed is None and description is None:
        raise InvalidRequest("Nothing to change; give a new name, tree or description.", field="segment")
    if cleaned is not None:
        row.name = cleaned
    if parsed is not None:
        row.tree = parsed.model_dump(mode="json")
        row.schema_version = parsed.version
    if description is not None:
        row.description = description.strip() or None
    row.revision += 1
    row.updated_at = now
    session.flush()
    return _out(row)


def get_segment(session: Session, *, account_id: int, segment: int | str) -> SegmentOut:
    """Return a segment by id or name."""
    return _out(_get_row(session, account_id=account_id, segment=segment))


def list_segments(session: Session, *, account_id: int) -> list[SegmentOut]:
    """Return the account's segments by name."""
    rows = session.scalars(
        select(Segment).where(Segment.account_id == account_id).order_by(func.lower(Segment.name))
    ).all()
    return [_out(r) for r in rows]


def delete_segment(session: Session, *, account_id: int, segment: int | str) -> SegmentOut:
    """Delete a segment that no scheduled or sending campaign targets; returns what was deleted."""
    row = _get_row(session, account_id=account_id, segment=segment)
    busy = session.scalars(
        select(Campaign.name)
        .where(
            Campaign.account_id == account_id,
            Campaign.segment_id == row.id,
            Campaign.status.in_([CampaignStatus.SCHEDULED, CampaignStatus.SENDING]),
        )
        .limit(3)
    ).all()
    if busy:
        names = ", ".join(repr(n) for n in busy)
        raise Conflict(
            f"Segment {row.name!r} is the audience of {names}, which is scheduled or sending; "
            "unschedule it or pick another segment first.",
            field="segment",
        )
    out = _out(row)
    session.delete(row)
    session.flush()
    return out


def count_segment(session: Session, *, account_id: int, segment: int | str, now: datetime) -> int:
    """Count the contacts a saved segment matches now."""
    row = _get_row(session, account_id=account_id, segment=segment)
    return count_contacts(session, account_id=account_id, tree=parse_tree(row.tree), now=now)


def segment_contact_ids(
    session: Session, *, account_id: int, segment: int | str, now: datetime
) -> Select[tuple[int]]:
    """Return a SELECT of the ids of the contacts a saved segment matches (for campaign audiences)."""
    row = _get_row(session, account_id=account_id, segment=segment)
    return compiler.compile(session, account_id=account_id, tree=parse_tree(row.tree), now=now)
