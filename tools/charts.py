"""Chart artifacts for performance answers: a Vega-Lite spec (Altair), an SVG rendered offline, and the data;
PNG on demand."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import altair as alt
import vl_convert as vlc

RATE_LABELS = {
    "open_rate": "Open rate",
    "click_rate": "Click rate",
    "click_to_open_rate": "Click-to-open rate",
    "unsubscribe_rate": "Unsubscribe rate",
    "bounce_rate": "Bounce rate",
}


@lru_cache(maxsize=32)
def _rate_chart_template(label_key: str) -> str:
    """The grouped-bar spec Altair writes for a label column, as JSON, without data, title or width.

    Altair builds the same structure for every call (only the values, title and width differ), and building it
    costs more than everything else in a performance answer, so it is built once per label column.
    """
    chart = (
        alt.Chart(alt.Data(values=[]))
        .mark_bar()
        .encode(
            x=alt.X(f"{label_key}:N", title=None, sort=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
            xOffset="metric:N",
            y=alt.Y("rate:Q", axis=alt.Axis(format="%"), title=None),
            color=alt.Color("metric:N", title=None),
            tooltip=[f"{label_key}:N", "metric:N", alt.Tooltip("rate:Q", format=".1%")],
        )
        .properties(height=220)
    )
    return json.dumps(chart.to_dict())


def rate_chart_spec(rows: list[dict[str, Any]], *, label_key: str, metrics: list[str], title: str) -> dict[str, Any]:
    """A grouped bar chart of rates per row (campaign, week...): the Vega-Lite spec and the table, no image yet."""
    table = [{label_key: r[label_key], **{m: r.get(m, 0.0) for m in metrics}} for r in rows]
    spec = json.loads(_rate_chart_template(label_key))
    # Long format (one value per row and metric), inline.
    spec["data"] = {"values": [{label_key: t[label_key], "metric": RATE_LABELS.get(m, m), "rate": t[m]} for t in table for m in metrics]}
    spec["title"] = title
    spec["width"] = max(240, 70 * len(rows))
    return {"title": title, "vega_lite": spec, "table": table}


def render_svg(spec: dict[str, Any]) -> str:
    """Render a chart artifact's Vega-Lite spec to SVG, offline."""
    return str(vlc.vegalite_to_svg(spec))


def rate_chart(rows: list[dict[str, Any]], *, label_key: str, metrics: list[str], title: str) -> dict[str, Any]:
    """The chart artifact with its SVG: spec + SVG + table (PNG on demand, see render_png)."""
    chart = rate_chart_spec(rows, label_key=label_key, metrics=metrics, title=title)
    return {**chart, "svg": render_svg(chart["vega_lite"])}


def render_png(spec: dict[str, Any]) -> bytes:
    """Render a chart artifact's Vega-Lite spec to PNG (for surfaces that need an image file)."""
    return bytes(vlc.vegalite_to_png(spec, scale=1))
