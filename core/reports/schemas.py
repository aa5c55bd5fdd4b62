"""Public shapes of campaign performance reports."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from core.enums import Channel


class ReportFilters(BaseModel):
    """Which machine activity a report leaves out, and why."""

    exclude_bots: bool
    exclude_mpp: bool
    # "botsense": the account's BotSense setting decided; "request": the caller chose.
    bots_rule: Literal["botsense", "request"]
    applied: list[str]


class Metrics(BaseModel):
    """Counts and rates of one campaign or a sum of campaigns.

    Rates are fractions of delivered, except bounce_rate (of sends) and click_to_open_rate
    (unique clicks / unique opens); a rate with a zero denominator is 0.
    """

    sends: int = 0
    delivered: int = 0
    opens: int = 0
    unique_opens: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    open_rate: float = 0.0
    click_rate: float = 0.0
    click_to_open_rate: float = 0.0
    unsubscribes: int = 0
    unsubscribe_rate: float = 0.0
    bounces: int = 0
    bounce_rate: float = 0.0
    replies: int = 0
    forwards: int = 0
    shares: int = 0
    bot_opens_excluded: int = 0
    bot_clicks_excluded: int = 0
    mpp_opens_excluded: int = 0


class CampaignPerformance(Metrics):
    """One campaign's numbers."""

    campaign_id: int
    campaign_name: str
    channel: Channel
    sent_at: datetime | None
    filters: ReportFilters


class PeriodTotals(Metrics):
    """Summed counts of the campaigns in a period, with rates computed from the sums."""

    campaigns: int = 0


class PeriodPerformance(BaseModel):
    """Every campaign sent in ``[start, end)`` and their totals."""

    start: datetime
    end: datetime
    channel: Channel | None
    rows: list[CampaignPerformance]
    totals: PeriodTotals
    filters: ReportFilters


class LinkClicks(BaseModel):
    """Clicks on one URL of a campaign."""

    url: str
    clicks: int
    unique_clicks: int
    is_unsubscribe: bool = False
    is_honeypot: bool = False


class ClicksReport(BaseModel):
    """The clicks report of one campaign: per link, and overall."""

    campaign_id: int
    campaign_name: str
    delivered: int
    unique_clickers: int
    total_clicks: int
    did_not_click: int
    avg_clicks_per_clicker: float
    bot_clicks_excluded: int
    links: list[LinkClicks]
    filters: ReportFilters
