"""Keep long chats inside the model's context without losing the objects in play."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent.dialogue import OBJECTS_IN_PLAY_PREFIX, dialogue_state

# Rough budget in characters (about 4 per token); the offline model needs far less, LLMs have more.
DEFAULT_BUDGET_CHARS = 48_000


def _size(message: BaseMessage) -> int:
    return len(str(message.content)) + sum(len(str(tc.get("args", ""))) for tc in getattr(message, "tool_calls", []))


def trim_history(messages: Sequence[BaseMessage], *, budget_chars: int = DEFAULT_BUDGET_CHARS) -> list[BaseMessage]:
    """Drop the oldest whole turns until the rest fits, never splitting a tool call from its result.

    A turn starts at a human message; cutting only there keeps every AIMessage with tool calls next to its
    ToolMessages, which providers require. The newest turn is always kept.
    """
    msgs = list(messages)
    starts = [i for i, m in enumerate(msgs) if isinstance(m, HumanMessage)] or [0]
    total = sum(_size(m) for m in msgs)
    cut = 0
    for start in starts[1:]:
        if total <= budget_chars:
            break
        total -= sum(_size(m) for m in msgs[cut:start])
        cut = start
    kept = msgs[cut:]
    if cut:
        # Tell the model some turns were dropped, and carry the objects they put in play forward, so "it" and
        # "the second one" still resolve (for any model: the note is plain text with a JSON line).
        state = dialogue_state(msgs[:cut])
        carried = {
            "last_object": _brief(state.last_object) if state.last_object else None,
            "last_by_kind": {k: _brief(v) for k, v in state.last_by_kind.items()},
            "listed_kind": state.listed_kind,
            "listed": [_brief(i) for i in state.listed[:20]],
        }
        note = AIMessage(
            content=f"(Earlier part of this chat, {cut} messages, is not shown.)\n"
            + OBJECTS_IN_PLAY_PREFIX + json.dumps(carried, default=str)
        )
        return [note, *kept]
    return kept


def _brief(obj: dict[str, Any]) -> dict[str, Any]:
    keep = ("object", "id", "name", "title", "email", "campaign_id", "campaign_name", "status")
    return {k: obj[k] for k in keep if k in obj}


def orphan_tool_messages(messages: Sequence[BaseMessage]) -> list[ToolMessage]:
    """ToolMessages whose AIMessage call is missing (a trimming bug would produce them)."""
    calls = {tc["id"] for m in messages if isinstance(m, AIMessage) for tc in m.tool_calls}
    return [m for m in messages if isinstance(m, ToolMessage) and m.tool_call_id not in calls]
