"""Activities and SMS credit tools."""

from __future__ import annotations

from langgraph.prebuilt import ToolRuntime

from core.billing import service as billing
from tools.base import Risk, ai_tool, dump_object, unit_of_work
from tools.context import TurnContext

AREA = "Account and plan"


@ai_tool(risk=Risk.READ, area=AREA, examples=("How many AI activities have I used this month?",))
def get_activity_usage(runtime: ToolRuntime[TurnContext]) -> str:
    """Show this month's AI activities used, the monthly limit and what remains (unused ones do not roll over)."""
    with unit_of_work(runtime) as (session, ctx):
        return dump_object("activity_usage", billing.activity_usage(session, account_id=ctx.account_id, now=ctx.now))


@ai_tool(risk=Risk.READ, area=AREA, examples=("How many SMS credits do I have left?",))
def get_sms_credits(runtime: ToolRuntime[TurnContext]) -> str:
    """Show the account's SMS credit balance."""
    with unit_of_work(runtime) as (session, ctx):
        return dump_object("sms_credits", billing.credit_balance(session, account_id=ctx.account_id))
