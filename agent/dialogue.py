"""Dialogue state recovered from the chat itself: the objects in play and the last list shown.

Tool results carry their kind (see tools.base.dump_object / dump_list), so "it", "that segment" and "the second
one" resolve from the checkpointed messages alone; nothing extra needs to be stored, and any model can use it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

# A trimmed chat starts with a note carrying the objects the dropped turns put in play (see agent.memory).
OBJECTS_IN_PLAY_PREFIX = "OBJECTS_IN_PLAY: "


@dataclass
class DialogueState:
    """What the chat is about right now."""

    # kind -> the most recent object of that kind ({"id": ..., "name": ..., ...})
    last_by_kind: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the most recent object of any kind
    last_object: dict[str, Any] | None = None
    # the last list shown: its item kind and items, in the order the user saw them
    listed_kind: str | None = None
    listed: list[dict[str, Any]] = field(default_factory=list)
    # the tool calls of the last turn, by name, with their arguments (for "do the same for X")
    last_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def resolve(self, kind: str | None = None, ordinal: int | None = None) -> dict[str, Any] | None:
        """Resolve "it"/"that <kind>" (ordinal None) or "the Nth one" (1-based; -1 for the last one)."""
        if ordinal is not None:
            if not self.listed or (kind and self.listed_kind != kind):
                return None
            index = ordinal - 1 if ordinal > 0 else len(self.listed) + ordinal
            return self.listed[index] if 0 <= index < len(self.listed) else None
        if kind:
            return self.last_by_kind.get(kind)
        return self.last_object


def _parse(content: Any) -> Any:
    if not isinstance(content, str):
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def _seed(state: DialogueState, blob: str) -> None:
    data = _parse(blob.strip().splitlines()[0] if blob.strip() else "")
    if not isinstance(data, dict):
        return
    state.last_by_kind.update({k: v for k, v in (data.get("last_by_kind") or {}).items() if isinstance(v, dict)})
    if data.get("listed"):
        state.listed_kind, state.listed = data.get("listed_kind"), list(data["listed"])
    if isinstance(data.get("last_object"), dict):
        state.last_object = data["last_object"]


def dialogue_state(messages: Sequence[BaseMessage]) -> DialogueState:
    """Fold every tool result of the chat, oldest first, into the current dialogue state."""
    state = DialogueState()
    for message in messages:
        if isinstance(message, AIMessage) and isinstance(message.content, str) and OBJECTS_IN_PLAY_PREFIX in message.content:
            _seed(state, message.content.split(OBJECTS_IN_PLAY_PREFIX, 1)[1])
            continue
        if isinstance(message, AIMessage) and message.tool_calls:
            state.last_calls = [(c["name"], dict(c["args"])) for c in message.tool_calls]
        if not isinstance(message, ToolMessage) or message.status == "error":
            continue
        data = _parse(message.content)
        if not isinstance(data, dict) or "object" not in data:
            continue
        if data["object"] == "list":
            kind = data.get("item_kind")
            items = [i for i in data.get("items", []) if isinstance(i, dict)]
            state.listed_kind, state.listed = kind, items
            if kind and len(items) == 1:
                state.last_by_kind[kind] = items[0]
                state.last_object = {"object": kind, **items[0]}
            continue
        kind = data["object"]
        state.last_by_kind[kind] = data
        state.last_object = data
    return state
