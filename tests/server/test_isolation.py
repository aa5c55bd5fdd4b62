"""Auth and isolation: no key is 401; another user's (or account's) thread and run ids answer 404 on every
endpoint, never their content; the per-account rate limit answers 429 with Retry-After."""

from __future__ import annotations

import json

import httpx
import pytest
import websockets

from tests.server.harness import WsClient, database_url, ended, start_server

SECRET = "plover-42-secret"


@pytest.fixture(scope="module")
def owned(live, callers):
    """A thread of the demo admin with one finished run (its user message holds a unique phrase)."""
    with httpx.Client(base_url=live.url, headers=callers.admin.headers, timeout=60) as http:
        tid = http.post("/threads", json={"metadata": {"tag": SECRET}}).json()["thread_id"]
        response = http.post(
            f"/threads/{tid}/runs/wait",
            json={
                "assistant_id": "agent",
                "input": {"messages": [{"role": "user", "content": f"hello {SECRET}"}]},
            },
        )
        assert response.status_code == 200
        run_id = response.headers["content-location"].rsplit("/", 1)[1]
        http.post(f"/api/chats/{tid}/ratings", json={"rating": "up", "comment": SECRET})
    return tid, run_id


def _endpoints(tid: str, run_id: str) -> list[tuple[str, str, dict | None]]:
    run_body = {"assistant_id": "agent", "input": {"messages": [{"role": "user", "content": "read it"}]}}
    return [
        ("GET", f"/threads/{tid}", None),
        ("PATCH", f"/threads/{tid}", {"metadata": {"x": 1}}),
        ("GET", f"/threads/{tid}/state", None),
        ("GET", f"/threads/{tid}/state/whatever", None),
        ("POST", f"/threads/{tid}/history", {"limit": 5}),
        ("GET", f"/threads/{tid}/history", None),
        ("POST", f"/threads/{tid}/runs/stream", run_body),
        ("POST", f"/threads/{tid}/runs/wait", run_body),
        ("POST", f"/threads/{tid}/runs", run_body),
        (
            "POST",
            f"/threads/{tid}/runs/wait",
            {"assistant_id": "agent", "command": {"resume": {"decisions": [{"type": "approve"}]}}},
        ),
        ("GET", f"/threads/{tid}/runs", None),
        ("GET", f"/threads/{tid}/runs/{run_id}", None),
        ("GET", f"/threads/{tid}/runs/{run_id}/join", None),
        ("GET", f"/threads/{tid}/runs/{run_id}/stream", None),
        ("POST", f"/threads/{tid}/runs/{run_id}/cancel", None),
        ("DELETE", f"/threads/{tid}", None),
        ("GET", f"/api/chats/{tid}", None),
        ("PATCH", f"/api/chats/{tid}", {"title": "mine now"}),
        ("GET", f"/api/chats/{tid}/export", None),
        ("GET", f"/api/chats/{tid}/export?format=markdown", None),
        ("POST", f"/api/chats/{tid}/ratings", {"rating": "down"}),
        ("DELETE", f"/api/chats/{tid}", None),
    ]


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_foreign_thread_and_run_ids_are_404_everywhere(live, callers, owned, who) -> None:
    tid, run_id = owned
    caller = getattr(callers, who)
    with httpx.Client(base_url=live.url, headers=caller.headers, timeout=60) as http:
        for method, path, body in _endpoints(tid, run_id):
            response = http.request(method, path, json=body)
            assert response.status_code == 404, (method, path, response.status_code, response.text)
            assert SECRET not in response.text and "plover" not in response.text
        # the foreign run id is unknown on the caller's own thread too
        mine = http.post("/threads", json={}).json()["thread_id"]
        for method, path in (
            ("GET", f"/threads/{mine}/runs/{run_id}"),
            ("POST", f"/threads/{mine}/runs/{run_id}/cancel"),
            ("GET", f"/threads/{mine}/runs/{run_id}/stream"),
        ):
            assert http.request(method, path).status_code == 404
        # search and lists never show it; reusing its id to create a thread is refused without content
        found = http.post("/threads/search", json={"metadata": {"tag": SECRET}, "limit": 100}).json()
        assert found == []
        assert tid not in [t["thread_id"] for t in http.post("/threads/search", json={"limit": 1000}).json()]
        assert tid not in [t["id"] for t in http.get("/api/chats", params={"limit": 500}).json()]
        taken = http.post("/threads", json={"thread_id": tid, "if_exists": "do_nothing"})
        assert taken.status_code == 409 and SECRET not in taken.text
        ratings = http.get("/api/ratings/export").text
        assert SECRET not in ratings
    # the owner still has everything
    with httpx.Client(base_url=live.url, headers=callers.admin.headers) as http:
        state = http.get(f"/threads/{tid}/state").json()
        assert SECRET in json.dumps(state["values"])
        assert http.get(f"/api/chats/{tid}").json()["thread"]["title"] != "mine now"


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Api-Key": "aik_00000000_" + "A" * 43}, {"Authorization": "Bearer nope"}],
    ids=["none", "unknown", "bad-bearer"],
)
def test_every_endpoint_needs_a_key(live, owned, headers) -> None:
    tid, run_id = owned
    endpoints = [
        *_endpoints(tid, run_id),
        ("POST", "/threads", {}),
        ("POST", "/threads/search", {}),
        ("POST", "/assistants/search", {}),
        ("GET", "/assistants/agent", None),
        ("GET", "/api/chats", None),
        ("GET", "/api/ratings/export", None),
        ("GET", "/api/me", None),
    ]
    with httpx.Client(base_url=live.url, headers=headers) as http:
        for method, path, body in endpoints:
            response = http.request(method, path, json=body)
            assert response.status_code == 401, (method, path, response.text)
            assert "activeintel keys create" in response.json()["detail"] and SECRET not in response.text
        assert http.get("/healthz").status_code == 200 and http.get("/info").status_code == 200


def test_bearer_header_works_like_x_api_key(live, callers) -> None:
    with httpx.Client(base_url=live.url) as http:
        me = http.get("/api/me", headers={"Authorization": f"Bearer {callers.colleague.key}"}).json()
    assert (me["account_id"], me["user_id"]) == (callers.colleague.account_id, callers.colleague.user_id)


async def test_websocket_refuses_foreign_threads_and_runs(live, callers, owned) -> None:
    tid, run_id = owned
    async with websockets.connect(live.ws_url(callers.outsider.key)) as conn:
        ws = WsClient(conn)
        assert (await ws.recv())["type"] == "ready"
        await ws.send(type="resume", run_id=run_id, last_seq=0)
        refused = await ws.recv()
        assert refused["type"] == "error" and refused["code"] == "not_found"
        await ws.send(type="resume", run_id=run_id, thread_id=tid, last_seq=0)
        assert (await ws.recv())["code"] == "not_found"
        await ws.send(type="message", thread_id=tid, text="what did they say?")
        assert (await ws.recv())["code"] == "not_found"
        await ws.send(type="decision", thread_id=tid, decision="approve")
        assert (await ws.recv())["code"] == "not_found"
        await ws.send(type="cancel", run_id=run_id)
        assert (await ws.recv())["code"] == "not_found"
        assert SECRET not in json.dumps(ws.received)


async def test_websocket_needs_a_key(live, callers) -> None:
    for url, first in ((live.ws_url(), {"type": "message", "text": "hi"}), (live.ws_url("aik_bad"), None)):
        async with websockets.connect(url) as conn:
            if first:
                await conn.send(json.dumps(first))
            error = json.loads(await conn.recv())
            assert error["type"] == "error" and error["code"] == "unauthorized"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await conn.recv()
            assert closed.value.rcvd.code == 4401
    # the key may come as the first message instead of the query string
    async with websockets.connect(live.ws_url()) as conn:
        await conn.send(json.dumps({"type": "auth", "api_key": callers.colleague.key}))
        ready = json.loads(await conn.recv())
        assert ready["type"] == "ready" and ready["user_id"] == callers.colleague.user_id


@pytest.fixture(scope="module")
def limited(demo_world, callers, tmp_path_factory):
    server = start_server(
        url=database_url(demo_world.engine),
        data_dir=tmp_path_factory.mktemp("limited"),
        rate_limit_per_minute=6,
        rate_limit_burst=3,
    )
    yield server
    server.stop()


async def test_rate_limit_is_per_account_with_retry_after(limited, callers) -> None:
    with httpx.Client(base_url=limited.url) as http:
        codes = [http.get("/api/chats", headers=callers.admin.headers).status_code for _ in range(3)]
        refused = http.get("/api/chats", headers=callers.colleague.headers)  # same account, same bucket
        other = http.get("/api/chats", headers=callers.outsider.headers)
    assert codes == [200, 200, 200]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["code"] == "rate_limited" and "per minute" in refused.json()["detail"]
    assert other.status_code == 200  # another account has its own bucket
    async with websockets.connect(limited.ws_url(callers.outsider.key)) as conn:
        ws = WsClient(conn)
        assert (await ws.recv())["type"] == "ready"
        await ws.send(type="message", text="hello")
        await ws.until(ended())
        await ws.send(type="message", text="hello again")
        error = await ws.until(lambda m: m["type"] == "error")
        assert error[-1]["code"] == "rate_limited" and error[-1]["retry_after"] >= 1
