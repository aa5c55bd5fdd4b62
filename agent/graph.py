"""The LangGraph graph: a model node and a tool node, looping until the model answers without tool calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.runtime import Runtime
from langgraph.types import Checkpointer

from agent.context import TurnContext
from agent.memory import trim_history
from agent.prompts import system_prompt
from agent.state import AgentState
from core.accounts.service import get_account
from core.catalog import account_catalog
from tools.base import REGISTRY, Risk, all_tools, render_domain_error

MAX_TOOL_CALLS_PER_TURN = 25


def _tool_calls_this_turn(messages: Sequence[BaseMessage]) -> int:
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    return sum(len(m.tool_calls) for m in messages[last_human + 1:] if isinstance(m, AIMessage))


def _changes_this_turn(messages: Sequence[BaseMessage]) -> int:
    """How many tool results of this turn came from tools that may change names the prompt lists."""
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    return sum(
        1 for m in messages[last_human + 1:]
        if isinstance(m, ToolMessage) and (info := REGISTRY.get(m.name or "")) is not None and info.risk != Risk.READ
    )


def _prompt_inputs(ctx: TurnContext, messages: Sequence[BaseMessage]) -> tuple[str, dict[str, list[str]]]:
    """The account's timezone and name catalog, read once per turn and again only after a tool changed data."""
    stamp = _changes_this_turn(messages)
    cached = ctx.memo.get("prompt_inputs")
    if cached is None or cached[0] != stamp:
        with ctx.session_factory() as session:
            timezone = get_account(session, account_id=ctx.account_id).timezone
            cached = (stamp, timezone, account_catalog(session, account_id=ctx.account_id))
        ctx.memo["prompt_inputs"] = cached
    return cached[1], cached[2]


def build_graph(
    *, model: BaseChatModel, tools: Sequence[BaseTool] | None = None, checkpointer: Checkpointer = None
) -> Any:
    """Compile the agent graph around ``model`` (tests inject a scripted model and a test checkpointer)."""
    tool_list = list(tools) if tools is not None else all_tools()
    bound = model.bind_tools(tool_list)

    async def call_model(state: AgentState, runtime: Runtime[TurnContext]) -> dict[str, list[BaseMessage]]:
        ctx = runtime.context
        timezone, catalog = _prompt_inputs(ctx, state["messages"])
        prompt = system_prompt(today=ctx.now.date().isoformat(), timezone=timezone, page=ctx.page, catalog=catalog)
        history = trim_history(state["messages"])
        response = await bound.ainvoke([SystemMessage(prompt), *history])
        used = _tool_calls_this_turn(state["messages"])
        if isinstance(response, AIMessage) and response.tool_calls and used + len(response.tool_calls) > MAX_TOOL_CALLS_PER_TURN:
            # A runaway plan (or an injected instruction) cannot spend unbounded work in one turn.
            response = AIMessage(
                content=f"I stopped after {used} actions in this request: that is the most I run for one message. "
                "Tell me the next step you want, or split the request.",
                id=response.id,
            )
        return {"messages": [response]}

    builder = StateGraph(AgentState, context_schema=TurnContext)
    builder.add_node("agent", call_model)
    builder.add_node("tools", ToolNode(tool_list, handle_tool_errors=render_domain_error))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition, {"tools": "tools", END: END})
    builder.add_edge("tools", "agent")
    return builder.compile(checkpointer=checkpointer)
