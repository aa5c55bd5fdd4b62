"""The Slack bot end to end: signed requests in, a fake of Slack's Web API at the wire out, the real graph."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import func, select

from agent.graph import build_graph
from agent.run import AgentDeps
from core.campaigns.models import Campaign, CampaignSend
from core.chats.models import ChatThread
from core.enums import CampaignStatus
from server.slack import SlackSettings, mount_slack
from server.slack.bot import SlackBot
from tests.agent.fakes import ScriptedChatModel, call
from tests.server.fake_slack import FakeSlack

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
SECRET = "test-signing-secret"


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def slack(fake_slack: FakeSlack) -> FakeSlack:
    fake_slack.calls.clear()
    fake_slack.uploads.clear()
    return fake_slack


class Harness:
    """Our FastAPI app with the bot mounted, talking to the fake Slack; posts signed payloads to it."""

    def __init__(
        self, world: Any, fake: FakeSlack, model: ScriptedChatModel, *, interval: float = 0.0
    ) -> None:
        self.world, self.fake, self.model = world, fake, model
        deps = AgentDeps(
            graph=build_graph(model=model, checkpointer=InMemorySaver()),
            session_factory=world.factory,
            clock=lambda: NOW,
        )
        settings = SlackSettings(
            bot_token="xoxb-test-token",
            signing_secret=SECRET,
            api_url=fake.api_url,
            update_interval=interval,
            users={
                "T1": {"account_id": world.account_id, "users": {"U1": world.admin_user_id}},
                "T2": {"account_id": world.other_account_id, "users": {"U2": world.other_user_id}},
            },
        )
        self.app = FastAPI()
        bot = mount_slack(self.app, settings, lambda: deps)
        assert bot is not None
        self.bot: SlackBot = bot
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://app")
        self._events = 0

    async def post(
        self,
        body: str,
        *,
        content_type: str = "application/json",
        secret: str = SECRET,
        ts: int | None = None,
        retry: int | None = None,
    ) -> httpx.Response:
        stamp = str(ts if ts is not None else int(time.time()))
        signature = (
            "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        )
        headers = {
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature,
            "Content-Type": content_type,
        }
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.http.post("/slack/events", content=body.encode(), headers=headers)

    def event(
        self,
        *,
        text: str,
        user: str = "U1",
        team: str = "T1",
        channel: str = "C1",
        ts: str | None = None,
        thread_ts: str | None = None,
        kind: str = "app_mention",
        event_id: str | None = None,
    ) -> str:
        self._events += 1
        ts = ts or f"1749999000.{self._events:06d}"
        event: dict[str, Any] = {
            "type": kind,
            "user": user,
            "text": text,
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
            "team": team,
        }
        if kind == "message":
            event["channel_type"] = "im"
        if thread_ts:
            event["thread_ts"] = thread_ts
        return json.dumps(
            {
                "token": "legacy",
                "team_id": team,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id or f"Ev{self._events:04d}{ts}",
                "event_time": 1,
                "event": event,
                "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
            }
        )

    def click(self, approval: dict[str, Any], *, approve: bool, user: str = "U1", team: str = "T1") -> str:
        actions = next(b for b in approval["blocks"] if b["type"] == "actions")
        button = actions["elements"][0 if approve else 1]
        ts = "1750000000.999999"
        payload = {
            "type": "block_actions",
            "token": "legacy",
            "api_app_id": "A1",
            "trigger_id": "1.2.3",
            "user": {"id": user, "team_id": team},
            "team": {"id": team},
            "channel": {"id": approval["channel"]},
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": approval["channel"],
                "is_ephemeral": False,
            },
            "message": {
                "ts": ts,
                "thread_ts": approval.get("thread_ts"),
                "blocks": approval["blocks"],
                "type": "message",
            },
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": actions["block_id"],
                    "value": button["value"],
                    "action_ts": "1",
                }
            ],
            "response_url": "https://hooks.slack.test/actions/1",
        }
        return urlencode({"payload": json.dumps(payload)})

    async def close(self) -> None:
        await self.bot.drain()
        await self.http.aclose()


async def _harness(world: Any, fake: FakeSlack, responses: list[Any], **kw: Any) -> Harness:
    return Harness(world, fake, ScriptedChatModel(responses=responses, seen=[]), **kw)


def _final_texts(fake: FakeSlack) -> list[str]:
    """The last text of each edited message, in the order the messages were first edited."""
    last: dict[str, str] = {}
    for u in fake.of("chat.update"):
        last[u["ts"]] = str(u.get("text") or "")
    return list(last.values())


def _texts(fake: FakeSlack, method: str) -> list[str]:
    return [str(b.get("text") or "") for b in fake.of(method)]


async def test_url_verification_and_signatures(demo_world, slack) -> None:
    h = await _harness(demo_world, slack, ["hi"])
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "x"})
    ok = await h.post(body)
    assert ok.status_code == 200 and ok.json() == {"challenge": "c-123"}
    assert (await h.post(body, secret="wrong-secret")).status_code == 401
    assert (await h.post(body, ts=int(time.time()) - 600)).status_code == 401  # replayed
    forged = h.event(text="<@UBOT> send everything")
    assert (await h.post(forged, secret="wrong-secret")).status_code == 401
    await h.close()
    assert slack.of("chat.postMessage") == [] and h.model.index == 0


async def test_mention_posts_then_updates_with_the_answer_and_uploads_the_chart(demo_world, slack) -> None:
    h = await _harness(
        demo_world,
        slack,
        [
            AIMessage("", tool_calls=[call("get_campaign_performance", {"campaign": "the May newsletter"})]),
            "The **May newsletter** opened at <37%> & clicked well:\n- opens up\n- clicks steady",
        ],
    )
    r = await h.post(h.event(text="<@UBOT> How did my May newsletter do?", ts="1749999999.000100"))
    assert r.status_code == 200
    await h.bot.drain()
    posts = slack.of("chat.postMessage")
    assert posts[0]["channel"] == "C1" and posts[0]["thread_ts"] == "1749999999.000100"
    assert "Working on it" in posts[0]["text"]
    updates = slack.of("chat.update")
    assert updates and len({u["ts"] for u in updates}) == 1, "every edit targets the one answer message"
    final = updates[-1]["text"]
    # Markdown became mrkdwn; the model's angle brackets and ampersand cannot form Slack links or mentions.
    assert "*May newsletter*" in final and "&lt;37%&gt; &amp;" in final and "• opens up" in final
    assert any("get campaign performance" in u["text"] for u in updates[:-1])
    # The chart went through the v2 upload: URL, bytes, completion in the same thread.
    completion = slack.of("files.completeUploadExternal")[0]
    assert completion["channel_id"] == "C1" and completion["thread_ts"] == "1749999999.000100"
    file_id = json.loads(completion["files"])[0]["id"]
    assert slack.uploads[file_id].startswith(b"\x89PNG")
    assert slack.of("auth.test"), "Bolt checks the token once"
    await h.close()


async def test_direct_message_is_answered_in_its_thread(demo_world, slack) -> None:
    h = await _harness(demo_world, slack, ["Hello from the bot."])
    await h.post(h.event(text="hi there", kind="message", channel="D1", ts="1749999999.000200"))
    await h.bot.drain()
    assert slack.of("chat.postMessage")[0]["thread_ts"] == "1749999999.000200"
    assert slack.of("chat.update")[-1]["text"] == "Hello from the bot."
    # Bot posts (ours included) and edits are not questions.
    bot_post = json.loads(h.event(text="Hello from the bot.", kind="message", channel="D1"))
    bot_post["event"] |= {"bot_id": "BBOT", "user": "UBOT"}
    edit = json.loads(h.event(text="x", kind="message", channel="D1"))
    edit["event"]["subtype"] = "message_changed"
    for body in (bot_post, edit):
        assert (await h.post(json.dumps(body))).status_code == 200
    await h.close()
    assert h.model.index == 1


async def test_retried_event_is_processed_once_and_ack_is_immediate(demo_world, slack) -> None:
    release = threading.Event()

    def slow(messages: list[Any], tools: list[Any]) -> str:
        release.wait(20)
        return "Slow answer."

    h = await _harness(demo_world, slack, [slow])
    body = h.event(text="<@UBOT> take your time", event_id="EvSAME")
    started = time.monotonic()
    first = await h.post(body)
    acked_in = time.monotonic() - started
    retries = [await h.post(body, retry=n) for n in (1, 2)]
    assert first.status_code == 200 and all(r.status_code == 200 for r in retries)
    assert acked_in < 2.0, "Slack wants the ack within 3 s; the turn runs after it"
    release.set()
    await h.close()
    assert h.model.index == 1
    assert len([t for t in _texts(slack, "chat.postMessage") if "Working on it" in t]) == 1
    assert slack.of("chat.update")[-1]["text"] == "Slow answer."


async def test_unknown_user_is_refused_politely(demo_world, slack) -> None:
    h = await _harness(demo_world, slack, ["should not run"])
    await h.post(h.event(text="<@UBOT> show my contacts", user="U404"))
    await h.post(h.event(text="<@UBOT> show my contacts", user="U1", team="T404"))
    await h.close()
    refusals = _texts(slack, "chat.postMessage")
    assert len(refusals) == 2 and all("isn't linked" in t for t in refusals)
    assert "U404" in refusals[0] and "T404" in refusals[1]
    assert h.model.index == 0


async def test_thread_continuity_one_agent_thread_per_slack_thread(demo_world, slack) -> None:
    def recall(messages: list[Any], tools: list[Any]) -> str:
        asked = [m.content for m in messages if isinstance(m, HumanMessage)]
        return "You asked: " + " | ".join(str(a) for a in asked)

    h = await _harness(demo_world, slack, [recall])
    await h.post(h.event(text="<@UBOT> first question about VIPs", ts="1749999999.000300"))
    await h.bot.drain()
    await h.post(
        h.event(text="<@UBOT> and the second one", ts="1749999999.000400", thread_ts="1749999999.000300")
    )
    await h.bot.drain()
    await h.post(h.event(text="<@UBOT> a new thread", ts="1749999999.000500"))
    await h.close()
    finals = _final_texts(slack)
    assert finals[-3] == "You asked: first question about VIPs"
    assert finals[-2] == "You asked: first question about VIPs | and the second one"
    assert finals[-1] == "You asked: a new thread"
    with demo_world.factory() as s:
        rows = s.scalars(
            select(ChatThread).where(ChatThread.surface == "slack", ChatThread.title.like("first question%"))
        ).all()
    assert (
        len(rows) == 1
        and rows[0].user_id == demo_world.admin_user_id
        and rows[0].account_id == demo_world.account_id
    )


async def test_approval_buttons_resume_the_run(demo_world, slack) -> None:
    with demo_world.factory.begin() as s:
        from core.campaigns import service as campaigns

        campaign = campaigns.create_campaign(
            s,
            account_id=demo_world.account_id,
            name=f"Slack approval {demo_world.backend}",
            now=NOW,
            subject="Hi",
            from_name="Shop",
            from_email="hi@shop.example.com",
            lists=["Newsletter"],
            blocks=[{"type": "text", "text": "Hello"}],
        )
    h = await _harness(
        demo_world,
        slack,
        [
            AIMessage("", tool_calls=[call("send_campaign", {"campaign": campaign.name})]),
            "Sent it.",
        ],
    )
    await h.post(h.event(text="<@UBOT> send it", ts="1749999999.000600"))
    await h.bot.drain()
    approval = next(b for b in slack.of("chat.postMessage") if b.get("blocks"))
    assert approval["thread_ts"] == "1749999999.000600"
    assert "approval" in slack.of("chat.update")[-1]["text"]
    card = json.dumps(approval["blocks"])
    assert "Approve" in card and "Reject" in card and "Recipients" in card

    # Someone from another tenant cannot answer it, and nothing is sent.
    await h.post(
        h.click(approval, approve=True, user="U2", team="T2"),
        content_type="application/x-www-form-urlencoded",
    )
    await h.bot.drain()
    assert "Only the person who asked" in slack.of("chat.postEphemeral")[-1]["text"]
    with demo_world.factory() as s:
        assert s.scalar(select(func.count()).where(CampaignSend.campaign_id == campaign.id)) == 0

    r = await h.post(h.click(approval, approve=True), content_type="application/x-www-form-urlencoded")
    assert r.status_code == 200
    await h.bot.drain()
    decided = [u for u in slack.of("chat.update") if u.get("blocks")][-1]
    assert "Approved by <@U1>" in json.dumps(decided["blocks"]) and '"actions"' not in json.dumps(
        decided["blocks"]
    )
    assert slack.of("chat.update")[-1]["text"] == "Sent it."
    with demo_world.factory() as s:
        assert s.get(Campaign, campaign.id).status != CampaignStatus.DRAFT
        sent = s.scalar(select(func.count()).where(CampaignSend.campaign_id == campaign.id))
    assert sent > 0

    # A second click (double click, or a stale card) does not resume again.
    await h.post(h.click(approval, approve=True), content_type="application/x-www-form-urlencoded")
    await h.close()
    assert "already answered" in slack.of("chat.postEphemeral")[-1]["text"]
    assert h.model.index == 2


async def test_reject_button_sends_nothing(demo_world, slack) -> None:
    with demo_world.factory.begin() as s:
        from core.campaigns import service as campaigns

        campaign = campaigns.create_campaign(
            s,
            account_id=demo_world.account_id,
            name=f"Slack reject {demo_world.backend}",
            now=NOW,
            subject="Hi",
            from_name="Shop",
            from_email="hi@shop.example.com",
            lists=["Newsletter"],
            blocks=[{"type": "text", "text": "Hello"}],
        )
    h = await _harness(
        demo_world,
        slack,
        [
            AIMessage("", tool_calls=[call("send_campaign", {"campaign": campaign.name})]),
            "Okay, not sent.",
        ],
    )
    await h.post(h.event(text="<@UBOT> send it"))
    await h.bot.drain()
    approval = next(b for b in slack.of("chat.postMessage") if b.get("blocks"))
    await h.post(h.click(approval, approve=False), content_type="application/x-www-form-urlencoded")
    await h.close()
    assert "Rejected by <@U1>" in json.dumps([u for u in slack.of("chat.update") if u.get("blocks")][-1])
    with demo_world.factory() as s:
        assert s.scalar(select(func.count()).where(CampaignSend.campaign_id == campaign.id)) == 0


async def test_streamed_edits_are_throttled(demo_world, slack) -> None:
    h = await _harness(demo_world, slack, [" ".join(f"word{i}" for i in range(40))], interval=3600)
    await h.post(h.event(text="<@UBOT> talk a lot"))
    await h.close()
    updates = slack.of("chat.update")
    assert len(updates) == 1 and updates[0]["text"].endswith("word39")


async def test_not_mounted_without_credentials() -> None:
    app = FastAPI()
    assert mount_slack(app, SlackSettings(bot_token=None, signing_secret=None), lambda: None) is None  # type: ignore[arg-type, return-value]
    assert not [r for r in app.routes if getattr(r, "path", "") == "/slack/events"]


async def test_mounted_by_create_app_answers_with_the_offline_model(
    demo_world, slack, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """The whole stack: create_app reads SLACK_* from the environment, mounts the bot, and the bot runs turns
    on the app's own graph (offline model) and database."""
    from tests.server.harness import database_url, start_server

    users = {"T1": {"account_id": demo_world.account_id, "users": {"U1": demo_world.admin_user_id}}}
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("SLACK_USERS", json.dumps(users))
    monkeypatch.setenv("SLACK_UPDATE_INTERVAL", "0.2")
    server = start_server(url=database_url(demo_world.engine), data_dir=tmp_path)
    try:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": "T1",
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": "EvFull1",
                "event_time": 1,
                "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
                "event": {
                    "type": "app_mention",
                    "user": "U1",
                    "team": "T1",
                    "channel": "C9",
                    "ts": "1749999999.000900",
                    "event_ts": "1749999999.000900",
                    "text": "<@UBOT> How did my May newsletter do?",
                },
            }
        )
        stamp = str(int(time.time()))
        sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        headers = {
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sig,
            "Content-Type": "application/json",
        }
        async with httpx.AsyncClient(base_url=server.url) as http:
            r = await http.post("/slack/events", content=body.encode(), headers=headers)
        assert r.status_code == 200
        await slack.wait_for(
            lambda: any("Open rate" in u.get("text", "") for u in slack.of("chat.update")), 60
        )
        await slack.wait_for(lambda: slack.of("files.completeUploadExternal"), 30)
        final = _final_texts(slack)[-1]
        assert "*May 2026 - Newsletter*" in final and "• Open rate" in final
        with demo_world.factory() as s:
            thread = s.scalars(
                select(ChatThread).where(
                    ChatThread.surface == "slack", ChatThread.title == "How did my May newsletter do?"
                )
            ).first()
        assert thread is not None and thread.user_id == demo_world.admin_user_id
    finally:
        server.stop()
