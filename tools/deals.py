"""Deal, pipeline, task and note tools."""

from __future__ import annotations

from langgraph.prebuilt import ToolRuntime
from sqlalchemy.orm import Session

from core.crm import service as crm
from core.crm.models import Deal
from core.errors import invalid_choice
from core.scope import resolve
from tools.base import Risk, ai_tool, dump_list, dump_object, unit_of_work
from tools.context import TurnContext

AREA = "Deals and pipelines"


def _deal_id(session: Session, ctx: TurnContext, deal: str) -> int:
    return resolve(session, Deal, account_id=ctx.account_id, ref=deal.strip(), kind="deal", attr="title").id


@ai_tool(risk=Risk.READ, area=AREA, examples=("Show my open deals in the Sales pipeline", "Which deals did we win?"))
def list_deals(
    pipeline: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    owner: str | None = None,
    limit: int = 10,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """List deals, newest first, filtered by pipeline, stage, status (open, won, lost) or owner.

    Args:
        owner: a user's name or email.
        limit: how many to show (1-50).
    """
    with unit_of_work(runtime) as (session, ctx):
        page = crm.list_deals(
            session, account_id=ctx.account_id, pipeline=pipeline, stage=stage, status=status, owner=owner,
            limit=max(1, min(limit, 50)),
        )
        return dump_list("deal", page.items, total=page.total)


@ai_tool(risk=Risk.READ, area=AREA, examples=("Show the Acme renewal deal",))
def get_deal(deal: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Show one deal: value, stage, status, owner, forecast close date and win probability.

    Args:
        deal: the deal's title or id.
    """
    with unit_of_work(runtime) as (session, ctx):
        return dump_object("deal", crm.get_deal(session, account_id=ctx.account_id, deal_id=_deal_id(session, ctx, deal)))


@ai_tool(risk=Risk.READ, area=AREA, examples=("What pipelines do I have?",))
def list_pipelines(runtime: ToolRuntime[TurnContext]) -> str:
    """List pipelines with their stages, currency and open deal counts."""
    with unit_of_work(runtime) as (session, ctx):
        return dump_list("pipeline", crm.list_pipelines(session, account_id=ctx.account_id))


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Create a $12,000 deal 'Acme renewal' in the Sales pipeline",))
def create_deal(
    title: str,
    value: float,
    pipeline: str,
    stage: str | None = None,
    contact: str | None = None,
    owner: str | None = None,
    forecast_close_date: str | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Create a deal in a pipeline (in its first stage unless one is named).

    Args:
        value: the amount in the pipeline's currency, e.g. 12000.
        contact: the primary contact's email.
        owner: a user's name or email.
        forecast_close_date: YYYY-MM-DD.
    """
    with unit_of_work(runtime) as (session, ctx):
        out = crm.create_deal(
            session, account_id=ctx.account_id, title=title, value=value, pipeline=pipeline, stage=stage,
            contact=contact, owner=owner, forecast_close_date=forecast_close_date, now=ctx.now,
        )
        return dump_object("deal", out)


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Move the Acme deal to Negotiation", "Mark the Acme deal as won"))
def update_deal(
    deal: str,
    stage: str | None = None,
    value: float | None = None,
    owner: str | None = None,
    forecast_close_date: str | None = None,
    status: str | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Change a deal: move it to a stage, change value, owner or forecast date, or mark it won or lost.

    Args:
        deal: the deal's title or id.
        status: "won" or "lost" to close the deal.
    """
    changes = {
        k: v for k, v in {"stage": stage, "value": value, "owner": owner,
                          "forecast_close_date": forecast_close_date}.items() if v is not None
    }
    with unit_of_work(runtime) as (session, ctx):
        deal_id = _deal_id(session, ctx, deal)
        out = None
        if changes:
            out = crm.update_deal(session, account_id=ctx.account_id, deal_id=deal_id, now=ctx.now, **changes)
        if status is not None:
            closer = {"won": crm.mark_won, "lost": crm.mark_lost}.get(status.strip().lower())
            if closer is None:
                raise invalid_choice("status", status, ["won", "lost"])
            out = closer(session, account_id=ctx.account_id, deal_id=deal_id, now=ctx.now)
        if out is None:
            out = crm.get_deal(session, account_id=ctx.account_id, deal_id=deal_id)
        return dump_object("deal", out)


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Add a note to the Acme deal: call went well",))
def add_note(deal: str, text: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Add a note to a deal.

    Args:
        deal: the deal's title or id.
        text: the note.
    """
    with unit_of_work(runtime) as (session, ctx):
        out = crm.add_note(
            session, account_id=ctx.account_id, body=text, deal_id=_deal_id(session, ctx, deal),
            author=ctx.user_id, now=ctx.now,
        )
        return dump_object("note", out)


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Create a task to call Acme back on the Acme deal",))
def create_task(title: str, deal: str | None = None, owner: str | None = None, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """Create a to-do task, optionally on a deal and for an owner.

    Args:
        deal: the deal's title or id.
        owner: a user's name or email (default: you).
    """
    with unit_of_work(runtime) as (session, ctx):
        out = crm.create_task(
            session, account_id=ctx.account_id, title=title,
            deal_id=_deal_id(session, ctx, deal) if deal else None, owner=owner or ctx.user_id, now=ctx.now,
        )
        return dump_object("task", out)
