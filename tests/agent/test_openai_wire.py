"""The ChatOpenAI path through the real graph, against a fake chat-completions server at the wire.

The fake speaks the OpenAI protocol (SSE chunks with tool-call deltas, usage, [DONE]); everything between it
and run_turn is production code: make_model, ChatOpenAI and the openai SDK, the graph, ToolNode and the tools.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import func, select
from starlette.testclient import TestClient

from agent.events import (
    ApprovalRequest,
    Artifact,
    ErrorEvent,
    FinalAnswer,
    RunEnded,
    RunStarted,
    Token,
    ToolFinished,
    ToolStarted,
)
from agent.graph import build_graph
from agent.models import make_model
from agent.run import AgentDeps, collect_turn, run_turn
from core.accounts.service import get_account
from core.campaigns import service as campaigns
from core.campaigns.lookup import resolve_campaign_id
from core.campaigns.models import Campaign, CampaignSend
from core.chats import service as chats
from core.config import Settings
from core.enums import CampaignStatus
from core.errors import InvalidRequest
from core.reports.performance import campaign_performance
from tools.base import all_tools

from .fake_openai import BASE_URL, FakeOpenAI, error, serve, text, tool_call

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
KEY = "sk-wire-test"
SENT = (CampaignStatus.SENT, CampaignStatus.SENDING)


def _settings(base_url: str | None = BASE_URL, key: str | None = KEY) -> Settings:
    return Settings(ACTIVEINTEL_MODEL="openai:fake-model", OPENAI_BASE_URL=base_url, OPENAI_API_KEY=key)


def _deps(world: Any, model: Any) -> AgentDeps:
    graph = build_graph(model=model, checkpointer=InMemorySaver())
    return AgentDeps(graph=graph, session_factory=world.factory, clock=lambda: NOW)


@pytest.fixture
def fake() -> FakeOpenAI:
    return FakeOpenAI()


@pytest.fixture
def deps(demo_world: Any, fake: FakeOpenAI) -> AgentDeps:
    return _deps(demo_world, make_model(_settings(), http_async_client=fake.async_client()))


async def _events(deps: AgentDeps, world: Any, **kwargs: Any) -> list[Any]:
    # A hang is a failure too: every turn here must finish well inside the limit.
    async def run() -> list[Any]:
        return [
            e
            async for e in run_turn(deps, account_id=world.account_id, user_id=world.admin_user_id, **kwargs)
        ]

    return await asyncio.wait_for(run(), timeout=30)


def _of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def _engine_performance(world: Any, ref: str) -> dict[str, Any]:
    with world.factory() as s:
        tz = get_account(s, account_id=world.account_id).timezone
        cid = resolve_campaign_id(s, account_id=world.account_id, ref=ref, now=NOW, tz=tz, statuses=SENT)
        perf = campaign_performance(s, account_id=world.account_id, campaign=cid)
    return {"object": "campaign_performance", **perf.model_dump(mode="json", exclude_none=True)}


async def test_streamed_tool_call_runs_the_tool_and_the_answer_streams(demo_world, fake, deps) -> None:
    expected = _engine_performance(demo_world, "the May newsletter")
    assert "May" in expected["campaign_name"] and expected["delivered"] > 0
    delivered, rate = expected["delivered"], expected["open_rate"]
    answer = f"Your May newsletter reached {delivered:,} people and {rate:.1%} opened it."
    fake.script(
        tool_call("get_campaign_performance", {"campaign": "the May newsletter"}, "call_perf_1"),
        text(answer),
    )
    events = await _events(deps, demo_world, text="How did my May newsletter do?")

    assert [(e.call_id, e.name, e.args) for e in _of(events, ToolStarted)] == [
        ("call_perf_1", "get_campaign_performance", {"campaign": "the May newsletter"})
    ]
    [finished] = _of(events, ToolFinished)
    assert finished.status == "success" and finished.name == "get_campaign_performance"
    assert json.loads(finished.output) == expected
    assert any(a.kind == "chart" for a in _of(events, Artifact))
    tokens = [e.text for e in _of(events, Token)]
    assert len(tokens) > 5 and "".join(tokens) == answer
    assert [e.text for e in _of(events, FinalAnswer)] == [answer]
    assert events[-1] == RunEnded(status="success")

    first, second = fake.requests
    assert all(r["model"] == "fake-model" and r["stream"] is True for r in fake.requests)
    assert first["stream_options"] == {"include_usage": True}
    assert all(h["authorization"] == f"Bearer {KEY}" for h in fake.headers)
    # The system prompt, then the user's words.
    assert (
        first["messages"][0]["role"] == "system" and "You are ActiveIntel" in first["messages"][0]["content"]
    )
    assert "CATALOG: " in first["messages"][0]["content"]
    assert first["messages"][1:] == [{"role": "user", "content": "How did my May newsletter do?"}]
    # Tools in OpenAI format, named as in our registry, with the run context hidden from the model.
    sent_tools = first["tools"]
    assert all(
        t["type"] == "function" and t["function"]["parameters"]["type"] == "object" for t in sent_tools
    )
    assert sorted(t["function"]["name"] for t in sent_tools) == sorted(t.name for t in all_tools())
    perf_tool = next(t["function"] for t in sent_tools if t["function"]["name"] == "get_campaign_performance")
    assert "campaign" in perf_tool["parameters"]["properties"] and perf_tool["description"]
    assert not any("runtime" in t["function"]["parameters"].get("properties", {}) for t in sent_tools)
    # The second request carries the assistant's tool call and the tool's result.
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "tool"]
    assistant, tool_msg = second["messages"][2:]
    assert assistant["tool_calls"] == [
        {
            "id": "call_perf_1",
            "type": "function",
            "function": {
                "name": "get_campaign_performance",
                "arguments": json.dumps({"campaign": "the May newsletter"}),
            },
        }
    ]
    assert tool_msg["tool_call_id"] == "call_perf_1" and json.loads(tool_msg["content"]) == expected

    # The usage chunk was parsed, and the chat was recorded for the history list.
    thread_id = _of(events, RunStarted)[0].thread_id
    state = await deps.graph.aget_state({"configurable": {"thread_id": thread_id}})
    last = state.values["messages"][-1]
    assert isinstance(last, AIMessage) and last.usage_metadata["total_tokens"] == 18
    with demo_world.factory() as s:
        thread = chats.get_thread(
            s, account_id=demo_world.account_id, user_id=demo_world.admin_user_id, thread_id=thread_id
        )
    assert thread.title == "How did my May newsletter do?" and thread.preview.startswith(
        "Your May newsletter"
    )

    # A follow-up turn in the same chat sends the whole conversation back.
    fake.script(text("You're welcome."))
    follow = await _events(deps, demo_world, text="thanks", thread_id=thread_id)
    assert [e.text for e in _of(follow, FinalAnswer)] == ["You're welcome."]
    roles = [(m["role"], m.get("content")) for m in fake.requests[-1]["messages"]]
    assert [r for r, _ in roles] == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert roles[4][1] == answer and roles[5][1] == "thanks"


async def test_domain_error_goes_back_to_the_model_as_a_tool_message(demo_world, fake, deps) -> None:
    vipp = {"conditions": [{"type": "tag", "tag": "VIPP", "op": "has"}]}
    fake.script(
        tool_call("preview_segment", vipp, "call_bad"), text("There is no VIPP tag; did you mean VIP?")
    )
    events = await _events(deps, demo_world, text="how many contacts are tagged VIPP?")
    [finished] = _of(events, ToolFinished)
    assert finished.status == "error" and "Did you mean 'VIP'" in finished.output
    tool_msg = fake.requests[1]["messages"][-1]
    assert tool_msg["role"] == "tool" and tool_msg["tool_call_id"] == "call_bad"
    assert "Did you mean 'VIP'" in tool_msg["content"]
    assert events[-1] == RunEnded(status="success")


def _draft(world: Any, label: str) -> Any:
    with world.factory.begin() as s:
        return campaigns.create_campaign(
            s,
            account_id=world.account_id,
            name=f"Wire {label} {world.backend} {uuid.uuid4().hex[:6]}",
            now=NOW,
            subject="Summer hello",
            from_name="Shop",
            from_email="hi@shop.example.com",
            lists=["Newsletter"],
            blocks=[{"type": "text", "text": "Hello from the shop"}],
        )


def _sends(world: Any, campaign_id: int) -> tuple[int, CampaignStatus]:
    with world.factory() as s:
        count = s.scalar(select(func.count()).where(CampaignSend.campaign_id == campaign_id))
        return count, s.get(Campaign, campaign_id).status


@pytest.mark.parametrize("decision", ["approve", "reject"])
async def test_send_campaign_approval_with_chatopenai(demo_world, fake, deps, decision) -> None:
    draft = _draft(demo_world, decision)
    fake.script(tool_call("send_campaign", {"campaign": draft.name}, "call_send_1"))
    paused = await _events(deps, demo_world, text=f"send {draft.name} now")
    [approval] = _of(paused, ApprovalRequest)
    assert paused[-1] == RunEnded(status="interrupted") and not _of(paused, FinalAnswer)
    request = approval.payload["action_requests"][0]
    assert request["name"] == "send_campaign" and request["args"] == {"campaign": draft.name}
    recipients = approval.payload["details"]["recipients"]
    assert recipients > 0 and "excluded_unsubscribed" in approval.payload["details"]
    assert _sends(demo_world, draft.id) == (0, CampaignStatus.DRAFT)  # nothing happens before the decision
    assert len(fake.requests) == 1

    thread_id = paused[0].thread_id
    fake.script(text("Sent." if decision == "approve" else "Okay, I did not send it."))
    resumed = await _events(
        deps, demo_world, thread_id=thread_id, decision={"decisions": [{"type": decision}]}
    )
    assert resumed[-1] == RunEnded(status="success")
    [finished] = _of(resumed, ToolFinished)
    told = fake.requests[-1]["messages"][-1]
    assert (
        told["role"] == "tool"
        and told["tool_call_id"] == "call_send_1"
        and told["content"] == finished.output
    )
    if decision == "approve":
        result = json.loads(finished.output)
        assert result["object"] == "send_result" and result["sent"] == recipients
        # Exactly once, although the tool node re-ran from the top on resume.
        assert _sends(demo_world, draft.id) == (recipients, CampaignStatus.SENT)
    else:
        assert "rejected" in finished.output and "Nothing was sent" in finished.output
        assert _sends(demo_world, draft.id) == (0, CampaignStatus.DRAFT)
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("status", "requests"), [(500, 3), (400, 1)], ids=["server-error-retried", "bad-request"]
)
async def test_model_http_error_surfaces_as_an_error_not_a_hang(
    demo_world, fake, deps, status, requests
) -> None:
    fake.script(*[error(status)] * requests)
    events: list[Any] = []
    raised: BaseException | None = None
    try:
        async with asyncio.timeout(30):
            async for event in run_turn(
                deps, account_id=demo_world.account_id, user_id=demo_world.admin_user_id, text="hi"
            ):
                events.append(event)
    except openai.APIStatusError as exc:
        raised = exc
    # Either run_turn raises the provider error (the surfaces report it) or it yields an error event;
    # never an answer.
    if raised is not None:
        assert raised.status_code == status
    else:
        assert _of(events, ErrorEvent) and events[-1] == RunEnded(status="error")
    assert not _of(events, FinalAnswer)
    assert len(fake.requests) == requests  # 5xx retried max_retries=2 times by the client, 4xx not at all
    # The chat is still usable afterwards.
    fake.script(text("Hello again."))
    again = await _events(deps, demo_world, text="hello?", thread_id=events[0].thread_id)
    assert [e.text for e in _of(again, FinalAnswer)] == ["Hello again."]


async def test_real_http_server_and_a_key_free_local_model(demo_world, fake) -> None:
    """Over a real socket (uvicorn), with only OPENAI_BASE_URL set, as for vLLM / llama.cpp / Ollama."""
    fake.script(tool_call("list_lists", {}, "call_lists"), text("You have these lists."))
    with serve(fake.app) as base_url:
        model = make_model(_settings(base_url=base_url, key=None))
        result = await asyncio.wait_for(
            collect_turn(
                _deps(demo_world, model),
                account_id=demo_world.account_id,
                user_id=demo_world.admin_user_id,
                text="list my lists",
            ),
            timeout=30,
        )
    assert result.status == "success" and result.answer == "You have these lists."
    listed = json.loads(result.tool_results[0].output)
    assert listed["item_kind"] == "list" and "Newsletter" in [i["name"] for i in listed["items"]]
    assert fake.headers[0]["authorization"] == "Bearer not-needed"


def test_non_streaming_sync_client_parses_tool_calls_and_usage(fake) -> None:
    fake.script(tool_call("list_lists", {}, "call_sync"), text("Plain answer."))
    with TestClient(fake.app) as client:
        model = make_model(_settings(), http_client=client)
        bound = model.bind_tools(all_tools())
        first = bound.invoke([SystemMessage("sys"), HumanMessage("list my lists")])
        second = model.invoke("hi")
    assert first.tool_calls == [{"name": "list_lists", "args": {}, "id": "call_sync", "type": "tool_call"}]
    assert first.usage_metadata["total_tokens"] == 18
    assert second.content == "Plain answer."
    assert "stream" not in fake.requests[0] or fake.requests[0]["stream"] is False
    assert "tools" in fake.requests[0] and "tools" not in fake.requests[1]


def test_missing_key_without_base_url_is_a_clear_error() -> None:
    with pytest.raises(InvalidRequest, match="needs OPENAI_API_KEY") as info:
        make_model(_settings(base_url=None, key=None))
    assert info.value.field == "ACTIVEINTEL_MODEL" and "OPENAI_BASE_URL" in info.value.message
    with pytest.raises(InvalidRequest, match="not supported"):
        make_model(Settings(ACTIVEINTEL_MODEL="anthropic:claude"))
