"""Drafting tools: write a campaign from a prompt with the brand kit, revise it by follow-up, spam-check it,
and build an automation from a description."""

from __future__ import annotations

from typing import Literal

from langgraph.prebuilt import ToolRuntime

from core.automations.builder import build_automation
from core.campaigns import service as campaigns
from core.campaigns.drafting import draft_campaign as write_draft
from core.campaigns.drafting import revise_campaign
from core.content.spam_check import spam_check as run_spam_check
from tools.base import Risk, ai_tool, dump_object, unit_of_work
from tools.campaigns import campaign_id_for
from tools.context import TurnContext

AREA = "Campaigns"


def _preview(runtime: ToolRuntime[TurnContext], out: campaigns.CampaignOut) -> None:
    runtime.stream_writer({"artifact": "campaign_preview", "data": out.model_dump(mode="json")})


@ai_tool(
    risk=Risk.WRITE, area=AREA,
    examples=("Write a win-back email for lapsed customers, friendly tone", "Draft an SMS about our flash sale"),
)
def draft_campaign(
    topic: str,
    channel: Literal["email", "sms"] = "email",
    tone: str | None = None,
    length: Literal["short", "medium", "long"] | None = None,
    layout: str | None = None,
    offer: str | None = None,
    segment: str | None = None,
    list_name: str | None = None,
    brand_kit: str | None = None,
    name: str | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Write a campaign from a prompt, in the brand kit's voice, and save it as a draft (nothing is sent).

    Args:
        topic: what the email is about, in the user's words, e.g. "win-back offer for lapsed customers".
        tone: friendly, professional, playful, urgent, excited, warm, formal or casual.
        layout: 2 Column, Simple, Editorial, Callouts or Image grid.
        offer: an offer to feature, e.g. "20% off".
        segment: send it to this segment later; or list_name for a list.
    """
    brief = {"topic": topic, "tone": tone, "length": length or "medium", "layout": layout, "offer": offer}
    with unit_of_work(runtime) as (session, ctx):
        out = write_draft(
            session, account_id=ctx.account_id, brief={k: v for k, v in brief.items() if v is not None}, now=ctx.now,
            name=name, channel=channel, lists=[list_name] if list_name else None, segment=segment,
            brand_kit=brand_kit, created_by=ctx.user_id,
        )
        _preview(runtime, out)
        return dump_object("campaign", out)


@ai_tool(
    risk=Risk.WRITE, area=AREA,
    examples=("Make it shorter", "Make the tone more playful", "Change the subject to 'Last chance'", "Send it to the VIP segment"),
)
def edit_campaign(
    campaign: str | None = None,
    instruction: str | None = None,
    length: Literal["shorter", "longer"] | None = None,
    tone: str | None = None,
    subject: str | None = None,
    layout: str | None = None,
    segment: str | None = None,
    list_name: str | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Change a draft campaign: shorter or longer, another tone, layout or subject, feedback in words, or its
    audience (segment or list).

    Args:
        campaign: its name or id; empty means the campaign open on the page, or the latest one.
        instruction: free-text feedback, e.g. "mention free shipping".
    """
    with unit_of_work(runtime) as (session, ctx):
        cid = campaign_id_for(session, ctx, campaign)
        out = None
        if segment or list_name:
            out = campaigns.update_campaign(
                session, account_id=ctx.account_id, campaign_id=cid, now=ctx.now,
                **({"segment": segment} if segment else {}), **({"lists": [list_name]} if list_name else {}),
            )
        revision = None
        if length:
            revision = {"action": length}
        elif tone:
            revision = {"action": "tone", "tone": tone}
        elif subject:
            revision = {"action": "subject", "subject": subject}
        elif layout:
            revision = {"action": "layout", "layout": layout}
        elif instruction and not (segment or list_name):
            revision = {"action": "feedback", "feedback": instruction}
        if revision:
            out = revise_campaign(session, account_id=ctx.account_id, campaign_id=cid, revision=revision, now=ctx.now)
        if out is None:
            out = campaigns.get_campaign(session, account_id=ctx.account_id, campaign_id=cid)
        _preview(runtime, out)
        return dump_object("campaign", out)


@ai_tool(risk=Risk.READ, area=AREA, examples=("Spam check my draft", "Will this email land in spam?"))
def spam_check(campaign: str | None = None, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """Check a campaign's subject, preheader and content against spam rules; says what to fix.

    Args:
        campaign: its name or id; empty means the campaign open on the page, or the latest one.
    """
    with unit_of_work(runtime) as (session, ctx):
        c = campaigns.get_campaign(session, account_id=ctx.account_id, campaign_id=campaign_id_for(session, ctx, campaign))
        report = run_spam_check(c.subject or "", c.preheader, [b.model_dump() for b in c.blocks], from_email=c.from_email)
        return dump_object("spam_report", report, campaign=c.name)


@ai_tool(
    risk=Risk.WRITE, area="Automations",
    examples=("Build a 3-email welcome series with 2 days between", "Create an abandoned cart automation"),
)
def create_automation(
    kind: Literal["welcome", "win_back", "abandoned_cart", "post_purchase", "birthday", "lead_nurture",
                  "re_engagement", "event_follow_up", "custom"] = "custom",
    emails: int | None = None,
    wait_days: int | None = None,
    trigger_list: str | None = None,
    trigger_tag: str | None = None,
    topic: str | None = None,
    name: str | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Build an automation as an INACTIVE draft: its trigger, draft emails and waits (activating needs approval).

    Args:
        kind: the kind of series.
        emails: how many emails (1-10).
        wait_days: days between emails.
        trigger_list: start when someone subscribes to this list.
        trigger_tag: start when this tag is added.
        topic: what the emails are about.
    """
    trigger = {k: v for k, v in {"list": trigger_list, "tag": trigger_tag}.items() if v}
    spec = {
        "kind": kind, "emails": emails, "name": name, "topic": topic,
        "delay_amount": wait_days, "delay_unit": "days" if wait_days else None, "trigger": trigger or None,
    }
    with unit_of_work(runtime) as (session, ctx):
        built = build_automation(
            session, account_id=ctx.account_id, spec={k: v for k, v in spec.items() if v is not None}, now=ctx.now,
            created_by=ctx.user_id,
        )
        return dump_object(
            "automation",
            {"id": built.automation.id, "name": built.automation.name, "status": built.automation.status.value,
             "description": built.description, "emails": [c.name for c in built.campaigns]},
        )
