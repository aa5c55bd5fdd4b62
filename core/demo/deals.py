"""Two pipelines of deals whose outcomes follow hidden drivers (section 8's win-probability multipliers).

Each driver leaves a visible trace the win-probability model can learn from: the deal value, its source,
the first activity's timing, the contacts at the deal's company and the tasks and notes logged on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.crm.models import Deal, DealTask, Note
from core.demo import content
from core.demo.bulk import BulkWriter
from core.demo.setup import PIPELINES, Setup
from core.demo.traits import DAY, HOUR

SOURCES = ["referral", "inbound", "outbound"]
SOURCE_MULT = np.array([1.5, 1.2, 0.7])
SOURCE_P = [0.15, 0.45, 0.40]
MEDIAN_SIZE = [5000.0, 2500.0]  # Wholesale, Corporate Gifts
STAGE_CONVERSION = np.array([0.45, 0.60, 0.55, 0.65, 0.75])
TARGET_WIN_RATE = 0.25


@dataclass
class DealPlan:
    """The hidden drivers of every deal, drawn before the companies get their contacts."""

    pipeline: np.ndarray
    created_us: np.ndarray
    size: np.ndarray
    source: np.ndarray
    response_hours: np.ndarray
    wanted_contacts: np.ndarray
    activities: np.ndarray


def deal_count(contacts: int) -> int:
    """Several hundred deals for the default demo, fewer for tiny accounts, capped for huge ones."""
    return int(np.clip(round(contacts * 0.32), 60, 1600))


def plan_deals(rng: np.random.Generator, n: int, *, now_us: int) -> DealPlan:
    """Draw the hidden drivers for ``n`` deals created over the last 18 months."""
    pipeline = (rng.random(n) < 0.38).astype(np.int8)
    created = now_us - (rng.uniform(3, 540, n) * DAY).astype(np.int64)
    size = np.round(rng.lognormal(np.log(np.array(MEDIAN_SIZE)[pipeline]), 0.9) / 50) * 50 + 250
    source = rng.choice(3, n, p=SOURCE_P)
    u = rng.random(n)
    response = np.where(
        u < 0.37,
        rng.exponential(0.3, n),
        np.where(u < 0.77, np.exp(rng.uniform(0, np.log(24), n)), rng.lognormal(np.log(40), 0.6, n) + 24),
    )
    wanted = np.minimum(1 + rng.poisson(1.6, n), 10)
    activities = 2 + rng.poisson(5.5, n)
    return DealPlan(pipeline, created, size, source, response, wanted, activities)


def true_win_probability(plan: DealPlan, contacts: np.ndarray) -> np.ndarray:
    """Odds = base odds x the section 8 multipliers; the base is set so ~25% of deals are won."""
    log_mult = np.log(SOURCE_MULT[plan.source])
    log_mult += np.where(
        plan.response_hours < 1, np.log(1.6), np.where(plan.response_hours > 24, np.log(0.5), 0)
    )
    log_mult += np.where(contacts >= 4, np.log(1.8), 0)
    log_mult += np.where(plan.activities >= 10, np.log(1.5), 0)
    doublings = np.log2(plan.size / np.array(MEDIAN_SIZE)[plan.pipeline])
    log_mult += doublings * np.log(0.85)
    lo, hi = -6.0, 4.0
    for _ in range(60):
        mid = (lo + hi) / 2
        p = 1 / (1 + np.exp(-(mid + log_mult)))
        lo, hi = (mid, hi) if p.mean() < TARGET_WIN_RATE else (lo, mid)
    return 1 / (1 + np.exp(-(lo + log_mult)))


def write_deals(
    writer: BulkWriter,
    rng: np.random.Generator,
    setup: Setup,
    plan: DealPlan,
    contacts: np.ndarray,
    company_contacts: list[list[int]],
    contact_ids: np.ndarray,
    first_names: dict[int, str],
    *,
    now_us: int,
) -> pd.DataFrame:
    """Insert deals, tasks and notes; return each deal's hidden truth (drivers, true odds, outcome)."""
    n = len(plan.size)
    p_true = true_win_probability(plan, contacts)
    will_win = rng.random(n) < p_true
    cycle_days = np.where(will_win, rng.lognormal(np.log(35), 0.6, n), rng.lognormal(np.log(50), 0.7, n))
    cycle_days = np.clip(cycle_days, 5, 240)
    close_us = plan.created_us + (cycle_days * DAY).astype(np.int64)
    closed = close_us <= now_us
    status = np.where(closed, np.where(will_win, "won", "lost"), "open").astype(object)

    reach = np.concatenate([[1.0], np.cumprod(STAGE_CONVERSION)[:-1]])
    lost_weights = reach * (1 - STAGE_CONVERSION)
    lost_stage = rng.choice(5, n, p=lost_weights / lost_weights.sum())
    progress = np.clip((now_us - plan.created_us) / (close_us - plan.created_us), 0, 0.999)
    open_stage = np.minimum((progress * 5).astype(int), np.where(will_win, 4, lost_stage))
    stage_pos = np.where(status == "won", 4, np.where(status == "lost", lost_stage, open_stage))
    stage_ids = np.array(setup.stage_ids)[plan.pipeline, stage_pos]
    owners = np.array(setup.sales_user_ids)[rng.integers(0, len(setup.sales_user_ids), n)]
    primary = np.array([c[0] if c else -1 for c in company_contacts])
    contact_db = np.where(primary >= 0, contact_ids[np.maximum(primary, 0)], 0)
    noun = np.array(["Wholesale order", "Corporate gifts"], dtype=object)[plan.pipeline]
    titles = np.array([f"{setup.company_names[i]} - {noun[i]}" for i in range(n)], dtype=object)
    forecast = (
        np.where(closed, close_us, np.maximum(close_us, now_us + 7 * DAY))
        .astype("datetime64[us]")
        .astype("datetime64[D]")
    )
    deal_ids = writer.reserve_ids(Deal.__table__, n)
    end_us = np.where(closed, close_us, now_us)
    writer.insert(
        Deal.__table__,
        {
            "id": deal_ids,
            "account_id": np.full(n, setup.account_id),
            "pipeline_id": np.array(setup.pipeline_ids)[plan.pipeline],
            "stage_id": stage_ids,
            "title": titles,
            "value_cents": (plan.size * 100).astype(np.int64),
            "currency": np.full(n, "USD", dtype=object),
            "status": status,
            "contact_id": np.where(contact_db > 0, contact_db, np.nan),
            "crm_account_id": setup.company_ids[:n],
            "owner_id": owners,
            "source": np.array(SOURCES, dtype=object)[plan.source],
            "forecast_close_date": forecast,
            "win_probability": np.full(n, None, dtype=object),
            "created_at": plan.created_us.astype("datetime64[us]"),
            "updated_at": end_us.astype("datetime64[us]"),
            "closed_at": np.where(closed, close_us.astype("datetime64[us]"), np.datetime64("NaT", "us")),
        },
    )
    _write_activities(
        writer, rng, setup, plan, deal_ids, owners, contact_db, primary, first_names, end_us, closed, now_us
    )
    return pd.DataFrame(
        {
            "deal_id": deal_ids,
            "pipeline": np.array([p for p, _ in PIPELINES], dtype=object)[plan.pipeline],
            "value_usd": plan.size,
            "source": np.array(SOURCES)[plan.source],
            "first_response_hours": np.round(plan.response_hours, 3),
            "contacts": contacts,
            "activities": plan.activities,
            "true_win_probability": np.round(p_true, 5),
            "destined_to_win": will_win,
            "status": status,
        }
    )


def _write_activities(
    writer: BulkWriter,
    rng: np.random.Generator,
    setup: Setup,
    plan: DealPlan,
    deal_ids: np.ndarray,
    owners: np.ndarray,
    contact_db: np.ndarray,
    primary: np.ndarray,
    first_names: dict[int, str],
    end_us: np.ndarray,
    closed: np.ndarray,
    now_us: int,
) -> None:
    """The first activity lands ``response_hours`` after creation; the rest spread until the deal ends."""
    n = len(deal_ids)
    first_at = plan.created_us + (plan.response_hours * HOUR).astype(np.int64)
    owner = np.repeat(np.arange(n), plan.activities)
    pos = np.arange(len(owner)) - np.repeat(np.cumsum(plan.activities) - plan.activities, plan.activities)
    span = np.maximum(end_us - first_at, HOUR)[owner]
    at = np.where(
        pos == 0, first_at[owner], first_at[owner] + (rng.random(len(owner)) * span).astype(np.int64)
    )
    # Activities of open deals that would fall in the future have not happened yet.
    happened = (at <= end_us[owner]) & (at <= now_us)
    owner, pos, at = owner[happened], pos[happened], at[happened]
    is_note = (pos > 0) & (rng.random(len(owner)) < 0.3)
    kinds = np.array(["email", "call", "meeting", "todo"], dtype=object)
    kind = np.where(
        pos == 0,
        kinds[rng.integers(0, 2, len(owner))],
        kinds[rng.choice(4, len(owner), p=[0.35, 0.3, 0.15, 0.2])],
    )
    topics = content.INTERESTS
    first = [first_names.get(int(primary[o]), "there") if primary[o] >= 0 else "there" for o in owner]
    company = [setup.company_names[o] for o in owner]
    t_sel = rng.integers(0, 3, len(owner))
    titles = [
        content.TASK_TITLES[k][t].format(first=f, company=c)
        for k, t, f, c in zip(kind, t_sel, first, company, strict=True)
    ]
    notes = [
        content.NOTE_BODIES[b].format(first=f, company=c, topic=topics[tp], n=nn)
        for b, f, c, tp, nn in zip(
            rng.integers(0, len(content.NOTE_BODIES), len(owner)),
            first,
            company,
            rng.integers(0, len(topics), len(owner)),
            rng.integers(2, 12, len(owner)),
            strict=True,
        )
    ]
    task = ~is_note
    t_owner = owner[task]
    k = int(task.sum())
    done_at = at[task].astype("datetime64[us]")
    writer.insert(
        DealTask.__table__,
        {
            "id": writer.reserve_ids(DealTask.__table__, k),
            "account_id": np.full(k, setup.account_id),
            "deal_id": deal_ids[t_owner],
            "contact_id": np.where(contact_db[t_owner] > 0, contact_db[t_owner], np.nan),
            "owner_id": owners[t_owner],
            "title": np.array(titles, dtype=object)[task],
            "kind": kind[task],
            "status": np.full(k, "done", dtype=object),
            "due_at": done_at,
            "completed_at": done_at,
            "created_at": (at[task] - (rng.uniform(0, 48, k) * HOUR).astype(np.int64)).astype(
                "datetime64[us]"
            ),
        },
    )
    j = int(is_note.sum())
    writer.insert(
        Note.__table__,
        {
            "id": writer.reserve_ids(Note.__table__, j),
            "account_id": np.full(j, setup.account_id),
            "deal_id": deal_ids[owner[is_note]],
            "contact_id": np.where(contact_db[owner[is_note]] > 0, contact_db[owner[is_note]], np.nan),
            "author_id": owners[owner[is_note]],
            "body": np.array(notes, dtype=object)[is_note],
            "created_at": at[is_note].astype("datetime64[us]"),
        },
    )
    # Every open deal has a next step on someone's list.
    open_deals = np.flatnonzero(~closed)
    o = len(open_deals)
    due = now_us + (rng.uniform(1, 14, o) * DAY).astype(np.int64)
    writer.insert(
        DealTask.__table__,
        {
            "id": writer.reserve_ids(DealTask.__table__, o),
            "account_id": np.full(o, setup.account_id),
            "deal_id": deal_ids[open_deals],
            "contact_id": np.where(contact_db[open_deals] > 0, contact_db[open_deals], np.nan),
            "owner_id": owners[open_deals],
            "title": np.array([f"Follow up with {setup.company_names[i]}" for i in open_deals], dtype=object),
            "kind": np.full(o, "call", dtype=object),
            "status": np.full(o, "open", dtype=object),
            "due_at": due.astype("datetime64[us]"),
            "completed_at": np.full(o, np.datetime64("NaT"), "datetime64[us]"),
            "created_at": np.full(o, now_us - DAY, dtype=np.int64).astype("datetime64[us]"),
        },
    )
