"""Tools through the real graph (ToolNode) on the demo account: results, errors, approvals, tenant scope."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import func, select

from agent.graph import build_graph
from agent.run import AgentDeps, collect_turn
from core.campaigns.models import Campaign, CampaignSend
from core.enums import CampaignStatus
from tests.agent.fakes import ScriptedChatModel, call

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


async def _run(world, calls, *, account_id=None, user_id=None, thread_id=None, decision=None, text="go"):
    model = ScriptedChatModel(responses=[AIMessage("", tool_calls=[call(n, a) for n, a in calls]), "done"])
    deps = AgentDeps(graph=build_graph(model=model, checkpointer=_SAVER), session_factory=world.factory, clock=lambda: NOW)
    kwargs = {"decision": decision} if decision else {"text": text}
    return await collect_turn(
        deps, account_id=account_id or world.account_id, user_id=user_id or world.admin_user_id,
        thread_id=thread_id, **kwargs,
    )


_SAVER = InMemorySaver()


def _out(result, i=0):
    return json.loads(result.tool_results[i].output)


async def test_read_tools_answer_from_the_account(demo_world) -> None:
    r = await _run(demo_world, [("list_lists", {}), ("list_tags", {}), ("list_segments", {}), ("list_pipelines", {})])
    assert all(t.status == "success" for t in r.tool_results)
    lists = _out(r, 0)
    assert lists["object"] == "list" and lists["item_kind"] == "list" and len(lists["items"]) >= 3
    assert "VIP" in [t["name"] for t in _out(r, 1)["items"]]


async def test_campaign_performance_and_chart(demo_world) -> None:
    r = await _run(demo_world, [("get_campaign_performance", {"campaign": "the June newsletter"})])
    perf = _out(r)
    assert perf["object"] == "campaign_performance" and perf["delivered"] > 0
    assert 0 < perf["open_rate"] < 1
    chart = [a for a in r.artifacts if a.kind == "chart"][0].data
    assert chart["svg"].startswith("<svg") and chart["vega_lite"]["mark"] and chart["table"][0]["open_rate"] == perf["open_rate"]


async def test_period_performance_and_explanation(demo_world) -> None:
    r = await _run(demo_world, [("get_period_performance", {"period": "last 90 days"}), ("explain_performance_change", {"metric": "open_rate", "period": "last month"})])
    period = _out(r, 0)
    assert period["totals"]["campaigns"] == len(period["campaigns"]) > 0
    explanation = _out(r, 1)
    assert explanation["object"] == "change_explanation" and explanation["reasons"]


async def test_segment_preview_counts_and_unknown_tag_suggests(demo_world) -> None:
    conditions = [{"type": "engagement", "action": "open", "op": "has", "period": {"last_days": 90}},
                  {"type": "purchase", "op": "has_not", "period": {"last_days": 90}}]
    r = await _run(demo_world, [("preview_segment", {"conditions": conditions}), ("preview_segment", {"conditions": [{"type": "tag", "tag": "VIPP", "op": "has"}]})])
    preview = _out(r, 0)
    assert preview["count"] > 0 and len(preview["sample"]) <= 5
    assert r.tool_results[1].status == "error" and "Did you mean 'VIP'" in r.tool_results[1].output


async def test_troubleshoot_finds_the_failed_campaign(demo_world) -> None:
    r = await _run(demo_world, [("troubleshoot_campaign", {})])
    diagnosis = _out(r)
    assert diagnosis["status"] in ("failed", "scheduled") and diagnosis["causes"]


async def test_tools_never_cross_tenants(demo_world) -> None:
    with demo_world.factory() as s:
        cid = s.scalars(select(Campaign.id).where(Campaign.account_id == demo_world.account_id)).first()
    r = await _run(
        demo_world, [("get_campaign", {"campaign": str(cid)}), ("get_campaign_performance", {"campaign": str(cid)}), ("list_lists", {})],
        account_id=demo_world.other_account_id, user_id=demo_world.other_user_id,
    )
    assert [t.status for t in r.tool_results[:2]] == ["error", "error"]
    assert _out(r, 2)["items"] == []


async def test_send_campaign_needs_approval_and_rejection_sends_nothing(demo_world) -> None:
    with demo_world.factory.begin() as s:
        from core.campaigns import service as campaigns

        c = campaigns.create_campaign(
            s, account_id=demo_world.account_id, name=f"Approval test {demo_world.backend}", now=NOW, subject="Hi",
            from_name="Shop", from_email="hi@shop.example.com", lists=["Newsletter"] if _has_list(s, demo_world) else None,
            blocks=[{"type": "text", "text": "Hello"}],
        )
    first = await _run(demo_world, [("send_campaign", {"campaign": c.name})])
    assert first.approval is not None
    details = first.approval.payload["details"]
    assert details["recipients"] > 0 and "excluded_unsubscribed" in details
    rejected = await _run(demo_world, [], thread_id=first.thread_id, decision={"decisions": [{"type": "reject"}]})
    assert "Nothing was sent" in rejected.tool_results[0].output
    with demo_world.factory() as s:
        assert s.scalar(select(func.count()).where(CampaignSend.campaign_id == c.id)) == 0
        assert s.get(Campaign, c.id).status == CampaignStatus.DRAFT
    again = await _run(demo_world, [("send_campaign", {"campaign": c.name})])
    approved = await _run(demo_world, [], thread_id=again.thread_id, decision={"decisions": [{"type": "approve"}]})
    result = json.loads(approved.tool_results[0].output)
    with demo_world.factory() as s:
        assert s.scalar(select(func.count()).where(CampaignSend.campaign_id == c.id)) == result["sent"] == details["recipients"]


def _has_list(session, world) -> bool:
    from core.contacts.models import MailingList

    return session.scalar(select(MailingList.id).where(MailingList.account_id == world.account_id, MailingList.name == "Newsletter")) is not None


@pytest.mark.parametrize("tool", ["search_help"])
async def test_retrieval_tool_without_store_says_so(demo_world, tool) -> None:
    r = await _run(demo_world, [(tool, {"question": "how do I track my website"})])
    assert r.tool_results[0].status == "error" and "not set up" in r.tool_results[0].output
