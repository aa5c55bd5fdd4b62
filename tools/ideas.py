"""Suggestion tool: what to do next, from the account's own data."""

from __future__ import annotations

from langgraph.prebuilt import ToolRuntime

from core.suggestions import homepage_ideas
from tools.base import Risk, ai_tool, dump_list, unit_of_work
from tools.context import TurnContext


@ai_tool(risk=Risk.READ, area="Help and ideas", examples=("What should I do next?", "Any ideas to grow revenue?"))
def suggest_ideas(runtime: ToolRuntime[TurnContext]) -> str:
    """Suggest the most useful next actions for this account (e.g. win back lapsed contacts), with their sizes."""
    with unit_of_work(runtime) as (session, ctx):
        return dump_list("idea", homepage_ideas(session, account_id=ctx.account_id, now=ctx.now))
