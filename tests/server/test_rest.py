"""REST extras: chats (list, read, rename, delete, export), ratings, /healthz, /api/me, error mapping."""

from __future__ import annotations

import asyncio
import csv
import io

import httpx
import pytest
import websockets

from tests.server.harness import WsClient, ended


@pytest.fixture(scope="module")
def chat(live, callers):
    """A finished chat of the colleague: one question answered with a tool and a chart."""

    async def make():
        async with websockets.connect(live.ws_url(callers.colleague.key)) as conn:
            ws = WsClient(conn)
            await ws.recv()
            await ws.send(type="message", text="how did my last campaign do?")
            got = await ws.until(ended())
            return got[0]["thread_id"]

    return asyncio.run(make())


def test_list_read_rename_export_delete(live, callers, chat) -> None:
    with httpx.Client(base_url=live.url, headers=callers.colleague.headers) as http:
        listed = {t["id"]: t for t in http.get("/api/chats", params={"limit": 500}).json()}
        assert listed[chat]["title"] == "how did my last campaign do?" and listed[chat]["preview"]
        assert {t["user_id"] for t in listed.values()} == {callers.colleague.user_id}
        detail = http.get(f"/api/chats/{chat}").json()
        roles = [m["role"] for m in detail["messages"]]
        assert roles == ["user", "assistant", "tool", "assistant"]
        assert detail["messages"][1]["tool_calls"][0]["name"] == "get_campaign_performance"
        assert detail["pending_approval"] is None and detail["active_run_id"] is None

        renamed = http.patch(f"/api/chats/{chat}", json={"title": "  Last campaign review "})
        assert renamed.status_code == 200 and renamed.json()["title"] == "Last campaign review"
        empty = http.patch(f"/api/chats/{chat}", json={"title": "   "})
        assert empty.status_code == 422 and empty.json() == {
            "detail": "A chat title cannot be empty.",
            "code": "invalid",
            "field": "title",
        }

        as_json = http.get(f"/api/chats/{chat}/export")
        assert as_json.headers["content-disposition"] == f'attachment; filename="chat-{chat}.json"'
        assert as_json.json()["thread"]["title"] == "Last campaign review"
        markdown = http.get(f"/api/chats/{chat}/export", params={"format": "markdown"})
        assert markdown.headers["content-type"].startswith("text/markdown")
        text = markdown.text
        assert text.startswith("# Last campaign review") and "**You:** how did my last campaign do?" in text
        assert "> used `get_campaign_performance`" in text and "**ActiveIntel:**" in text
        assert http.get(f"/api/chats/{chat}/export", params={"format": "pdf"}).status_code == 422


def test_ratings_are_stored_replaced_and_exported(live, callers, chat) -> None:
    with httpx.Client(base_url=live.url, headers=callers.colleague.headers) as http:
        answer = [m for m in http.get(f"/api/chats/{chat}").json()["messages"] if m["role"] == "assistant"][
            -1
        ]
        first = http.post(f"/api/chats/{chat}/ratings", json={"rating": "up", "message_id": answer["id"]})
        assert first.status_code == 201 and first.json()["answer"] == answer["content"]
        again = http.post(
            f"/api/chats/{chat}/ratings",
            json={"rating": "down", "message_id": answer["id"], "comment": "numbers look off"},
        )
        assert again.json()["id"] == first.json()["id"] and again.json()["rating"] == "down"
        unknown = http.post(f"/api/chats/{chat}/ratings", json={"rating": "up", "message_id": "nope"})
        assert unknown.status_code == 404 and "No answer with id 'nope'" in unknown.json()["detail"]
        assert http.post(f"/api/chats/{chat}/ratings", json={"rating": "meh"}).status_code == 422
        mine = http.get("/api/ratings/export").json()
        assert [(r["rating"], r["comment"]) for r in mine] == [("down", "numbers look off")]
        rows = list(
            csv.DictReader(io.StringIO(http.get("/api/ratings/export", params={"format": "csv"}).text))
        )
        assert rows[0]["rating"] == "down" and rows[0]["thread_id"] == chat
    # the account's admin sees every rating of the account; the other tenant sees none of them
    with httpx.Client(base_url=live.url, headers=callers.admin.headers) as http:
        assert chat in [r["thread_id"] for r in http.get("/api/ratings/export").json()]
    with httpx.Client(base_url=live.url, headers=callers.outsider.headers) as http:
        assert chat not in http.get("/api/ratings/export").text


def test_delete_removes_the_chat_and_its_memory(live, callers) -> None:
    with httpx.Client(base_url=live.url, headers=callers.colleague.headers, timeout=60) as http:
        tid = http.post("/threads", json={}).json()["thread_id"]
        http.post(
            f"/threads/{tid}/runs/wait",
            json={"assistant_id": "agent", "input": {"messages": [{"role": "user", "content": "hello"}]}},
        )
        assert http.get(f"/threads/{tid}/state").json()["values"]["messages"]
        assert http.delete(f"/api/chats/{tid}").status_code == 204
        assert http.get(f"/api/chats/{tid}").status_code == 404
        assert http.get(f"/threads/{tid}").status_code == 404
        assert http.delete(f"/api/chats/{tid}").status_code == 404


def test_health_me_and_info(live, callers) -> None:
    with httpx.Client(base_url=live.url) as http:
        health = http.get("/healthz").json()
        assert health["status"] == "ok" and health["database"] == "ok"
        info = http.get("/info").json()
        assert info["flags"]["assistants"] is True and info["langgraph_py_version"]
        me = http.get("/api/me", headers=callers.admin.headers).json()
    assert me["account_id"] == callers.admin.account_id and me["role"] == "admin" and me["account_name"]
