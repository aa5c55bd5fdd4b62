"""The names the model is told about are read once per turn, and again as soon as a tool changed them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from langchain_core.messages import AIMessage, SystemMessage
from langgraph.checkpoint.memory import InMemorySaver

import agent.graph as graph_module
from agent.graph import build_graph
from agent.run import AgentDeps, collect_turn
from tools.contacts import create_list, list_lists

from .fakes import ScriptedChatModel, call

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


async def test_catalog_is_read_once_per_turn_and_after_a_change(world, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []
    real = graph_module.account_catalog

    def counting(session, *, account_id: int, **kw):
        reads.append(account_id)
        return real(session, account_id=account_id, **kw)

    monkeypatch.setattr(graph_module, "account_catalog", counting)
    model = ScriptedChatModel(responses=[
        AIMessage("", tool_calls=[call("list_lists", {})]),          # read: the names stay valid
        AIMessage("", tool_calls=[call("create_list", {"name": "Webinar crowd"})]),  # write: read them again
        "Done.",
    ])
    deps = AgentDeps(
        graph=build_graph(model=model, tools=[list_lists, create_list], checkpointer=InMemorySaver()),
        session_factory=world.factory, clock=lambda: NOW,
    )
    result = await collect_turn(deps, account_id=world.account_id, user_id=world.user_id, text="lists, then a new one")
    assert result.answer == "Done."
    assert reads == [world.account_id, world.account_id]  # three model calls, two reads
    prompts = [m[0].content for m in model.seen if isinstance(m[0], SystemMessage)]
    assert len(prompts) == 3
    assert "Webinar crowd" not in prompts[1] and "Webinar crowd" in prompts[2]

    # A new turn starts fresh: one more read, and the other account never sees this account's names.
    model.responses, model.index, model.seen = ["Hi."], 0, []
    other = await collect_turn(deps, account_id=world.other_account_id, user_id=world.other_user_id, text="hi")
    assert other.answer == "Hi." and reads[-1] == world.other_account_id
    assert "Webinar crowd" not in model.seen[0][0].content
