"""Agent benchmark: offline-model turn latency for one read tool, vs the same core service called directly.

Not a test. It builds a demo account (--contacts, default 5,000: the demo size) with the real generator in a
temporary folder (SQLite) or a throwaway PostgreSQL database, opens the production checkpointer
(agent.checkpoint.open_checkpointer) and the offline model, then runs --turns turns per question through
agent.run.run_turn, each in a new chat, interleaved with the equivalent direct core call:

  lists        "list my lists"                -> tool list_lists
               vs core.contacts.service.list_lists
  performance  "how did my May newsletter do?" -> tool get_campaign_performance (chart included)
               vs core.campaigns.lookup.resolve_campaign_id + core.reports.performance.campaign_performance

It checks that every turn called exactly that tool and that the tool's numbers equal the direct call's, then
prints p50/p95 for both sides, the ratio, the time to the first streamed token, the share spent in the offline
model (NLU, planning, composing the answer) and, for the performance question, the cost of drawing the chart
(spec + SVG) that the direct side does not do. The agent turn includes the chart: the turn ends only after the
artifact with its SVG was delivered (the SVG is drawn in the chart worker process while the answer streams, so the
agent's CPU time column leaves that process out). Target: agent p95 <= 150 ms at the demo size.

By default the offline model's parse cache is cleared before every turn, so each turn is understood from
scratch (a repeated identical message would otherwise skip the NLU); --warm-parse keeps it.

    python benchmarks/bench_agent.py
    python benchmarks/bench_agent.py --backend postgres --turns 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import core.models  # noqa: E402,F401
from agent import artifacts  # noqa: E402
from agent.checkpoint import open_checkpointer  # noqa: E402
from agent.events import Artifact, FinalAnswer, RunEnded, Token, ToolFinished, ToolStarted  # noqa: E402
from agent.graph import build_graph  # noqa: E402
from agent.offline import brain  # noqa: E402
from agent.offline.model import OfflineChatModel  # noqa: E402
from agent.run import AgentDeps, run_turn  # noqa: E402
from core.accounts.models import User  # noqa: E402
from core.accounts.service import get_account  # noqa: E402
from core.campaigns.lookup import resolve_campaign_id  # noqa: E402
from core.config import Settings  # noqa: E402
from core.contacts import service as contacts  # noqa: E402
from core.db import make_engine, make_session_factory  # noqa: E402
from core.demo.generator import build_demo_account  # noqa: E402
from core.enums import CampaignStatus, UserRole  # noqa: E402
from core.reports.performance import campaign_performance  # noqa: E402
from tools.charts import rate_chart  # noqa: E402

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
TARGET_P95_MS = 150.0
DEFAULT_PG_ADMIN = "postgresql+psycopg://127.0.0.1:5432/postgres"
SENT = (CampaignStatus.SENT, CampaignStatus.SENDING)
RATES = ["open_rate", "click_rate", "click_to_open_rate", "unsubscribe_rate", "bounce_rate"]


class TimedOfflineModel(OfflineChatModel):
    """The offline model, adding up the time spent inside it (understanding, planning, composing)."""

    spent: list[float] = []

    def _reply(self, messages: Any, tools: Any) -> Any:
        started = time.perf_counter()
        try:
            return super()._reply(messages, tools)
        finally:
            self.spent.append(time.perf_counter() - started)


def _lists_direct(session: Session, account_id: int) -> Any:
    return [
        x.model_dump(mode="json", exclude_none=True)
        for x in contacts.list_lists(session, account_id=account_id)
    ]


def _performance_direct(session: Session, account_id: int) -> Any:
    tz = get_account(session, account_id=account_id).timezone
    cid = resolve_campaign_id(
        session, account_id=account_id, ref="May newsletter", now=NOW, tz=tz, statuses=SENT
    )
    return campaign_performance(session, account_id=account_id, campaign=cid).model_dump(
        mode="json", exclude_none=True
    )


def _lists_from_tool(output: dict[str, Any]) -> Any:
    return output["items"]


def _performance_from_tool(output: dict[str, Any]) -> Any:
    return {k: v for k, v in output.items() if k != "object"}


@dataclass
class Case:
    key: str
    prompt: str
    tool: str
    direct: Callable[[Session, int], Any]
    from_tool: Callable[[dict[str, Any]], Any]
    chart: bool = False
    agent_ms: list[float] = field(default_factory=list)
    agent_cpu_ms: list[float] = field(default_factory=list)
    first_token_ms: list[float] = field(default_factory=list)
    model_ms: list[float] = field(default_factory=list)
    direct_ms: list[float] = field(default_factory=list)
    direct_cpu_ms: list[float] = field(default_factory=list)


CASES = [
    Case("lists", "list my lists", "list_lists", _lists_direct, _lists_from_tool),
    Case(
        "performance",
        "how did my May newsletter do?",
        "get_campaign_performance",
        _performance_direct,
        _performance_from_tool,
        chart=True,
    ),
]


def _pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": _pct(values, 50),
        "p95": _pct(values, 95),
        "mean": statistics.fmean(values),
        "min": min(values),
        "max": max(values),
    }


def _create_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"activeintel_bench_agent_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


async def _agent_turn(
    deps: AgentDeps, case: Case, account_id: int, user_id: int, model: TimedOfflineModel, warm_parse: bool
) -> tuple[float, float, float, float, dict[str, Any]]:
    if not warm_parse:
        brain._parse_cached.cache_clear()
    model.spent.clear()
    cpu = time.process_time()
    started = time.perf_counter()
    first_token = None
    tools: list[str] = []
    output: dict[str, Any] = {}
    answer = ""
    status = None
    svgs: list[str] = []
    async for event in run_turn(
        deps, account_id=account_id, user_id=user_id, text=case.prompt, surface="bench"
    ):
        if isinstance(event, Token) and first_token is None:
            first_token = time.perf_counter()
        elif isinstance(event, ToolStarted):
            tools.append(event.name)
        elif isinstance(event, ToolFinished):
            output = json.loads(event.output)
        elif isinstance(event, FinalAnswer):
            answer = event.text
        elif isinstance(event, Artifact) and event.kind == "chart":
            svgs.append(str(event.data.get("svg", "")))
        elif isinstance(event, RunEnded):
            status = event.status
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if tools != [case.tool] or status != "success" or not answer:
        raise SystemExit(
            f"{case.prompt!r}: expected one {case.tool} call and an answer; got {tools}, {status}"
        )
    if case.chart and not (svgs and all(svg.startswith("<svg") for svg in svgs)):
        raise SystemExit(f"{case.prompt!r}: expected a chart artifact with its SVG; got {len(svgs)} chart(s)")
    return elapsed, cpu, (first_token or time.perf_counter()) - started, sum(model.spent), output


def _direct_call(factory: Any, case: Case, account_id: int) -> tuple[float, float, Any]:
    cpu = time.process_time()
    started = time.perf_counter()
    # One transaction, as the tool's unit of work has.
    with factory.begin() as session:
        result = case.direct(session, account_id)
    return time.perf_counter() - started, time.process_time() - cpu, result


def _chart_ms(factory: Any, account_id: int, runs: int) -> dict[str, float]:
    with factory() as session:
        perf = _performance_direct(session, account_id)
    row = {"label": perf["campaign_name"], **{m: perf[m] for m in RATES}}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        rate_chart([row], label_key="label", metrics=RATES, title="bench")
        times.append((time.perf_counter() - started) * 1000)
    return _summary(times)


async def _run(args: argparse.Namespace, backend: str, workdir: Path, database_url: str) -> dict[str, Any]:
    engine = make_engine(database_url)
    started = time.perf_counter()
    summary = build_demo_account(
        engine, contacts=args.contacts, seed=args.seed, now=NOW, data_dir=workdir / "data"
    )
    build_s = time.perf_counter() - started
    factory = make_session_factory(engine)
    with factory() as session:
        user_id = session.scalars(
            select(User.id)
            .where(User.account_id == summary.account_id, User.role == UserRole.ADMIN)
            .order_by(User.id)
        ).first()
    account_id = summary.account_id
    settings = Settings(
        ACTIVEINTEL_DATA_DIR=str(workdir / "data"),
        DATABASE_URL=database_url if backend == "postgres" else None,
    )
    model = TimedOfflineModel(cache_dir=str(workdir / "nlu"))
    started = time.perf_counter()
    model.invoke("hello")  # trains (or loads) the intent model, outside the timings
    artifacts.warm_up()  # starts the chart-drawing process, as the server does at start-up
    nlu_s = time.perf_counter() - started

    load_before = os.getloadavg()
    async with open_checkpointer(settings) as saver:
        deps = AgentDeps(
            graph=build_graph(model=model, checkpointer=saver), session_factory=factory, clock=lambda: NOW
        )
        for case in CASES:
            for i in range(args.warmup + args.turns):
                # Interleaved, so load on a shared machine hits both sides alike.
                agent_s, agent_cpu, token_s, model_s, output = await _agent_turn(
                    deps, case, account_id, user_id, model, args.warm_parse
                )
                direct_s, direct_cpu, direct = _direct_call(factory, case, account_id)
                if case.from_tool(output) != direct:
                    raise SystemExit(f"{case.prompt!r}: the tool's result differs from the direct core call")
                if i >= args.warmup:
                    case.agent_ms.append(agent_s * 1000)
                    case.agent_cpu_ms.append(agent_cpu * 1000)
                    case.direct_cpu_ms.append(direct_cpu * 1000)
                    case.first_token_ms.append(token_s * 1000)
                    case.model_ms.append(model_s * 1000)
                    case.direct_ms.append(direct_s * 1000)
    chart = _chart_ms(factory, account_id, runs=min(args.turns, 50))
    engine.dispose()

    results: dict[str, Any] = {
        "backend": backend,
        "contacts": args.contacts,
        "turns": args.turns,
        "warm_parse": args.warm_parse,
        "build_seconds": round(build_s, 1),
        "nlu_load_seconds": round(nlu_s, 2),
        "chart_ms": chart,
        "cpus": os.cpu_count(),
        "load_average": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "cases": {},
    }
    for case in CASES:
        agent, direct = _summary(case.agent_ms), _summary(case.direct_ms)
        results["cases"][case.key] = {
            "prompt": case.prompt,
            "tool": case.tool,
            "agent_ms": agent,
            "direct_ms": direct,
            "agent_cpu_ms": _summary(case.agent_cpu_ms),
            "direct_cpu_ms": _summary(case.direct_cpu_ms),
            "first_token_ms": _summary(case.first_token_ms),
            "offline_model_ms": _summary(case.model_ms),
            "ratio_p50": agent["p50"] / direct["p50"],
            "ratio_p95": agent["p95"] / direct["p95"],
            "meets_target": agent["p95"] <= TARGET_P95_MS,
        }
    return results


def _print(results: dict[str, Any]) -> None:
    r = results
    print(
        f"\n== {r['backend']}: {r['contacts']:,} contacts, {r['turns']} turns per question, "
        f"each in a new chat (parse cache {'kept' if r['warm_parse'] else 'cleared every turn'}); "
        f"demo built in {r['build_seconds']} s, NLU loaded in {r['nlu_load_seconds']} s"
    )
    print(
        f"machine: {r['cpus']} CPUs, 1-minute load average {r['load_average'][0]} before and "
        f"{r['load_average'][1]} after the timed turns "
        "(wall times include waiting for a CPU; CPU time does not)"
    )
    print(f"{'question':<34}{'side':<22}{'p50 ms':>9}{'p95 ms':>9}{'mean':>8}{'max':>8}")
    for case in r["cases"].values():
        rows = [
            ("agent turn (run_turn)", case["agent_ms"]),
            ("  CPU time", case["agent_cpu_ms"]),
            ("  first token", case["first_token_ms"]),
            ("  inside offline model", case["offline_model_ms"]),
            ("direct core call", case["direct_ms"]),
            ("  CPU time", case["direct_cpu_ms"]),
        ]
        for i, (side, s) in enumerate(rows):
            label = repr(case["prompt"]) if i == 0 else ""
            print(f"{label:<34}{side:<22}{s['p50']:>9.1f}{s['p95']:>9.1f}{s['mean']:>8.1f}{s['max']:>8.1f}")
        verdict = "meets" if case["meets_target"] else "MISSES"
        print(
            f"{'':<34}ratio agent/direct: p50 {case['ratio_p50']:.1f}x, p95 {case['ratio_p95']:.1f}x; "
            f"p95 {verdict} the {TARGET_P95_MS:.0f} ms target"
        )
    c = r["chart_ms"]
    print(
        f"drawing the chart in one process (spec from the Altair template + vl-convert SVG; the agent draws the SVG "
        f"in its worker process while the answer streams): p50 {c['p50']:.1f} ms, p95 {c['p95']:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--warm-parse", action="store_true", help="keep the offline model's parse cache")
    parser.add_argument(
        "--postgres-admin-url",
        default=DEFAULT_PG_ADMIN,
        help="a server database to connect to while creating the throwaway benchmark database",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (printed)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench_agent_"))
    cleanup: list[Callable[[], None]] = []
    try:
        if args.backend == "postgres":
            url, drop = _create_pg_database(args.postgres_admin_url)
            cleanup.append(drop)
        else:
            url = f"sqlite:///{workdir / 'bench.db'}"
        results = asyncio.run(_run(args, args.backend, workdir, url))
    finally:
        for fn in cleanup:
            fn()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    _print(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
