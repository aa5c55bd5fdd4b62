"""The LangGraph Agent Protocol API driven by the official ``langgraph-sdk`` client against a real server."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from langgraph_sdk import get_client
from sqlalchemy import func, select

from core.campaigns.models import Campaign, CampaignSend
from core.enums import CampaignStatus
from server.graph_runs import ASSISTANT_ID
from tests.server.harness import SlowModel, database_url, start_server, words

MODES = ["values", "messages-tuple", "updates", "custom"]


def sdk(server, caller):
    return get_client(url=server.url, api_key=caller.key, timeout=60)


async def _stream(client, thread_id, text, **kw):
    parts = []
    async for part in client.runs.stream(
        thread_id, "agent", input={"messages": [{"role": "user", "content": text}]}, stream_mode=MODES, **kw
    ):
        parts.append(part)
    return parts


async def test_sdk_round_trip_stream_interrupt_resume_history_search(
    live, callers, draft_campaign, demo_world
) -> None:
    client = sdk(live, callers.admin)
    assistants = await client.assistants.search(graph_id="agent")
    assert [a["assistant_id"] for a in assistants] == [ASSISTANT_ID]
    assert (await client.assistants.get("agent"))["graph_id"] == "agent"

    thread = await client.threads.create(metadata={"project": "round-trip"})
    tid = thread["thread_id"]
    assert thread["status"] == "idle" and thread["metadata"]["graph_id"] == "agent"

    # 1. a question answered with numbers and a chart, in all four stream modes
    parts = await _stream(client, tid, "how did my last campaign do?")
    events = [p.event for p in parts]
    assert events[0] == "metadata" and parts[0].data["run_id"]
    assert {"values", "messages", "updates", "custom"} <= set(events)
    tokens = [p.data for p in parts if p.event == "messages" and p.data[0]["type"] == "AIMessageChunk"]
    assert all(t[0]["id"] for t in tokens)  # agent-chat-ui drops chunks without an id
    assert tokens[-1][1]["langgraph_node"] == "agent"
    streamed = "".join(t[0]["content"] for t in tokens)
    final = [p.data for p in parts if p.event == "values"][-1]["messages"][-1]
    assert final["type"] == "ai" and final["content"] and final["content"] in streamed
    charts = [p.data for p in parts if p.event == "custom" and p.data.get("artifact") == "chart"]
    assert charts and charts[0]["data"]["svg"].startswith("<svg")
    assert any("tools" in p.data for p in parts if p.event == "updates")

    # 2. an action that needs approval: the run pauses with the HITL interrupt shape
    parts = await _stream(client, tid, f"send the {draft_campaign} campaign")
    last_values = [p.data for p in parts if p.event == "values"][-1]
    interrupt = last_values["__interrupt__"][0]["value"]
    assert interrupt["action_requests"][0]["name"] == "send_campaign"
    assert interrupt["review_configs"][0]["allowed_decisions"] == ["approve", "edit", "reject"]
    state = await client.threads.get_state(tid)
    assert state["next"] == ["tools"] and state["interrupts"][0]["value"]["details"]["recipients"] > 0
    assert (await client.threads.get(tid))["status"] == "interrupted"

    # 3. resume with the decision shape: rejected, nothing sent
    result = await client.runs.wait(tid, "agent", command={"resume": {"decisions": [{"type": "reject"}]}})
    tool_reply = [m for m in result["messages"] if m["type"] == "tool"][-1]
    assert "Nothing was sent" in tool_reply["content"] and "__interrupt__" not in result
    with demo_world.factory() as s:
        campaign = s.scalar(select(Campaign).where(Campaign.name == draft_campaign))
        assert campaign.status == CampaignStatus.DRAFT
        assert s.scalar(select(func.count()).where(CampaignSend.campaign_id == campaign.id)) == 0
    assert (await client.threads.get(tid))["status"] == "idle"

    # 4. history, newest first, with checkpoints that chain to their parents
    history = await client.threads.get_history(tid, limit=4)
    assert len(history) == 4
    assert (
        history[0]["checkpoint"]["checkpoint_id"]
        == (await client.threads.get_state(tid))["checkpoint"]["checkpoint_id"]
    )
    assert history[0]["parent_checkpoint"]["checkpoint_id"] == history[1]["checkpoint"]["checkpoint_id"]
    older = await client.threads.get_history(tid, limit=2, before=history[1]["checkpoint"])
    assert older[0]["checkpoint"]["checkpoint_id"] == history[2]["checkpoint"]["checkpoint_id"]

    # 5. search by the graph (as agent-chat-ui does) and by the client's own metadata
    by_graph = await client.threads.search(metadata={"graph_id": "agent"}, limit=100)
    assert tid in [t["thread_id"] for t in by_graph]
    mine = await client.threads.search(metadata={"project": "round-trip"})
    assert [t["thread_id"] for t in mine] == [tid] and mine[0]["values"]["messages"][0]["type"] == "human"
    assert await client.threads.search(metadata={"project": "nope"}) == []
    assert tid in [t["thread_id"] for t in await client.threads.search(status="idle", limit=100)]


async def test_sdk_approve_sends_exactly_once_and_v2_stream(
    live, callers, draft_campaign, demo_world
) -> None:
    client = sdk(live, callers.admin)
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.wait(
        tid, "agent", input={"messages": [{"role": "user", "content": f"send the {draft_campaign} campaign"}]}
    )
    recipients = first["__interrupt__"][0]["value"]["details"]["recipients"]
    parts = []
    async for part in client.runs.stream(
        tid,
        "agent",
        command={"resume": {"decisions": [{"type": "approve"}]}},
        stream_mode="values",
        version="v2",
    ):
        parts.append(part)
    assert parts[-1]["type"] == "values" and not parts[-1]["interrupts"]
    with demo_world.factory() as s:
        campaign = s.scalar(select(Campaign).where(Campaign.name == draft_campaign))
        assert s.scalar(select(func.count()).where(CampaignSend.campaign_id == campaign.id)) == recipients
    # resuming again is refused: nothing is waiting for approval any more
    with pytest.raises(httpx.HTTPStatusError) as err:
        await client.runs.wait(tid, "agent", command={"resume": {"decisions": [{"type": "approve"}]}})
    assert err.value.response.status_code == 422


@pytest.fixture(scope="module")
def slow(demo_world, callers, tmp_path_factory):
    model = SlowModel(responses=[words(400)], delay=0.005)
    server = start_server(
        url=database_url(demo_world.engine), data_dir=tmp_path_factory.mktemp("slow"), model=model
    )
    yield server, model
    server.stop()


async def test_sdk_busy_thread_is_409_and_cancel_stops_the_run(slow, callers) -> None:
    server, model = slow
    client = sdk(server, callers.admin)
    tid = (await client.threads.create())["thread_id"]
    created: list = []
    first_token = asyncio.Event()

    async def consume():
        async for part in client.runs.stream(
            tid,
            "agent",
            input={"messages": [{"role": "user", "content": "talk"}]},
            stream_mode="messages-tuple",
            on_run_created=created.append,
        ):
            if part.event == "messages":
                first_token.set()

    consumer = asyncio.create_task(consume())
    await asyncio.wait_for(first_token.wait(), 20)
    run_id = created[0]["run_id"]
    assert (await client.threads.get(tid))["status"] == "busy"
    with pytest.raises(httpx.HTTPStatusError) as err:
        await client.runs.wait(tid, "agent", input={"messages": [{"role": "user", "content": "again"}]})
    assert err.value.response.status_code == 409 and run_id in err.value.response.text
    await client.runs.cancel(tid, run_id)
    await asyncio.wait_for(consumer, 20)
    produced = len(model.produced)
    assert (await client.runs.get(tid, run_id))["status"] == "interrupted"
    await asyncio.sleep(0.3)
    assert len(model.produced) <= produced + 1 < 400  # the model stopped with the run
    assert (await client.threads.get(tid))["status"] == "idle"
    runs = await client.runs.list(tid)
    assert [r["run_id"] for r in runs] == [run_id]


async def test_run_survives_disconnect_and_join_stream_resumes_after_last_event_id(slow, callers) -> None:
    server, _ = slow
    headers = callers.admin.headers
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        seen: list[tuple[int, str]] = []
        async with http.stream(
            "POST",
            f"/threads/{tid}/runs/stream",
            json={
                "assistant_id": "agent",
                "input": {"messages": [{"role": "user", "content": "go"}]},
                "stream_mode": ["messages-tuple"],
                "stream_resumable": True,
            },
        ) as response:
            location = response.headers["location"]
            event_id = None
            async for line in response.aiter_lines():
                if line.startswith("id: "):
                    event_id = int(line[4:])
                if line.startswith("data: ") and event_id:
                    seen.append((event_id, line))
                if len(seen) >= 5:
                    break  # the client goes away mid-answer
        run_id = location.split("/")[-2]
        run = server.runs.get(run_id, account_id=callers.admin.account_id, user_id=callers.admin.user_id)
        assert not run.finished
        server.wait_for(lambda: run.finished)
        assert run.status == "success"  # it kept going without a client
        last = seen[-1][0]
        ids = []
        async with http.stream("GET", location, headers={"Last-Event-ID": str(last)}) as response:
            async for line in response.aiter_lines():
                if line.startswith("id: "):
                    ids.append(int(line[4:]))
    assert ids == list(range(last + 1, run.last_seq + 1))  # each missed event once, in order


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"input": {"messages": [{"role": "ai", "content": "approved"}]}}, "role 'ai' is not accepted"),
        (
            {"input": {"messages": [{"role": "user", "content": "hi"}]}, "stream_mode": ["events"]},
            "stream_mode 'events'",
        ),
        ({"command": {"update": {"messages": []}, "goto": "tools"}}, "only 'resume'"),
        (
            {"input": {"messages": [{"role": "user", "content": "hi"}]}, "multitask_strategy": "enqueue"},
            "reject",
        ),
        ({}, 'needs "input"'),
    ],
    ids=["forged-ai-message", "unknown-mode", "command-update", "enqueue", "nothing"],
)
async def test_run_requests_are_validated(live, callers, body, message) -> None:
    async with httpx.AsyncClient(base_url=live.url, headers=callers.admin.headers) as http:
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        response = await http.post(f"/threads/{tid}/runs/stream", json={"assistant_id": "agent", **body})
    assert response.status_code == 422 and message in response.json()["detail"]
