"""OfflineChatModel: a LangChain chat model that runs our NLU instead of an LLM (no network, no key).

It receives the same messages and tool schemas an LLM would, and answers with real tool calls or with text
composed from tool results, streamed word by word, so the graph, the surfaces and the evals treat it like any
provider.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from agent.offline.brain import respond


class OfflineChatModel(BaseChatModel):
    """Understands the last user message with the offline NLU and plans tool calls from it."""

    cache_dir: str | None = None

    @property
    def _llm_type(self) -> str:
        return "activeintel-offline"

    def bind_tools(
        self, tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool], *, tool_choice: Any = None, **kw: Any
    ) -> Any:
        """Bind tool schemas like a provider would; the brain only calls tools that were bound."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kw)

    def _reply(self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None) -> AIMessage:
        names = {t["function"]["name"] for t in tools or []}
        message = respond(messages, names, cache_dir=self.cache_dir)
        message.id = message.id or f"offline-{uuid.uuid4().hex}"
        return message

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages, kwargs.get("tools")))])

    def _stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in _chunks(self._reply(messages, kwargs.get("tools"))):
            if run_manager and chunk.text:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        # Without this, LangChain runs _stream in a worker thread and hops threads once per streamed word; one
        # hop for the understanding (CPU work kept off the event loop), then the words come straight from here.
        message = await asyncio.to_thread(self._reply, messages, kwargs.get("tools"))
        for chunk in _chunks(message):
            if run_manager and chunk.text:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


def _chunks(message: AIMessage) -> Iterator[ChatGenerationChunk]:
    """The reply as a provider would stream it: words (whitespace kept, so they join to the answer), then the
    tool calls, then a closing chunk."""
    text = message.content if isinstance(message.content, str) else ""
    for piece in _split_keep_spaces(text):
        yield ChatGenerationChunk(message=AIMessageChunk(content=piece, id=message.id))
    for index, call in enumerate(message.tool_calls):
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="", id=message.id,
                tool_call_chunks=[{
                    "name": call["name"], "args": json.dumps(call["args"]), "id": call["id"],
                    "index": index, "type": "tool_call_chunk",
                }],
            )
        )
    yield ChatGenerationChunk(
        message=AIMessageChunk(
            content="", id=message.id, chunk_position="last", additional_kwargs=message.additional_kwargs,
        )
    )


def _split_keep_spaces(text: str) -> Iterator[str]:
    word = ""
    for ch in text:
        word += ch
        if ch in " \n":
            yield word
            word = ""
    if word:
        yield word
