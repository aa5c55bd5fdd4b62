"""Keep long chats inside the model's context without losing the objects in play."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

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
    if cut and kept is not msgs:
        # Tell the model some turns were dropped, so it asks rather than guesses about older objects.
        note = AIMessage(content=f"(Earlier part of this chat, {cut} messages, is not shown.)")
        return [note, *kept]
    return kept


def orphan_tool_messages(messages: Sequence[BaseMessage]) -> list[ToolMessage]:
    """ToolMessages whose AIMessage call is missing (a trimming bug would produce them)."""
    calls = {tc["id"] for m in messages if isinstance(m, AIMessage) for tc in m.tool_calls}
    return [m for m in messages if isinstance(m, ToolMessage) and m.tool_call_id not in calls]
