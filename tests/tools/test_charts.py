"""Chart artifacts: a valid Vega-Lite spec, the data in it, an SVG and a PNG rendered offline."""

from __future__ import annotations

import altair as alt

from tools.charts import RATE_LABELS, rate_chart, render_png

ROWS = [
    {"label": "May newsletter", "open_rate": 0.412, "click_rate": 0.051},
    {"label": "June newsletter", "open_rate": 0.38, "click_rate": 0.044},
]


def test_rate_chart_spec_is_valid_vega_lite_and_carries_every_value() -> None:
    chart = rate_chart(ROWS, label_key="label", metrics=["open_rate", "click_rate"], title="Newsletters")
    spec = chart["vega_lite"]
    # The spec is built without Altair's validation pass; prove it is still valid against the schema.
    alt.Chart.from_dict(spec, validate=True).to_dict(validate=True)
    values = spec["data"]["values"]
    assert {(v["label"], v["metric"], v["rate"]) for v in values} == {
        ("May newsletter", RATE_LABELS["open_rate"], 0.412), ("May newsletter", RATE_LABELS["click_rate"], 0.051),
        ("June newsletter", RATE_LABELS["open_rate"], 0.38), ("June newsletter", RATE_LABELS["click_rate"], 0.044),
    }
    assert chart["table"] == [
        {"label": "May newsletter", "open_rate": 0.412, "click_rate": 0.051},
        {"label": "June newsletter", "open_rate": 0.38, "click_rate": 0.044},
    ]
    assert chart["svg"].startswith("<svg") and "Newsletters" in chart["svg"] and "May newsletter" in chart["svg"]


def test_missing_metric_is_charted_as_zero_and_png_renders() -> None:
    chart = rate_chart([{"label": "SMS blast"}], label_key="label", metrics=["open_rate"], title="SMS")
    assert chart["table"] == [{"label": "SMS blast", "open_rate": 0.0}]
    png = render_png(chart["vega_lite"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
