"""Graph state: only serialisable data (messages), so any worker can continue any thread."""

from __future__ import annotations

from langgraph.graph import MessagesState


class AgentState(MessagesState):
    """The chat so far; objects in play are recovered from the tool results in it."""
