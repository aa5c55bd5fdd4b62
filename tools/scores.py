"""Score tools: list scores, a contact's or deal's points, the top-scored contacts, and creating scores."""

from __future__ import annotations

import re
from typing import Any, Literal

from langgraph.prebuilt import ToolRuntime

from core.automations import scores_report as reports
from core.automations import service as automations
from core.enums import ScoreTarget
from core.errors import InvalidRequest
from tools.base import Risk, ai_tool, dump_object, unit_of_work
from tools.context import TurnContext
from tools.segments import CONDITIONS_HELP

AREA = "Scores"
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_NEVER = {"", "never", "no", "none", "no expiry", "does not expire", "doesn't expire", "forever"}


def _page_object(ctx: TurnContext, kind: str) -> str | None:
    page = ctx.page
    if page is not None and page.object_type == kind and page.object_id:
        return str(page.object_id)
    return None


def _points_of(raw: Any, n: int) -> int:
    """5, "+5", "5 points", "-10", "minus 10", "subtract 10 points" -> a whole number of points."""
    if isinstance(raw, bool):
        raise InvalidRequest(f"Rule {n}: points {raw!r} must be a whole number like 5 or -10.", field="rules")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = str(raw).strip().lower()
    m = re.fullmatch(
        r"(?P<neg>-|minus\s+|subtract\s+|remove\s+|take away\s+)?\+?\s*(?P<n>\d[\d,]*)"
        r"(?:\s*(?:points?|pts?))?",
        text,
    )
    if not m:
        raise InvalidRequest(
            f"Rule {n}: points {raw!r} is not a whole number; use e.g. 5 to add or -10 to subtract.",
            field="rules",
        )
    value = int(m.group("n").replace(",", ""))
    return -value if m.group("neg") else value


def _expiry_days(raw: Any, n: int) -> int | None:
    """None, "never", 30, "30 days", "2 weeks", "3 months", "after 1 year" -> days (None: never expires)."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return int(raw)
    text = str(raw).strip().lower()
    if text in _NEVER:
        return None
    m = re.fullmatch(
        r"(?:expir(?:e|es|ing)\s+)?(?:after|in)?\s*(?P<n>\d+|a|an|one)?\s*(?P<u>day|week|month|year)s?", text
    )
    if not m:
        raise InvalidRequest(
            f"Rule {n}: expiry {raw!r} is not understood; use a number of days, or words like '30 days', "
            "'2 weeks', '3 months', or 'never'.",
            field="rules",
        )
    count = int(m.group("n")) if m.group("n") and m.group("n").isdigit() else 1
    return count * _UNIT_DAYS[m.group("u")]


def _rule(raw: Any, n: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidRequest(
            f"Rule {n} must be an object like "
            '{"conditions": [...], "points": 5, "expires_after": "30 days"}.',
            field="rules",
        )
    known = {"conditions", "condition", "match", "points", "expires_after", "expires_days"}
    extra = sorted(set(raw) - known)
    if extra:
        raise InvalidRequest(
            f"Rule {n} has unknown keys {extra}; use conditions, match, points and expires_after.",
            field="rules",
        )
    if "points" not in raw:
        raise InvalidRequest(f"Rule {n} needs points: how many to add (5) or subtract (-10).", field="rules")
    if raw.get("condition") is not None:
        condition = raw["condition"]
    else:
        conditions = raw.get("conditions")
        if isinstance(conditions, dict):
            conditions = [conditions]
        if not conditions:
            raise InvalidRequest(
                f"Rule {n} needs conditions: who earns the points, e.g. "
                '[{"type":"engagement","action":"open","op":"has"}].',
                field="rules",
            )
        match = str(raw.get("match") or "all").strip().lower()
        if match not in ("all", "any"):
            raise InvalidRequest(f"Rule {n}: match {match!r} must be 'all' or 'any'.", field="rules")
        condition = {"version": 1, "root": {"type": "group", "match": match, "conditions": list(conditions)}}
    expiry = raw.get("expires_after", raw.get("expires_days"))
    return {
        "condition": condition,
        "points": _points_of(raw["points"], n),
        "expires_days": _expiry_days(expiry, n),
    }


def _score_doc(fn: Any) -> Any:
    fn.__doc__ = (fn.__doc__ or "") + "\n" + CONDITIONS_HELP
    return fn


@ai_tool(risk=Risk.READ, area=AREA, examples=("What lead scores do I have?", "List my scoring rules"))
def list_scores(runtime: ToolRuntime[TurnContext]) -> str:
    """List the account's contact and deal scores: active or not, rules in words, how many hold points."""
    with unit_of_work(runtime) as (session, ctx):
        rows = reports.list_score_summaries(session, account_id=ctx.account_id)
        extra: dict[str, Any] = {}
        if not rows:
            extra["note"] = reports.no_scores_note(session, account_id=ctx.account_id)
        return dump_object("scores", {"items": [r.model_dump(mode="json") for r in rows]}, **extra)


@ai_tool(
    risk=Risk.READ,
    area=AREA,
    examples=("What's Jane Doe's lead score?", "How many points does jane@acme.com have?"),
)
def get_contact_score(
    contact: str | None = None,
    score: str | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Show a contact's points on each contact score (or the one named), with its rank among scored contacts.

    Args:
        contact: the contact's email address, full name or id; empty means the contact open on the page.
        score: a contact score's name; empty means every contact score.
    """
    with unit_of_work(runtime) as (session, ctx):
        ref = (contact or "").strip() or _page_object(ctx, "contact")
        if not ref:
            raise InvalidRequest("Which contact? Give their email address or full name.", field="contact")
        out = reports.contact_scores(session, account_id=ctx.account_id, contact=ref, score=score)
        return dump_object("contact_score", out)


@ai_tool(
    risk=Risk.READ, area=AREA, examples=("Who are my hottest leads?", "Top 5 contacts by Engagement score")
)
def top_scored_contacts(
    score: str | None = None,
    limit: int = 10,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """List the contacts with the most points on a contact score, highest first (equal points share a rank).

    Args:
        score: the contact score's name; empty means the account's only (active) contact score.
        limit: how many to show (1-50).
    """
    with unit_of_work(runtime) as (session, ctx):
        out = reports.top_scored_contacts(
            session, account_id=ctx.account_id, score=score, limit=max(1, min(int(limit), 50))
        )
        return dump_object("score_ranking", out)


@ai_tool(risk=Risk.READ, area=AREA, examples=("What's the deal score of the Acme renewal?",))
def get_deal_score(
    deal: str | None = None,
    score: str | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Show a deal's points on the deal scores of its pipeline (or on the one named).

    Args:
        deal: the deal's title or id; empty means the deal open on the page.
        score: a deal score's name; empty means every deal score that applies.
    """
    with unit_of_work(runtime) as (session, ctx):
        ref = (deal or "").strip() or _page_object(ctx, "deal")
        if not ref:
            raise InvalidRequest("Which deal? Give its title.", field="deal")
        out = reports.deal_scores(session, account_id=ctx.account_id, deal=ref, score=score)
        return dump_object("deal_score", out)


@ai_tool(
    risk=Risk.WRITE,
    area=AREA,
    examples=("Create a lead score: +5 for opening any campaign, expiring after 30 days",),
)
@_score_doc
def create_score(
    name: str,
    rules: list[dict[str, Any]],
    target: Literal["contact", "deal"] = "contact",
    pipeline: str | None = None,
    active: bool = True,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Create a contact or deal score from rules; a new active contact score gets its points right away.

    Each rule gives points (or takes them, when negative) to whoever matches its conditions, once, optionally
    expiring. Contact scoring needs the Plus plan or higher; deal scoring also needs the Pipelines or Sales
    Engagement add-on (included with Enterprise).

    Args:
        name: the score's name (unique in the account), e.g. "Lead score".
        rules: a list like [{"conditions": [{"type":"engagement","action":"open","op":"has"}], "points": 5,
            "expires_after": "30 days"}]. "points" is a whole number: 5 adds, -10 subtracts. "expires_after"
            is "never" (the default), days as a number, or words like "30 days", "2 weeks", "3 months".
            "match" is "all" (default) or "any" of the conditions.
        target: "contact" or "deal".
        pipeline: for a deal score, the pipeline whose deals it scores (empty: every pipeline).
        active: false to save the score switched off.
    """
    with unit_of_work(runtime) as (session, ctx):
        if not isinstance(rules, list) or not rules:
            raise InvalidRequest(
                "A score needs at least one rule: conditions and the points to add (or subtract).",
                field="rules",
            )
        clean = [_rule(r, n) for n, r in enumerate(rules, start=1)]
        out = automations.create_score(
            session,
            account_id=ctx.account_id,
            name=name,
            rules=clean,
            now=ctx.now,
            target=target,
            pipeline=pipeline or None,
            active=active,
        )
        result: dict[str, Any] = {
            "id": out.id,
            "name": out.name,
            "target": out.target.value,
            "active": out.active,
            "rules": [
                r.model_dump(mode="json")
                for r in reports.describe_rules([r.model_dump(mode="json") for r in out.rules])
            ],
        }
        if out.target == ScoreTarget.CONTACT and out.active:
            filled = reports.score_contacts_retroactively(
                session, account_id=ctx.account_id, score_id=out.id, now=ctx.now
            )
            result["scored"] = filled.scored
        elif out.target == ScoreTarget.DEAL:
            result["note"] = "Deal scores start at 0 points; automations' 'adjust score' steps change them."
        else:
            result["note"] = "The score is inactive: nobody gets points until it is activated."
        return dump_object("score", result)
