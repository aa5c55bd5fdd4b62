"""API keys: created per user, shown once, stored as a SHA-256 hash, found by their prefix, revocable."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.models import Account, User
from core.accounts.service import get_user_row
from core.auth.models import ApiKey
from core.auth.schemas import ApiKeyOut, CreatedApiKey, Principal
from core.errors import DomainError, InvalidRequest, NotFound, not_found

KEY_SCHEME = "aik"
# "aik_<8 hex prefix>_<43 url-safe chars = 32 random bytes>"
_KEY_RE = re.compile(r"^aik_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")
NAME_MAX = 100
# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class InvalidApiKey(DomainError):
    """The request carries no usable API key (the server answers 401)."""


def hash_key(secret: str) -> str:
    """Return the stored form of a key: its SHA-256 hex digest."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _unknown_key() -> InvalidApiKey:
    # One message for missing, malformed, unknown and revoked keys, so a caller cannot tell them apart.
    return InvalidApiKey(
        "The API key is missing, malformed, unknown or revoked. Send it in the X-Api-Key header (or "
        "'Authorization: Bearer <key>'); create one with `activeintel keys create --account A --user EMAIL`.",
        field="api_key",
    )


def create_api_key(
    session: Session, *, account_id: int, user_id: int, now: datetime, name: str = "default"
) -> CreatedApiKey:
    """Create a key for one user of the account; the returned secret is never stored."""
    get_user_row(session, account_id=account_id, user_id=user_id)
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidRequest(f"Key name {name!r} must be 1 to {NAME_MAX} characters.", field="name")
    while True:
        prefix = secrets.token_hex(4)
        if session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is None:
            break
    secret = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        account_id=account_id,
        user_id=user_id,
        name=name,
        prefix=prefix,
        key_hash=hash_key(secret),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return CreatedApiKey(key=ApiKeyOut.model_validate(row), secret=secret)


def authenticate(session: Session, *, secret: str | None, now: datetime) -> Principal:
    """Resolve a presented key to its (account, user); anything else raises InvalidApiKey."""
    match = _KEY_RE.match((secret or "").strip())
    if match is None:
        raise _unknown_key()
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == match.group(1)))
    if row is None or row.revoked_at is not None:
        raise _unknown_key()
    if not hmac.compare_digest(row.key_hash, hash_key(match.group(0))):
        raise _unknown_key()
    user = session.get(User, row.user_id)
    if user is None or user.account_id != row.account_id:
        raise _unknown_key()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.flush()
    return Principal(
        account_id=row.account_id, user_id=row.user_id, key_id=row.id, email=user.email, role=user.role
    )


def list_api_keys(session: Session, *, account_id: int, user_id: int | None = None) -> list[ApiKeyOut]:
    """Return the account's keys (optionally one user's), oldest first, without secrets."""
    query = select(ApiKey).where(ApiKey.account_id == account_id)
    if user_id is not None:
        query = query.where(ApiKey.user_id == user_id)
    return [ApiKeyOut.model_validate(r) for r in session.scalars(query.order_by(ApiKey.id)).all()]


def revoke_api_key(session: Session, *, account_id: int, key: str, now: datetime) -> ApiKeyOut:
    """Revoke one key of the account, named by its id or its prefix; revoking twice is harmless."""
    ref = key.strip()
    match = _KEY_RE.match(ref)
    if match:  # the whole secret was pasted: use its prefix
        ref = match.group(1)
    query = select(ApiKey).where(ApiKey.account_id == account_id)
    # A prefix is 8 hex characters and may be all digits, so it is tried before reading the text as an id.
    row = session.scalar(query.where(ApiKey.prefix == ref))
    if row is None and ref.isdigit():
        row = session.scalar(query.where(ApiKey.id == int(ref)))
    if row is None:
        raise NotFound(
            f"No API key {key!r} in this account; `activeintel keys list --account {account_id}` shows "
            "the ids and prefixes.",
            field="key",
        )
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return ApiKeyOut.model_validate(row)


def resolve_owner(session: Session, *, account: str, user: str | None = None) -> tuple[int, int | None]:
    """Resolve an account (id or name) and optionally a user email in it, for the command line."""
    ref = account.strip()
    if ref.isdigit():
        account_id = session.scalar(select(Account.id).where(Account.id == int(ref)))
        if account_id is None:
            raise NotFound(f"No account with id {ref}.", field="account")
    else:
        account_id = session.scalar(select(Account.id).where(func.lower(Account.name) == ref.lower()))
        if account_id is None:
            raise not_found("account", ref, session.scalars(select(Account.name).limit(500)).all())
    if user is None:
        return account_id, None
    email = user.strip().lower()
    user_id = session.scalar(
        select(User.id).where(User.account_id == account_id, func.lower(User.email) == email)
    )
    if user_id is None:
        emails = session.scalars(select(User.email).where(User.account_id == account_id)).all()
        raise not_found("user", email, emails)
    return account_id, user_id
