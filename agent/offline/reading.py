"""Reading the conversation: the system prompt's page context and catalog, the user's text, plan progress."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agent.prompts import CATALOG_PREFIX, PAGE_CONTEXT_PREFIX

PLAN_KEY = "offline_plan"

# The system prompt's catalog keys (plural) mapped to the NLU's catalog kinds.
CATALOG_KINDS = {
    "lists": "list", "segments": "segment", "tags": "tag", "campaigns": "campaign", "automations": "automation",
    "pipelines": "pipeline", "stages": "stage", "fields": "field", "scores": "score", "brand_kits": "brand_kit",
    "forms": "form",
}


@dataclass
class Conversation:
    """One model call's view of the chat."""

    text: str
    page: dict[str, Any] | None
    catalog: dict[str, list[str]]
    history: list[BaseMessage]
    turn: list[BaseMessage]
    pending: dict[str, Any] | None = None
    calls: list[tuple[dict[str, Any], dict[str, Any], ToolMessage | None]] = field(default_factory=list)


def message_text(message: BaseMessage) -> str:
    """The plain text of a message (content may be a list of parts)."""
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)


def _system_lines(messages: Sequence[BaseMessage]) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    page: dict[str, Any] | None = None
    catalog: dict[str, list[str]] = {}
    for m in messages:
        if not isinstance(m, SystemMessage):
            continue
        for line in message_text(m).splitlines():
            if line.startswith(PAGE_CONTEXT_PREFIX):
                page = json.loads(line[len(PAGE_CONTEXT_PREFIX):])
            elif line.startswith(CATALOG_PREFIX):
                catalog = json.loads(line[len(CATALOG_PREFIX):])
    return page, catalog


def read_conversation(messages: Sequence[BaseMessage]) -> Conversation:
    """Split the messages into history and the current turn, and pair this turn's tool calls with results."""
    page, catalog = _system_lines(messages)
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    text = message_text(messages[last_human]) if last_human >= 0 else ""
    history = [m for m in messages[:max(last_human, 0)] if not isinstance(m, SystemMessage)]
    turn = list(messages[last_human + 1:])
    pending = None
    for m in reversed(history):
        if isinstance(m, AIMessage):
            pending = (m.additional_kwargs.get(PLAN_KEY) or {}).get("pending")
            break
    results = {m.tool_call_id: m for m in turn if isinstance(m, ToolMessage)}
    calls = []
    for m in turn:
        if isinstance(m, AIMessage) and m.tool_calls:
            plan = m.additional_kwargs.get(PLAN_KEY) or {}
            for c in m.tool_calls:
                calls.append((plan, dict(c), results.get(c["id"])))
    return Conversation(text, page, catalog, history, turn, pending, calls)


def result_data(message: ToolMessage | None) -> Any:
    """The JSON of a tool result, or its text."""
    if message is None:
        return None
    content = message_text(message)
    try:
        return json.loads(content)
    except ValueError:
        return content
