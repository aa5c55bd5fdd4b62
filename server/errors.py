"""DomainError -> HTTP status and WebSocket error code, mapped once for every route and socket."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from core.auth.ratelimit import RateLimited
from core.auth.service import InvalidApiKey
from core.errors import Conflict, DomainError, FeatureUnavailable, InvalidRequest, LimitExceeded, NotFound
from server.runs import ThreadBusy

# Most specific first: RateLimited is a LimitExceeded, ThreadBusy a Conflict.
_MAPPING: tuple[tuple[type[DomainError], int, str], ...] = (
    (InvalidApiKey, 401, "unauthorized"),
    (RateLimited, 429, "rate_limited"),
    (ThreadBusy, 409, "busy"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (InvalidRequest, 422, "invalid"),
    (LimitExceeded, 402, "limit_exceeded"),
    (FeatureUnavailable, 403, "feature_unavailable"),
)


def status_and_code(exc: DomainError) -> tuple[int, str]:
    """Return the HTTP status and the short error code of a domain error."""
    for cls, status, code in _MAPPING:
        if isinstance(exc, cls):
            return status, code
    return 400, "bad_request"


def error_body(exc: DomainError) -> dict[str, Any]:
    """The JSON body of an error: ``detail`` is the user-facing message, plus the code and the field."""
    status, code = status_and_code(exc)
    body: dict[str, Any] = {"detail": exc.message, "code": code}
    if exc.field:
        body["field"] = exc.field
    if isinstance(exc, ThreadBusy):
        body["run_id"] = exc.run_id
    if isinstance(exc, RateLimited):
        body["retry_after"] = exc.retry_after
    return body


def error_headers(exc: DomainError) -> dict[str, str]:
    """Headers that go with an error: Retry-After on 429, WWW-Authenticate on 401."""
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, InvalidApiKey):
        return {"WWW-Authenticate": 'Bearer realm="activeintel"'}
    return {}


def install_error_handlers(app: FastAPI) -> None:
    """Answer every DomainError with its status and message, once for the whole app."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        status, _ = status_and_code(exc)
        return JSONResponse(error_body(exc), status_code=status, headers=error_headers(exc))

    app.add_exception_handler(DomainError, handle)
