"""Chat memory with the offline model on the demo account: a restart on the real checkpointers
(AsyncSqliteSaver file, AsyncPostgresSaver), privacy of threads, and trimming of long chats."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from sqlalchemy import select

from agent.checkpoint import open_checkpointer
from agent.graph import build_graph
from agent.memory import DEFAULT_BUDGET_CHARS, _size, orphan_tool_messages
from agent.offline.model import OfflineChatModel
from agent.run import AgentDeps, TurnResult, collect_turn
from core.accounts.models import User
from core.config import Settings
from core.errors import NotFound

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


class SpyOfflineModel(OfflineChatModel):
    """The offline model, recording the messages each call received (what an LLM would have been sent)."""

    seen: list[list[BaseMessage]] = []

    def _reply(self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None) -> AIMessage:
        self.seen.append(list(messages))
        return super()._reply(messages, tools)


@pytest.fixture(scope="module")
def nlu_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    # The intent model is cached by the hash of its training file, so the persistent pytest cache is safe.
    cache = getattr(request.config, "cache", None)
    return str(cache.mkdir("activeintel-nlu") if cache is not None else tmp_path_factory.mktemp("nlu"))


@pytest.fixture
def settings(demo_world: Any, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """SQLite worlds keep chats in the data folder's checkpoint file, PostgreSQL ones in the test database."""
    if demo_world.backend == "sqlite":
        return Settings(ACTIVEINTEL_DATA_DIR=str(tmp_path / "data"))
    return Settings(
        ACTIVEINTEL_DATA_DIR=str(tmp_path / "data"), DATABASE_URL=request.getfixturevalue("postgres_url")
    )


@asynccontextmanager
async def running(
    world: Any, settings: Settings, nlu_cache: str
) -> AsyncIterator[tuple[AgentDeps, SpyOfflineModel]]:
    """One process lifetime: a fresh checkpointer connection, model and graph."""
    model = SpyOfflineModel(cache_dir=nlu_cache)
    async with open_checkpointer(settings) as saver:
        expected = "AsyncSqliteSaver" if world.backend == "sqlite" else "AsyncPostgresSaver"
        assert type(saver).__name__ == expected
        graph = build_graph(model=model, checkpointer=saver)
        yield AgentDeps(graph=graph, session_factory=world.factory, clock=lambda: NOW), model


async def _say(
    deps: AgentDeps, account_id: int, user_id: int, text: str, thread_id: str | None = None
) -> TurnResult:
    return await collect_turn(deps, account_id=account_id, user_id=user_id, thread_id=thread_id, text=text)


def _output(result: TurnResult, i: int = 0) -> dict[str, Any]:
    return json.loads(result.tool_results[i].output)


async def test_lists_memory_survives_a_restart(demo_world, settings, nlu_cache) -> None:
    me = (demo_world.account_id, demo_world.admin_user_id)
    async with running(demo_world, settings, nlu_cache) as (deps, _):
        first = await _say(deps, *me, "list my lists")
    assert [c.name for c in first.tool_calls] == ["list_lists"]
    names = [item["name"] for item in _output(first)["items"]]
    assert len(names) >= 3
    if demo_world.backend == "sqlite":
        assert (settings.data_dir / "checkpoints.sqlite").is_file()

    async with running(demo_world, settings, nlu_cache) as (deps, model):
        second = await _say(deps, *me, "open the second one", thread_id=first.thread_id)
    assert second.status == "success" and names[1] in second.answer
    assert not [n for n in names if n != names[1] and n in second.answer]
    # The restarted process read turn 1 from the checkpointer: the model got the question and its tool result.
    seen = model.seen[-1]
    assert [m.content for m in seen if isinstance(m, HumanMessage)] == [
        "list my lists",
        "open the second one",
    ]
    assert any(isinstance(m, ToolMessage) and names[1] in m.content for m in seen)


async def test_campaign_follow_up_after_a_restart_calls_the_tool_on_the_right_one(
    demo_world, settings, nlu_cache
) -> None:
    me = (demo_world.account_id, demo_world.admin_user_id)
    async with running(demo_world, settings, nlu_cache) as (deps, _):
        first = await _say(deps, *me, "show my campaigns that were sent")
        control = await _say(deps, *me, "open the second one")  # a new chat has nothing to pick from
    assert control.tool_calls == [] and "Which one?" in control.answer
    listed = _output(first)["items"]
    async with running(demo_world, settings, nlu_cache) as (deps, _):
        second = await _say(deps, *me, "open the second one", thread_id=first.thread_id)
    assert [c.name for c in second.tool_calls] == ["get_campaign"]
    assert _output(second)["id"] == listed[1]["id"] and listed[1]["name"] in second.answer


async def test_threads_are_private_to_account_and_user(demo_world, settings, nlu_cache) -> None:
    me = (demo_world.account_id, demo_world.admin_user_id)
    with demo_world.factory() as s:
        colleague = s.scalars(
            select(User.id).where(
                User.account_id == demo_world.account_id, User.id != demo_world.admin_user_id
            )
        ).first()
    assert colleague is not None
    async with running(demo_world, settings, nlu_cache) as (deps, model):
        mine = await _say(deps, *me, "list my lists")
        names = [item["name"] for item in _output(mine)["items"]]
        config = {"configurable": {"thread_id": mine.thread_id}}
        before = len((await deps.graph.aget_state(config)).values["messages"])
        strangers = [
            (demo_world.other_account_id, demo_world.other_user_id),
            (demo_world.account_id, colleague),
        ]
        for account_id, user_id in strangers:
            with pytest.raises(NotFound):
                await _say(deps, account_id, user_id, "open the second one", thread_id=mine.thread_id)
        # Refused before the graph ran: nothing was read from or written to my chat.
        assert len((await deps.graph.aget_state(config)).values["messages"]) == before

        calls_before = len(model.seen)
        other = await _say(deps, demo_world.other_account_id, demo_world.other_user_id, "open the second one")
        others_lists = await _say(
            deps,
            demo_world.other_account_id,
            demo_world.other_user_id,
            "list my lists",
            thread_id=other.thread_id,
        )
    assert other.thread_id != mine.thread_id and other.tool_calls == []
    assert not [n for n in names if n in other.answer]
    assert _output(others_lists)["items"] == []
    for messages in model.seen[calls_before:]:
        text = " ".join(str(m.content) for m in messages)
        assert not [n for n in names if n in text], "the other account's model input shows my lists"


FILLERS = ("show my campaigns that were sent", "list my lists")


def _asked(messages: list[BaseMessage], words: str) -> bool:
    return any(isinstance(m, HumanMessage) and words in str(m.content) for m in messages)


async def _long_chat(world: Any, settings: Settings, nlu_cache: str) -> dict[str, Any]:
    """Draft a campaign, then list things until the draft's turn has left the model's window; then "it"."""
    me = (world.account_id, world.admin_user_id)
    async with running(world, settings, nlu_cache) as (deps, model):
        drafted = await _say(deps, *me, "write a friendly email about our new hiking boots with 20% off")
        assert [c.name for c in drafted.tool_calls] == ["draft_campaign"]
        thread = drafted.thread_id
        turns = 0
        while _asked(model.seen[-1], "hiking boots") or turns % 2:
            result = await _say(deps, *me, FILLERS[turns % 2], thread_id=thread)
            assert result.status == "success" and len(result.tool_calls) == 1 and result.answer
            turns += 1
            assert turns < 60, "the chat never got trimmed"
        window = [m for m in model.seen[-1] if not isinstance(m, SystemMessage)]
        stored = (await deps.graph.aget_state({"configurable": {"thread_id": thread}})).values["messages"]
        edited = await _say(deps, *me, "make it shorter", thread_id=thread)
    return {"draft": _output(drafted), "window": window, "stored": stored, "edited": edited}


async def test_long_chat_is_trimmed_to_the_budget(demo_world, settings, nlu_cache) -> None:
    chat = await _long_chat(demo_world, settings, nlu_cache)
    window, stored = chat["window"], chat["stored"]
    assert sum(_size(m) for m in stored) > DEFAULT_BUDGET_CHARS, "the chat must be longer than the budget"
    assert len(window) < len(stored) and not _asked(window, "hiking boots")
    # What the model was sent besides the system prompt fits the budget (a one-line note aside), whole turns
    # only: every tool result still follows its call, and the newest turn is all there.
    assert sum(_size(m) for m in window) <= DEFAULT_BUDGET_CHARS + 200
    assert orphan_tool_messages(window) == []
    assert [type(m) for m in window[-3:]] == [HumanMessage, AIMessage, ToolMessage]
    assert window[-3].content in FILLERS and window[-1].tool_call_id == window[-2].tool_calls[0]["id"]
    assert chat["edited"].status == "success"


async def test_trimming_keeps_the_object_in_play(demo_world, settings, nlu_cache) -> None:
    chat = await _long_chat(demo_world, settings, nlu_cache)
    edited = chat["edited"]
    # "it" is still the draft the chat is about.
    assert [c.name for c in edited.tool_calls] == ["edit_campaign"], edited.answer
    assert _output(edited)["id"] == chat["draft"]["id"]
