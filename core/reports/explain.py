"""Explain a change in a rate between two periods: "why did my open rate drop last week?"."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from core.reports.performance import period_performance
from core.reports.schemas import CampaignPerformance

Metric = Literal["open_rate", "click_rate", "click_to_open_rate", "unsubscribe_rate", "bounce_rate"]
LABEL = {
    "open_rate": "open rate",
    "click_rate": "click rate",
    "click_to_open_rate": "click-to-open rate",
    "unsubscribe_rate": "unsubscribe rate",
    "bounce_rate": "bounce rate",
}


class ChangeExplanation(BaseModel):
    """A metric in two periods, the change, and the likely reasons in plain words."""

    metric: str
    current: float
    previous: float
    change_points: float
    current_campaigns: int
    previous_campaigns: int
    reasons: list[str]
    worst_campaign: str | None = None
    best_campaign: str | None = None


def explain_change(
    session: Session,
    *,
    account_id: int,
    metric: Metric,
    start: datetime,
    end: datetime,
    exclude_mpp: bool = False,
) -> ChangeExplanation:
    """Compare ``metric`` over [start, end) with the period of equal length just before it, and say why it moved."""
    span = end - start
    cur = period_performance(session, account_id=account_id, start=start, end=end, exclude_mpp=exclude_mpp)
    prev = period_performance(session, account_id=account_id, start=start - span, end=start, exclude_mpp=exclude_mpp)
    # The same periods with Apple MPP opens left out, to tell machine opens from human ones.
    cur_h = period_performance(session, account_id=account_id, start=start, end=end, exclude_mpp=True)
    prev_h = period_performance(session, account_id=account_id, start=start - span, end=start, exclude_mpp=True)
    now_v, before_v = getattr(cur.totals, metric), getattr(prev.totals, metric)
    label = LABEL[metric]
    reasons: list[str] = []
    if not cur.rows:
        reasons.append("No campaign was sent in this period, so there is nothing to compare.")
    if not prev.rows:
        reasons.append("No campaign was sent in the period before, so there is no baseline.")
    if cur.rows and prev.rows:
        if cur.totals.delivered and prev.totals.delivered:
            ratio = cur.totals.delivered / prev.totals.delivered
            if ratio > 1.3 or ratio < 0.7:
                reasons.append(
                    f"The audience changed size: {cur.totals.delivered:,} delivered vs {prev.totals.delivered:,} "
                    "before; bigger sends usually reach less engaged contacts."
                )
        if metric == "open_rate" and not exclude_mpp:
            h_now, h_before = cur_h.totals.open_rate, prev_h.totals.open_rate
            machine_delta = (now_v - before_v) - (h_now - h_before)
            if abs(machine_delta) >= 0.01:
                reasons.append(
                    f"Apple Mail Privacy Protection opens moved the rate by {machine_delta * 100:+.1f} points; "
                    f"without them the open rate went from {h_before:.1%} to {h_now:.1%}."
                )
            else:
                reasons.append(
                    f"Not Apple MPP: without machine opens the open rate also went from {h_before:.1%} to {h_now:.1%}."
                )
        if cur.totals.bounce_rate > max(0.02, prev.totals.bounce_rate * 1.5):
            reasons.append(
                f"Bounces rose to {cur.totals.bounce_rate:.1%} (from {prev.totals.bounce_rate:.1%}); "
                "a stale list lowers every rate."
            )
    worst = best = None
    if cur.rows:
        ranked = sorted(cur.rows, key=lambda r: getattr(r, metric))
        worst_row: CampaignPerformance = ranked[0]
        best_row: CampaignPerformance = ranked[-1]
        worst, best = worst_row.campaign_name, best_row.campaign_name
        if len(ranked) > 1 and getattr(best_row, metric) - getattr(worst_row, metric) > 0.05:
            reasons.append(
                f"{worst!r} pulled the {label} down ({getattr(worst_row, metric):.1%}) while {best!r} did "
                f"{getattr(best_row, metric):.1%}."
            )
    if cur.rows and prev.rows and len(reasons) == 0:
        reasons.append(f"The {label} moved within normal campaign-to-campaign variation.")
    return ChangeExplanation(
        metric=metric, current=now_v, previous=before_v, change_points=round((now_v - before_v) * 100, 2),
        current_campaigns=len(cur.rows), previous_campaigns=len(prev.rows), reasons=reasons,
        worst_campaign=worst, best_campaign=best,
    )
