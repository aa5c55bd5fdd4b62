"""Chart artifacts for performance answers: a Vega-Lite spec (Altair), an SVG rendered offline, and the data;
PNG on demand."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

RATE_LABELS = {
    "open_rate": "Open rate",
    "click_rate": "Click rate",
    "click_to_open_rate": "Click-to-open rate",
    "unsubscribe_rate": "Unsubscribe rate",
    "bounce_rate": "Bounce rate",
}


def rate_chart(rows: list[dict[str, Any]], *, label_key: str, metrics: list[str], title: str) -> dict[str, Any]:
    """A grouped bar chart of rates per row (campaign, week...), as spec + SVG + PNG + table."""
    table = [{label_key: r[label_key], **{m: r.get(m, 0.0) for m in metrics}} for r in rows]
    frame = pd.DataFrame(table).melt(id_vars=[label_key], value_vars=metrics, var_name="metric", value_name="rate")
    frame["metric"] = frame["metric"].map(lambda m: RATE_LABELS.get(m, m))
    chart = (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            x=alt.X(f"{label_key}:N", title=None, sort=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
            xOffset="metric:N",
            y=alt.Y("rate:Q", axis=alt.Axis(format="%"), title=None),
            color=alt.Color("metric:N", title=None),
            tooltip=[f"{label_key}:N", "metric:N", alt.Tooltip("rate:Q", format=".1%")],
        )
        .properties(width=max(240, 70 * len(rows)), height=220)
    )
    spec = chart.to_dict()
    # PNG costs as much as the SVG again and only Slack needs it, so surfaces call render_png themselves.
    return {"title": title, "vega_lite": spec, "svg": vlc.vegalite_to_svg(spec), "table": table}


def render_png(spec: dict[str, Any]) -> bytes:
    """Render a chart artifact's Vega-Lite spec to PNG (for surfaces that need an image file)."""
    return bytes(vlc.vegalite_to_png(spec, scale=1))
