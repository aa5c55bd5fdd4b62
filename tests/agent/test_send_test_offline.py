"""Test emails with the offline model, multi-turn on the demo account: the campaign from a name, "it", the page or
the chat so far; the user's own address at once, an outside address only after approval."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import func, select

from agent.context import PageContext
from agent.graph import build_graph
from agent.offline.model import OfflineChatModel
from agent.run import AgentDeps, collect_turn
from core.accounts.models import User
from core.campaigns import service as campaigns
from core.campaigns.models import Campaign, CampaignSend, TestSend
from core.mail import OutboxTransport

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> OfflineChatModel:
    return OfflineChatModel(cache_dir=str(tmp_path_factory.mktemp("nlu")))


@pytest.fixture
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OutboxTransport:
    monkeypatch.setenv("ACTIVEINTEL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ACTIVEINTEL_SMTP_URL", raising=False)
    return OutboxTransport(tmp_path / "outbox")


@pytest.fixture
def chat(demo_world: Any, model: OfflineChatModel) -> Any:
    deps = AgentDeps(graph=build_graph(model=model, checkpointer=InMemorySaver()), session_factory=demo_world.factory,
                     clock=lambda: NOW)
    state: dict[str, Any] = {"thread": None}

    async def say(text: str | None = None, decision: dict[str, Any] | None = None, page: PageContext | None = None) -> Any:
        kwargs: dict[str, Any] = {"text": text} if text is not None else {"decision": decision}
        result = await collect_turn(deps, account_id=demo_world.account_id, user_id=demo_world.admin_user_id,
                                    thread_id=state["thread"], page=page, **kwargs)
        state["thread"] = result.thread_id
        return result

    return say


def _tools(result: Any) -> list[str]:
    return [c.name for c in result.tool_calls]


def _admin_email(world: Any) -> str:
    with world.factory() as s:
        return s.get(User, world.admin_user_id).email


def _received(outbox: OutboxTransport, world: Any) -> list[tuple[str, str]]:
    out = []
    for path in outbox.messages(world.account_id):
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        out.append((str(msg["To"]), str(msg["Subject"])))
    return out


async def test_send_me_a_test_of_my_may_newsletter_then_one_to_an_outside_address(chat, demo_world, outbox) -> None:
    me = _admin_email(demo_world)
    first = await chat("send me a test of my May newsletter")
    assert _tools(first) == ["send_test_email"] and first.approval is None
    result = json.loads(first.tool_results[0].output)
    assert result["object"] == "test_send" and result["recipients"] == [me]
    with demo_world.factory() as s:
        may = s.get(Campaign, result["campaign_id"])
        assert may.sent_at.month == 5 and "Newsletter" in may.name
        sends_before = s.scalar(select(func.count()).where(CampaignSend.campaign_id == may.id))
    [(to, subject)] = _received(outbox, demo_world)
    assert to == me and subject == result["subject"] and subject.startswith("[Test] ")
    assert f"Sent a test of **{may.name}** to {me}" in first.answer and "outbox folder" in first.answer

    # The chat is now about the May newsletter: an outside address needs approval first.
    paused = await chat("send a test to bob@example.com")
    assert _tools(paused) == ["send_test_email"] and paused.approval is not None
    assert paused.approval.payload["details"]["outside_this_account"] == ["bob@example.com"]
    assert paused.approval.payload["details"]["campaign"] == may.name
    assert len(_received(outbox, demo_world)) == 1
    done = await chat(decision={"decisions": [{"type": "approve"}]})
    assert "Sent a test of" in done.answer and "bob@example.com" in done.answer
    assert sorted(to for to, _ in _received(outbox, demo_world)) == sorted([me, "bob@example.com"])
    with demo_world.factory() as s:
        # Reports stay as they were: a test is not a send.
        assert s.scalar(select(func.count()).where(CampaignSend.campaign_id == may.id)) == sends_before


async def test_rejected_outside_test_sends_nothing(chat, demo_world, outbox) -> None:
    draft = _draft(demo_world, "Offline reject")
    paused = await chat(f'send a proof of "{draft.name}" to client@example.org')
    assert _tools(paused) == ["send_test_email"] and paused.approval is not None
    rejected = await chat(decision={"decisions": [{"type": "reject"}]})
    assert "Nothing was sent" in rejected.answer and _received(outbox, demo_world) == []


def _draft(world: Any, name: str) -> Any:
    with world.factory.begin() as s:
        return campaigns.create_campaign(
            s, account_id=world.account_id, name=f"{name} {world.backend}", now=NOW, subject="Hello %FIRSTNAME%",
            blocks=[{"type": "text", "text": "Hi %FIRSTNAME%, welcome to %CITY%."}, {"type": "button", "label": "Go"}],
        )


async def test_it_after_showing_a_campaign_and_the_answer_lists_what_to_fix(chat, demo_world, outbox) -> None:
    draft = _draft(demo_world, "Trailhead welcome")
    shown = await chat(f"show me the {draft.name} campaign")
    assert _tools(shown) == ["get_campaign"]
    tested = await chat("send me a test of it")
    assert _tools(tested) == ["send_test_email"] and tested.tool_calls[0].args["campaign"] == draft.name
    assert "%CITY%" in tested.answer and "'Go'" in tested.answer
    with demo_world.factory() as s:
        assert s.scalar(select(func.count()).where(TestSend.campaign_id == draft.id)) == 1


async def test_the_campaign_open_on_the_page(chat, demo_world, outbox) -> None:
    draft = _draft(demo_world, "Offline page")
    page = PageContext(page="campaign", object_type="campaign", object_id=draft.id)
    result = await chat("send me a test", page=page)
    assert _tools(result) == ["send_test_email"]
    assert json.loads(result.tool_results[0].output)["campaign_id"] == draft.id


async def test_no_campaign_in_play_is_asked_then_the_answer_is_used(chat, demo_world, outbox) -> None:
    draft = _draft(demo_world, "Offline ask")
    asked = await chat("send me a test email")
    assert asked.tool_calls == [] and "Which campaign" in asked.answer
    done = await chat(draft.name)
    assert _tools(done) == ["send_test_email"]
    assert json.loads(done.tool_results[0].output)["campaign_id"] == draft.id


async def test_me_and_a_colleague_by_address(chat, demo_world, outbox) -> None:
    draft = _draft(demo_world, "Offline pair")
    me = _admin_email(demo_world)
    with demo_world.factory() as s:
        colleague = s.scalars(select(User.email).where(User.account_id == demo_world.account_id, User.email != me)).first()
    result = await chat(f'send a test of "{draft.name}" to me and {colleague}')
    assert result.approval is None
    assert sorted(json.loads(result.tool_results[0].output)["recipients"]) == sorted([me, colleague])


async def test_the_surfaces_transport_is_used_not_the_environments(demo_world, model, tmp_path: Path, monkeypatch) -> None:
    # The server and the CLI build the transport from their own settings; a different data folder in the
    # environment must not receive the surface's test emails.
    monkeypatch.setenv("ACTIVEINTEL_DATA_DIR", str(tmp_path / "environment"))
    monkeypatch.delenv("ACTIVEINTEL_SMTP_URL", raising=False)
    surface_box = OutboxTransport(tmp_path / "surface" / "outbox")
    deps = AgentDeps(graph=build_graph(model=model, checkpointer=InMemorySaver()), session_factory=demo_world.factory,
                     clock=lambda: NOW, mail=surface_box)
    result = await collect_turn(deps, account_id=demo_world.account_id, user_id=demo_world.admin_user_id,
                                text="send me a test of my May newsletter")
    assert _tools(result) == ["send_test_email"]
    assert len(_received(surface_box, demo_world)) == 1
    assert not (tmp_path / "environment" / "outbox").exists()
