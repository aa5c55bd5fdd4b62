"""Tenant-scoped lookups shared by every service: by id or by name, always within one account."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import NotFound, not_found

T = TypeVar("T")


def get_owned(session: Session, model: type[T], *, account_id: int, id: int, kind: str) -> T:
    """Return the row ``id`` of ``model`` if it belongs to ``account_id``; another account's row is NotFound."""
    row = session.get(model, id)
    if row is None or getattr(row, "account_id") != account_id:  # noqa: B009
        raise NotFound(f"No {kind} with id {id} in this account.", field=kind)
    return row


def get_by_name(
    session: Session, model: type[T], *, account_id: int, name: str, kind: str, attr: str = "name"
) -> T:
    """Return the row whose ``attr`` equals ``name`` (case-insensitive) in this account.

    Unknown names raise NotFound listing the nearest existing names.
    """
    column: Any = getattr(model, attr)
    account_col: Any = getattr(model, "account_id")  # noqa: B009
    cleaned = name.strip()
    row = session.scalars(
        select(model).where(account_col == account_id, func.lower(column) == cleaned.lower()).limit(1)
    ).first()
    if row is not None:
        return row
    names = session.scalars(select(column).where(account_col == account_id).limit(500)).all()
    raise not_found(kind, cleaned, names)


def resolve(
    session: Session, model: type[T], *, account_id: int, ref: int | str, kind: str, attr: str = "name"
) -> T:
    """Resolve a reference that is either an id or a name."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        return get_owned(session, model, account_id=account_id, id=int(ref), kind=kind)
    return get_by_name(session, model, account_id=account_id, name=ref, kind=kind, attr=attr)
