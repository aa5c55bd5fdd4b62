"""The web UI's server side: pages with a strict Content-Security-Policy, static files, the two lookups
(tenant scoped), and static guards on the scripts (no HTML parsing of strings anywhere)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.web.router import STATIC_DIR


@pytest.fixture(scope="module")
def http(live: Any) -> Any:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


@pytest.mark.parametrize("path", ["/", "/demo"], ids=["home", "demo"])
def test_pages_are_served_with_a_strict_policy(http: Any, path: str) -> None:
    r = http.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp and r.headers["x-content-type-options"] == "nosniff"
    # Only our own files: no CDN, no inline script.
    assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", r.text)
    assert "http://" not in r.text and "https://" not in r.text


def test_static_files(http: Any) -> None:
    js = http.get("/static/chat.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert http.get("/static/app.css").headers["content-type"].startswith("text/css")
    assert http.get("/static/logo.svg").headers["content-type"].startswith("image/svg+xml")
    for bad in (
        "/static/nope.js",
        "/static/..%2Frouter.py",
        "/static/%2E%2E%2F__init__.py",
        "/static/index.html",
    ):
        assert http.get(bad).status_code == 404, bad


def test_scripts_never_parse_strings_as_html() -> None:
    """Agent output reaches the page only as text nodes; the preview document is built from escaped text."""
    banned = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|DOMParser"
    )
    for path in STATIC_DIR.glob("*.js"):
        assert not banned.search(path.read_text()), path.name
    # The only string that becomes a document is the sandboxed preview's srcdoc.
    chat = (STATIC_DIR / "chat.js").read_text()
    assert chat.count(".srcdoc =") == 1 and 'sandbox: ""' in chat


def test_lookups_need_a_key_and_stay_in_the_account(http: Any, callers: Any, demo_world: Any) -> None:
    assert http.get("/api/web/ideas").status_code == 401
    assert http.get("/api/web/campaigns").status_code == 401
    ideas = http.get("/api/web/ideas", headers=callers.admin.headers)
    assert ideas.status_code == 200 and ideas.json() and {"title", "body", "prompt"} <= set(ideas.json()[0])
    mine = http.get("/api/web/campaigns", headers=callers.admin.headers).json()
    assert mine and all({"id", "name", "status", "channel"} <= set(c) for c in mine)
    theirs = http.get("/api/web/campaigns", headers=callers.outsider.headers).json()
    assert {c["id"] for c in mine}.isdisjoint({c["id"] for c in theirs})
    assert http.get("/api/web/campaigns?limit=500", headers=callers.admin.headers).status_code == 200


def test_static_dir_has_no_server_code() -> None:
    assert not list(Path(STATIC_DIR).glob("*.py"))
