"""Engine benchmark: segment counts and campaign reports on a big demo account, checked against pandas.

Not a test. It builds (or with --reuse, reuses) a demo account of --contacts contacts (1,000,000 gives more
than 10 million engagement events), then times, as the median of --runs runs:

  (a) core.segments.service.count_contacts for "opened any campaign in the last 90 days (bots excluded)
      AND has tag VIP AND did not purchase in the last 90 days";
  (b) core.reports.performance.campaign_performance for the biggest campaign, and period_performance for
      the last full calendar month;
  (c) the same answers from a plain pandas script over the same tables (loaded with pandas.read_sql),
      asserting that they are equal to the engine's.

It prints times, the engine/pandas ratios (without and with pandas' load time), peak memory, the generation
time and the database size. See benchmarks/README.md.

    python benchmarks/bench_engine.py --backend both --contacts 1000000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import core.models  # noqa: E402,F401
from core.accounts.models import Account  # noqa: E402
from core.campaigns.models import Campaign, CampaignSend  # noqa: E402
from core.db import make_engine, make_session_factory, upgrade_database  # noqa: E402
from core.demo import build_demo_account, summarize_account  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
DEFAULT_PG = "postgresql+psycopg://127.0.0.1:5432/activeintel_bench"
TAG = "VIP"
TREE = {
    "version": 1,
    "root": {
        "type": "group",
        "match": "all",
        "conditions": [
            {"type": "engagement", "action": "open", "op": "has", "period": {"last_days": 90}},
            {"type": "tag", "tag": TAG, "op": "has"},
            {"type": "purchase", "op": "has_not", "period": {"last_days": 90}},
        ],
    },
}
TARGETS = {"sqlite": {"segment": 2.0, "campaign": 0.5}, "postgres": {"segment": 1.0, "campaign": 0.5}}
METRIC_FIELDS = [
    "sends",
    "delivered",
    "opens",
    "unique_opens",
    "clicks",
    "unique_clicks",
    "open_rate",
    "click_rate",
    "click_to_open_rate",
    "unsubscribes",
    "unsubscribe_rate",
    "bounces",
    "bounce_rate",
    "replies",
    "forwards",
    "shares",
    "bot_opens_excluded",
    "bot_clicks_excluded",
    "mpp_opens_excluded",
]


def rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


@dataclass
class Timing:
    """Durations of repeated runs of one operation."""

    runs: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def text(self) -> str:
        first, low, high = self.runs[0], min(self.runs), max(self.runs)
        return f"median {self.median:.3f} s (first {first:.3f}, min {low:.3f}, max {high:.3f})"


def repeat(fn: Callable[[], Any], runs: int) -> tuple[Timing, Any]:
    timing, result = Timing(), None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        timing.runs.append(time.perf_counter() - t0)
    return timing, result


# ---------------------------------------------------------------------------------------------- databases


def prepare_sqlite(path: Path, reuse: bool) -> Engine:
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return make_engine(f"sqlite:///{path}")


def prepare_postgres(url: str, reuse: bool) -> Engine:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        ).first()
        if exists and not reuse:
            conn.execute(text(f'DROP DATABASE "{target.database}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return make_engine(url)


def ensure_schema(engine: Engine) -> None:
    """Bring the schema to the newest migration (the generator does it too; a reused database needs it)."""
    upgrade_database(engine)


def database_size(engine: Engine, backend: str, sqlite_path: Path) -> dict[str, Any]:
    if backend == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return {"database_mb": round(sqlite_path.stat().st_size / 2**20, 1)}
    with engine.connect() as conn:
        total = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        tables = conn.execute(
            text(
                "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables "
                "ORDER BY 2 DESC LIMIT 5"
            )
        ).all()
    return {
        "database_mb": round(total / 2**20, 1),
        "largest_tables_mb": {t: round(s / 2**20, 1) for t, s in tables},
    }


# ---------------------------------------------------------------------------------------------- build


def build_or_reuse(
    engine: Engine, args: argparse.Namespace, now: datetime, data_dir: Path
) -> tuple[int, dict]:
    name = f"Bench {args.contacts}"
    with engine.connect() as conn:
        existing = conn.execute(select(Account.id).where(Account.name == name)).scalar()
    if existing is not None and args.reuse:
        log(f"reusing account {existing} ({name!r})")
        return existing, {"reused": True}
    last: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        t = time.time()
        if done == total or t - last.get(stage, 0) > 15:
            last[stage] = t
            log(f"  {stage}: {done:,}/{total:,} (peak RSS {rss_mb():,.0f} MB)")

    log(f"building {args.contacts:,} contacts (seed {args.seed}, history to {now:%Y-%m-%d})")
    t0 = time.perf_counter()
    summary = build_demo_account(
        engine,
        contacts=args.contacts,
        seed=args.seed,
        now=now,
        name=name,
        data_dir=data_dir,
        progress=progress,
    )
    seconds = time.perf_counter() - t0
    return summary.account_id, {
        "reused": False,
        "generation_seconds": round(seconds, 1),
        "generation_peak_rss_mb": round(rss_mb()),
    }


# ---------------------------------------------------------------------------------------------- pandas side


def read(engine: Engine, sql: str, account_id: int, chunk: int = 1_000_000) -> pd.DataFrame:
    """pandas.read_sql in chunks, compacting each chunk (strings to categories) so the load fits in memory."""
    parts = []
    with engine.connect() as conn:
        for part in pd.read_sql(text(sql), conn, params={"a": account_id}, chunksize=chunk):
            for col in part.columns:
                if part[col].dtype == object and col in ("type", "status", "channel"):
                    part[col] = part[col].astype("category")
            parts.append(part)
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(str).astype("category")
    return df


def as_utc(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.tz_convert("UTC") if series.dt.tz is not None else series.dt.tz_localize("UTC")
    return pd.to_datetime(series, format="ISO8601", utc=True)


@dataclass
class Frames:
    contacts: pd.DataFrame
    tags: pd.DataFrame
    contact_tags: pd.DataFrame
    orders: pd.DataFrame
    events: pd.DataFrame
    sends: pd.DataFrame
    campaigns: pd.DataFrame
    botsense: bool


def load_frames(engine: Engine, account_id: int) -> Frames:
    events = read(
        engine,
        "SELECT campaign_id, contact_id, type, occurred_at, is_bot, is_mpp FROM engagement_events "
        "WHERE account_id = :a",
        account_id,
    )
    events["occurred_at"] = as_utc(events["occurred_at"])
    events["is_bot"] = events["is_bot"].astype(bool)
    events["is_mpp"] = events["is_mpp"].astype(bool)
    orders = read(
        engine, "SELECT contact_id, status, placed_at FROM orders WHERE account_id = :a", account_id
    )
    orders["placed_at"] = as_utc(orders["placed_at"])
    campaigns = read(
        engine, "SELECT id, name, channel, sent_at FROM campaigns WHERE account_id = :a", account_id
    )
    campaigns["sent_at"] = as_utc(campaigns["sent_at"])
    botsense = bool(
        read(engine, "SELECT botsense_enabled FROM accounts WHERE id = :a", account_id).iloc[0, 0]
    )
    return Frames(
        contacts=read(engine, "SELECT id FROM contacts WHERE account_id = :a", account_id),
        tags=read(engine, "SELECT id, name FROM tags WHERE account_id = :a", account_id),
        contact_tags=read(
            engine, "SELECT contact_id, tag_id FROM contact_tags WHERE account_id = :a", account_id
        ),
        orders=orders,
        events=events,
        sends=read(
            engine,
            "SELECT campaign_id, contact_id, status FROM campaign_sends WHERE account_id = :a",
            account_id,
        ),
        campaigns=campaigns,
        botsense=botsense,
    )


def pandas_segment(f: Frames, now: datetime) -> int:
    """Opened (no bots) in the last 90 days AND tagged VIP AND no placed order in the last 90 days."""
    start, end = pd.Timestamp(now - timedelta(days=90)), pd.Timestamp(now)
    ev = f.events
    opened_mask = (
        (ev["type"] == "open").to_numpy()
        & (ev["occurred_at"] >= start).to_numpy()
        & (ev["occurred_at"] < end).to_numpy()
    )
    if f.botsense:
        opened_mask &= ~ev["is_bot"].to_numpy()
    opened = ev["contact_id"].to_numpy()[opened_mask]
    tag_id = int(f.tags.loc[f.tags["name"].str.lower() == TAG.lower(), "id"].iloc[0])
    tagged = f.contact_tags["contact_id"].to_numpy()[f.contact_tags["tag_id"].to_numpy() == tag_id]
    o = f.orders
    bought_mask = (
        (o["status"] == "placed").to_numpy()
        & (o["placed_at"] >= start).to_numpy()
        & (o["placed_at"] < end).to_numpy()
    )
    bought = o["contact_id"].to_numpy()[bought_mask]
    ids = f.contacts["id"].to_numpy()
    keep = np.isin(ids, opened) & np.isin(ids, tagged) & ~np.isin(ids, bought)
    return int(keep.sum())


def _ratio(num: int, den: int) -> float:
    return round(num / den, 6) if den else 0.0


def _rates(v: dict[str, Any]) -> dict[str, float]:
    return {
        "open_rate": _ratio(v["unique_opens"], v["delivered"]),
        "click_rate": _ratio(v["unique_clicks"], v["delivered"]),
        "click_to_open_rate": _ratio(v["unique_clicks"], v["unique_opens"]),
        "unsubscribe_rate": _ratio(v["unsubscribes"], v["delivered"]),
        "bounce_rate": _ratio(v["bounces"], v["sends"]),
    }


def pandas_metrics(f: Frames, campaign_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Sends, opens, clicks, unsubscribes and bounces per campaign, with the report's definitions."""
    ev = f.events[f.events["campaign_id"].isin(campaign_ids)]
    machine = (
        ev["is_bot"] & ev["type"].isin(["open", "click"]) if f.botsense else pd.Series(False, index=ev.index)
    )
    kept = ev[~machine]
    total = kept.groupby(["campaign_id", "type"], observed=True).size()
    uniq = kept.groupby(["campaign_id", "type"], observed=True)["contact_id"].nunique()
    bots = ev[ev["is_bot"]].groupby(["campaign_id", "type"], observed=True).size() if f.botsense else None
    s = f.sends[f.sends["campaign_id"].isin(campaign_ids)]
    attempted = s[s["status"].isin(["delivered", "bounced"])].groupby("campaign_id").size()
    bounced_sends = s[s["status"] == "bounced"]
    bounced = bounced_sends.groupby("campaign_id").size()
    bounce_ev = ev[ev["type"] == "bounce"][["campaign_id", "contact_id"]].drop_duplicates()
    late = bounce_ev.merge(bounced_sends[["campaign_id", "contact_id"]], how="left", indicator=True)
    late = late[late["_merge"] == "left_only"].groupby("campaign_id").size()

    def get(series: pd.Series | None, cid: int, kind: str) -> int:
        return 0 if series is None else int(series.get((cid, kind), 0))

    out = {}
    for cid in campaign_ids:
        bounces = int(bounced.get(cid, 0)) + int(late.get(cid, 0))
        n_sends = max(int(attempted.get(cid, 0)), bounces)
        v = {
            "sends": n_sends,
            "delivered": n_sends - bounces,
            "bounces": bounces,
            "opens": get(total, cid, "open"),
            "unique_opens": get(uniq, cid, "open"),
            "clicks": get(total, cid, "click"),
            "unique_clicks": get(uniq, cid, "click"),
            "unsubscribes": get(uniq, cid, "unsubscribe"),
            "replies": get(total, cid, "reply"),
            "forwards": get(total, cid, "forward"),
            "shares": get(total, cid, "share"),
            "bot_opens_excluded": get(bots, cid, "open"),
            "bot_clicks_excluded": get(bots, cid, "click"),
            "mpp_opens_excluded": 0,
        }
        out[cid] = v | _rates(v)
    return out


def pandas_period(f: Frames, start: datetime, end: datetime) -> dict[str, Any]:
    c = f.campaigns
    chosen = c[(c["sent_at"] >= pd.Timestamp(start)) & (c["sent_at"] < pd.Timestamp(end))]
    chosen = chosen.sort_values(["sent_at", "id"])
    ids = [int(i) for i in chosen["id"]]
    rows = pandas_metrics(f, ids)
    ints = [k for k in METRIC_FIELDS if not k.endswith("_rate")]
    totals = {k: sum(rows[i][k] for i in ids) for k in ints}
    return {"campaigns": ids, "rows": [rows[i] for i in ids], "totals": totals | _rates(totals)}


def metrics_of(model: Any) -> dict[str, Any]:
    return {k: getattr(model, k) for k in METRIC_FIELDS}


# ---------------------------------------------------------------------------------------------- run


def run_backend(args: argparse.Namespace) -> dict[str, Any]:
    backend = args.backend
    now = datetime.fromisoformat(args.now).replace(tzinfo=UTC)
    OUT.mkdir(parents=True, exist_ok=True)
    data_dir = Path(args.data_dir) / backend
    sqlite_path = Path(args.sqlite_path or OUT / f"bench_{args.contacts}.db")
    engine = (
        prepare_sqlite(sqlite_path, args.reuse)
        if backend == "sqlite"
        else prepare_postgres(args.postgres_url, args.reuse)
    )
    ensure_schema(engine)
    result: dict[str, Any] = {
        "backend": backend,
        "contacts": args.contacts,
        "seed": args.seed,
        "now": args.now,
    }
    account_id, build = build_or_reuse(engine, args, now, data_dir)
    result.update(build)
    summary = summarize_account(engine, account_id)
    result["events"] = summary.events_total
    result["sends"] = summary.sends
    result["events_by_type"] = {e.type: e.total for e in summary.events}
    result.update(database_size(engine, backend, sqlite_path))
    log(
        f"account {account_id}: {summary.contacts:,} contacts, {summary.sends:,} sends, "
        f"{summary.events_total:,} events; database {result['database_mb']:,} MB"
    )

    from core.reports.performance import campaign_performance, period_performance
    from core.segments.service import count_contacts

    factory = make_session_factory(engine)
    with Session(engine) as s:
        campaign_id = s.execute(
            select(CampaignSend.campaign_id)
            .join(Campaign, Campaign.id == CampaignSend.campaign_id)
            .where(Campaign.account_id == account_id, Campaign.channel == "email")
            .group_by(CampaignSend.campaign_id)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar_one()
    month_end = datetime(now.year, now.month, 1, tzinfo=UTC)
    month_start = (month_end - timedelta(days=1)).replace(day=1)

    def engine_call(fn: Callable[[Session], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with factory() as session:
                return fn(session)

        return call

    tracemalloc.start()
    seg_t, seg = repeat(
        engine_call(lambda s: count_contacts(s, account_id=account_id, tree=TREE, now=now)), args.runs
    )
    camp_t, camp = repeat(
        engine_call(lambda s: campaign_performance(s, account_id=account_id, campaign=campaign_id)), args.runs
    )
    per_t, per = repeat(
        engine_call(lambda s: period_performance(s, account_id=account_id, start=month_start, end=month_end)),
        args.runs,
    )
    engine_traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    result["engine"] = {
        "segment_count": seg,
        "segment": seg_t.runs,
        "campaign": camp_t.runs,
        "period": per_t.runs,
        "campaign_id": campaign_id,
        "period_campaigns": len(per.rows),
        "python_peak_traced_mb": round(engine_traced / 2**20, 1),
        "peak_rss_mb": round(rss_mb()),
    }
    log(f"engine (a) segment count = {seg:,}: {seg_t.text()}")
    log(f"engine (b) campaign {campaign_id} ({camp.sends:,} sends): {camp_t.text()}")
    log(f"engine (b) period {month_start:%Y-%m} ({len(per.rows)} campaigns): {per_t.text()}")

    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    frames = load_frames(engine, account_id)
    load_seconds = time.perf_counter() - t0
    load_traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    log(f"pandas load: {load_seconds:.1f} s ({len(frames.events):,} events, {len(frames.sends):,} sends)")
    p_seg_t, p_seg = repeat(lambda: pandas_segment(frames, now), args.runs)
    p_camp_t, p_camp = repeat(lambda: pandas_metrics(frames, [campaign_id])[campaign_id], args.runs)
    p_per_t, p_per = repeat(lambda: pandas_period(frames, month_start, month_end), args.runs)
    compute_traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    equal = {
        "segment": p_seg == seg,
        "campaign": p_camp == metrics_of(camp),
        "period": p_per["campaigns"] == [r.campaign_id for r in per.rows]
        and p_per["rows"] == [metrics_of(r) for r in per.rows]
        and p_per["totals"] == metrics_of(per.totals),
    }
    result["pandas"] = {
        "load_seconds": round(load_seconds, 2),
        "segment": p_seg_t.runs,
        "campaign": p_camp_t.runs,
        "period": p_per_t.runs,
        "load_peak_traced_mb": round(load_traced / 2**20),
        "compute_peak_traced_mb": round(compute_traced / 2**20),
        "peak_rss_mb": round(rss_mb()),
    }
    result["equal"] = equal
    log(f"pandas (a) segment count = {p_seg:,}: {p_seg_t.text()}")
    log(f"pandas (b) campaign: {p_camp_t.text()}")
    log(f"pandas (b) period: {p_per_t.text()}")
    result["ratios"] = {
        k: {
            "engine_over_pandas": round(e.median / p.median, 3),
            "engine_over_pandas_with_load": round(e.median / (p.median + load_seconds), 5),
        }
        for k, e, p in (
            ("segment", seg_t, p_seg_t),
            ("campaign", camp_t, p_camp_t),
            ("period", per_t, p_per_t),
        )
    }
    targets = TARGETS[backend]
    result["targets"] = {
        "segment": {
            "target_s": targets["segment"],
            "median_s": round(seg_t.median, 3),
            "met": seg_t.median <= targets["segment"],
        },
        "campaign": {
            "target_s": targets["campaign"],
            "median_s": round(camp_t.median, 3),
            "met": camp_t.median <= targets["campaign"],
        },
    }
    if not all(equal.values()):
        log(f"MISMATCH between engine and pandas: {equal}")
        if not equal["campaign"]:
            log(f"  engine {metrics_of(camp)}\n  pandas {p_camp}")
    engine.dispose()
    return result


def report(r: dict[str, Any]) -> None:
    e, p = r["engine"], r["pandas"]
    med = statistics.median
    origin = "reused" if r.get("reused") else f"generated in {r['generation_seconds']:.0f} s"
    print()
    print(
        f"== {r['backend']}: {r['contacts']:,} contacts, {r['sends']:,} sends, {r['events']:,} events "
        f"({origin}), "
        f"database {r['database_mb']:,} MB"
    )
    if not r.get("reused"):
        print(f"   generation peak RSS {r['generation_peak_rss_mb']:,} MB")
    print(f"   {'operation':<34}{'engine s':>10}{'pandas s':>10}{'eng/pd':>9}{'eng/(pd+load)':>15}  equal")
    for key, label in (
        ("segment", "(a) segment count"),
        ("campaign", "(b) one campaign"),
        ("period", "(b) one month"),
    ):
        ratio = r["ratios"][key]
        print(
            f"   {label:<34}{med(e[key]):>10.3f}{med(p[key]):>10.3f}{ratio['engine_over_pandas']:>9.3f}"
            f"{ratio['engine_over_pandas_with_load']:>15.5f}  {r['equal'][key]}"
        )
    print(f"   pandas load (read_sql of the tables): {p['load_seconds']:.1f} s")
    print(
        f"   peak memory: engine queries {e['python_peak_traced_mb']} MB traced "
        f"(RSS {e['peak_rss_mb']:,} MB); pandas load {p['load_peak_traced_mb']:,} MB traced, "
        f"compute {p['compute_peak_traced_mb']:,} MB traced "
        f"(RSS {p['peak_rss_mb']:,} MB)"
    )
    for key, t in r["targets"].items():
        print(
            f"   target {key}: median {t['median_s']} s <= {t['target_s']} s: "
            + ("met" if t["met"] else "NOT met")
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--now", default="2026-06-15", help="anchor date of the history (YYYY-MM-DD, UTC)")
    parser.add_argument(
        "--runs", type=int, default=5, help="timed runs per operation (the median is reported)"
    )
    parser.add_argument("--reuse", action="store_true", help="reuse the account built by an earlier run")
    parser.add_argument("--sqlite-path", default=None, help="default benchmarks/out/bench_<contacts>.db")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("ACTIVEINTEL_BENCH_POSTGRES_URL", DEFAULT_PG)
    )
    parser.add_argument("--data-dir", default=str(OUT / "data"), help="where the ground truth goes")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.backend == "both":
        # One process per backend, so each one's peak memory is its own.
        results = []
        for backend in ("sqlite", "postgres"):
            json_path = OUT / f"results_{backend}_{args.contacts}.json"
            cmd = [
                sys.executable,
                __file__,
                *[a for a in (argv or sys.argv[1:])],
                "--backend",
                backend,
                "--json",
                str(json_path),
            ]
            code = subprocess.call(cmd)
            if code != 0:
                return code
            results.append(json.loads(json_path.read_text()))
        print("\n==================== summary ====================")
        for r in results:
            report(r)
        return 0
    result = run_backend(args)
    report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    return 0 if all(result["equal"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
