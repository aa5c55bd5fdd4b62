"""A bot message that is posted at once and edited in place while the answer streams."""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from server.slack.format import split_text


class LiveMessage:
    """Posts a placeholder, then edits it at most every ``interval`` seconds; ``finish`` shows the end."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        channel: str,
        thread_ts: str,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client, self.channel, self.thread_ts = client, channel, thread_ts
        self.interval, self.clock = interval, clock
        self.ts: str | None = None
        self._shown = ""
        self._last_edit = 0.0

    async def start(self, text: str) -> None:
        """Post the placeholder in the thread."""
        response = await self.client.chat_postMessage(
            channel=self.channel, thread_ts=self.thread_ts, text=text
        )
        self.ts = str(response["ts"])
        self._shown, self._last_edit = text, self.clock()

    async def show(self, text: str) -> None:
        """Show the answer so far, unless the last edit was too recent (a later call catches up)."""
        if text == self._shown or self.clock() - self._last_edit < self.interval:
            return
        await self._edit(text)

    async def finish(self, text: str) -> None:
        """Show the final text; text longer than one message continues in follow-up messages."""
        first, *rest = split_text(text)
        if first != self._shown:
            await self._edit(first)
        for part in rest:
            await self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, text=part)

    async def _edit(self, text: str) -> None:
        assert self.ts is not None, "start() posts the message before it can be edited"
        shown = split_text(text)[0]
        await self.client.chat_update(channel=self.channel, ts=self.ts, text=shown)
        self._shown, self._last_edit = shown, self.clock()
