"""Reading scores: who has how many points, the highest-scoring contacts, retroactive points for new scores.

The score definitions and the one-value setters live in core.automations.service; this module answers the
questions people ask about them ("what's Jane's lead score", "who are my hottest leads", "what is the Acme
deal worth on Deal health") and gives a new contact score its points at creation (the help center: "Contact
scores, once created, are retroactive"). Every lookup is scoped to one account.

A contact or deal without a stored value has 0 points (as segment conditions on scores read it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, and_, func, literal, or_, select, true, union_all
from sqlalchemy.orm import Session

from core.accounts.features import check_feature
from core.accounts.models import Account
from core.automations.models import ScoreDefinition, ScoreValue
from core.contacts.models import Contact
from core.crm.models import Deal, Pipeline
from core.enums import ScoreTarget
from core.errors import InvalidRequest, NotFound, not_found
from core.scope import get_owned, resolve
from core.segments import compiler
from core.segments.tree import describe_tree, parse_tree

MAX_TOP = 100
_AMBIGUOUS_SHOWN = 5
_NAME_POOL = 200


# ---------------------------------------------------------------- shapes


class ScoreRuleText(BaseModel):
    """One rule in words: who matches, the points (negative subtracts) and when they expire."""

    when: str
    points: int
    expires_days: int | None


class ScoreSummary(BaseModel):
    id: int
    name: str
    target: ScoreTarget
    active: bool
    pipeline: str | None
    rule_count: int
    rules: list[ScoreRuleText]
    # Contacts (or deals) holding a non-zero value on this score.
    scored: int


class ContactBrief(BaseModel):
    id: int
    email: str
    name: str


class ScoredContact(BaseModel):
    # 1 + the number of contacts with more points: equal points share a rank.
    rank: int
    contact_id: int
    email: str
    name: str
    points: int


class TopScoredOut(BaseModel):
    score_id: int
    score: str
    active: bool
    # Contacts with more than 0 points on the score; only they are ranked.
    scored: int
    items: list[ScoredContact]


class ScorePoints(BaseModel):
    score_id: int
    score: str
    active: bool
    points: int
    # Only for positive points: the rank among the scored contacts (or deals) and how many there are.
    rank: int | None
    scored: int
    updated_at: datetime | None


class ContactScoresOut(BaseModel):
    contact: ContactBrief
    scores: list[ScorePoints]


class DealBrief(BaseModel):
    id: int
    title: str
    pipeline: str
    status: str


class DealScoresOut(BaseModel):
    deal: DealBrief
    scores: list[ScorePoints]


class RetroactiveOut(BaseModel):
    score_id: int
    # Contacts given a non-zero value (the sum of the rules they match now).
    scored: int


# ---------------------------------------------------------------- helpers


def _full_name(first: str | None, last: str | None) -> str:
    return " ".join(p for p in (first, last) if p)


def describe_rules(rules: list[dict[str, Any]]) -> list[ScoreRuleText]:
    """Stored rules in words: 'opened any campaign in the last 30 days', +5, expiring after 30 days."""
    out = []
    for rule in rules:
        try:
            when = describe_tree(parse_tree(rule["condition"]))
        except Exception:  # noqa: BLE001  (an old or odd tree still gets listed)
            when = "a custom condition"
        out.append(
            ScoreRuleText(when=when, points=int(rule["points"]), expires_days=rule.get("expires_days"))
        )
    return out


def _scored_count(session: Session, score_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(ScoreValue)
        .where(ScoreValue.score_id == score_id, ScoreValue.points > 0)
    )
    return int(session.scalar(stmt) or 0)


def _rank(session: Session, score_id: int, points: int) -> int:
    stmt = (
        select(func.count())
        .select_from(ScoreValue)
        .where(ScoreValue.score_id == score_id, ScoreValue.points > points)
    )
    return 1 + int(session.scalar(stmt) or 0)


def _kind_words(target: ScoreTarget) -> str:
    return "contact score" if target == ScoreTarget.CONTACT else "deal score"


def pick_score(
    session: Session, *, account_id: int, score: int | str | None, target: ScoreTarget
) -> ScoreDefinition:
    """The score named (by name or id), or else the account's only (active) score of ``target``.

    Several candidates raise an InvalidRequest that starts with "Which score?" and lists them.
    """
    if score is not None and str(score).strip():
        row: ScoreDefinition = resolve(
            session, ScoreDefinition, account_id=account_id, ref=str(score).strip(), kind="score"
        )
        if row.target != target:
            other = "get_deal_score" if row.target == ScoreTarget.DEAL else "get_contact_score"
            raise InvalidRequest(
                f"{row.name!r} is a {_kind_words(row.target)}, not a {_kind_words(target)}; "
                f"use {other} for it, or name a {_kind_words(target)}.",
                field="score",
            )
        return row
    rows = session.scalars(
        select(ScoreDefinition)
        .where(ScoreDefinition.account_id == account_id, ScoreDefinition.target == target)
        .order_by(func.lower(ScoreDefinition.name))
    ).all()
    if not rows:
        raise NotFound(
            f"This account has no {_kind_words(target)}s yet. Create one with create_score "
            f"({_feature_note(session, account_id, target)}).",
            field="score",
        )
    active = [r for r in rows if r.active]
    if len(rows) == 1:
        return rows[0]
    if len(active) == 1:
        return active[0]
    names = ", ".join(repr(r.name) for r in (active or rows))
    raise InvalidRequest(
        f"Which score? This account has {len(active or rows)} {_kind_words(target)}s: {names}. Name one.",
        field="score",
    )


def no_scores_note(session: Session, *, account_id: int) -> str:
    """What an account without any score can do about it (its plan decides which scores it may create)."""
    return (
        "This account has no scores yet; create one with create_score. "
        f"Contact scores: {_feature_note(session, account_id, ScoreTarget.CONTACT)}. "
        f"Deal scores: {_feature_note(session, account_id, ScoreTarget.DEAL)}."
    )


def _feature_note(session: Session, account_id: int, target: ScoreTarget) -> str:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    feature = "deal_scoring" if target == ScoreTarget.DEAL else "contact_scoring"
    ok, message = check_feature(account.plan, list(account.addons), feature)
    return "this account's plan includes it" if ok else message.rstrip(".")


# ---------------------------------------------------------------- contacts by id, email or name


def find_contact_ref(session: Session, *, account_id: int, ref: int | str) -> Contact:
    """A contact by id, email address or full name ("Jane Doe"), within the account.

    A name shared by several contacts raises an InvalidRequest starting with "Which contact?" that lists
    their addresses; an unknown one raises NotFound with the nearest names.
    """
    if isinstance(ref, int) or str(ref).strip().isdigit():
        return get_owned(session, Contact, account_id=account_id, id=int(ref), kind="contact")
    text = " ".join(str(ref).split())
    if not text:
        raise InvalidRequest("Which contact? Give an email address, a name or an id.", field="contact")
    if "@" in text:
        row = session.scalars(
            select(Contact).where(Contact.account_id == account_id, func.lower(Contact.email) == text.lower())
        ).first()
        if row is not None:
            return row
        local, _, domain = text.lower().partition("@")
        pool = session.scalars(
            select(Contact.email)
            .where(
                Contact.account_id == account_id,
                or_(
                    Contact.email.startswith(local[:3], autoescape=True),
                    Contact.email.endswith("@" + domain, autoescape=True),
                ),
            )
            .limit(_NAME_POOL)
        ).all()
        if not pool:
            raise NotFound(
                f"No contact named {text!r} in this account; check the spelling or search by name.",
                field="contact",
            )
        raise not_found("contact", text, pool)
    first = func.coalesce(Contact.first_name, "")
    last = func.coalesce(Contact.last_name, "")
    full = func.lower(func.trim(first + " " + last))
    key = text.lower()
    exact = session.scalars(
        select(Contact).where(Contact.account_id == account_id, full == key).order_by(Contact.id).limit(50)
    ).all()
    if len(exact) == 1:
        return exact[0]
    if exact:
        raise _ambiguous(text, exact)
    partial = session.scalars(
        select(Contact)
        .where(Contact.account_id == account_id, full.contains(key, autoescape=True))
        .order_by(Contact.id)
        .limit(50)
    ).all()
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise _ambiguous(text, partial)
    # Look-alike names only (same first letters of a word), so a large account does not load every name.
    words = [w[:2] for w in key.split() if len(w) >= 2] or [key[:1]]
    looks = or_(
        *[func.lower(first).startswith(w, autoescape=True) for w in words],
        *[func.lower(last).startswith(w, autoescape=True) for w in words],
    )
    pool_rows = session.execute(
        select(Contact.first_name, Contact.last_name)
        .where(Contact.account_id == account_id, looks)
        .limit(_NAME_POOL)
    ).all()
    names = [n for n in (_full_name(f, ln) for f, ln in pool_rows) if n]
    if not names:
        raise NotFound(
            f"No contact named {text!r} in this account; check the spelling, or give the email address.",
            field="contact",
        )
    raise not_found("contact", text, names)


def _ambiguous(text: str, rows: list[Contact]) -> InvalidRequest:
    shown = ", ".join(
        f"{_full_name(c.first_name, c.last_name) or c.email} <{c.email}>" for c in rows[:_AMBIGUOUS_SHOWN]
    )
    more = f" and {len(rows) - _AMBIGUOUS_SHOWN} more" if len(rows) > _AMBIGUOUS_SHOWN else ""
    return InvalidRequest(
        f"Which contact? {len(rows)}{'+' if len(rows) >= 50 else ''} contacts match {text!r}: {shown}{more}. "
        "Give the email address.",
        field="contact",
    )


# ---------------------------------------------------------------- services


def list_score_summaries(session: Session, *, account_id: int) -> list[ScoreSummary]:
    """Every score of the account by name: contact or deal, active, rules in words, how many hold points."""
    rows = session.execute(
        select(ScoreDefinition, Pipeline.name)
        .outerjoin(Pipeline, Pipeline.id == ScoreDefinition.pipeline_id)
        .where(ScoreDefinition.account_id == account_id)
        .order_by(func.lower(ScoreDefinition.name))
    ).all()
    counts = dict(
        session.execute(
            select(ScoreValue.score_id, func.count())
            .where(ScoreValue.account_id == account_id, ScoreValue.points != 0)
            .group_by(ScoreValue.score_id)
        ).all()
    )
    return [
        ScoreSummary(
            id=s.id,
            name=s.name,
            target=s.target,
            active=s.active,
            pipeline=pipeline,
            rule_count=len(s.rules or []),
            rules=describe_rules(list(s.rules or [])),
            scored=int(counts.get(s.id, 0)),
        )
        for s, pipeline in rows
    ]


def top_query(*, account_id: int, score_id: int, limit: int) -> Select[Any]:
    """The top ``limit`` positive values of a score with their contacts, highest first (ties: lower id first).

    The values are limited before the join, so the (score_id, points) index is read from its top and only
    ``limit`` contacts are looked up, however large the account.
    """
    top = (
        select(ScoreValue.contact_id, ScoreValue.points)
        .where(ScoreValue.score_id == score_id, ScoreValue.account_id == account_id, ScoreValue.points > 0)
        .order_by(ScoreValue.points.desc(), ScoreValue.contact_id)
        .limit(limit)
        .subquery()
    )
    return (
        select(top.c.contact_id, top.c.points, Contact.email, Contact.first_name, Contact.last_name)
        .join(Contact, and_(Contact.id == top.c.contact_id, Contact.account_id == account_id))
        .order_by(top.c.points.desc(), top.c.contact_id)
    )


def top_scored_contacts(
    session: Session, *, account_id: int, score: int | str | None = None, limit: int = 10
) -> TopScoredOut:
    """The contacts with the most points on a contact score, highest first (equal points: lower id first).

    Only contacts with more than 0 points are ranked. Reads the (score_id, points) index backwards.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_TOP:
        raise InvalidRequest(f"limit {limit!r} is out of range; use 1 to {MAX_TOP}.", field="limit")
    row = pick_score(session, account_id=account_id, score=score, target=ScoreTarget.CONTACT)
    rows = session.execute(top_query(account_id=account_id, score_id=row.id, limit=limit)).all()
    items: list[ScoredContact] = []
    for i, (cid, points, email, first, last) in enumerate(rows):
        # Everyone above this row is in the list already, so its rank is where its points first appear.
        rank = items[-1].rank if items and items[-1].points == points else i + 1
        items.append(
            ScoredContact(rank=rank, contact_id=cid, email=email, name=_full_name(first, last), points=points)
        )
    return TopScoredOut(
        score_id=row.id, score=row.name, active=row.active, scored=_scored_count(session, row.id), items=items
    )


def _points(session: Session, score: ScoreDefinition, value: ScoreValue | None) -> ScorePoints:
    points = value.points if value is not None else 0
    return ScorePoints(
        score_id=score.id,
        score=score.name,
        active=score.active,
        points=points,
        rank=_rank(session, score.id, points) if points > 0 else None,
        scored=_scored_count(session, score.id),
        updated_at=value.updated_at if value is not None else None,
    )


def contact_scores(
    session: Session, *, account_id: int, contact: int | str, score: int | str | None = None
) -> ContactScoresOut:
    """A contact's points on every contact score of the account, or on the one named."""
    person = find_contact_ref(session, account_id=account_id, ref=contact)
    if score is not None and str(score).strip():
        scores = [pick_score(session, account_id=account_id, score=score, target=ScoreTarget.CONTACT)]
    else:
        scores = list(
            session.scalars(
                select(ScoreDefinition)
                .where(
                    ScoreDefinition.account_id == account_id, ScoreDefinition.target == ScoreTarget.CONTACT
                )
                .order_by(func.lower(ScoreDefinition.name))
            ).all()
        )
        if not scores:
            pick_score(session, account_id=account_id, score=None, target=ScoreTarget.CONTACT)  # raises
    values = {
        v.score_id: v
        for v in session.scalars(
            select(ScoreValue).where(
                ScoreValue.account_id == account_id,
                ScoreValue.contact_id == person.id,
                ScoreValue.score_id.in_([s.id for s in scores]),
            )
        ).all()
    }
    return ContactScoresOut(
        contact=ContactBrief(
            id=person.id, email=person.email, name=_full_name(person.first_name, person.last_name)
        ),
        scores=[_points(session, s, values.get(s.id)) for s in scores],
    )


def deal_scores(
    session: Session, *, account_id: int, deal: int | str, score: int | str | None = None
) -> DealScoresOut:
    """A deal's points on the account's deal scores that apply to its pipeline, or on the one named."""
    row: Deal = resolve(
        session, Deal, account_id=account_id, ref=str(deal).strip(), kind="deal", attr="title"
    )
    pipeline = session.get(Pipeline, row.pipeline_id)
    if score is not None and str(score).strip():
        chosen = pick_score(session, account_id=account_id, score=score, target=ScoreTarget.DEAL)
        if chosen.pipeline_id is not None and chosen.pipeline_id != row.pipeline_id:
            raise InvalidRequest(
                f"Deal score {chosen.name!r} scores another pipeline's deals; {row.title!r} is in "
                f"{pipeline.name if pipeline else 'another pipeline'!r}.",
                field="score",
            )
        scores = [chosen]
    else:
        scores = list(
            session.scalars(
                select(ScoreDefinition)
                .where(
                    ScoreDefinition.account_id == account_id,
                    ScoreDefinition.target == ScoreTarget.DEAL,
                    or_(
                        ScoreDefinition.pipeline_id.is_(None), ScoreDefinition.pipeline_id == row.pipeline_id
                    ),
                )
                .order_by(func.lower(ScoreDefinition.name))
            ).all()
        )
        if not scores:
            any_deal_score = session.scalar(
                select(func.count())
                .select_from(ScoreDefinition)
                .where(ScoreDefinition.account_id == account_id, ScoreDefinition.target == ScoreTarget.DEAL)
            )
            if not any_deal_score:
                pick_score(session, account_id=account_id, score=None, target=ScoreTarget.DEAL)  # raises
            raise NotFound(
                f"No deal score applies to {row.title!r}: its deal scores are for other pipelines.",
                field="score",
            )
    values = {
        v.score_id: v
        for v in session.scalars(
            select(ScoreValue).where(
                ScoreValue.account_id == account_id,
                ScoreValue.deal_id == row.id,
                ScoreValue.score_id.in_([s.id for s in scores]),
            )
        ).all()
    }
    return DealScoresOut(
        deal=DealBrief(
            id=row.id, title=row.title, pipeline=pipeline.name if pipeline else "", status=row.status.value
        ),
        scores=[_points(session, s, values.get(s.id)) for s in scores],
    )


def score_contacts_retroactively(
    session: Session, *, account_id: int, score_id: int, now: datetime
) -> RetroactiveOut:
    """Give a new contact score its points now: each contact gets the sum of the rules it matches.

    The help center: "Contact scores, once created, are retroactive." Only a score without any stored values
    can be filled this way (later changes come from automations' "adjust score" steps). Contacts whose rules
    add up to 0 get no row (0 points either way).
    """
    score = get_owned(session, ScoreDefinition, account_id=account_id, id=score_id, kind="score")
    if score.target != ScoreTarget.CONTACT:
        raise InvalidRequest(
            f"{score.name!r} is a deal score; only contact scores are filled in retroactively.", field="score"
        )
    if not score.active:
        raise InvalidRequest(f"Score {score.name!r} is inactive; activate it first.", field="score")
    taken = session.scalar(
        select(func.count()).select_from(ScoreValue).where(ScoreValue.score_id == score.id)
    )
    if taken:
        raise InvalidRequest(
            f"Score {score.name!r} already holds points for {taken} contacts; it was filled in already.",
            field="score",
        )
    ctx = compiler.load_context(session, account_id=account_id, now=now)
    parts = []
    for rule in score.rules or []:
        tree = parse_tree(rule["condition"])
        matches = compiler.contact_filter(ctx, tree)
        parts.append(
            select(Contact.id.label("contact_id"), literal(int(rule["points"])).label("points")).where(
                matches
            )
        )
    if not parts:
        return RetroactiveOut(score_id=score.id, scored=0)
    awarded = union_all(*parts).subquery()
    total = func.sum(awarded.c.points)
    per_contact = (
        select(
            literal(account_id),
            literal(score.id),
            awarded.c.contact_id,
            total,
            literal(now, ScoreValue.__table__.c.updated_at.type),
        )
        .where(true())
        .group_by(awarded.c.contact_id)
        .having(total != 0)
    )
    session.flush()
    session.execute(
        ScoreValue.__table__.insert().from_select(
            ["account_id", "score_id", "contact_id", "points", "updated_at"], per_contact
        )
    )
    scored = session.scalar(
        select(func.count()).select_from(ScoreValue).where(ScoreValue.score_id == score.id)
    )
    return RetroactiveOut(score_id=score.id, scored=int(scored or 0))
