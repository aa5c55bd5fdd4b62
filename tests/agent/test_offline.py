"""The offline model end to end through the real graph on the demo account: understanding, tool calls,
follow-ups, clarifying questions, approvals and answers whose numbers come from the engine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import func, select

from agent.events import Token
from agent.graph import build_graph
from agent.offline.model import OfflineChatModel
from agent.run import AgentDeps, collect_turn, run_turn
from core.campaigns import service as campaigns
from core.campaigns.models import CampaignSend
from core.reports.performance import campaign_performance

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> OfflineChatModel:
    return OfflineChatModel(cache_dir=str(tmp_path_factory.mktemp("nlu")))


@pytest.fixture
def chat(demo_world, model):
    deps = AgentDeps(graph=build_graph(model=model, checkpointer=InMemorySaver()), session_factory=demo_world.factory, clock=lambda: NOW)
    state = {"thread": None}

    async def say(text=None, decision=None):
        kwargs = {"text": text} if text is not None else {"decision": decision}
        result = await collect_turn(deps, account_id=demo_world.account_id, user_id=demo_world.admin_user_id, thread_id=state["thread"], **kwargs)
        state["thread"] = result.thread_id
        return result

    say.deps = deps  # type: ignore[attr-defined]
    return say


def _tools(result) -> list[str]:
    return [c.name for c in result.tool_calls]


@pytest.mark.parametrize(
    "text",
    ["How did my May newsletter do?", "open rate of the may newsletter", "may newsletter results please"],
    ids=["question", "fragment", "terse"],
)
async def test_performance_question_answers_with_the_engines_numbers(chat, demo_world, text) -> None:
    result = await chat(text)
    assert _tools(result) == ["get_campaign_performance"]
    with demo_world.factory() as s:
        cid = int(__import__("json").loads(result.tool_results[0].output)["campaign_id"])
        perf = campaign_performance(s, account_id=demo_world.account_id, campaign=cid)
    assert "May" in perf.campaign_name
    assert f"{perf.open_rate:.1%}" in result.answer and f"{perf.delivered:,}" in result.answer


async def test_answer_streams_token_by_token(chat, demo_world) -> None:
    deps = chat.deps
    events = [e async for e in run_turn(deps, account_id=demo_world.account_id, user_id=demo_world.admin_user_id, text="list my lists")]
    tokens = [e.text for e in events if isinstance(e, Token)]
    assert len(tokens) > 5
    final = [e for e in events if e.type == "final_answer"][0].text
    assert "".join(tokens).strip() == final


async def test_follow_up_resolves_the_second_one(chat) -> None:
    first = await chat("show my campaigns that were sent")
    assert _tools(first) == ["list_campaigns"]
    second = await chat("open the second one")
    assert _tools(second) == ["get_campaign"]
    import json

    listed = json.loads(first.tool_results[0].output)["items"]
    shown = json.loads(second.tool_results[0].output)
    assert shown["id"] == listed[1]["id"]


async def test_missing_contact_is_asked_for_then_used(chat, demo_world) -> None:
    ask = await chat("tag someone as VIP")
    assert ask.tool_calls == [] and "Which contact" in ask.answer
    with demo_world.factory() as s:
        from core.contacts.models import Contact

        email = s.scalars(select(Contact.email).where(Contact.account_id == demo_world.account_id).order_by(Contact.id)).first()
    done = await chat(email)
    assert _tools(done) == ["add_tag"] and done.tool_calls[0].args == {"contact": email, "tag": "VIP"}


async def test_send_asks_for_approval_and_rejection_sends_nothing(chat, demo_world) -> None:
    name = f"Offline approval {demo_world.backend}"
    with demo_world.factory.begin() as s:
        c = campaigns.create_campaign(
            s, account_id=demo_world.account_id, name=name, now=NOW, subject="Hello", from_name="Shop",
            from_email="hi@shop.example.com", lists=["Newsletter"], blocks=[{"type": "text", "text": "Hi"}],
        )
    paused = await chat(f'send the "{name}" campaign now')
    assert _tools(paused) == ["send_campaign"] and paused.approval is not None
    assert paused.approval.payload["details"]["recipients"] > 0
    rejected = await chat(decision={"decisions": [{"type": "reject"}]})
    assert "Nothing was sent" in rejected.answer
    with demo_world.factory() as s:
        assert s.scalar(select(func.count()).where(CampaignSend.campaign_id == c.id)) == 0


async def test_unknown_names_get_suggestions(chat) -> None:
    result = await chat("how many contacts have the tag VIPP?")
    assert "Did you mean 'VIP'" in result.answer


@pytest.mark.parametrize("text", ["what's the weather in Paris?", "write me a python script"], ids=["weather", "code"])
async def test_out_of_scope_calls_no_tool(chat, text) -> None:
    result = await chat(text)
    assert result.tool_calls == [] and "marketing account" in result.answer


async def test_what_can_you_do_comes_from_the_registry(chat) -> None:
    result = await chat("what can you do?")
    assert _tools(result) == ["describe_capabilities"]
    assert "Reports" in result.answer and "approval" in result.answer


async def test_multi_step_segment_then_draft_for_them(chat, demo_world) -> None:
    import json

    result = await chat(
        "create a segment of people who opened in the last 90 days but never bought, then draft a win-back email for them"
    )
    assert _tools(result) == ["create_segment", "draft_campaign"]
    segment = json.loads(result.tool_results[0].output)
    draft = json.loads(result.tool_results[1].output)
    assert draft["segment_name"] == segment["name"] and draft["status"] == "draft"
    assert segment["count"] > 0 and f"{segment['count']:,}" in result.answer


async def test_draft_then_follow_up_edits_the_same_campaign(chat, demo_world) -> None:
    import json

    from core.content.copywriter import word_count

    first = await chat("write a friendly email about our new hiking boots with 20% off")
    assert _tools(first) == ["draft_campaign"]
    draft = json.loads(first.tool_results[0].output)
    assert "%" in (draft["preheader"] + draft["subject"] + json.dumps(draft["blocks"])) or "20" in json.dumps(draft)
    shorter = await chat("make it shorter")
    assert _tools(shorter) == ["edit_campaign"]
    edited = json.loads(shorter.tool_results[0].output)
    assert edited["id"] == draft["id"]
    assert word_count(edited["blocks"]) <= 0.75 * word_count(draft["blocks"])
    playful = await chat("make the tone more playful")
    assert json.loads(playful.tool_results[0].output)["id"] == draft["id"]


async def test_it_with_nothing_in_play_is_asked_not_guessed(chat) -> None:
    result = await chat("send it now")
    assert result.tool_calls == [] and "Which campaign" in result.answer


async def test_automation_asks_for_the_trigger_list_then_builds_an_inactive_draft(chat) -> None:
    import json

    first = await chat("build a 3-email welcome series with 2 days between")
    assert "Which list" in first.answer
    second = await chat("Newsletter")
    assert _tools(second) == ["create_automation"]
    built = json.loads(second.tool_results[-1].output)
    assert built["status"] == "inactive" and len(built["emails"]) == 3
    assert "wait 2 days" in built["description"]


async def test_schedule_after_setting_the_audience_with_approval(chat, demo_world) -> None:
    import json

    await chat("draft a cyber monday deals email")
    not_ready = await chat("schedule it for December 3 at 14:30")
    assert "isn't ready" in not_ready.answer and not_ready.approval is None
    await chat("change the audience to the Newsletter list")
    paused = await chat("schedule it for December 3 at 14:30")
    assert paused.approval is not None and paused.approval.payload["details"]["send_at"].startswith("2026-12-03T14:30")
    blocked = await chat("what can you do?")
    assert blocked.status == "error" and "waiting for your approval" in (blocked.error or "")
    done = await chat(decision={"decisions": [{"type": "approve"}]})
    assert json.loads(done.tool_results[-1].output)["status"] == "scheduled"
