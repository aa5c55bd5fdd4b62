"""A chart-drawing worker process: Vega-Lite specs in, SVG out, one JSON line each way.

Run as ``python -m tools.chart_worker``. vl-convert holds the GIL for the whole drawing (tens of milliseconds), so
drawing in the chat process would stall everything else the process is doing; in its own process it runs on the
other core while the answer streams. See agent/artifacts.py for the client.
"""

from __future__ import annotations

import json
import sys

from tools.charts import render_svg


def main() -> None:
    for line in sys.stdin:
        try:
            reply = {"svg": render_svg(json.loads(line))}
        except Exception as exc:  # a bad spec must not kill the worker; the client raises it instead
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
