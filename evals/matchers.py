"""Argument matchers: does a tool call's argument mean what the scenario expects?

Plain values compare for equality (strings case-insensitively). ``$``-matchers compare meaning, resolved
through the engine, so a model that writes "the May newsletter" and one that writes "May 2026 - Newsletter"
both pass ``{$campaign: "May 2026 - Newsletter"}``, and two different condition lists that select the same
contacts both pass ``{$same_contacts_as: [...]}``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.automations.models import Automation
from core.campaigns.models import Campaign
from core.contacts import service as contacts
from core.contacts.models import Contact, MailingList, Tag
from core.crm.models import Deal
from core.errors import DomainError
from core.scope import resolve
from core.segments import service as segments
from core.segments.compiler import compile as compile_tree
from core.segments.models import Segment
from evals.facts import FactContext, compute_fact

Outcome = tuple[bool, str]


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return re.sub(r"\s+", " ", value).strip().lower()
    return value


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected or actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float | str):
        try:
            return abs(float(actual) - float(expected)) < 1e-9
        except ValueError:
            return False
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            _equal(a, e) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(
            key in actual and match_value(actual[key], value, None)[0] for key, value in expected.items()
        )
    return bool(_norm(actual) == _norm(expected))


def _ids(ctx: FactContext, session: Session, conditions: Any, match: str) -> set[int] | None:
    if not isinstance(conditions, list):
        return None
    tree = {"version": 1, "root": {"type": "group", "match": match, "conditions": conditions}}
    try:
        parsed = segments.validate_tree(session, account_id=ctx.account_id, tree=tree)
        return set(
            session.scalars(compile_tree(session, account_id=ctx.account_id, tree=parsed, now=ctx.now)).all()
        )
    except DomainError:
        return None


def _resolve(ctx: FactContext, session: Session, kind: str, ref: Any) -> Any:
    """The id a reference names in the account (None when it names nothing); "@newest" is the latest
    created."""
    if ref == "@newest":
        return newest_id(ctx, session, kind)
    try:
        if kind == "campaign":
            return ctx.campaign_id(session, ref, sent=False)
        if kind == "segment":
            return segments.get_segment(session, account_id=ctx.account_id, segment=ref).id
        if kind == "contact":
            return contacts.find_contact(session, account_id=ctx.account_id, ref=str(ref).strip()).id
        model, attr = {
            "deal": (Deal, "title"),
            "automation": (Automation, "name"),
            "list": (MailingList, "name"),
            "tag": (Tag, "name"),
        }[kind]
        return resolve(
            session, model, account_id=ctx.account_id, ref=str(ref).strip(), kind=kind, attr=attr
        ).id
    except DomainError:
        return None


def newest_id(ctx: FactContext, session: Session, kind: str) -> int | None:
    """The id of the account's most recently created object of a kind."""
    model = {
        "campaign": Campaign,
        "segment": Segment,
        "automation": Automation,
        "contact": Contact,
        "deal": Deal,
        "list": MailingList,
        "tag": Tag,
    }[kind]
    return session.scalars(
        select(model.id)
        .where(model.account_id == ctx.account_id)  # type: ignore[attr-defined]
        .order_by(model.id.desc())
    ).first()  # type: ignore[attr-defined]


def match_value(
    actual: Any, expected: Any, ctx: FactContext | None, *, args: dict[str, Any] | None = None
) -> Outcome:
    """Match one argument value; ``args`` (the whole call) lets ``$same_contacts_as`` read the ``match``
    argument."""
    if not (isinstance(expected, dict) and len(expected) == 1 and next(iter(expected)).startswith("$")):
        return (_equal(actual, expected), f"expected {expected!r}, got {actual!r}")
    key, want = next(iter(expected.items()))
    missing = actual is None
    if key == "$absent":
        return (missing, f"expected no value, got {actual!r}")
    if key == "$present":
        return (not missing, "expected a value, got none")
    if key == "$not":
        ok, why = match_value(actual, want, ctx, args=args)
        return (not ok, f"expected not {want!r}, got {actual!r}")
    if key == "$all":
        for item in want:
            ok, why = match_value(actual, item, ctx, args=args)
            if not ok:
                return ok, why
        return True, ""
    if key == "$one_of":
        return any(_equal(actual, w) for w in want), f"expected one of {want!r}, got {actual!r}"
    if missing:
        return False, f"expected {expected!r}, got nothing"
    if key == "$contains":
        wanted = want if isinstance(want, list) else [want]
        text = " ".join(map(str, actual)) if isinstance(actual, list) else str(actual)
        ok = all(_norm(w) in _norm(text) for w in wanted)
        return ok, f"expected {actual!r} to contain {want!r}"
    if key == "$regex":
        return bool(re.search(want, str(actual), re.IGNORECASE)), f"expected {actual!r} to match /{want}/"
    if key == "$number":
        try:
            return abs(
                float(str(actual).replace(",", "")) - float(want)
            ) < 1e-6, f"expected {want}, got {actual!r}"
        except ValueError:
            return False, f"expected the number {want}, got {actual!r}"
    if key == "$len":
        return isinstance(actual, list) and len(actual) == want, f"expected {want} items, got {actual!r}"
    if ctx is None:
        return False, f"{key} needs the scenario's database"
    with ctx.session_factory() as session:
        if key in ("$campaign", "$segment", "$contact", "$deal", "$automation", "$list", "$tag"):
            kind = key[1:]
            want_id = _resolve(ctx, session, kind, want)
            got_id = _resolve(ctx, session, kind, actual)
            if want_id is None:
                return False, f"the scenario's {kind} {want!r} does not exist in the fixture"
            return want_id == got_id, f"expected the {kind} {want!r}, got {actual!r}"
        if key == "$campaigns":
            if not isinstance(actual, list):
                return False, f"expected a list of campaigns, got {actual!r}"
            wanted = {_resolve(ctx, session, "campaign", w) for w in want}
            got = {_resolve(ctx, session, "campaign", a) for a in actual}
            return wanted == got, f"expected the campaigns {want!r}, got {actual!r}"
        if key == "$same_contacts_as":
            spec = want if isinstance(want, dict) else {"conditions": want}
            wanted_ids = _ids(ctx, session, spec["conditions"], spec.get("match", "all"))
            got_ids = _ids(ctx, session, actual, str((args or {}).get("match") or "all"))
            if wanted_ids is None:
                return False, "the scenario's conditions are not valid"
            if got_ids is None:
                return False, f"the conditions {actual!r} are not valid"
            return wanted_ids == got_ids, (
                f"expected the {len(wanted_ids)} contacts of {spec['conditions']!r}, the conditions "
                f"{actual!r} select {len(got_ids)} ({len(wanted_ids ^ got_ids)} differ)"
            )
        if key == "$period":
            try:
                got_span = ctx.period(session, str(actual))
            except DomainError:
                return False, f"{actual!r} is not a period the engine understands"
            want_span = ctx.period(session, str(want))
            return got_span == want_span, f"expected the period {want!r}, got {actual!r}"
    if key == "$fact":
        value = compute_fact(ctx, want)
        return value.found_in(str(actual)), f"expected {value} ({want}), got {actual!r}"
    return False, f"unknown matcher {key}"


def match_args(actual: dict[str, Any], expected: dict[str, Any], ctx: FactContext) -> list[str]:
    """Every failed argument as a sentence (empty: all match)."""
    failures = []
    for name, want in expected.items():
        ok, why = match_value(actual.get(name), want, ctx, args=actual)
        if not ok:
            failures.append(f"{name}: {why}")
    return failures
