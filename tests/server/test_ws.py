"""WebSocket chat (docs/websocket-protocol.md) with a real client against a real server: streaming, approvals,
cancel, busy, disconnect and resume, size limit, slow readers, idle and keepalive timeouts."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets
from sqlalchemy import func, select

from core.campaigns.models import Campaign, CampaignSend
from tests.server.harness import (
    SlowModel,
    WsClient,
    database_url,
    ended,
    masked_text_frame,
    raw_ws_connect,
    start_server,
    words,
)


async def _open(server, caller) -> tuple[object, WsClient]:
    conn = await websockets.connect(server.ws_url(caller.key), max_size=None)
    ws = WsClient(conn)
    ready = await ws.recv()
    assert ready["type"] == "ready" and ready["protocol"] == 1
    return conn, ws


def _run_events(messages, run_id):
    return [m for m in messages if m.get("run_id") == run_id and "seq" in m]


async def test_streamed_answer_with_tools_chart_and_numbered_events(live, callers) -> None:
    conn, ws = await _open(live, callers.admin)
    async with conn:
        await ws.send(
            type="message",
            thread_id="new",
            text="how did my last campaign do?",
            id="q1",
            page={"page": "reports"},
        )
        accepted = await ws.recv()
        assert accepted["type"] == "accepted" and accepted["ref"] == "q1"
        got = await ws.until(ended(accepted["run_id"]))
    events = _run_events(got, accepted["run_id"])
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    types = [e["type"] for e in events]
    assert types[0] == "run_started" and types[-1] == "run_ended" and events[-1]["status"] == "success"
    assert {"tool_started", "tool_finished", "artifact", "token", "final_answer"} <= set(types)
    started = next(e for e in events if e["type"] == "tool_started")
    assert started["name"] == "get_campaign_performance" and started["summary"].startswith(
        "get_campaign_performance("
    )
    assert next(e for e in events if e["type"] == "artifact")["kind"] == "chart"
    after_tools = types.index("tool_finished")
    streamed = "".join(e["text"] for e in events[after_tools:] if e["type"] == "token")
    final = next(e for e in events if e["type"] == "final_answer")["text"]
    assert final and streamed.strip() == final
    assert all(e["thread_id"] == accepted["thread_id"] for e in events)


async def test_approval_over_the_socket_sends_once(live, callers, draft_campaign, demo_world) -> None:
    conn, ws = await _open(live, callers.admin)
    async with conn:
        await ws.send(type="message", text=f"send the {draft_campaign} campaign")
        first = await ws.until(ended())
        approval = next(m for m in first if m["type"] == "approval_request")
        assert first[-1]["status"] == "interrupted"
        assert approval["payload"]["action_requests"][0]["name"] == "send_campaign"
        recipients = approval["payload"]["details"]["recipients"]
        thread = approval["thread_id"]
        await ws.send(type="decision", thread_id=thread, decision="approve")
        second = await ws.until(ended())
        assert second[-1]["status"] == "success"
        assert any(m["type"] == "tool_finished" and m["status"] == "success" for m in second)
        # a second decision finds nothing waiting
        await ws.send(type="decision", thread_id=thread, decision="approve")
        error = await ws.recv()
        assert (
            error["type"] == "error"
            and error["code"] == "invalid"
            and "no action waiting" in error["message"]
        )
    with demo_world.factory() as s:
        campaign = s.scalar(select(Campaign).where(Campaign.name == draft_campaign))
        assert s.scalar(select(func.count()).where(CampaignSend.campaign_id == campaign.id)) == recipients


@pytest.fixture(scope="module")
def slow(demo_world, callers, tmp_path_factory):
    model = SlowModel(responses=[words(300)], delay=0.01)
    server = start_server(
        url=database_url(demo_world.engine), data_dir=tmp_path_factory.mktemp("slow-ws"), model=model
    )
    yield server, model
    server.stop()


async def test_cancel_stops_the_run_and_says_so_and_busy_is_refused(slow, callers) -> None:
    server, model = slow
    conn, ws = await _open(server, callers.admin)
    async with conn:
        await ws.send(type="message", text="talk to me")
        accepted = await ws.recv()
        run_id, thread = accepted["run_id"], accepted["thread_id"]
        await ws.until(lambda m: m["type"] == "token")
        await ws.send(type="message", thread_id=thread, text="and another thing", id=7)
        busy = await ws.until(lambda m: m["type"] == "error")
        assert busy[-1]["code"] == "busy" and busy[-1]["run_id"] == run_id and busy[-1]["ref"] == 7
        await ws.send(type="cancel", run_id=run_id)
        got = await ws.until(ended(run_id))
        assert got[-1]["status"] == "cancelled"
        produced = len(model.produced)
        await asyncio.sleep(0.3)
        assert len(model.produced) <= produced + 1 < 300
        tokens = [m for m in ws.received if m["type"] == "token"]
        assert len(tokens) < 300
        # the chat is free again and answers the next message
        await ws.send(type="message", thread_id=thread, text="still there?")
        again = await ws.until(ended())
        assert again[-1]["status"] == "success"


async def test_disconnect_then_resume_gets_missed_events_exactly_once_in_order(slow, callers) -> None:
    server, _ = slow
    conn, ws = await _open(server, callers.colleague)
    await ws.send(type="message", text="tell me a long story")
    run_id = (await ws.recv())["run_id"]
    seen = await ws.until(lambda m: m.get("seq") == 20)
    await conn.close()  # the client disappears mid-answer
    run = server.runs.get(run_id, account_id=callers.colleague.account_id, user_id=callers.colleague.user_id)
    assert not run.finished
    # come back while the run is still going: replay, then live
    conn2, ws2 = await _open(server, callers.colleague)
    async with conn2:
        await ws2.send(type="resume", run_id=run_id, last_seq=20)
        rest = await ws2.until(ended(run_id))
    seqs = [m["seq"] for m in _run_events(seen, run_id)] + [m["seq"] for m in _run_events(rest, run_id)]
    assert seqs == list(range(1, run.last_seq + 1))
    # after the run has finished, a resume from any point replays the tail once
    conn3, ws3 = await _open(server, callers.colleague)
    async with conn3:
        await ws3.send(type="resume", run_id=run_id, last_seq=run.last_seq - 3)
        tail = await ws3.until(ended(run_id))
    assert [m["seq"] for m in tail] == [run.last_seq - 2, run.last_seq - 1, run.last_seq]


async def test_run_continues_without_any_client(slow, callers) -> None:
    server, _ = slow
    conn, ws = await _open(server, callers.admin)
    await ws.send(type="message", text="go on without me")
    accepted = await ws.recv()
    await conn.close()
    run = server.runs.get(
        accepted["run_id"], account_id=callers.admin.account_id, user_id=callers.admin.user_id
    )
    server.wait_for(lambda: run.finished)
    assert run.status == "success" and run.summary["answer"].startswith("w0 w1")


async def test_oversized_message_closes_with_1009(live, callers) -> None:
    conn, ws = await _open(live, callers.admin)
    limit = live.app.state.server_settings.ws_max_message_bytes
    async with conn:
        await conn.send(json.dumps({"type": "message", "text": "x" * (limit + 10)}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await ws.recv()
    assert closed.value.rcvd.code == 1009


async def test_bad_messages_get_clear_errors_without_closing(live, callers) -> None:
    conn, ws = await _open(live, callers.admin)
    async with conn:
        for raw, code in (
            ("not json", "invalid"),
            ('{"type": "dance"}', "invalid"),
            ('{"type": "message"}', "invalid"),
            ('{"type": "decision", "thread_id": "x", "decision": "maybe"}', "invalid"),
            ('{"type": "resume", "run_id": "nope", "last_seq": 0}', "not_found"),
        ):
            await conn.send(raw)
            error = await ws.recv()
            assert error["type"] == "error" and error["code"] == code, (raw, error)
        await ws.send(type="ping", id=1)
        assert await ws.recv() == {"type": "pong", "ref": 1}


@pytest.fixture(scope="module")
def chatty(demo_world, callers, tmp_path_factory):
    """Long answers, a tiny send queue and a short send timeout: slow readers are dropped quickly."""
    model = SlowModel(responses=[words(3000, tag="token-padding-to-make-frames-bigger-")], delay=0.0)
    server = start_server(
        url=database_url(demo_world.engine),
        data_dir=tmp_path_factory.mktemp("chatty"),
        model=model,
        ws_send_queue=8,
        ws_send_timeout=0.5,
        run_buffer_events=10_000,
        sndbuf=4096,
    )
    yield server
    server.stop()


async def test_slow_reader_is_dropped_with_4008_and_memory_stays_bounded(chatty, callers) -> None:
    server = chatty
    sock = raw_ws_connect(server.port, f"/ws/chat?api_key={callers.admin.key}", rcvbuf=4096)
    try:
        before = dict(server.app.state.ws_stats)
        for i in range(3):
            sock.sendall(masked_text_frame(json.dumps({"type": "message", "text": f"story {i}"})))
        peak = 0
        deadline = time.monotonic() + 30
        while server.app.state.ws_stats.get("closed_4008", 0) <= before.get("closed_4008", 0):
            assert time.monotonic() < deadline, "the slow reader was never dropped"
            for conn in list(server.app.state.ws_connections):
                peak = max(peak, conn.queue.qsize())
            time.sleep(0.01)
        assert peak <= 8  # the per-connection queue never grew past its bound
        runs = [
            r for r in server.runs._runs.values() if r.user_id == callers.admin.user_id and r.kind == "chat"
        ]
        server.wait_for(lambda: all(r.finished for r in runs))
        assert runs and all(r.status == "success" for r in runs)  # the runs did not wait for the reader
    finally:
        sock.close()
    # a well-behaved client picks one of those runs up from the start
    conn, ws = await _open(server, callers.admin)
    async with conn:
        await ws.send(type="resume", run_id=runs[0].run_id, last_seq=0)
        replay = await ws.until(ended(runs[0].run_id))
    assert [m["seq"] for m in replay] == list(range(1, runs[0].last_seq + 1))


async def test_idle_connections_are_closed(demo_world, callers, tmp_path) -> None:
    server = start_server(url=database_url(demo_world.engine), data_dir=tmp_path, ws_idle_timeout=0.5)
    try:
        conn, ws = await _open(server, callers.admin)
        started = time.monotonic()
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv(timeout=10)
        assert closed.value.rcvd.code == 4000 and time.monotonic() - started < 5
    finally:
        server.stop()


async def test_silent_peer_is_reaped_by_keepalive_and_its_run_survives(demo_world, callers, tmp_path) -> None:
    server = start_server(
        url=database_url(demo_world.engine),
        data_dir=tmp_path,
        ws_ping_interval=0.3,
        ws_ping_timeout=0.3,
        model=SlowModel(responses=[words(100)], delay=0.01),
    )
    try:
        sock = raw_ws_connect(server.port, f"/ws/chat?api_key={callers.outsider.key}")
        sock.sendall(masked_text_frame(json.dumps({"type": "message", "text": "hi"})))
        server.wait_for(lambda: server.app.state.ws_connections)
        # never answer pings: uvicorn closes the connection, and the server forgets it
        server.wait_for(lambda: not server.app.state.ws_connections, timeout=10)
        sock.settimeout(5)
        while sock.recv(65536):  # drain what was sent; the server then closes the TCP connection
            pass
        runs = [r for r in server.runs._runs.values() if r.user_id == callers.outsider.user_id]
        server.wait_for(lambda: runs[0].finished)
        assert runs[0].status == "success"
        sock.close()
    finally:
        server.stop()


async def test_resume_beyond_the_buffer_or_after_the_run_is_forgotten_gets_a_snapshot(
    demo_world, callers, tmp_path
) -> None:
    server = start_server(
        url=database_url(demo_world.engine),
        data_dir=tmp_path,
        model=SlowModel(responses=[words(60)], delay=0.0),
        run_buffer_events=16,
        run_keep_seconds=1.5,
    )
    try:
        conn, ws = await _open(server, callers.admin)
        await ws.send(type="message", text="a long answer please")
        accepted = await ws.recv()
        run_id, thread = accepted["run_id"], accepted["thread_id"]
        await ws.until(lambda m: m.get("seq") == 2)
        await conn.close()
        run = server.runs.get(run_id, account_id=callers.admin.account_id, user_id=callers.admin.user_id)
        server.wait_for(lambda: run.finished)
        conn, ws = await _open(server, callers.admin)
        async with conn:
            await ws.send(type="resume", run_id=run_id, last_seq=2)
            snapshot = await ws.recv()
            assert snapshot["type"] == "snapshot" and snapshot["complete"] is True
            assert snapshot["status"] == "success" and snapshot["answer"] == words(60)
            assert snapshot["seq"] == run.last_seq
            await asyncio.sleep(1.6)  # the run is forgotten; the chat's checkpoint still answers
            await ws.send(type="resume", run_id=run_id, thread_id=thread, last_seq=2)
            final = await ws.recv()
            assert final["type"] == "snapshot" and final["complete"] is True and final["answer"] == words(60)
            await ws.send(type="resume", run_id=run_id, last_seq=2)
            assert (await ws.recv())["code"] == "not_found"
    finally:
        server.stop()
