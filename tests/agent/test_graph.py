"""The graph and run_turn with a scripted model: scope from context, errors, approvals, memory, privacy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.prebuilt import ToolRuntime

from agent.context import PageContext, TurnContext
from agent.events import ApprovalRequest, FinalAnswer, Token, ToolFinished, ToolStarted
from agent.graph import build_graph
from agent.run import AgentDeps, collect_turn, run_turn
from core.accounts import service as accounts
from core.errors import NotFound
from tools.account import check_feature, get_account_overview
from tools.base import REGISTRY, Risk, dump, request_approval, run_once, unit_of_work

from .fakes import ScriptedChatModel, call

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@tool
def invite_user(email: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Invite a user (needs approval; used to test the approval machinery)."""
    args = {"email": email}
    decision = request_approval(
        runtime, action="invite_user", args=args, description=f"Invite {email}", details={"seats_used": 1}
    )
    if decision.type == "reject":
        return "Not done: the reviewer rejected inviting the user."
    with unit_of_work(runtime) as (session, ctx):
        final = decision.args
        result = run_once(
            session, ctx, runtime, action="invite_user", args=final,
            execute=lambda: accounts.create_user(
                session, account_id=ctx.account_id, email=final["email"], name="Invited"
            ).model_dump(mode="json"),
        )
        return dump(result)


@tool
def broken(runtime: ToolRuntime[TurnContext]) -> str:
    """A tool with a bug."""
    raise ZeroDivisionError("bug")


def deps_for(world, model, checkpointer=None, tools=None) -> AgentDeps:
    graph = build_graph(
        model=model, tools=tools or [get_account_overview, check_feature, invite_user, broken],
        checkpointer=checkpointer or InMemorySaver(),
    )
    return AgentDeps(graph=graph, session_factory=world.factory, clock=lambda: NOW)


async def test_tool_scope_comes_from_context_and_answer_streams(world) -> None:
    model = ScriptedChatModel(responses=[AIMessage("", tool_calls=[call("get_account_overview", {})]), "You are on Pro."])
    deps = deps_for(world, model)
    events = [e async for e in run_turn(deps, account_id=world.account_id, user_id=world.user_id, text="my plan?")]
    started = [e for e in events if isinstance(e, ToolStarted)]
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert [e.name for e in started] == ["get_account_overview"]
    assert json.loads(finished[0].output)["name"] == "Acme"
    assert "".join(e.text for e in events if isinstance(e, Token)) == "You are on Pro."
    assert [e.text for e in events if isinstance(e, FinalAnswer)] == ["You are on Pro."]
    # The other tenant running the same turn sees only its own account.
    model2 = ScriptedChatModel(responses=[AIMessage("", tool_calls=[call("get_account_overview", {})]), "ok"])
    result = await collect_turn(deps_for(world, model2), account_id=world.other_account_id, user_id=world.other_user_id, text="plan?")
    assert json.loads(result.tool_results[0].output)["name"] == "Beta"


async def test_domain_error_becomes_error_tool_message_the_model_sees(world) -> None:
    model = ScriptedChatModel(
        responses=[AIMessage("", tool_calls=[call("check_feature", {"feature": "teleport"})]), "Sorry."]
    )
    result = await collect_turn(deps_for(world, model), account_id=world.account_id, user_id=world.user_id, text="x")
    assert result.tool_results[0].status == "error"
    assert "choose one of" in result.tool_results[0].output
    last_seen = model.seen[-1][-1]
    assert isinstance(last_seen, ToolMessage) and last_seen.status == "error"


async def test_bugs_propagate(world) -> None:
    model = ScriptedChatModel(responses=[AIMessage("", tool_calls=[call("broken", {})]), "never"])
    with pytest.raises(ZeroDivisionError):
        await collect_turn(deps_for(world, model), account_id=world.account_id, user_id=world.user_id, text="x")


def _users(world) -> list[str]:
    with world.factory() as s:
        return [u.email for u in accounts.list_users(s, account_id=world.account_id)]


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        ({"decisions": [{"type": "approve"}]}, ["ann@acme.io", "new@acme.io"]),
        ({"decisions": [{"type": "reject", "message": "no"}]}, ["ann@acme.io"]),
        ({"decisions": [{"type": "edit", "edited_action": {"name": "invite_user", "args": {"email": "other@acme.io"}}}]}, ["ann@acme.io", "other@acme.io"]),
    ],
    ids=["approve", "reject", "edit"],
)
async def test_approval_runs_exactly_once_or_not_at_all(world, decision, expected) -> None:
    model = ScriptedChatModel(
        responses=[AIMessage("", tool_calls=[call("invite_user", {"email": "new@acme.io"}, "call_inv")]), "Done."]
    )
    deps = deps_for(world, model)
    first = await collect_turn(deps, account_id=world.account_id, user_id=world.user_id, text="invite new@acme.io")
    assert first.status == "interrupted" and isinstance(first.approval, ApprovalRequest)
    payload = first.approval.payload
    assert payload["action_requests"][0]["name"] == "invite_user"
    assert payload["review_configs"][0]["allowed_decisions"] == ["approve", "edit", "reject"]
    assert _users(world) == ["ann@acme.io"]  # nothing happens before the decision
    second = await collect_turn(deps, account_id=world.account_id, user_id=world.user_id, thread_id=first.thread_id, decision=decision)
    assert second.status == "success"
    assert sorted(_users(world)) == sorted(expected)
    if decision["decisions"][0]["type"] == "reject":
        assert "rejected" in second.tool_results[0].output


async def test_memory_survives_a_restart(world, tmp_path: Path) -> None:
    path = str(tmp_path / "checkpoints.sqlite")
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        deps = deps_for(world, ScriptedChatModel(responses=["Noted: your favourite colour is teal."]), checkpointer=saver)
        first = await collect_turn(deps, account_id=world.account_id, user_id=world.user_id, text="my colour is teal")
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        model = ScriptedChatModel(responses=[lambda msgs, tools: f"I remember {len(msgs)} messages."])
        deps = deps_for(world, model, checkpointer=saver)
        await collect_turn(deps, account_id=world.account_id, user_id=world.user_id, thread_id=first.thread_id, text="what colour?")
    contents = [m.content for m in model.seen[-1]]
    assert "my colour is teal" in contents and "Noted: your favourite colour is teal." in contents


async def test_threads_are_private_to_their_owner(world) -> None:
    deps = deps_for(world, ScriptedChatModel(responses=["hi"]))
    mine = await collect_turn(deps, account_id=world.account_id, user_id=world.user_id, text="hello there")
    with pytest.raises(NotFound):
        await collect_turn(deps, account_id=world.other_account_id, user_id=world.other_user_id, thread_id=mine.thread_id, text="read it")
    from core.chats import service as chats

    with world.factory() as s:
        threads = chats.list_threads(s, account_id=world.account_id, user_id=world.user_id)
    assert [t.title for t in threads] == ["hello there"] and threads[0].preview == "hi"


async def test_page_context_reaches_the_model(world) -> None:
    model = ScriptedChatModel(responses=["ok"])
    page = PageContext(page="campaign", object_type="campaign", object_id=42)
    await collect_turn(deps_for(world, model), account_id=world.account_id, user_id=world.user_id, text="how did this do?", page=page)
    system = model.seen[0][0].content
    assert 'PAGE_CONTEXT: {"object_id": 42, "object_type": "campaign", "page": "campaign"}' in system


def test_every_registered_tool_has_a_risk_class_and_docstring() -> None:
    from tools.base import all_tools

    for t in all_tools():
        assert t.name in REGISTRY and isinstance(REGISTRY[t.name].risk, Risk)
        assert t.description and len(t.description) > 20


async def test_a_runaway_plan_stops_at_the_tool_call_limit(world) -> None:
    from agent.graph import MAX_TOOL_CALLS_PER_TURN

    flood = [AIMessage("", tool_calls=[call("get_account_overview", {}) for _ in range(10)]) for _ in range(10)]
    model = ScriptedChatModel(responses=[*flood, "never reached"])
    result = await collect_turn(deps_for(world, model), account_id=world.account_id, user_id=world.user_id, text="loop")
    assert len(result.tool_calls) <= MAX_TOOL_CALLS_PER_TURN
    assert "I stopped after" in result.answer
