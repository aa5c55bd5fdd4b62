"""send_test_email through the real graph (ToolNode) on the demo account: own and colleagues' addresses go
straight out, outside addresses wait for approval, an approved test is written once, a rejected one never."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import func, select

from agent.context import PageContext
from agent.graph import build_graph
from agent.run import AgentDeps, collect_turn
from core.accounts.models import User
from core.campaigns import service as campaigns
from core.campaigns.models import CampaignSend, TestSend
from core.mail import OutboxTransport
from tests.agent.fakes import ScriptedChatModel, call

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OutboxTransport:
    """The tool builds its transport from the settings: point the data dir at a fresh folder, no SMTP."""
    monkeypatch.setenv("ACTIVEINTEL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ACTIVEINTEL_SMTP_URL", raising=False)
    return OutboxTransport(tmp_path / "outbox")


@pytest.fixture
def run(demo_world: Any) -> Any:
    saver = InMemorySaver()

    async def go(calls: list[tuple[str, dict[str, Any]]] | None = None, *, decision: dict[str, Any] | None = None,
                 thread_id: str | None = None, account_id: int | None = None, user_id: int | None = None,
                 page: PageContext | None = None) -> Any:
        script = [AIMessage("", tool_calls=[call(n, a, f"call_{i}") for i, (n, a) in enumerate(calls or [])]), "done"]
        deps = AgentDeps(graph=build_graph(model=ScriptedChatModel(responses=script), checkpointer=saver),
                         session_factory=demo_world.factory, clock=lambda: NOW)
        kwargs: dict[str, Any] = {"decision": decision} if decision else {"text": "go"}
        return await collect_turn(
            deps, account_id=account_id or demo_world.account_id, user_id=user_id or demo_world.admin_user_id,
            thread_id=thread_id, page=page, **kwargs,
        )

    return go


def _draft(world: Any, name: str) -> Any:
    with world.factory.begin() as s:
        return campaigns.create_campaign(
            s, account_id=world.account_id, name=f"{name} {world.backend}", now=NOW, subject="A test for %FIRSTNAME%",
            blocks=[{"type": "text", "text": "Hello %FIRSTNAME%, this is the draft."}],
        )


def _emails(world: Any) -> tuple[str, str]:
    with world.factory() as s:
        admin = s.get(User, world.admin_user_id)
        colleague = s.scalars(
            select(User.email).where(User.account_id == world.account_id, User.id != admin.id).order_by(User.id)
        ).first()
        return admin.email, colleague


def _logged(world: Any, campaign_id: int) -> int:
    with world.factory() as s:
        return s.scalar(select(func.count()).select_from(TestSend).where(TestSend.campaign_id == campaign_id))


def _read(path: Path) -> Any:
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


async def test_own_and_colleagues_addresses_need_no_approval(demo_world, run, outbox) -> None:
    draft = _draft(demo_world, "Own test")
    mine, colleague = _emails(demo_world)
    r = await run([("send_test_email", {"campaign": draft.name}),
                   ("send_test_email", {"campaign": draft.name, "to": [colleague.upper()]})])
    assert r.approval is None and [t.status for t in r.tool_results] == ["success", "success"]
    first, second = (json.loads(t.output) for t in r.tool_results)
    assert first["object"] == "test_send" and first["recipients"] == [mine] and second["recipients"] == [colleague]
    assert first["subject"].startswith("[Test] A test for ") and "%FIRSTNAME%" not in first["subject"]
    files = outbox.messages(demo_world.account_id)
    assert sorted(str(_read(p)["To"]) for p in files) == sorted([mine, colleague])
    assert _logged(demo_world, draft.id) == 2
    with demo_world.factory() as s:
        assert s.scalar(select(func.count()).where(CampaignSend.campaign_id == draft.id)) == 0
        assert campaigns.get_campaign(s, account_id=demo_world.account_id, campaign_id=draft.id).status.value == "draft"


async def test_an_empty_campaign_means_the_one_open_on_the_page(demo_world, run, outbox) -> None:
    draft = _draft(demo_world, "Page test")
    r = await run([("send_test_email", {})], page=PageContext(page="campaign", object_type="campaign", object_id=draft.id))
    assert json.loads(r.tool_results[0].output)["campaign_id"] == draft.id


async def test_outside_address_asks_approval_and_runs_once_even_if_resumed_twice(demo_world, run, outbox) -> None:
    draft = _draft(demo_world, "Outside test")
    mine, colleague = _emails(demo_world)
    # Two calls in one step: the colleague's test goes at once; the tool node re-runs it when the run resumes.
    paused = await run([("send_test_email", {"campaign": draft.name, "to": [colleague]}),
                        ("send_test_email", {"campaign": draft.name, "to": ["bob@example.com", mine]})])
    assert paused.status == "interrupted" and paused.approval is not None
    request = paused.approval.payload["action_requests"][0]
    assert request["name"] == "send_test_email" and request["args"]["to"] == ["bob@example.com", mine]
    details = paused.approval.payload["details"]
    assert details["recipients"] == ["bob@example.com", mine] and details["outside_this_account"] == ["bob@example.com"]
    assert details["subject"].startswith("[Test] ")
    # The colleague's call may still be finishing on the tool node's worker thread when the pause is reported.
    for _ in range(100):
        if _logged(demo_world, draft.id):
            break
        await asyncio.sleep(0.05)
    assert [str(_read(p)["To"]) for p in outbox.messages(demo_world.account_id)] == [colleague]
    assert _logged(demo_world, draft.id) == 1

    approved = await run(decision={"decisions": [{"type": "approve"}]}, thread_id=paused.thread_id)
    assert approved.status == "success"
    assert [json.loads(t.output)["recipients"] for t in approved.tool_results] == [[colleague], ["bob@example.com", mine]]
    # The same approval delivered again (a double click, a retried request) sends nothing more.
    await run(decision={"decisions": [{"type": "approve"}]}, thread_id=paused.thread_id)
    sent_to = sorted(str(_read(p)["To"]) for p in outbox.messages(demo_world.account_id))
    assert sent_to == sorted(["bob@example.com", mine, colleague])
    assert _logged(demo_world, draft.id) == 2


async def test_rejected_outside_test_sends_nothing(demo_world, run, outbox) -> None:
    draft = _draft(demo_world, "Rejected test")
    paused = await run([("send_test_email", {"campaign": draft.name, "to": ["bob@example.com"]})])
    assert paused.approval is not None
    rejected = await run(decision={"decisions": [{"type": "reject"}]}, thread_id=paused.thread_id)
    assert "Nothing was sent" in rejected.tool_results[0].output
    assert outbox.messages(demo_world.account_id) == [] and _logged(demo_world, draft.id) == 0


async def test_bad_requests_fail_before_any_approval(demo_world, run, outbox) -> None:
    draft = _draft(demo_world, "Bad test")
    r = await run([("send_test_email", {"campaign": draft.name, "to": ["bob@example"]}),
                   ("send_test_email", {"campaign": draft.name, "to": [f"p{i}@example.com" for i in range(6)]})])
    assert r.approval is None and [t.status for t in r.tool_results] == ["error", "error"]
    assert "'bob@example' is not a valid address" in r.tool_results[0].output
    assert "at most 5 addresses" in r.tool_results[1].output
    assert outbox.messages(demo_world.account_id) == []


async def test_a_bad_smtp_url_is_reported_not_crashed(demo_world, run, outbox, monkeypatch) -> None:
    draft = _draft(demo_world, "Smtp url test")
    monkeypatch.setenv("ACTIVEINTEL_SMTP_URL", "mail.example.com:25")
    r = await run([("send_test_email", {"campaign": draft.name})])
    assert r.tool_results[0].status == "error" and "ACTIVEINTEL_SMTP_URL must look like" in r.tool_results[0].output


async def test_another_tenant_cannot_test_send_this_accounts_campaign(demo_world, run, outbox) -> None:
    draft = _draft(demo_world, "Tenant test")
    r = await run([("send_test_email", {"campaign": str(draft.id)}), ("send_test_email", {"campaign": draft.name})],
                  account_id=demo_world.other_account_id, user_id=demo_world.other_user_id)
    assert [t.status for t in r.tool_results] == ["error", "error"]
    assert outbox.messages(demo_world.account_id) == [] and outbox.messages(demo_world.other_account_id) == []
    assert _logged(demo_world, draft.id) == 0
