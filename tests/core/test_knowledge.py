"""Retrieval: the hashing embedding, help-page search quality, per-account campaign collections, client choice.

Everything runs offline in temporary folders. The HTTP test starts the ``chroma run`` server that ships with
the chromadb package (skipped when it cannot start); the OpenAI embedding test talks to a local fake server.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.utils.embedding_functions import known_embedding_functions
from sqlalchemy.orm import Session

from core.accounts.service import create_account
from core.campaigns.models import Campaign, CampaignSend, EngagementEvent
from core.contacts.models import Contact
from core.enums import CampaignStatus, Channel, EventType, SendStatus
from core.errors import InvalidRequest, NotFound
from core.knowledge import service
from core.knowledge.embeddings import (
    HashingEmbeddingFunction,
    OpenAIEmbeddingFunction,
    make_embedding_function,
)
from core.knowledge.help_pages import load_help_pages
from core.knowledge.store import (
    HELP_COLLECTION,
    KnowledgeStore,
    account_collection_name,
    chroma_settings,
    client_target,
)

REPO = Path(__file__).resolve().parents[2]
HELP_DIR = REPO / "docs" / "help"

# ------------------------------------------------------------------ the embedding function


def test_hashing_embedding_is_deterministic_unit_length_and_512_dims() -> None:
    ef = HashingEmbeddingFunction()
    texts = ["Track visits on your website", "SMS costs 5 credits per 160 characters in the UK", ""]
    first, second = ef(texts), HashingEmbeddingFunction()(texts)
    for a, b in zip(first, second, strict=True):
        assert a.shape == (512,)
        assert np.array_equal(a, b)
        assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-5
    # Related wording is closer than unrelated wording.
    q, near, far = ef(["tracking website visits", "site tracking records page visits", "win probability of deals"])
    assert float(q @ near) > float(q @ far) + 0.1


def test_hashing_embedding_is_stable_across_processes() -> None:
    """Python's hash() is salted per process; ours must not be, or a reopened index would be garbage."""
    code = (
        "from core.knowledge.embeddings import HashingEmbeddingFunction as H;"
        "print(','.join(f'{x:.6f}' for x in H()(['predictive sending hour'])[0][:16]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    here = HashingEmbeddingFunction()(["predictive sending hour"])[0][:16]
    assert out.stdout.strip() == ",".join(f"{x:.6f}" for x in here)


def test_embedding_functions_are_registered_and_rebuild_from_config() -> None:
    for cls in (HashingEmbeddingFunction, OpenAIEmbeddingFunction):
        assert known_embedding_functions[cls.name()] is cls
    ef = HashingEmbeddingFunction(word_weight=0.7)
    rebuilt = HashingEmbeddingFunction.build_from_config(json.loads(json.dumps(ef.get_config())))
    assert rebuilt.get_config() == ef.get_config()
    assert not ef.is_legacy()
    openai_ef = OpenAIEmbeddingFunction(model="text-embedding-3-small", api_key="sk-secret", base_url="http://x/v1")
    assert "sk-secret" not in json.dumps(openai_ef.get_config())
    assert not openai_ef.is_legacy()


def test_collection_reopened_in_a_fresh_process_needs_no_embedding_function(tmp_path: Path) -> None:
    store = KnowledgeStore(data_dir=tmp_path, help_dir=HELP_DIR)
    service.index_help_pages(store)
    # A new process that only imports the embeddings module (which registers it) and passes no EF.
    code = textwrap.dedent(f"""
        import chromadb, core.knowledge.embeddings
        from chromadb.config import Settings
        client = chromadb.PersistentClient(path={str(tmp_path / "chroma")!r},
                                           settings=Settings(anonymized_telemetry=False))
        col = client.get_collection({HELP_COLLECTION!r})
        found = col.query(query_texts=["how do I track visits on my website"], n_results=1,
                          where={{"kind": "section"}})
        print(found["metadatas"][0][0]["page"])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "site-tracking"


def test_make_embedding_function_checks_its_mode() -> None:
    assert isinstance(make_embedding_function("hashing"), HashingEmbeddingFunction)
    with pytest.raises(InvalidRequest, match="OPENAI_API_KEY"):
        make_embedding_function("openai")
    with pytest.raises(InvalidRequest, match="'bert'"):
        make_embedding_function("bert")


# ------------------------------------------------------------------ help pages

# Questions written apart from the pages' text (paraphrases a user might type), with the page that answers.
# Set A was used while tuning the pages; sets B and C were written afterwards (C after the last change to
# the ranking). The thresholds below are just under what the hashing embedding achieves on them.
QUERIES_A = [
    ("how do I track visits on my website", "site-tracking"),
    ("antivirus scanners are inflating my click numbers", "bot-clicks-and-privacy"),
    ("Apple mail privacy makes my open rate look too high", "bot-clicks-and-privacy"),
    ("how many characters can a text message have", "sms"),
    ("what does it cost to text customers in Australia", "sms"),
    ("insert the recipient's first name in the email", "personalization-tags"),
    ("my newsletter never went out, what went wrong", "troubleshooting-sends"),
    ("how likely is this deal to close", "win-probability"),
    ("send each subscriber the email when they usually read their mail", "predictive-sending"),
    ("which weekday is best for my campaign", "best-send-time"),
    ("can I keep several logos and color palettes for different brands", "brand-kits"),
    ("reusable canned replies for 1:1 emails", "saved-responses"),
    ("what happens when I run out of AI credits this month", "ai-activities"),
    ("a contact keeps re-entering my workflow, is there a cap?", "automations"),
    ("give leads points when they visit the pricing page", "scoring"),
    ("build a group of contacts who opened in the last 30 days", "segments"),
    ("generate an email from a short description", "campaigns-ai-builder"),
    ("which features need the Pro plan", "plans-and-add-ons"),
    ("what's the click-to-open rate and where do I see it", "reports"),
    ("what can I ask the assistant", "getting-started"),
    ("see which URLs people clicked in my email", "link-tracking"),
    ("does someone have to approve before a big send goes out", "sending-campaigns"),
]
QUERIES_B = [
    ("set up the tracking script on my online store", "site-tracking"),
    ("who visited our pricing page this week", "site-tracking"),
    ("are security filters clicking every link in my emails", "bot-clicks-and-privacy"),
    ("exclude fake opens from iPhone users", "bot-clicks-and-privacy"),
    ("how much does one text cost in the UK", "sms"),
    ("can I send pictures in a text", "sms"),
    ("what time of night are texts blocked", "sms"),
    ("add the customer's company name to the subject line", "personalization-tags"),
    ("half my recipients didn't get the campaign", "troubleshooting-sends"),
    ("my emails go to the junk folder", "troubleshooting-sends"),
    ("the deal chance says less than 5 percent", "win-probability"),
    ("how many won deals are needed before predictions show", "win-probability"),
    ("deliver emails at the hour each person tends to open", "predictive-sending"),
    ("what is the best hour to schedule my announcement", "best-send-time"),
    ("set a default brand for my drafts", "brand-kits"),
    ("store a template answer for support questions", "saved-responses"),
    ("monthly limit for AI translations and actions", "ai-activities"),
    ("start a sequence when someone joins my list", "automations"),
    ("points that disappear after a month", "scoring"),
    ("contacts with a tag who live in Germany", "segments"),
    ("change the layout of my draft to a grid of images", "campaigns-ai-builder"),
    ("lock the header so regenerating keeps it", "campaigns-ai-builder"),
    ("how much do I need to pay for SMS", "plans-and-add-ons"),
    ("compare open rates of my last three newsletters", "reports"),
    ("chat with the bot from Slack", "getting-started"),
    ("turn off click tracking for one email", "link-tracking"),
    ("who needs to sign off before messages go to customers", "sending-campaigns"),
]
QUERIES_C = [
    ("how do I know which pages a lead looked at before buying", "site-tracking"),
    ("my report says everyone clicked within one second of delivery", "bot-clicks-and-privacy"),
    ("is there a character limit on SMS", "sms"),
    ("I want to greet people by name in my newsletter", "personalization-tags"),
    ("the campaign status says failed", "troubleshooting-sends"),
    ("predict which opportunities we will win", "win-probability"),
    ("send at each contact's ideal time automatically", "predictive-sending"),
    ("what day of the week gets the most opens", "best-send-time"),
    ("how many brand kits can a Plus account have", "brand-kits"),
    ("quick replies my sales team can reuse", "saved-responses"),
    ("do AI translations cost extra", "ai-activities"),
    ("can a workflow run more than once for the same person", "automations"),
    ("rank my hottest leads", "scoring"),
    ("filter contacts by what they bought", "segments"),
    ("regenerate the email but keep my intro paragraph", "campaigns-ai-builder"),
    ("which plan do I need for predictive sending", "plans-and-add-ons"),
    ("what is a good open rate and how is it calculated", "reports"),
    ("how does link click tracking work", "link-tracking"),
    ("what has to be filled in before I can schedule a campaign", "sending-campaigns"),
    ("how do I use the sidebar", "getting-started"),
]
# Individually asserted: the top hit must be the right page.
TOP1 = [
    ("how do I track visits on my website", "site-tracking"),
    ("how many characters can a text message have", "sms"),
    ("how likely is this deal to close", "win-probability"),
    ("which weekday is best for my campaign", "best-send-time"),
    ("a contact keeps re-entering my workflow, is there a cap?", "automations"),
    ("which features need the Pro plan", "plans-and-add-ons"),
    ("exclude fake opens from iPhone users", "bot-clicks-and-privacy"),
    ("lock the header so regenerating keeps it", "campaigns-ai-builder"),
    ("the deal chance says less than 5 percent", "win-probability"),
    ("is there a character limit on SMS", "sms"),
    ("I want to greet people by name in my newsletter", "personalization-tags"),
    ("the campaign status says failed", "troubleshooting-sends"),
    ("how many brand kits can a Plus account have", "brand-kits"),
    ("how does link click tracking work", "link-tracking"),
]


@pytest.fixture(scope="module")
def help_store(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeStore:
    store = KnowledgeStore(data_dir=tmp_path_factory.mktemp("kb"), help_dir=HELP_DIR)
    service.index_help_pages(store)
    return store


def test_help_pages_have_a_title_and_sections() -> None:
    sections = load_help_pages(HELP_DIR)
    pages = {s.page for s in sections}
    assert 12 <= len(pages) <= 25
    for page in pages:
        own = [s for s in sections if s.page == page]
        assert len(own) >= 3, page
        assert own[0].title and all(s.text for s in own)


def test_every_expected_page_exists() -> None:
    pages = {p.stem for p in HELP_DIR.glob("*.md")}
    wanted = {want for _, want in QUERIES_A + QUERIES_B + QUERIES_C}
    assert wanted <= pages


@pytest.mark.parametrize(("query", "page"), TOP1, ids=[q for q, _ in TOP1])
def test_search_help_finds_the_right_page_first(help_store: KnowledgeStore, query: str, page: str) -> None:
    hits = service.search_help(help_store, query=query, k=3)
    assert hits[0].page == page, [(h.page, h.score) for h in hits]
    assert hits[0].title and hits[0].section and hits[0].text


@pytest.mark.parametrize(
    ("queries", "min_top1", "min_top3"),
    [(QUERIES_A, 0.70, 0.95), (QUERIES_B, 0.55, 0.80), (QUERIES_C, 0.70, 0.90)],
    ids=["set-A", "set-B", "set-C"],
)
def test_search_help_quality_on_paraphrased_questions(
    help_store: KnowledgeStore, queries: list[tuple[str, str]], min_top1: float, min_top3: float
) -> None:
    top1 = top3 = 0
    misses = []
    for query, page in queries:
        pages = [h.page for h in service.search_help(help_store, query=query, k=3)]
        top1 += pages[0] == page
        top3 += page in pages
        if page not in pages:
            misses.append((query, page, pages))
    assert top1 / len(queries) >= min_top1, (top1, misses)
    assert top3 / len(queries) >= min_top3, (top3, misses)


def test_search_help_returns_distinct_pages_with_scores_best_first(help_store: KnowledgeStore) -> None:
    hits = service.search_help(help_store, query="SMS credits and quiet hours", k=5)
    assert len({h.page for h in hits}) == len(hits) == 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    sections = service.search_help(help_store, query="SMS credits and quiet hours", k=4, distinct_pages=False)
    assert [h.page for h in sections].count("sms") >= 2  # several sections of one page are allowed


def test_search_help_rejects_bad_input(help_store: KnowledgeStore) -> None:
    with pytest.raises(InvalidRequest, match="empty"):
        service.search_help(help_store, query="   ")
    with pytest.raises(InvalidRequest, match="k 0"):
        service.search_help(help_store, query="sms", k=0)


def test_help_indexing_is_idempotent_and_follows_page_changes(tmp_path: Path) -> None:
    pages = tmp_path / "help"
    shutil.copytree(HELP_DIR, pages)
    store = KnowledgeStore(data_dir=tmp_path, help_dir=pages)
    first = service.index_help_pages(store)
    assert first.upserted == first.sections + first.pages and first.removed == 0
    again = service.index_help_pages(store)
    assert (again.upserted, again.removed) == (0, 0)
    assert store.help_collection().count() == first.sections + first.pages

    sms = pages / "sms.md"
    sms.write_text(sms.read_text().replace("## Results", "## Delivery numbers"))
    (pages / "saved-responses.md").unlink()
    changed = service.index_help_pages(store)
    # The renamed section plus the sms whole-page document; all of saved-responses is gone.
    assert changed.upserted == 2
    saved_docs = len([s for s in load_help_pages(HELP_DIR) if s.page == "saved-responses"]) + 1
    assert changed.removed == 1 + saved_docs
    assert all(h.page != "saved-responses" for h in service.search_help(store, query="saved responses", k=5))


def test_search_help_indexes_on_first_use(tmp_path: Path) -> None:
    store = KnowledgeStore(data_dir=tmp_path, help_dir=HELP_DIR)
    assert store.help_collection().count() == 0
    assert service.search_help(store, query="whitelist a domain for site tracking", k=1)[0].page == "site-tracking"


# ------------------------------------------------------------------ campaigns, one collection per account


def _campaign(session: Session, account_id: int, name: str, subject: str, body: str, now: datetime,
              *, status: CampaignStatus = CampaignStatus.SENT) -> Campaign:
    c = Campaign(
        account_id=account_id, name=name, channel=Channel.EMAIL, status=status, subject=subject,
        preheader="Don't miss it", blocks=[{"type": "heading", "text": name, "level": 1, "locked": False},
                                           {"type": "text", "text": body, "locked": False},
                                           {"type": "button", "label": "Shop now", "url": "https://x.example/s",
                                            "locked": False}],
        list_ids=[], created_at=now, updated_at=now, sent_at=now if status == CampaignStatus.SENT else None,
    )
    session.add(c)
    session.flush()
    return c


def _contacts(session: Session, account_id: int, n: int, now: datetime) -> list[Contact]:
    rows = [Contact(account_id=account_id, email=f"p{i}.{account_id}@example.com", created_at=now, updated_at=now)
            for i in range(n)]
    session.add_all(rows)
    session.flush()
    return rows


def _send(session: Session, c: Campaign, contacts: list[Contact], now: datetime,
          events: list[tuple[int, EventType, bool]]) -> None:
    session.add_all(CampaignSend(account_id=c.account_id, campaign_id=c.id, contact_id=p.id,
                                 status=SendStatus.DELIVERED, sent_at=now) for p in contacts)
    session.add_all(EngagementEvent(account_id=c.account_id, campaign_id=c.id, contact_id=contacts[i].id, type=kind,
                                    occurred_at=now + timedelta(minutes=5), is_bot=bot)
                    for i, kind, bot in events)
    session.flush()


@pytest.fixture
def two_accounts(session: Session, now: datetime) -> tuple[int, int, dict[str, int]]:
    a = create_account(session, name="Acme Shoes", botsense_enabled=False).id
    b = create_account(session, name="Bolt Bikes").id
    ids: dict[str, int] = {}
    people = _contacts(session, a, 10, now)
    spring = _campaign(session, a, "Spring shoe sale", "20% off running shoes this week",
                       "Our spring running shoes are 20% off until Sunday. Find your new pair.", now)
    _send(session, spring, people, now,
          [(0, EventType.OPEN, False), (0, EventType.OPEN, False), (1, EventType.OPEN, False),
           (2, EventType.OPEN, False), (3, EventType.OPEN, True), (0, EventType.CLICK, False),
           (3, EventType.CLICK, True)])
    ids["a_spring"] = spring.id
    ids["a_webinar"] = _campaign(session, a, "Webinar invite", "Join our live webinar on marathon training",
                                 "Sign up for a free webinar with our coaches.", now).id
    ids["a_draft"] = _campaign(session, a, "Autumn boots draft", "New boots for autumn",
                               "Warm waterproof boots for rainy days.", now, status=CampaignStatus.DRAFT).id
    ids["b_spring"] = _campaign(session, b, "Spring bike sale", "20% off road bikes this week",
                                "Our spring road bikes are 20% off until Sunday. Find your new ride.", now).id
    return a, b, ids


def test_index_campaigns_and_find_similar_with_rates(
    session: Session, tmp_path: Path, two_accounts: tuple[int, int, dict[str, int]]
) -> None:
    a, _, ids = two_accounts
    store = KnowledgeStore(data_dir=tmp_path)
    result = service.index_campaigns(store, session, account_id=a)
    assert (result.campaigns, result.upserted, result.removed) == (3, 3, 0)

    hits = service.find_similar_campaigns(store, account_id=a, text="discount on running shoes for spring", k=2)
    assert hits[0].campaign_id == ids["a_spring"]
    top = hits[0]
    assert (top.name, top.subject, top.channel, top.status, top.delivered) == (
        "Spring shoe sale", "20% off running shoes this week", "email", "sent", 10)
    # BotSense is off: 4 unique openers (the bot open counts), 2 unique clickers out of 10 delivered.
    assert (top.open_rate, top.click_rate) == (0.4, 0.2)
    unsent = service.find_similar_campaigns(store, account_id=a, text="webinar about marathon training", k=1)
    assert unsent[0].campaign_id == ids["a_webinar"] and unsent[0].open_rate is None


def test_botsense_leaves_bot_events_out_of_the_indexed_rates(
    session: Session, tmp_path: Path, two_accounts: tuple[int, int, dict[str, int]]
) -> None:
    from core.accounts.models import Account

    a, _, _ = two_accounts
    account = session.get(Account, a)
    assert account is not None
    account.plan, account.botsense_enabled = "pro", True  # type: ignore[assignment]
    session.flush()
    store = KnowledgeStore(data_dir=tmp_path)
    service.index_campaigns(store, session, account_id=a)
    top = service.find_similar_campaigns(store, account_id=a, text="spring running shoes sale", k=1)[0]
    assert (top.open_rate, top.click_rate) == (0.3, 0.1)


def test_find_similar_filters(session: Session, tmp_path: Path, two_accounts: tuple[int, int, dict[str, int]]) -> None:
    a, _, ids = two_accounts
    store = KnowledgeStore(data_dir=tmp_path)
    service.index_campaigns(store, session, account_id=a)
    boots = "waterproof boots for autumn rain"
    assert service.find_similar_campaigns(store, account_id=a, text=boots, k=1)[0].campaign_id == ids["a_draft"]
    sent = service.find_similar_campaigns(store, account_id=a, text=boots, k=5, sent_only=True)
    assert ids["a_draft"] not in [h.campaign_id for h in sent] and len(sent) == 2
    others = service.find_similar_campaigns(store, account_id=a, text="spring shoes", k=5,
                                            exclude_campaign_id=ids["a_spring"])
    assert ids["a_spring"] not in [h.campaign_id for h in others]
    with pytest.raises(InvalidRequest, match="Describe"):
        service.find_similar_campaigns(store, account_id=a, text=" ")


def test_campaign_reindexing_is_idempotent_and_follows_the_database(
    session: Session, tmp_path: Path, two_accounts: tuple[int, int, dict[str, int]], now: datetime
) -> None:
    a, _, ids = two_accounts
    store = KnowledgeStore(data_dir=tmp_path)
    service.index_campaigns(store, session, account_id=a)
    again = service.index_campaigns(store, session, account_id=a)
    assert (again.upserted, again.removed) == (0, 0)

    webinar = session.get(Campaign, ids["a_webinar"])
    assert webinar is not None
    webinar.subject = "Kayak trip to the fjords"
    draft = session.get(Campaign, ids["a_draft"])
    session.delete(draft)
    session.flush()
    changed = service.index_campaigns(store, session, account_id=a)
    assert (changed.campaigns, changed.upserted, changed.removed) == (2, 1, 1)
    hits = service.find_similar_campaigns(store, account_id=a, text="kayak fjords trip", k=5)
    assert hits[0].campaign_id == ids["a_webinar"]
    assert ids["a_draft"] not in [h.campaign_id for h in hits]


def test_tenant_isolation(session: Session, tmp_path: Path, two_accounts: tuple[int, int, dict[str, int]]) -> None:
    a, b, ids = two_accounts
    store = KnowledgeStore(data_dir=tmp_path)
    service.index_campaigns(store, session, account_id=a)

    # B has not been indexed: no results, and the query does not fall back to any other collection.
    assert service.find_similar_campaigns(store, account_id=b, text="spring sale 20% off running shoes") == []
    assert store.account_collection(b) is None

    service.index_campaigns(store, session, account_id=b)
    a_ids = {ids["a_spring"], ids["a_webinar"], ids["a_draft"]}
    for text in ("spring sale 20% off running shoes", "webinar marathon training", "autumn boots"):
        b_hits = service.find_similar_campaigns(store, account_id=b, text=text, k=10)
        assert {h.campaign_id for h in b_hits} == {ids["b_spring"]}
        a_hits = service.find_similar_campaigns(store, account_id=a, text=text, k=10)
        assert {h.campaign_id for h in a_hits} <= a_ids
    assert account_collection_name(a) != account_collection_name(b)

    # Account ids are checked, so no crafted value can name another collection.
    for bad in (0, -1, True, "1", f"{a}-campaigns", None):
        with pytest.raises(InvalidRequest, match="account_id"):
            service.find_similar_campaigns(store, account_id=bad, text="spring")  # type: ignore[arg-type]
        with pytest.raises(InvalidRequest, match="account_id"):
            service.index_campaigns(store, session, account_id=bad)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        service.index_campaigns(store, session, account_id=10**9)

    # Removing A removes only A.
    assert service.remove_account(store, account_id=a) == [account_collection_name(a)]
    assert service.find_similar_campaigns(store, account_id=a, text="spring sale") == []
    assert [h.campaign_id for h in service.find_similar_campaigns(store, account_id=b, text="spring sale")] == [
        ids["b_spring"]]
    assert service.remove_account(store, account_id=a) == []
    assert store.help_collection().name == HELP_COLLECTION


# ------------------------------------------------------------------ client selection and the Chroma server


def test_client_target_chooses_embedded_or_http(tmp_path: Path) -> None:
    embedded = client_target(data_dir=tmp_path, chroma_url=None)
    assert (embedded.kind, embedded.path) == ("persistent", tmp_path / "chroma")
    assert client_target(data_dir=tmp_path, chroma_url="  ").kind == "persistent"
    server = client_target(data_dir=tmp_path, chroma_url="http://chroma.internal:9000")
    assert (server.kind, server.host, server.port, server.ssl, server.path) == (
        "http", "chroma.internal", 9000, False, None)
    assert client_target(data_dir=tmp_path, chroma_url="chroma").port == 8000
    secure = client_target(data_dir=tmp_path, chroma_url="https://vectors.example.com/")
    assert (secure.host, secure.port, secure.ssl) == ("vectors.example.com", 443, True)
    for bad in ("ftp://chroma:8000", "http://chroma:8000/api", "http://chroma:notaport", "http://"):
        with pytest.raises(InvalidRequest, match="Chroma URL"):
            client_target(data_dir=tmp_path, chroma_url=bad)


def test_embedded_store_writes_under_the_data_dir_with_telemetry_off(tmp_path: Path) -> None:
    store = KnowledgeStore(data_dir=tmp_path)
    store.help_collection()
    assert (tmp_path / "chroma").is_dir()
    assert chroma_settings().anonymized_telemetry is False
    assert isinstance(store.client, chromadb.api.ClientAPI)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (the `chroma run` CLI of the chromadb package) on a free local port."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if exe is None:
        pytest.skip("the chroma CLI is not installed")
    port = _free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([exe, "run", "--path", str(folder / "db"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.skip("the chroma server did not start")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_http_client_against_a_chroma_server(tmp_path: Path, chroma_server: str) -> None:
    store = KnowledgeStore(data_dir=tmp_path, chroma_url=chroma_server, help_dir=HELP_DIR)
    assert store.target.kind == "http"
    assert type(store.client).__name__ != "PersistentClient" and not (tmp_path / "chroma").exists()
    service.index_help_pages(store)
    assert service.search_help(store, query="how do I track visits on my website", k=1)[0].page == "site-tracking"
    # Another worker with a fresh client (and no embedding function given) reads the same collection.
    other = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_server.rsplit(":", 1)[1]), settings=chroma_settings())
    found = other.get_collection(HELP_COLLECTION).query(query_texts=["SMS credits per country"], n_results=1,
                                                         where={"kind": "page"})
    assert found["metadatas"] is not None and found["metadatas"][0][0]["page"] == "sms"


# ------------------------------------------------------------------ OpenAI embeddings (against a local fake)


@pytest.fixture
def fake_openai() -> Iterator[tuple[str, list[dict[str, object]]]]:
    """An OpenAI-compatible /v1/embeddings endpoint that embeds with a small hashing function."""
    seen: list[dict[str, object]] = []
    ef = HashingEmbeddingFunction(dim=64)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
            vectors = ef(body["input"])
            payload = json.dumps({
                "object": "list", "model": body["model"],
                "data": [{"object": "embedding", "index": i, "embedding": [float(x) for x in v]}
                         for i, v in reversed(list(enumerate(vectors)))],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


def test_openai_embeddings_batch_in_order(fake_openai: tuple[str, list[dict[str, object]]]) -> None:
    base_url, seen = fake_openai
    ef = OpenAIEmbeddingFunction(model="text-embedding-3-small", api_key="sk-test", base_url=base_url, batch_size=2)
    texts = ["site tracking", "", "sms credits", "win probability", "brand kits"]
    vectors = ef(texts)
    assert len(seen) == 3 and [len(s["input"]) for s in seen] == [2, 2, 1]  # type: ignore[arg-type]
    assert seen[0]["path"] == "/v1/embeddings" and seen[0]["auth"] == "Bearer sk-test"
    assert seen[0]["input"] == ["site tracking", " "]  # the API refuses empty strings
    expected = HashingEmbeddingFunction(dim=64)(texts[2:3])[0]
    assert np.allclose(vectors[2], expected, atol=1e-6)  # order kept although the server answered reversed


def test_switching_embedding_mode_rebuilds_the_index(
    tmp_path: Path, fake_openai: tuple[str, list[dict[str, object]]]
) -> None:
    base_url, _ = fake_openai
    hashing = KnowledgeStore(data_dir=tmp_path, help_dir=HELP_DIR)
    service.index_help_pages(hashing)
    openai_ef = make_embedding_function("openai", openai_api_key="sk-test", openai_base_url=base_url)
    switched = KnowledgeStore(data_dir=tmp_path, help_dir=HELP_DIR, embedding_function=openai_ef)
    assert switched.help_collection().count() == 0  # vectors of another model were dropped, not mixed
    result = service.index_help_pages(switched)
    assert result.upserted == result.sections + result.pages
    assert switched.help_collection().configuration["embedding_function"].name() == "activeintel-openai"
    assert service.search_help(switched, query="SMS credits for the UK", k=3)[0].page == "sms"


def test_store_from_settings(tmp_path: Path) -> None:
    from core.config import Settings

    settings = Settings(ACTIVEINTEL_DATA_DIR=tmp_path)  # type: ignore[call-arg]
    store = KnowledgeStore.from_settings(settings)
    assert store.target.path == tmp_path / "chroma"
    assert isinstance(store.embedding_function, HashingEmbeddingFunction)
    with pytest.raises(InvalidRequest, match="OPENAI_API_KEY"):
        KnowledgeStore.from_settings(settings, embeddings="openai")
