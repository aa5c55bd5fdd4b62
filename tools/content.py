"""Brand kit, saved response, form and business goal tools."""

from __future__ import annotations

from langgraph.prebuilt import ToolRuntime

from core.content import service as content
from tools.base import Risk, ai_tool, dump_list, dump_object, unit_of_work
from tools.context import TurnContext

AREA = "Brand kits, saved responses, forms and goals"


@ai_tool(risk=Risk.READ, area=AREA, examples=("Show my brand kits", "Which brand kit is primary?"))
def list_brand_kits(runtime: ToolRuntime[TurnContext]) -> str:
    """List brand kits (colors, fonts, tone, website) and which one is primary."""
    with unit_of_work(runtime) as (session, ctx):
        return dump_list("brand_kit", content.list_brand_kits(session, account_id=ctx.account_id))


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Create a brand kit 'Outlet' with a playful tone and colors #ff6600, #222222",))
def create_brand_kit(
    name: str,
    website: str | None = None,
    colors: list[str] | None = None,
    tone: str | None = None,
    description: str | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Create a brand kit (up to 5 on Plus and above, 1 on Starter; the first becomes primary).

    Args:
        colors: hex colors such as "#ff6600".
        tone: words describing the brand voice, e.g. "playful, warm".
    """
    with unit_of_work(runtime) as (session, ctx):
        out = content.create_brand_kit(
            session, account_id=ctx.account_id, name=name, now=ctx.now, website=website, colors=colors, tone=tone,
            description=description,
        )
        return dump_object("brand_kit", out)


@ai_tool(risk=Risk.READ, area=AREA, examples=("Show my saved responses about pricing",))
def list_saved_responses(
    category: str | None = None, search: str | None = None, runtime: ToolRuntime[TurnContext] = None  # type: ignore[assignment]
) -> str:
    """List saved responses (reusable 1:1 email texts), optionally in one category or matching a text.

    Args:
        category: a category name.
        search: words to look for in titles and bodies.
    """
    with unit_of_work(runtime) as (session, ctx):
        if search:
            rows = content.search_saved_responses(session, account_id=ctx.account_id, text=search)
        else:
            rows = content.list_saved_responses(session, account_id=ctx.account_id, category=category)
        return dump_list("saved_response", rows)


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Save a response called 'Demo follow-up' in the Sales category",))
def create_saved_response(
    title: str, body: str, subject: str | None = None, category: str | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Save a reusable message for 1:1 emails, optionally in a category.

    Args:
        body: the message text; personalization tags like %FIRSTNAME% are allowed.
    """
    with unit_of_work(runtime) as (session, ctx):
        out = content.create_saved_response(
            session, account_id=ctx.account_id, title=title, body=body, subject=subject, category=category,
            now=ctx.now,
        )
        return dump_object("saved_response", out)


@ai_tool(risk=Risk.READ, area=AREA, examples=("List my forms",))
def list_forms(runtime: ToolRuntime[TurnContext]) -> str:
    """List forms with their views and submissions."""
    with unit_of_work(runtime) as (session, ctx):
        return dump_list("form", content.list_forms(session, account_id=ctx.account_id))


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Create a newsletter signup form that adds people to the Newsletter list",))
def create_form(
    name: str, fields: list[str] | None = None, list_name: str | None = None, tag: str | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Create a signup form.

    Args:
        fields: field names to ask for besides email, e.g. ["first_name", "company"].
        list_name: subscribe submitters to this list.
        tag: tag submitters with this tag.
    """
    spec = [{"name": "email", "label": "Email", "type": "email", "required": True}] + [
        {"name": f.strip().lower().replace(" ", "_"), "label": f.strip().replace("_", " ").title(), "required": False}
        for f in (fields or []) if f.strip() and f.strip().lower() != "email"
    ]
    with unit_of_work(runtime) as (session, ctx):
        out = content.create_form(
            session, account_id=ctx.account_id, name=name, fields=spec, list=list_name, tag=tag, now=ctx.now
        )
        return dump_object("form", out)


@ai_tool(risk=Risk.READ, area=AREA, examples=("What are my business goals?",))
def list_goals(runtime: ToolRuntime[TurnContext]) -> str:
    """List business goals with their metric, target and period."""
    with unit_of_work(runtime) as (session, ctx):
        return dump_list("goal", content.list_business_goals(session, account_id=ctx.account_id))


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Set a goal of $50,000 revenue per month",))
def create_goal(
    name: str, metric: str, target: float, period: str = "month", runtime: ToolRuntime[TurnContext] = None  # type: ignore[assignment]
) -> str:
    """Create a business goal.

    Args:
        metric: one of revenue, orders, new_contacts, open_rate, click_rate, deals_won.
        target: the number to reach (rates as fractions, e.g. 0.25).
        period: week, month, quarter or year.
    """
    with unit_of_work(runtime) as (session, ctx):
        out = content.create_business_goal(
            session, account_id=ctx.account_id, name=name, metric=metric, target=target, period=period, now=ctx.now
        )
        return dump_object("goal", out)
