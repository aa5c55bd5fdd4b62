"""Automation tools: list, show, activate (with approval) and deactivate."""

from __future__ import annotations

from langgraph.prebuilt import ToolRuntime
from sqlalchemy.orm import Session

from core.automations import service as automations
from core.automations.models import Automation
from core.scope import resolve
from tools.base import Risk, ai_tool, dump, dump_list, dump_object, request_approval, run_once, unit_of_work
from tools.context import TurnContext

AREA = "Automations"


def _automation_id(session: Session, ctx: TurnContext, automation: str | None) -> int:
    if not automation and ctx.page is not None and ctx.page.object_type == "automation" and ctx.page.object_id:
        return ctx.page.object_id
    return resolve(session, Automation, account_id=ctx.account_id, ref=(automation or "").strip(), kind="automation").id


def _brief(a: automations.AutomationOut) -> dict[str, object]:
    return {"id": a.id, "name": a.name, "status": a.status.value, "trigger": a.trigger.type, "steps": len(a.steps)}


@ai_tool(risk=Risk.READ, area=AREA, examples=("Show my automations", "Which automations are active?"))
def list_automations(status: str | None = None, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """List automations with their status, trigger and number of steps.

    Args:
        status: active or inactive.
    """
    with unit_of_work(runtime) as (session, ctx):
        return dump_list("automation", [_brief(a) for a in automations.list_automations(session, account_id=ctx.account_id, status=status)])


@ai_tool(risk=Risk.READ, area=AREA, examples=("Show the Welcome series automation",))
def get_automation(automation: str | None = None, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """Show an automation's trigger and steps.

    Args:
        automation: its name or id; empty means the automation open on the page.
    """
    with unit_of_work(runtime) as (session, ctx):
        out = automations.get_automation(session, account_id=ctx.account_id, automation_id=_automation_id(session, ctx, automation))
        return dump_object("automation", out)


@ai_tool(risk=Risk.EXTERNAL_SEND, area=AREA, examples=("Turn on the Welcome series",))
def activate_automation(automation: str | None = None, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """Activate an automation so it starts running for contacts who meet its trigger; asks for approval first.

    Args:
        automation: its name or id; empty means the automation open on the page.
    """
    with unit_of_work(runtime) as (session, ctx):
        aid = _automation_id(session, ctx, automation)
        a = automations.get_automation(session, account_id=ctx.account_id, automation_id=aid)
    emails = sum(1 for s in a.steps if s.type == "send_email")
    decision = request_approval(
        runtime, action="activate_automation", args={"automation": a.name},
        description=f"Activate {a.name!r}: contacts who meet its trigger ({a.trigger.type.replace('_', ' ')}) will start "
                    f"receiving its {emails} email(s).",
        details={"automation": a.name, "trigger": a.trigger.type, "steps": len(a.steps), "emails": emails},
    )
    if decision.type == "reject":
        return f"Not activated: the user rejected activating {a.name!r}. It stays inactive."
    with unit_of_work(runtime) as (session, ctx):
        final = _automation_id(session, ctx, decision.args.get("automation") or a.name)
        result = run_once(
            session, ctx, runtime, action="activate_automation", args=decision.args,
            execute=lambda: _brief(automations.activate_automation(session, account_id=ctx.account_id, automation_id=final, now=ctx.now)),
        )
        return dump({"object": "automation", **result})


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Pause the Welcome series",))
def deactivate_automation(automation: str | None = None, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """Deactivate (pause) an automation; contacts stop entering it.

    Args:
        automation: its name or id; empty means the automation open on the page.
    """
    with unit_of_work(runtime) as (session, ctx):
        out = automations.deactivate_automation(
            session, account_id=ctx.account_id, automation_id=_automation_id(session, ctx, automation), now=ctx.now
        )
        return dump_object("automation", _brief(out))
