"""Who is calling: API keys from headers (HTTP) or the query / first message (WebSocket), and the rate limit.

Every authenticated request resolves to one (account, user) ``Principal``; routes take it as ``CurrentUser``.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import Headers

from core.auth import service as keys
from core.auth.schemas import Principal

API_KEY_HEADER = "x-api-key"


def key_from_headers(headers: Headers) -> str | None:
    """Return the key from ``X-Api-Key`` or ``Authorization: Bearer <key>``, if either is present."""
    key = headers.get(API_KEY_HEADER)
    if key:
        return key.strip()
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def authenticate_key(state: Any, key: str | None) -> Principal:
    """Resolve a key against the database (InvalidApiKey when it is not a live key)."""
    deps = state.deps
    with deps.session_factory.begin() as session:
        return keys.authenticate(session, secret=key, now=deps.clock())


def check_rate(state: Any, principal: Principal, cost: float = 1.0) -> None:
    """Take one request from the account's token bucket (RateLimited with the wait when it is empty)."""
    state.limiter.check(principal.account_id, now=time.monotonic(), cost=cost)


def current_user(request: Request) -> Principal:
    """Return the authenticated, rate-limited caller (a sync dependency, so it runs in the threadpool)."""
    state = request.app.state
    principal = authenticate_key(state, key_from_headers(request.headers))
    check_rate(state, principal)
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]
