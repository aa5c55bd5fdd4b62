"""The Slack bot: mentions and direct messages become agent turns, streamed into the Slack thread.

Every request is verified (signing secret) and acknowledged at once; the turn runs in a background task, so
Slack's 3-second deadline holds however long the agent takes. Retries and double deliveries are dropped by
event id (and by message), and turns on one Slack thread run one after another.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import weakref
from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response

from agent.events import ApprovalRequest, Artifact, ErrorEvent, FinalAnswer, Token, ToolFinished, ToolStarted
from agent.run import AgentDeps, run_turn
from core.chats import service as chats
from core.errors import DomainError, NotFound
from server.slack.dedupe import RecentIds
from server.slack.format import (
    APPROVE_ACTION,
    REJECT_ACTION,
    approval_blocks,
    campaign_summary,
    decided_blocks,
    escape,
    humanize,
    to_mrkdwn,
)
from server.slack.live import LiveMessage
from server.slack.settings import SlackSettings
from server.slack.users import Identity, SlackUserMap
from tools.charts import render_png

log = logging.getLogger(__name__)

DepsProvider = Callable[[], AgentDeps]

WORKING = ":hourglass_flowing_sand: Working on it…"
NOT_LINKED = (
    "Sorry, I can't help you yet: your Slack account isn't linked to an ActiveIntel user. "
    "Ask your ActiveIntel admin to add you to the Slack user mapping (workspace `{team}`, user `{user}`)."
)
EMPTY_QUESTION = "Hi! Ask me about your marketing, for example: _How did my last newsletter do?_"
FAILED = "Sorry, something went wrong on our side while answering. Please try again in a moment."
NOT_YOURS = "Only the person who asked can answer this approval."
ALREADY_ANSWERED = "This approval was already answered (or replaced by a newer message in the thread)."

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def agent_thread_id(team_id: str, channel: str, thread_ts: str, who: Identity) -> str:
    """Derive the agent thread of a Slack thread for one person.

    Chats are private to their user, so two people talking to the bot in the same Slack thread each get
    their own agent thread; for the usual one-person thread this is exactly one agent thread per Slack thread.
    """
    key = f"{team_id}:{channel}:{thread_ts}:{who.account_id}:{who.user_id}"
    return "slack-" + hashlib.sha256(key.encode()).hexdigest()[:40]


class SlackBot:
    """Owns the Bolt app, the background turns and the dedupe memory of one process."""

    def __init__(
        self,
        settings: SlackSettings,
        deps_provider: DepsProvider,
        *,
        users: SlackUserMap | None = None,
        client: AsyncWebClient | None = None,
    ) -> None:
        if not settings.enabled:
            raise ValueError("The Slack bot needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.")
        self.settings = settings
        self.deps_provider = deps_provider
        self.users = users or SlackUserMap.from_settings(settings)
        self.client = client or AsyncWebClient(token=settings.bot_token, base_url=settings.api_url)
        # Listeners only validate and schedule, so running them before the ack still answers within
        # milliseconds, and a duplicate is rejected before the ack of the first delivery is sent.
        self.app = AsyncApp(
            name="ActiveIntel",
            signing_secret=settings.signing_secret,
            client=self.client,
            process_before_response=True,
        )
        self.handler = AsyncSlackRequestHandler(self.app)
        self._events = RecentIds()
        self._posts = RecentIds()
        self._decided = RecentIds()
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._register()

    async def handle(self, request: Request) -> Response:
        """Serve ``POST /slack/events`` (events and interactivity share the URL)."""
        return await self.handler.handle(request)

    async def drain(self) -> None:
        """Wait until every background turn has finished (tests, graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel the turns still running (the process is stopping)."""
        for task in list(self._tasks):
            task.cancel()
        await self.drain()

    def _register(self) -> None:
        app = self.app

        @app.event("app_mention")
        async def on_mention(body: dict[str, Any], event: dict[str, Any], request: Any) -> None:
            self._accept(body, event, request)

        @app.event("message")
        async def on_message(body: dict[str, Any], event: dict[str, Any], request: Any) -> None:
            # Channel messages come as app_mention; edits, joins and bot posts (ours too) carry a subtype.
            if event.get("channel_type") == "im" and not event.get("bot_id") and not event.get("subtype"):
                self._accept(body, event, request)

        @app.action(re.compile(f"^({APPROVE_ACTION}|{REJECT_ACTION})$"))
        async def on_decision(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            self._spawn(self._decide(body, action))

    def _accept(self, body: dict[str, Any], event: dict[str, Any], request: Any) -> None:
        event_id = str(body.get("event_id") or "")
        retry = (request.headers.get("x-slack-retry-num") or [None])[0] if request is not None else None
        if event_id and not self._events.first_time(event_id):
            log.info("Slack event %s delivered again (retry %s); already handled", event_id, retry)
            return
        # A DM that mentions the bot can arrive as two events with different ids; the post itself is one.
        if not self._posts.first_time(f"{event.get('channel')}:{event.get('ts')}"):
            return
        self._spawn(self._answer(body, event))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack background task failed", exc_info=task.exception())

    def _lock(self, thread_id: str) -> asyncio.Lock:
        lock = self._locks.get(thread_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[thread_id] = lock
        return lock

    async def _answer(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        team = str(event.get("user_team") or event.get("team") or body.get("team_id") or "")
        slack_user = str(event.get("user") or "")
        channel = str(event["channel"])
        thread_ts = str(event.get("thread_ts") or event["ts"])
        who = self.users.lookup(team, slack_user)
        if who is None:
            await self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=NOT_LINKED.format(team=team, user=slack_user)
            )
            return
        text = _MENTION.sub("", str(event.get("text") or "")).strip()
        if not text:
            await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=EMPTY_QUESTION)
            return
        thread_id = agent_thread_id(team, channel, thread_ts, who)
        async with self._lock(thread_id):
            await self._stream_turn(who, thread_id, channel, thread_ts, text=text)

    async def _stream_turn(
        self,
        who: Identity,
        thread_id: str,
        channel: str,
        thread_ts: str,
        *,
        text: str | None = None,
        decision: dict[str, Any] | None = None,
    ) -> None:
        live = LiveMessage(
            self.client, channel=channel, thread_ts=thread_ts, interval=self.settings.update_interval
        )
        await live.start(WORKING)
        answer, activity, error = "", "", None
        approval: ApprovalRequest | None = None
        try:
            async for event in run_turn(
                self.deps_provider(),
                account_id=who.account_id,
                user_id=who.user_id,
                text=text,
                decision=decision,
                thread_id=thread_id,
                surface="slack",
            ):
                if isinstance(event, Token):
                    answer += event.text
                    await live.show(_progress(answer, activity))
                elif isinstance(event, ToolStarted):
                    # Text before a tool call is narration; the answer starts again after the tools.
                    answer, activity = "", f"_{escape(humanize(event.name))}…_"
                    await live.show(_progress(answer, activity))
                elif isinstance(event, ToolFinished):
                    activity = ""
                elif isinstance(event, Artifact):
                    await self._post_artifact(channel, thread_ts, event)
                elif isinstance(event, ApprovalRequest):
                    approval = event
                elif isinstance(event, FinalAnswer):
                    answer = event.text
                elif isinstance(event, ErrorEvent):
                    error = event.message
        except DomainError as exc:
            # e.g. the mapping names a user that is not in that account: say so rather than fail silently.
            error = exc.message
        except Exception:
            # The outermost layer of a background task: nobody else would tell the person waiting in Slack.
            log.exception("Slack turn failed on thread %s", thread_id)
            error = FAILED
        if error:
            final = f":warning: {escape(error)}"
        elif answer.strip():
            final = to_mrkdwn(answer.strip())
        elif approval is not None:
            final = "I need your approval before I go ahead:"
        else:
            final = "Done."
        await live.finish(final)
        if approval is not None and not error:
            await self._post_approval(channel, thread_ts, thread_id, approval)

    async def _post_artifact(self, channel: str, thread_ts: str, artifact: Artifact) -> None:
        if artifact.kind == "chart" and artifact.data.get("vega_lite"):
            title = str(artifact.data.get("title") or "Chart")
            png = await asyncio.to_thread(render_png, artifact.data["vega_lite"])
            try:
                await self.client.files_upload_v2(
                    channel=channel,
                    thread_ts=thread_ts,
                    file=png,
                    filename="chart.png",
                    title=title,
                    alt_txt=title,
                )
            except SlackApiError as exc:
                # Most often a missing files:write scope: the answer still has the figures, so carry on.
                log.warning("Chart upload to Slack failed: %s", exc.response.get("error"))
        elif artifact.kind == "campaign_preview":
            await self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=campaign_summary(artifact.data)
            )

    async def _post_approval(
        self, channel: str, thread_ts: str, thread_id: str, approval: ApprovalRequest
    ) -> None:
        value = json.dumps(
            {"t": thread_id, "i": approval.interrupt_id, "ts": thread_ts}, separators=(",", ":")
        )
        requests = approval.payload.get("action_requests") or [{}]
        await self.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            blocks=approval_blocks(approval.payload, value),
            text=f"Approval needed: {escape(str(requests[0].get('description') or 'an action'))}",
        )

    async def _decide(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        approved = action.get("action_id") == APPROVE_ACTION
        value = json.loads(action.get("value") or "{}")
        thread_id, interrupt_id, thread_ts = str(value.get("t")), str(value.get("i")), str(value.get("ts"))
        channel = str(
            (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        )
        slack_user = str((body.get("user") or {}).get("id") or "")
        team = str((body.get("user") or {}).get("team_id") or (body.get("team") or {}).get("id") or "")
        who = self.users.lookup(team, slack_user)
        if who is None:
            await self._ephemeral(
                channel, slack_user, thread_ts, NOT_LINKED.format(team=team, user=slack_user)
            )
            return
        deps = self.deps_provider()
        try:
            with deps.session_factory() as session:
                chats.get_thread(session, account_id=who.account_id, user_id=who.user_id, thread_id=thread_id)
        except NotFound:
            await self._ephemeral(channel, slack_user, thread_ts, NOT_YOURS)
            return
        async with self._lock(thread_id):
            if interrupt_id in self._decided or not await _is_pending(deps, thread_id, interrupt_id):
                await self._ephemeral(channel, slack_user, thread_ts, ALREADY_ANSWERED)
                return
            self._decided.first_time(interrupt_id)
            message = body.get("message") or {}
            await self.client.chat_update(
                channel=channel,
                ts=str(message.get("ts") or (body.get("container") or {}).get("message_ts")),
                blocks=decided_blocks(message.get("blocks") or [], approved=approved, slack_user=slack_user),
                text="Approved" if approved else "Rejected",
            )
            decision = {"decisions": [{"type": "approve" if approved else "reject"}]}
            await self._stream_turn(who, thread_id, channel, thread_ts, decision=decision)

    async def _ephemeral(self, channel: str, user: str, thread_ts: str, text: str) -> None:
        await self.client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=text)


def _progress(answer: str, activity: str) -> str:
    body = to_mrkdwn(answer.strip()) if answer.strip() else WORKING
    return f"{body}\n{activity}" if activity else body


async def _is_pending(deps: AgentDeps, thread_id: str, interrupt_id: str) -> bool:
    state = await deps.graph.aget_state({"configurable": {"thread_id": thread_id}})
    return any(i.id == interrupt_id for i in state.interrupts)
