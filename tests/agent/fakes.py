"""A scripted chat model that binds tools and streams text and tool-call chunks like a real provider."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool


def call(name: str, args: dict[str, Any], call_id: str | None = None) -> dict[str, Any]:
    return {"name": name, "args": args, "id": call_id or f"call_{uuid.uuid4().hex[:8]}", "type": "tool_call"}


class ScriptedChatModel(BaseChatModel):
    """Plays back scripted replies in order; a reply may be a callable of (messages, tools)."""

    responses: list[Any]
    index: int = 0
    seen: list[list[BaseMessage]] = []

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[dict | type | Callable | BaseTool], *, tool_choice: Any = None, **kw: Any) -> Any:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], tool_choice=tool_choice, **kw)

    def _next(self, messages: list[BaseMessage], tools: list[dict] | None) -> AIMessage:
        self.seen.append(list(messages))
        reply = self.responses[min(self.index, len(self.responses) - 1)]
        self.index += 1
        if callable(reply):
            reply = reply(messages, tools or [])
        msg = AIMessage(content=reply) if isinstance(reply, str) else reply
        if not msg.id:
            msg.id = f"run-{uuid.uuid4()}"
        return msg

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next(messages, kwargs.get("tools")))])

    def _stream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        msg = self._next(messages, kwargs.get("tools"))
        text = msg.content if isinstance(msg.content, str) else ""
        words = text.split(" ") if text else []
        for i, word in enumerate(words):
            tok = word if i == len(words) - 1 else word + " "
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=tok, id=msg.id))
            if run_manager:
                run_manager.on_llm_new_token(tok, chunk=chunk)
            yield chunk
        for i, tc in enumerate(msg.tool_calls):
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="", id=msg.id,
                    tool_call_chunks=[{"name": tc["name"], "args": json.dumps(tc["args"]), "id": tc["id"], "index": i, "type": "tool_call_chunk"}],
                )
            )
        yield ChatGenerationChunk(message=AIMessageChunk(content="", id=msg.id, chunk_position="last"))
