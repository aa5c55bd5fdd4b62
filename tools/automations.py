"""Automation tools: list, show, edit by follow-up, activate (with approval) and deactivate."""

from __future__ import annotations

from langgraph.prebuilt import ToolRuntime
from sqlalchemy.orm import Session

from core.automations import editing
from core.automations import service as automations
from core.automations.models import Automation
from core.errors import InvalidRequest
from core.scope import resolve
from tools.base import Risk, ai_tool, dump, dump_list, dump_object, request_approval, run_once, unit_of_work
from tools.context import TurnContext

AREA = "Automations"


def _automation_id(session: Session, ctx: TurnContext, automation: str | None) -> int:
    if not automation and ctx.page is not None and ctx.page.object_type == "automation" and ctx.page.object_id:
        return ctx.page.object_id
    if not (automation or "").strip():
        raise InvalidRequest(
            "Which automation? Give its name or id (say 'show my automations' to see them).", field="automation"
        )
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
        return dump_object("automation", out, emails=editing.email_names(session, account_id=ctx.account_id, automation=out))


@ai_tool(
    risk=Risk.WRITE, area=AREA,
    examples=("Make the waits 2 days", "Add another email to the welcome series", "Rename it to Onboarding",
              "Start it when someone joins the VIP Club list"),
)
def edit_automation(
    automation: str | None = None,
    rename_to: str | None = None,
    wait_days: int | None = None,
    wait_hours: int | None = None,
    which_wait: int | None = None,
    wait_before_email: int | None = None,
    emails: int | None = None,
    add_emails: int | None = None,
    add_after_email: int | None = None,
    remove_email: int | None = None,
    trigger_list: str | None = None,
    trigger_tag: str | None = None,
    trigger_form: str | None = None,
    email_number: int | None = None,
    subject: str | None = None,
    topic: str | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Change an automation by follow-up: rename it, change its waits, add emails (drafted in the brand's voice)
    or remove them, change what starts it, or change one email's subject. Only inactive automations change
    shape; an active one can only be renamed (pause it with deactivate_automation first, then activate it again).
    Returns the new flow in words. Email and wait numbers count from 1 in the order contacts get them; -1 is the
    last.

    Args:
        automation: its name or id; empty means the automation open on the page.
        rename_to: a new name for the automation.
        wait_days: a wait length in days (or wait_hours for hours). Alone it sets every wait between emails; with
            which_wait or wait_before_email only that wait; with add_emails or emails the wait before each new email.
        which_wait: which wait to change, e.g. 1 for "the first wait".
        wait_before_email: change the wait just before this email, e.g. 3.
        emails: the total number of emails wanted ("make it 4 emails"); adds or removes at the end.
        add_emails: how many new emails to add, at the end or after add_after_email.
        remove_email: the email to take out (with its wait); its draft campaign is kept.
        trigger_list: start it when someone subscribes to this list.
        trigger_tag: start it when this tag is added to a contact.
        trigger_form: start it when someone submits this form.
        email_number: the email whose subject changes; give subject too.
        topic: what the added emails are about (default: the next emails of the series).
    """
    if wait_days is not None and wait_hours is not None:
        raise InvalidRequest("Give the wait in days or in hours, not both.", field="wait")
    trigger = {k: v for k, v in {"list": trigger_list, "tag": trigger_tag, "form": trigger_form}.items() if v}
    edit = {
        "rename_to": rename_to, "wait_amount": wait_days if wait_days is not None else wait_hours,
        "wait_unit": "hours" if wait_hours is not None else "days", "wait_number": which_wait,
        "wait_before_email": wait_before_email, "emails": emails, "add_emails": add_emails,
        "add_after_email": add_after_email, "remove_email": remove_email, "trigger": trigger or None,
        "email_number": email_number, "subject": subject, "topic": topic,
    }
    with unit_of_work(runtime) as (session, ctx):
        out = editing.edit_automation(
            session, account_id=ctx.account_id, automation_id=_automation_id(session, ctx, automation), edit=edit,
            now=ctx.now, created_by=ctx.user_id,
        )
        a = out.automation
        return dump_object(
            "automation",
            {"id": a.id, "name": a.name, "status": a.status.value, "description": out.description,
             "emails": out.emails, "changes": out.changes},
        )


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
