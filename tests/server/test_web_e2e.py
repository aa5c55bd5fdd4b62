"""The web UI in a real browser: Debian's chromium driven by Playwright against the real app (offline model,
demo account): streamed answer with a chart, an approval, history after a reload, the demo page's sidebar with
page context and a sandboxed campaign preview, and agent output that stays text.

Needs ``apt-get install -y chromium`` and ``pip install playwright`` (no browser download).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from core.campaigns.models import Campaign, CampaignSend
from core.contacts import service as contacts
from core.contacts.models import Contact
from tests.server.harness import NOW

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
EVIL = "<img src=x onerror=alert(1)>"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium for the module; skipped (with the reason) only when it truly cannot start."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_api.sync_playwright() as p:
        try:
            instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as exc:  # noqa: BLE001  (any launch failure means there is no browser to test with)
            pytest.skip(f"chromium could not start: {exc}")
        yield instance
        instance.close()


class Page:
    """A browser tab that records WebSocket frames, dialogs and script errors."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base_url = base_url
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.received_by_socket: list[list[dict[str, Any]]] = []  # the same frames, one list per connection
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("websocket", self._socket)
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _socket(self, ws: Any) -> None:
        mine: list[dict[str, Any]] = []
        self.received_by_socket.append(mine)

        def received(payload: Any) -> None:
            self.received.append(_json(payload))
            mine.append(self.received[-1])

        ws.on("framesent", lambda payload: self.sent.append(_json(payload)))
        ws.on("framereceived", received)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def ask(self, text: str) -> None:
        self.page.fill("#prompt", text)
        self.page.keyboard.press("Enter")

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("type") == kind]

    def close(self) -> None:
        self.context.close()


def _json(payload: Any) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


@pytest.fixture
def tab(browser: Any, live: Any) -> Iterator[Page]:
    page = Page(browser, live.url)
    yield page
    page.close()


def test_chat_streams_an_answer_with_a_chart_approves_and_keeps_history(
    tab: Page, live: Any, callers: Any, demo_world: Any, draft_campaign: str, tmp_path: Path
) -> None:
    page = tab.page
    page.goto(f"{live.url}/?key={callers.admin.key}")
    assert "key=" not in page.url, "the key leaves the address bar at once"
    page.wait_for_selector(".idea")

    tab.ask("How did my May newsletter do?")
    page.wait_for_selector(".msg.assistant .rating", timeout=60_000)
    answer = page.inner_text(".msg.assistant .answer")
    assert "Open rate" in answer and "May" in answer
    # Streamed: many token frames before the final answer, which they add up to.
    tokens = tab.events("token")
    final = tab.events("final_answer")[-1]["text"]
    assert len(tokens) > 5 and "".join(t["text"] for t in tokens).strip() == final.strip()
    assert page.locator(".msg.assistant .answer strong").count() > 0, "bold rendered from **markdown**"
    assert page.locator(".tool.success .tool-name").first.inner_text() == "Get campaign performance"
    chart = page.locator("figure.chart img").first
    assert chart.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert page.evaluate("document.querySelector('figure.chart img').naturalWidth") > 100, "the SVG decoded"
    page.screenshot(path=str(tmp_path / "answer-with-chart.png"))
    thread_id = tab.events("accepted")[0]["thread_id"]
    assert page.url.endswith(f"#{thread_id}")

    # Rate it: stored for this chat.
    page.click(".msg.assistant .rate-up")
    page.wait_for_selector("text=Thanks for the feedback.")

    tab.ask(f"Send the campaign {draft_campaign}")
    page.wait_for_selector(".approval .approve", timeout=60_000)
    card = page.inner_text(".approval")
    assert draft_campaign in card and "Recipients" in card
    page.click(".approval .approve")
    page.wait_for_selector(".approval.decided")
    # The decision starts a new run: its answer ends with its own rating bar. (wait_for_function would need
    # 'unsafe-eval', which the page's Content-Security-Policy rightly refuses.)
    page.locator(".msg.assistant .rating").nth(1).wait_for(timeout=60_000)
    with demo_world.factory() as s:
        campaign_id = s.scalar(select(Campaign.id).where(Campaign.name == draft_campaign))
        assert s.scalar(select(func.count()).where(CampaignSend.campaign_id == campaign_id)) > 0
    assert any(m.get("type") == "decision" and m.get("decision") == "approve" for m in tab.sent)

    page.reload()
    page.wait_for_selector(f'.history-item[data-thread-id="{thread_id}"]')
    assert "How did my May newsletter do?" in page.inner_text(f'.history-item[data-thread-id="{thread_id}"]')
    # The reload reopened the chat from the address; a new chat, then a click on history, reopens it too.
    page.wait_for_selector(".msg.user")
    page.click("#new-chat")
    assert page.locator(".msg").count() == 0
    page.click(f'.history-item[data-thread-id="{thread_id}"]')
    page.wait_for_selector(".msg.assistant .answer strong")
    assert "How did my May newsletter do?" in page.inner_text("#messages")
    assert "Open rate" in page.inner_text("#messages")
    assert not tab.errors and not tab.dialogs


@pytest.fixture
def evil_contact(demo_world: Any) -> Iterator[str]:
    """A contact whose first name is markup; removed afterwards so other tests see the world unchanged."""
    email = f"xss-{demo_world.backend}@evil.example"
    with demo_world.factory.begin() as s:
        contacts.create_contact(
            s, account_id=demo_world.account_id, email=email, first_name=EVIL, last_name="Mallory", now=NOW
        )
    yield email
    with demo_world.factory.begin() as s:
        s.execute(delete(Contact).where(Contact.account_id == demo_world.account_id, Contact.email == email))


def test_agent_output_is_text_never_markup(tab: Page, live: Any, callers: Any, evil_contact: str) -> None:
    page = tab.page
    page.goto(f"{live.url}/?key={callers.admin.key}")
    tab.ask(f"Find contact {evil_contact}")
    page.wait_for_selector(".msg.assistant .rating", timeout=60_000)
    assert EVIL in page.inner_text(".msg.assistant .answer"), "the name is shown, literally"
    assert page.locator("#messages img[src='x']").count() == 0
    assert page.locator("#messages img:not(.chart img):not(.rating img)").count() == 0
    page.wait_for_timeout(300)
    assert not tab.dialogs and not tab.errors


def test_demo_page_sends_page_context_and_previews_in_a_sandbox(
    tab: Page, live: Any, callers: Any, demo_world: Any
) -> None:
    with demo_world.factory() as s:
        campaign = s.scalars(
            select(Campaign)
            .where(
                Campaign.account_id == demo_world.account_id,
                Campaign.subject.is_not(None),
                Campaign.sent_at.is_not(None),
            )
            .order_by(Campaign.sent_at.desc())
        ).first()
    page = tab.page
    page.goto(f"{live.url}/demo?campaign={campaign.id}&key={callers.admin.key}")
    page.wait_for_selector(f"text=Campaign #{campaign.id}")
    assert page.inner_text("#campaign-name") == campaign.name
    page.click('.suggestion:has-text("What\'s in this campaign?")')
    page.wait_for_selector("iframe.campaign-preview", timeout=60_000)
    sent = [m for m in tab.sent if m.get("type") == "message"][-1]
    assert sent["page"] == {
        "page": "campaign",
        "object_type": "campaign",
        "object_id": campaign.id,
        "details": {"name": campaign.name},
    }
    frame = page.locator("iframe.campaign-preview")
    assert frame.get_attribute("sandbox") == "", "no scripts, forms, popups or same-origin access"
    preview = page.frame_locator("iframe.campaign-preview")
    assert campaign.subject in preview.locator(".meta").inner_text()
    assert not tab.errors


def test_campaign_preview_shows_markup_in_campaign_content_as_text(
    tab: Page, live: Any, callers: Any, demo_world: Any
) -> None:
    from core.campaigns import service as campaigns

    with demo_world.factory.begin() as s:
        campaign = campaigns.create_campaign(
            s,
            account_id=demo_world.account_id,
            name=f"Markup probe {demo_world.backend}",
            now=NOW,
            subject="<b>Bold</b> offer",
            from_name="Shop",
            from_email="hi@shop.example.com",
            blocks=[
                {"type": "heading", "text": "Hello <i>there</i>"},
                {"type": "text", "text": EVIL},
                {"type": "button", "label": "<script>alert(2)</script>", "url": "https://shop.example.com/"},
            ],
        )
    page = tab.page
    page.goto(f"{live.url}/demo?campaign={campaign.id}&key={callers.admin.key}")
    page.wait_for_selector(f"text=Campaign #{campaign.id}")
    page.click('.suggestion:has-text("What\'s in this campaign?")')
    page.wait_for_selector("iframe.campaign-preview", timeout=60_000)
    preview = page.frame_locator("iframe.campaign-preview")
    assert "<b>Bold</b> offer" in preview.locator(".meta").inner_text()
    body = preview.locator(".mail").inner_text()
    assert "Hello <i>there</i>" in body and EVIL in body and "<script>alert(2)</script>" in body
    assert (
        preview.locator("i, script, img").count() == 0 and preview.locator("b:text-is('Bold')").count() == 0
    )
    page.wait_for_timeout(300)
    assert not tab.dialogs and not tab.errors


def test_a_dropped_connection_resumes_the_answer_without_gaps_or_repeats(
    browser: Any, demo_world: Any, callers: Any, tmp_path: Path
) -> None:
    from tests.server.harness import SlowModel, database_url, start_server, words

    text = words(80)
    server = start_server(
        url=database_url(demo_world.engine),
        data_dir=tmp_path,
        model=SlowModel(responses=[text], delay=0.04, produced=[]),
    )
    tab = Page(browser, server.url)
    links: list[tuple[Any, Any]] = []

    def proxy(ws: Any) -> None:
        # Sit between the page and the server (frames still reach tab.sent / tab.received), so the test can
        # cut the line mid-answer.
        links.append((ws, ws.connect_to_server()))

    try:
        page = tab.page
        page.route_web_socket("**/ws/chat", proxy)
        page.goto(f"{server.url}/?key={callers.admin.key}")
        tab.ask("Tell me a long story")
        page.wait_for_selector(".answer .streaming")
        page.wait_for_timeout(300)
        for ws, upstream in links:
            upstream.close()
            ws.close(code=1012, reason="restart")
        page.wait_for_selector(".msg.assistant .rating", timeout=60_000)
        assert len(links) >= 2, "it reconnected"
        resumes = [m for m in tab.sent if m.get("type") == "resume"]
        assert resumes and resumes[0]["last_seq"] > 1
        assert page.inner_text(".msg.assistant .answer").strip() == text
        assert page.locator(".msg.assistant").count() == 1
        # Each connection gets every event once and in order; the resumed one starts right after the last_seq
        # the page reported (a frame cut in flight is not in the page's count, so it comes again: the page skips
        # what it has already shown), and together they leave no gap.
        per_socket = [[m["seq"] for m in frames if "seq" in m] for frames in tab.received_by_socket]
        per_socket = [seqs for seqs in per_socket if seqs]
        assert len(per_socket) >= 2
        for seqs in per_socket:
            assert len(seqs) == len(set(seqs)) and seqs == sorted(seqs), "every event once, in order"
        assert per_socket[1][0] == resumes[0]["last_seq"] + 1, "the replay starts right after the page's last_seq"
        every = sorted({s for seqs in per_socket for s in seqs})
        assert every == list(range(1, every[-1] + 1)), "no gaps"
        assert not tab.errors
    finally:
        tab.close()
        server.stop()
