"""Campaign tools: list, show, troubleshoot, send a test, schedule and send (the last two ask for approval)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from langgraph.prebuilt import ToolRuntime
from sqlalchemy.orm import Session

from core.accounts.service import get_account
from core.campaigns import service as campaigns
from core.campaigns import test_send
from core.campaigns.dispatch import send_now
from core.campaigns.lookup import resolve_campaign_id
from core.campaigns.recipients import audience_figures
from core.campaigns.troubleshoot import diagnose_campaign, last_problem_campaign
from core.config import Settings
from core.enums import CampaignStatus
from core.mail import transport_from_settings
from core.periods import parse_date, parse_period
from tools.base import Risk, ai_tool, dump, dump_list, dump_object, request_approval, run_once, unit_of_work
from tools.context import TurnContext

AREA = "Campaigns"


def campaign_id_for(
    session: Session, ctx: TurnContext, campaign: str | None, statuses: tuple[CampaignStatus, ...] | None = None
) -> int:
    """Resolve a campaign reference; an empty one means the campaign open on the page, else the latest."""
    if not campaign and ctx.page is not None and ctx.page.object_type == "campaign" and ctx.page.object_id:
        campaign = str(ctx.page.object_id)
    tz = get_account(session, account_id=ctx.account_id).timezone
    return resolve_campaign_id(
        session, account_id=ctx.account_id, ref=campaign, now=ctx.now, tz=tz, statuses=statuses
    )


def _brief(c: campaigns.CampaignOut) -> dict[str, object]:
    return {
        "id": c.id, "name": c.name, "channel": c.channel.value, "status": c.status.value, "subject": c.subject,
        "sent_at": c.sent_at, "scheduled_at": c.scheduled_at,
    }


@ai_tool(risk=Risk.READ, area=AREA, examples=("List my campaigns from last month", "Show my drafts"))
def list_campaigns(
    status: str | None = None,
    channel: str | None = None,
    period: str | None = None,
    limit: int = 10,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """List campaigns, newest first.

    Args:
        status: draft, scheduled, sending, sent or failed.
        channel: email or sms.
        period: sent within this period, in words: "last month", "May", "last 90 days".
        limit: how many to show (1-50).
    """
    with unit_of_work(runtime) as (session, ctx):
        start = end = None
        if period:
            tz = get_account(session, account_id=ctx.account_id).timezone
            start, end = parse_period(period, now=ctx.now, tz=tz)
        page = campaigns.list_campaigns(
            session, account_id=ctx.account_id, status=status, channel=channel, sent_from=start, sent_to=end,
            limit=max(1, min(limit, 50)),
        )
        return dump_list("campaign", [_brief(c) for c in page.items], total=page.total)


@ai_tool(risk=Risk.READ, area=AREA, examples=("Show me the Spring sale campaign", "What's in this campaign?"))
def get_campaign(campaign: str | None = None, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """Show a campaign's subject, preheader, sender, layout, content blocks, audience and status.

    Args:
        campaign: its name or id, or words like "my last campaign" or "the May newsletter"; empty means the
            campaign open on the page, or the latest one.
    """
    with unit_of_work(runtime) as (session, ctx):
        cid = campaign_id_for(session, ctx, campaign)
        out = campaigns.get_campaign(session, account_id=ctx.account_id, campaign_id=cid)
        runtime.stream_writer({"artifact": "campaign_preview", "data": out.model_dump(mode="json")})
        return dump_object("campaign", out)


@ai_tool(
    risk=Risk.READ, area=AREA,
    examples=("Why didn't my last campaign send?", "What went wrong with the Flash sale SMS?"),
)
def troubleshoot_campaign(campaign: str | None = None, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """Explain why a campaign did not send (or reached fewer people than expected) and how to fix it.

    Args:
        campaign: its name or id; empty means the most recent campaign that failed or is stuck.
    """
    with unit_of_work(runtime) as (session, ctx):
        if campaign:
            cid = campaign_id_for(session, ctx, campaign)
        else:
            cid = last_problem_campaign(session, account_id=ctx.account_id) or campaign_id_for(session, ctx, None)
        return dump_object("diagnosis", diagnose_campaign(session, account_id=ctx.account_id, campaign_id=cid, now=ctx.now))


def _approval_details(session: Session, ctx: TurnContext, cid: int) -> tuple[campaigns.CampaignOut, dict[str, object]]:
    c = campaigns.get_campaign(session, account_id=ctx.account_id, campaign_id=cid)
    fig = audience_figures(session, account_id=ctx.account_id, campaign_id=cid, now=ctx.now)
    details: dict[str, object] = {
        "campaign": c.name,
        "channel": c.channel.value,
        "audience": ", ".join(c.list_names + ([f"segment {c.segment_name}"] if c.segment_name else [])),
        "recipients": fig.recipients,
        "excluded_unsubscribed": fig.excluded_unsubscribed,
        "excluded_bounced": fig.excluded_bounced,
    }
    if c.channel.value == "sms":
        details |= {
            "excluded_no_sms_consent": fig.excluded_no_consent,
            "credits_needed": fig.credits_needed,
            "credit_balance": fig.credit_balance,
        }
    return c, details


@ai_tool(risk=Risk.EXTERNAL_SEND, area=AREA, examples=("Send the Spring sale campaign now", "Send it"))
def send_campaign(campaign: str | None = None, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """Send a ready campaign now to its lists or segment; asks the user to approve with the recipient count first.

    Args:
        campaign: its name or id; empty means the campaign open on the page, or the latest one.
    """
    with unit_of_work(runtime) as (session, ctx):
        cid = campaign_id_for(session, ctx, campaign)
        missing = campaigns.missing_for_sending(session, account_id=ctx.account_id, campaign_id=cid)
        c, details = _approval_details(session, ctx, cid)
    if missing:
        return dump({"object": "not_ready", "campaign": c.name, "missing": missing})
    decision = request_approval(
        runtime, action="send_campaign", args={"campaign": c.name},
        description=f"Send {c.name!r} now to {details['recipients']:,} contacts.", details=details,
    )
    if decision.type == "reject":
        return f"Not sent: the user rejected sending {c.name!r}. Nothing was sent."
    with unit_of_work(runtime) as (session, ctx):
        final = campaign_id_for(session, ctx, decision.args.get("campaign") or c.name)
        result = run_once(
            session, ctx, runtime, action="send_campaign", args=decision.args,
            execute=lambda: send_now(session, account_id=ctx.account_id, campaign_id=final, now=ctx.now).model_dump(),
        )
        return dump({"object": "send_result", **result})


@ai_tool(risk=Risk.EXTERNAL_SEND, area=AREA, examples=("Schedule the Spring sale for Friday 9am",))
def schedule_campaign(
    send_at: str, campaign: str | None = None, runtime: ToolRuntime[TurnContext] = None  # type: ignore[assignment]
) -> str:
    """Schedule a ready campaign for a future time; asks the user to approve with the recipient count first.

    Args:
        send_at: when, as "YYYY-MM-DD HH:MM" in the account's time zone, or a date like "2026-12-01" (9:00).
        campaign: its name or id; empty means the campaign open on the page, or the latest one.
    """
    with unit_of_work(runtime) as (session, ctx):
        cid = campaign_id_for(session, ctx, campaign)
        tz = get_account(session, account_id=ctx.account_id).timezone
        at = _parse_send_time(send_at, ctx.now, tz)
        missing = campaigns.missing_for_sending(session, account_id=ctx.account_id, campaign_id=cid)
        c, details = _approval_details(session, ctx, cid)
    if missing:
        return dump({"object": "not_ready", "campaign": c.name, "missing": missing})
    details["send_at"] = at.isoformat()
    decision = request_approval(
        runtime, action="schedule_campaign", args={"campaign": c.name, "send_at": send_at},
        description=f"Schedule {c.name!r} for {at:%Y-%m-%d %H:%M} ({tz}) to about {details['recipients']:,} contacts.",
        details=details,
    )
    if decision.type == "reject":
        return f"Not scheduled: the user rejected scheduling {c.name!r}. Nothing was changed."
    with unit_of_work(runtime) as (session, ctx):
        final_id = campaign_id_for(session, ctx, decision.args.get("campaign") or c.name)
        final_at = _parse_send_time(decision.args.get("send_at") or send_at, ctx.now, tz)
        result = run_once(
            session, ctx, runtime, action="schedule_campaign", args=decision.args,
            execute=lambda: campaigns.schedule_campaign(
                session, account_id=ctx.account_id, campaign_id=final_id, at=final_at, now=ctx.now
            ).model_dump(mode="json"),
        )
        return dump({"object": "campaign", **result})


def _parse_send_time(text: str, now: datetime, tz: str) -> datetime:
    """Read "2026-12-01 10:00", "tomorrow 9am", "Friday at 14:30" or a bare date (9:00) in the account's zone."""
    raw = text.strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=ZoneInfo(tz))
        except ValueError:
            continue
    hour, minute = 9, 0
    clock = next(
        (m for m in re.finditer(r"\b(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b", raw, re.IGNORECASE)
         if m.group(2) or m.group(3)),
        None,
    )
    day_text = raw
    if clock:
        hour, minute = int(clock.group(1)) % 12 if clock.group(3) else int(clock.group(1)), int(clock.group(2) or 0)
        if (clock.group(3) or "").lower() == "pm":
            hour += 12
        day_text = re.sub(r"\b(?:at|on)\s*$", "", (raw[: clock.start()] + raw[clock.end():]).strip(" ,")).strip(" ,")
        day_text = day_text or "today"
    weekday = re.fullmatch(r"(?:next\s+|on\s+|this\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
                           day_text.strip().lower())
    if weekday:
        # The next such day, never today: "Friday" said on a Friday means a week later.
        local_today = now.astimezone(ZoneInfo(tz)).date()
        target = WEEKDAYS.index(weekday.group(1))
        day = local_today + timedelta(days=(target - local_today.weekday() - 1) % 7 + 1)
    else:
        day = parse_date(day_text, now=now, tz=tz)
        # A send time is in the future: "December 3" said in November means this year's, in late December next year's.
        local_today = now.astimezone(ZoneInfo(tz)).date()
        if day < local_today and not re.search(r"\b20\d\d\b", day_text):
            day = day.replace(year=day.year + 1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz))


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@ai_tool(
    risk=Risk.EXTERNAL_SEND, area=AREA,
    examples=("Send me a test of the Spring sale email", "Send a test of it to bob@example.com"),
)
def send_test_email(
    campaign: str | None = None,
    to: list[str] | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Send a test copy of an email campaign (drafts too) so it can be checked in a real inbox.

    The copy fills personalization tags with the user's own details and has "[Test]" before the subject. It is
    not a send: the campaign's status, sends and reports do not change. It goes to the user's own address
    unless other addresses are given (at most 5); addresses of people outside this account ask the user to
    approve first. Use it for "send me a test", "email a proof to ...". SMS campaigns cannot be test-sent.

    Args:
        campaign: its name or id, or words like "my last campaign" or "the May newsletter"; empty means the
            campaign open on the page, or the latest one.
        to: email addresses to send the test to, e.g. ["bob@example.com"]; "me" is the user's own address;
            empty means just the user's own address.
    """
    # The surface's transport; without one, the settings are read first, so a bad ACTIVEINTEL_SMTP_URL fails
    # before anyone is asked to approve.
    transport = runtime.context.mail or transport_from_settings(Settings())
    with unit_of_work(runtime) as (session, ctx):
        cid = campaign_id_for(session, ctx, campaign)
        plan = test_send.plan_test_send(
            session, account_id=ctx.account_id, campaign_id=cid, user_id=ctx.user_id, to=to, now=ctx.now
        )
    args: dict[str, object] = {"campaign": plan.campaign_name, "to": plan.recipients}
    if plan.outside_recipients:
        decision = request_approval(
            runtime, action="send_test_email", args=args,
            description=f"Send a test of {plan.campaign_name!r} to {', '.join(plan.recipients)}.",
            details={
                "campaign": plan.campaign_name, "subject": plan.subject, "recipients": plan.recipients,
                "outside_this_account": plan.outside_recipients, "tests_in_last_hour": plan.tests_in_last_hour,
            },
        )
        if decision.type == "reject":
            return f"Not sent: the user rejected the test of {plan.campaign_name!r}. Nothing was sent."
        args = decision.args
    with unit_of_work(runtime) as (session, ctx):
        named = args.get("campaign")
        final = plan.campaign_id if named in (None, plan.campaign_name) else campaign_id_for(session, ctx, str(named))
        result = run_once(
            session, ctx, runtime, action="send_test_email", args=args,
            execute=lambda: test_send.send_test_email(
                session, account_id=ctx.account_id, campaign_id=final, user_id=ctx.user_id,
                to=args.get("to"),  # type: ignore[arg-type]  # a list of addresses from the plan or the reviewer
                transport=transport, now=ctx.now, message_key=f"{ctx.thread_id}:{runtime.tool_call_id}",
            ).model_dump(mode="json"),
        )
        return dump({"object": "test_send", **result})
