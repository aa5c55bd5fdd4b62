"""Domain errors: messages written for the end user, saying what was wrong and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class DomainError(Exception):
    """A request the engine refuses; the message is safe to show to the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """The named or numbered object does not exist in this account."""


class Conflict(DomainError):
    """The request clashes with existing state (a duplicate name, a campaign already sent)."""


class InvalidRequest(DomainError):
    """A value is malformed or not allowed."""


class LimitExceeded(DomainError):
    """A plan limit, quota or budget would be exceeded."""


class FeatureUnavailable(DomainError):
    """The account's plan or add-ons do not include the feature."""


def nearest_names(name: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """Return up to ``limit`` candidates closest to ``name`` (case-insensitive), best first."""
    pool = list(dict.fromkeys(candidates))
    by_lower = {c.lower(): c for c in pool}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=limit, cutoff=0.5)
    hits = [by_lower[c] for c in close]
    # Substring matches ("VIP" for "vip customers") are useful even when the ratio is low.
    for c in pool:
        if len(hits) >= limit:
            break
        if c not in hits and (name.lower() in c.lower() or c.lower() in name.lower()):
            hits.append(c)
    return hits


def not_found(kind: str, name: object, candidates: Iterable[str]) -> NotFound:
    """Build a NotFound for an unknown name, suggesting the nearest existing ones."""
    pool = list(candidates)
    near = nearest_names(str(name), pool)
    if near:
        hint = "Did you mean " + ", ".join(repr(n) for n in near) + "?"
    elif pool:
        shown = ", ".join(repr(n) for n in sorted(pool)[:8])
        hint = f"Existing {kind}s: {shown}" + (" ..." if len(pool) > 8 else "") + "."
    else:
        hint = f"This account has no {kind}s yet."
    return NotFound(f"No {kind} named {name!r}. {hint}", field=kind)


def invalid_choice(field: str, value: object, allowed: Iterable[str]) -> InvalidRequest:
    """Build an InvalidRequest for a value outside a fixed set, listing what is allowed."""
    allowed_list = ", ".join(repr(a) for a in allowed)
    return InvalidRequest(f"{field} {value!r} is not allowed; choose one of: {allowed_list}.", field=field)
