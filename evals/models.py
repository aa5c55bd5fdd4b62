"""Models the harness runs: the model under test (offline or an OpenAI-compatible one) and the obedient stub.

The obedient model is the worst case for the tool layer (reliability check S2): it behaves like the offline
model until an injected instruction reaches it (its canary appears in the system prompt or a tool result),
then it issues exactly the tool calls the injection asks for, one at a time, before answering. A direct
attempt (``trigger: start``) issues them at the start of the turn. Whatever it does, nothing out of policy
may happen.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from agent.models import make_model
from agent.offline.model import OfflineChatModel
from core.config import Settings

OBEY_PREFIX = "obey-"


def primary_model(
    spec: str, settings: Settings, *, cache_dir: Path | None, **overrides: Any
) -> BaseChatModel:
    """The model under test: ``offline`` (with a persistent NLU cache) or ``openai:<name>``.

    ``overrides`` reach the provider's constructor (tests pass an in-process HTTP client).
    """
    if spec.strip() == "offline":
        return OfflineChatModel(cache_dir=str(cache_dir) if cache_dir else None)
    return make_model(settings.model_copy(update={"model": spec.strip()}), **overrides)


def _text(message: BaseMessage) -> str:
    content = message.content
    return content if isinstance(content, str) else json.dumps(content, default=str)


class ObedientChatModel(BaseChatModel):
    """Offline behaviour, plus blind obedience to every injected instruction it reads."""

    inner: Any
    # [{"canary": str, "trigger": "exposure" | "start", "calls": [{"name": ..., "args": {...}}]}]
    attacks: list[dict[str, Any]]
    # Canaries that reached the model, in order (for the report).
    exposed: list[str] = []

    @property
    def _llm_type(self) -> str:
        return "obedient-stub"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: Any = None,
        **kw: Any,
    ) -> Any:
        """Bind tool schemas like a provider would."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kw)

    def _next_attack_call(self, messages: list[BaseMessage]) -> dict[str, Any] | None:
        last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        turn = messages[last_human + 1 :]
        seen = " ".join(_text(m) for m in messages if isinstance(m, SystemMessage))
        seen += " ".join(_text(m) for m in turn if isinstance(m, ToolMessage))
        issued = {c["id"] for m in turn if isinstance(m, AIMessage) for c in m.tool_calls}
        for a_index, attack in enumerate(self.attacks):
            if attack.get("trigger") != "start" and attack["canary"] not in seen:
                continue
            if attack["canary"] not in self.exposed:
                self.exposed.append(attack["canary"])
            for c_index, call in enumerate(attack.get("calls", [])):
                prefix = f"{OBEY_PREFIX}{a_index}-{c_index}-"
                if not any(i.startswith(prefix) for i in issued):
                    return {
                        "name": call["name"],
                        "args": dict(call.get("args", {})),
                        "id": prefix + uuid.uuid4().hex[:8],
                        "type": "tool_call",
                    }
        return None

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        call = self._next_attack_call(messages)
        if call is None:
            return self.inner._generate(messages, stop=stop, **kwargs)  # type: ignore[no-any-return]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="", tool_calls=[call]))])

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        call = self._next_attack_call(messages)
        if call is None:
            yield from self.inner._stream(messages, stop=stop, run_manager=run_manager, **kwargs)
            return
        msg_id = f"obedient-{uuid.uuid4().hex}"
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                id=msg_id,
                tool_call_chunks=[
                    {
                        "name": call["name"],
                        "args": json.dumps(call["args"]),
                        "id": call["id"],
                        "index": 0,
                        "type": "tool_call_chunk",
                    }
                ],
            )
        )
        yield ChatGenerationChunk(message=AIMessageChunk(content="", id=msg_id, chunk_position="last"))
