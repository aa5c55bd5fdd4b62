"""Performance tools: one campaign, a period, clicks, comparisons and explanations; answers carry a chart."""

from __future__ import annotations

from typing import Literal

from langgraph.prebuilt import ToolRuntime

from core.accounts.service import get_account
from core.enums import CampaignStatus
from core.periods import parse_period
from core.reports import performance
from core.reports.explain import explain_change
from tools.base import Risk, ai_tool, dump_list, dump_object, unit_of_work
from tools.campaigns import campaign_id_for
from tools.charts import rate_chart_spec
from tools.context import TurnContext

AREA = "Reports"
RATES = ["open_rate", "click_rate", "click_to_open_rate"]
SENT = (CampaignStatus.SENT, CampaignStatus.SENDING)


@ai_tool(
    risk=Risk.READ, area=AREA,
    examples=("How did my May newsletter do?", "What was the open rate of my last campaign?"),
)
def get_campaign_performance(
    campaign: str | None = None, exclude_mpp: bool = False, runtime: ToolRuntime[TurnContext] = None  # type: ignore[assignment]
) -> str:
    """Report one campaign: sends, opens, unique opens, clicks, click-to-open, unsubscribes, bounces and rates.

    Bot opens and clicks are left out when the account's BotSense is on.

    Args:
        campaign: its name or id, or words like "my last campaign" or "the May newsletter"; empty means the
            campaign open on the page, or the latest sent one.
        exclude_mpp: leave out Apple Mail Privacy Protection (machine) opens.
    """
    with unit_of_work(runtime) as (session, ctx):
        cid = campaign_id_for(session, ctx, campaign, statuses=SENT)
        out = performance.campaign_performance(session, account_id=ctx.account_id, campaign=cid, exclude_mpp=exclude_mpp)
        row = {"label": out.campaign_name, **{m: getattr(out, m) for m in RATES}}
        chart = rate_chart_spec([row], label_key="label", metrics=RATES, title=f"{out.campaign_name}: rates")
        runtime.stream_writer({"artifact": "chart", "data": chart})
        return dump_object("campaign_performance", out)


@ai_tool(
    risk=Risk.READ, area=AREA,
    examples=("How did my emails do last month?", "Email performance this quarter"),
)
def get_period_performance(
    period: str, channel: str | None = None, exclude_mpp: bool = False, runtime: ToolRuntime[TurnContext] = None  # type: ignore[assignment]
) -> str:
    """Report every campaign sent in a period and the totals (rates computed from summed counts).

    Args:
        period: in words: "last month", "last 90 days", "May", "this quarter", "2026-05-01 to 2026-05-31".
        channel: email or sms (default both).
        exclude_mpp: leave out Apple Mail Privacy Protection (machine) opens.
    """
    with unit_of_work(runtime) as (session, ctx):
        tz = get_account(session, account_id=ctx.account_id).timezone
        start, end = parse_period(period, now=ctx.now, tz=tz)
        out = performance.period_performance(
            session, account_id=ctx.account_id, start=start, end=end, channel=channel, exclude_mpp=exclude_mpp
        )
        if out.rows:
            rows = [{"label": r.campaign_name, **{m: getattr(r, m) for m in RATES}} for r in out.rows[-12:]]
            runtime.stream_writer(
                {"artifact": "chart", "data": rate_chart_spec(rows, label_key="label", metrics=RATES, title=f"Campaigns, {period}")}
            )
        brief = [
            {"campaign": r.campaign_name, "sent_at": r.sent_at, "delivered": r.delivered,
             **{m: round(getattr(r, m), 4) for m in RATES}}
            for r in out.rows
        ]
        return dump_object(
            "period_performance", {"period": period, "start": out.start, "end": out.end,
                                   "totals": out.totals.model_dump(mode="json"), "campaigns": brief},
        )


@ai_tool(risk=Risk.READ, area=AREA, examples=("Which links got clicked in the Black Friday email?",))
def get_clicks_report(campaign: str | None = None, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """Report a campaign's clicks per link (total and unique), bot clicks left out when BotSense is on.

    Args:
        campaign: its name or id; empty means the campaign open on the page, or the latest sent one.
    """
    with unit_of_work(runtime) as (session, ctx):
        cid = campaign_id_for(session, ctx, campaign, statuses=SENT)
        return dump_object("clicks_report", performance.clicks_report(session, account_id=ctx.account_id, campaign=cid))


@ai_tool(risk=Risk.READ, area=AREA, examples=("Compare my last two newsletters", "Spring sale vs Summer sale"))
def compare_campaigns(campaigns: list[str], runtime: ToolRuntime[TurnContext]) -> str:
    """Compare the rates of two or more campaigns side by side.

    Args:
        campaigns: names or ids of the campaigns to compare (2-6).
    """
    with unit_of_work(runtime) as (session, ctx):
        outs = [
            performance.campaign_performance(
                session, account_id=ctx.account_id, campaign=campaign_id_for(session, ctx, ref, statuses=SENT)
            )
            for ref in campaigns[:6]
        ]
        rows = [{"label": o.campaign_name, **{m: getattr(o, m) for m in RATES}} for o in outs]
        runtime.stream_writer({"artifact": "chart", "data": rate_chart_spec(rows, label_key="label", metrics=RATES, title="Comparison")})
        return dump_list(
            "campaign_performance",
            [{"campaign_id": o.campaign_id, "name": o.campaign_name, "delivered": o.delivered,
              **{m: round(getattr(o, m), 4) for m in [*RATES, "unsubscribe_rate", "bounce_rate"]}} for o in outs],
        )


@ai_tool(
    risk=Risk.READ, area=AREA,
    examples=("Why did my open rate drop last week?", "Why are clicks down this month?"),
)
def explain_performance_change(
    metric: Literal["open_rate", "click_rate", "click_to_open_rate", "unsubscribe_rate", "bounce_rate"] = "open_rate",
    period: str = "last week",
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Explain why a rate changed: compares the period with the one just before and names the likely causes.

    Args:
        metric: which rate.
        period: the period in words, e.g. "last week", "this month".
    """
    with unit_of_work(runtime) as (session, ctx):
        tz = get_account(session, account_id=ctx.account_id).timezone
        start, end = parse_period(period, now=ctx.now, tz=tz)
        out = explain_change(session, account_id=ctx.account_id, metric=metric, start=start, end=end)
        return dump_object("change_explanation", out, period=period)
