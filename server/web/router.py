"""The web UI: two pages (the homepage chat and the demo page with the sidebar), their static files, and the
two small lookups the pages need (idea cards and the demo page's campaigns).

Everything is served from this process, so the UI works offline; the pages use ``/ws/chat`` and ``/api/*``.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, Response

from core.campaigns import service as campaigns
from core.suggestions import homepage_ideas
from server.auth import CurrentUser

STATIC_DIR = Path(__file__).parent / "static"
# The pages run only our own scripts; agent output never becomes markup (see docs/web-ui.md). Images may be
# data: URLs (charts); the campaign preview frame inherits this policy, hence inline styles and https images.
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https:",
        "connect-src 'self'",
        "frame-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
# A fixed list, built once: a request can only ever name one of these files, never a path outside the folder.
_FILES = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file()} if STATIC_DIR.is_dir() else {}


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


def web_router() -> APIRouter:
    """Routes of the web UI: ``/``, ``/demo``, ``/static/*``, ``/api/web/ideas``, ``/api/web/campaigns``."""
    router = APIRouter(tags=["web"])

    @router.get("/", include_in_schema=False)
    async def home() -> FileResponse:
        return _page("index.html")

    @router.get("/demo", include_in_schema=False)
    async def demo() -> FileResponse:
        return _page("demo.html")

    @router.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        path = _FILES.get(name)
        if path is None or name.endswith(".html"):
            return Response("Not found", status_code=404, media_type="text/plain")
        media = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return FileResponse(
            path, media_type=media, headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
        )

    @router.get("/api/web/ideas")
    def ideas(request: Request, who: CurrentUser) -> list[dict[str, Any]]:
        """Idea cards from the caller's account (what to do next, with the prompt that does it)."""
        deps = request.app.state.deps
        with deps.session_factory() as session:
            cards = homepage_ideas(session, account_id=who.account_id, now=deps.clock())
        return [c.model_dump() for c in cards]

    @router.get("/api/web/campaigns")
    def campaign_list(request: Request, who: CurrentUser, limit: int = 20) -> list[dict[str, Any]]:
        """The account's latest campaigns (id, name, status, subject) for the demo page's object picker."""
        with request.app.state.deps.session_factory() as session:
            page = campaigns.list_campaigns(session, account_id=who.account_id, limit=max(1, min(limit, 50)))
        return [
            {
                "id": c.id,
                "name": c.name,
                "status": c.status,
                "channel": c.channel,
                "subject": c.subject,
                "sent_at": c.sent_at.isoformat() if c.sent_at else None,
            }
            for c in page.items
        ]

    return router


def mount(app: FastAPI) -> None:
    """Add the web UI to the app (``create_app`` calls this)."""
    app.include_router(web_router())
