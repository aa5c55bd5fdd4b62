"""Build the deterministic demo account: the same seed and clock always give the same data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.orm import Session

from core.accounts.models import Account
from core.automations.models import ScoreValue
from core.billing.models import SmsCreditEntry
from core.contacts.models import Contact, ContactTag
from core.db import upgrade_database
from core.demo import content, traits
from core.demo.bulk import BulkWriter
from core.demo.commerce import Shop, write_organic
from core.demo.deals import deal_count, plan_deals, write_deals
from core.demo.engagement import Simulation, simulate_email, simulate_sms
from core.demo.ground_truth import contacts_frame, write_ground_truth
from core.demo.people import Memberships, draw_memberships, write_contacts, write_memberships
from core.demo.schedule import CampaignSpec, insert_campaigns, plan_campaigns
from core.demo.setup import LIST_KEYS, Setup, add_companies, build_setup
from core.demo.summary import DemoSummary, summarize_account
from core.demo.traits import DAY, TIER_VIP, US, Population
from core.enums import CampaignStatus, Channel
from core.errors import Conflict, InvalidRequest

GENERATOR_VERSION = 1
MIN_CONTACTS, MAX_CONTACTS = 100, 5_000_000
ProgressFn = Callable[[str, int, int], None]
# Big tables loaded in bulk; on an empty database their indexes are rebuilt once at the end.
BULK_TABLES = (
    "contacts",
    "contact_field_values",
    "list_subscriptions",
    "contact_tags",
    "campaign_sends",
    "engagement_events",
    "page_visits",
    "orders",
    "order_items",
    "abandoned_carts",
    "custom_events",
    "form_submissions",
    "score_values",
)

STAGE_SETUP = "Account, lists, fields and CRM"
STAGE_CONTACTS = "Contacts"
STAGE_CAMPAIGNS = "Campaigns, sends and events"
STAGE_SHOP = "Orders, carts and site visits"
STAGE_FINISH = "Tags, scores, deals and commit"

# Seed-sequence keys: every phase (and every chunk or campaign) draws from its own stream.
_SETUP, _POPULATION, _MEMBERS, _CONTACTS, _PLAN, _CAMPAIGN, _ORGANIC, _DEALS, _TAGS, _SIM = range(1, 11)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


# SQLite settings for the bulk load. foreign_keys can only change outside a transaction; the generator's ids
# are consistent by construction (the tests run PRAGMA foreign_key_check) and PostgreSQL checks them anyway.
# temp_store=FILE lets the index rebuilds sort on disk, so memory stays bounded at any size.
_BULK_PRAGMAS = {"foreign_keys": 0, "synchronous": 0, "cache_size": -400_000, "temp_store": 1}


@contextmanager
def _bulk_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for the whole build; SQLite is tuned for a bulk load and restored afterwards."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw: Any = conn.connection.driver_connection
        saved = {}
        if sqlite:
            saved = {name: raw.execute(f"PRAGMA {name}").fetchone()[0] for name in _BULK_PRAGMAS}
            for name, value in _BULK_PRAGMAS.items():
                raw.execute(f"PRAGMA {name}={value}")
        try:
            with conn.begin():
                yield conn
        finally:
            for name, value in saved.items():
                raw.execute(f"PRAGMA {name}={value}")


def _validate(contacts: int, seed: int, name: str, now: datetime) -> datetime:
    if not MIN_CONTACTS <= contacts <= MAX_CONTACTS:
        raise InvalidRequest(
            f"contacts={contacts:,} is out of range; the demo builds {MIN_CONTACTS:,} to "
            f"{MAX_CONTACTS:,} contacts.",
            field="contacts",
        )
    if seed < 0:
        raise InvalidRequest(f"seed={seed} is negative; use 0 or a positive integer.", field="seed")
    if not name.strip():
        raise InvalidRequest("The demo account needs a name; pass --name 'Demo Store'.", field="name")
    if now.tzinfo is None:
        raise InvalidRequest(
            "now must be timezone-aware (UTC), e.g. datetime(2026, 6, 15, tzinfo=UTC).", field="now"
        )
    return now.astimezone(UTC)


def build_demo_account(
    engine: Engine,
    *,
    contacts: int = 5000,
    seed: int = 7,
    now: datetime,
    name: str = "Demo Store",
    data_dir: Path,
    progress: ProgressFn | None = None,
) -> DemoSummary:
    """Build a realistic demo account with 12 months of history ending at ``now`` and return its summary.

    The hidden truth (contact traits, deal drivers) goes to ``<data_dir>/ground_truth/account_<id>/``.
    """
    now = _validate(contacts, seed, name, now)
    report = progress or _no_progress
    started = perf_counter()
    upgrade_database(engine)
    with engine.connect() as conn:
        existing = conn.execute(
            select(Account.id).where(func.lower(Account.name) == name.strip().lower())
        ).scalar()
    if existing is not None:
        raise Conflict(
            f"An account named {name.strip()!r} already exists (id {existing}); pick another name (--name) "
            "or use an empty database.",
            field="name",
        )

    def rng(*key: int) -> np.random.Generator:
        return np.random.default_rng([seed, *key])

    start = now - timedelta(days=365)
    now_us, start_us = int(now.timestamp() * US), int(start.timestamp() * US)
    with _bulk_transaction(engine) as conn:
        writer = BulkWriter(conn)
        writer.defer_indexes(BULK_TABLES)
        session = Session(bind=conn)
        report(STAGE_SETUP, 0, 1)
        setup = build_setup(session, name=name.strip(), now=now, start=start)
        pop = traits.draw_population(rng(_POPULATION), contacts, start_us=start_us, now_us=now_us)
        plan = plan_deals(rng(_DEALS), deal_count(contacts), now_us=now_us)
        company_rng = rng(_DEALS, 1)
        extra = max(5, len(plan.size) // 5)
        created = [datetime.fromtimestamp(int(t) / US - 86400 * 30, UTC) for t in plan.created_us]
        created += [start - timedelta(days=int(d)) for d in company_rng.integers(30, 400, extra)]
        add_companies(session, setup, company_rng, count=len(plan.size) + extra, created=created)
        wanted = np.concatenate([plan.wanted_contacts, company_rng.integers(1, 3, extra)])
        before = np.concatenate([plan.created_us, np.full(extra, now_us)])
        got = traits.assign_companies(company_rng, pop, wanted=wanted, before_us=before)
        scan_p = traits.scan_probability(pop)
        members = draw_memberships(rng(_MEMBERS), pop, start_us=start_us, now_us=now_us)
        report(STAGE_SETUP, 1, 1)

        report(STAGE_CONTACTS, 0, contacts)
        first_names, signed_up = write_contacts(
            writer,
            lambda i: rng(_CONTACTS, i),
            pop,
            members,
            setup,
            start_us=start_us,
            progress=lambda done: report(STAGE_CONTACTS, done, contacts),
        )

        specs = plan_campaigns(rng(_PLAN), setup, start=start, now=now)
        insert_campaigns(session, setup, specs)
        shop = Shop(writer, pop, setup.account_id, setup.domain, now_us)
        sim = Simulation(writer, pop, members, shop, setup.account_id, now_us, scan_p, rng(_SIM))
        sent = [s for s in specs if s.status == CampaignStatus.SENT]
        credits: dict[int, int] = {}
        for i, spec in enumerate(sent):
            report(STAGE_CAMPAIGNS, i, len(sent))
            before_credits = sim.sms_credits
            if spec.channel == Channel.SMS:
                simulate_sms(sim, rng(_CAMPAIGN, i), spec)
                credits[spec.id] = sim.sms_credits - before_credits
            else:
                simulate_email(sim, rng(_CAMPAIGN, i), spec)
        report(STAGE_CAMPAIGNS, len(sent), len(sent))

        report(STAGE_SHOP, 0, contacts)
        write_organic(
            shop,
            lambda i: rng(_ORGANIC, i),
            start_us=start_us,
            progress=lambda done: report(STAGE_SHOP, done, contacts),
        )

        report(STAGE_FINISH, 0, 4)
        write_memberships(writer, pop, members, setup, now_us=now_us)
        _update_statuses(writer, pop, members, start_us=start_us)
        _write_tags(writer, rng(_TAGS), pop, shop, setup, signed_up, now_us=now_us)
        _write_contact_scores(writer, pop, sim, shop, setup, now_us=now_us)
        report(STAGE_FINISH, 1, 4)
        company_contacts = [list(np.flatnonzero(pop.company == i)) for i in range(len(plan.size))]
        deals = write_deals(
            writer,
            rng(_DEALS, 2),
            setup,
            plan,
            got[: len(plan.size)],
            company_contacts,
            pop.ids,
            first_names,
            now_us=now_us,
        )
        _write_deal_scores(writer, setup, deals, now=now)
        _sms_credits(session, setup, specs, credits, start=start)
        session.flush()
        session.close()
        writer.finish()
        report(STAGE_FINISH, 3, 4)

    _analyze(engine)
    meta = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "now": now.isoformat(),
        "history_start": start.isoformat(),
        "contacts": contacts,
        "name": name.strip(),
        "parameters": {
            "industry": "E-Commerce/Retail",
            "human_open_rate": traits.HUMAN_OPEN,
            "human_click_rate": traits.HUMAN_CLICK,
            "propensity_beta": [traits.PROPENSITY_A, round(traits.PROPENSITY_B, 4)],
            "mpp_share_target": traits.MPP_SHARE,
            "mpp_share_drawn": round(float(pop.is_mpp.mean()), 4),
            "bot_click_share_target": traits.BOT_CLICK_SHARE,
            "scanner_share": round(float(pop.is_scanner.mean()), 4),
            "scan_probability_per_email": round(scan_p, 4),
            "deal_win_rate_target": 0.25,
        },
    }
    folder = write_ground_truth(
        data_dir,
        setup.account_id,
        meta=meta,
        contacts=contacts_frame(pop),
        deals=deals,
        campaigns=_campaigns_frame(specs),
    )
    summary = summarize_account(engine, setup.account_id)
    report(STAGE_FINISH, 4, 4)
    return summary.model_copy(
        update={
            "elapsed_seconds": round(perf_counter() - started, 2),
            "ground_truth_dir": str(folder.resolve()),
        }
    )


def _analyze(engine: Engine) -> None:
    """Refresh planner statistics (a bulk load leaves them stale) and, on PostgreSQL, the visibility maps.

    VACUUM is what autovacuum would do a while later; doing it now lets reports use index-only scans at once.
    """
    with engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        if conn.dialect.name == "sqlite":
            # A sampled ANALYZE: enough for the planner, seconds instead of a scan of every index.
            raw.execute("PRAGMA analysis_limit=1000")
            raw.execute("ANALYZE")
            raw.commit()
            return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) " + ", ".join(f'"{t}"' for t in BULK_TABLES))
        conn.exec_driver_sql("ANALYZE")


def _campaigns_frame(specs: list[CampaignSpec]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "campaign_id": [s.id for s in specs],
            "name": [s.name for s in specs],
            "kind": [s.kind for s in specs],
            "status": [s.status.value for s in specs],
            "topic": [content.INTERESTS[s.topic] if s.topic >= 0 else "" for s in specs],
            "open_multiplier": [round(s.open_noise, 5) for s in specs],
            "click_multiplier": [round(s.click_noise, 5) for s in specs],
        }
    )


def _update_statuses(writer: BulkWriter, pop: Population, members: Memberships, *, start_us: int) -> None:
    """Contacts whose address bounced during the window, or who left every list they were on."""
    email_lists = [j for j, k in enumerate(LIST_KEYS) if k != "sms"]
    sub = members.sub_at[:, email_lists] > 0
    gone = members.unsub_at[:, email_lists] > 0
    left_all = sub.any(axis=1) & np.all(~sub | gone, axis=1)
    bounced = members.bounced_at >= start_us
    left_all &= members.bounced_at == 0
    for mask, status, when in (
        (bounced, "bounced", members.bounced_at),
        (left_all, "unsubscribed", members.unsub_at[:, email_lists].max(axis=1)),
    ):
        writer.update(
            Contact.__table__,
            pop.ids[mask],
            {
                "status": np.full(int(mask.sum()), status, dtype=object),
                "updated_at": when[mask].astype("datetime64[us]"),
            },
        )


def _write_tags(
    writer: BulkWriter,
    rng: np.random.Generator,
    pop: Population,
    shop: Shop,
    setup: Setup,
    signed_up: np.ndarray,
    *,
    now_us: int,
) -> None:
    created = pop.created_us
    parts: list[tuple[str, np.ndarray, np.ndarray]] = [
        ("VIP", pop.tier == TIER_VIP, created + 60 * DAY),
        ("Customer", shop.order_count > 0, shop.first_order_us),
        ("Lead", (shop.order_count == 0) & (pop.company < 0), created),
        ("Wholesale Prospect", pop.company >= 0, created + DAY),
        ("Newsletter Signup", signed_up, created),
    ]
    later = created + (rng.random(pop.n) * 60 * DAY).astype(np.int64)
    for i, interest in enumerate(content.INTERESTS):
        has = ((pop.interests >> i) & 1) > 0
        chance = np.where(pop.primary_interest == i, 0.6, 0.25)
        parts.append((interest, has & (rng.random(pop.n) < chance), later))
    for tag, mask, when in parts:
        k = int(mask.sum())
        writer.insert(
            ContactTag.__table__,
            {
                "contact_id": pop.ids[mask],
                "tag_id": np.full(k, setup.tag_ids[tag]),
                "account_id": np.full(k, setup.account_id),
                "added_at": np.minimum(when[mask], now_us - 60 * US).astype("datetime64[us]"),
            },
        )


def _write_contact_scores(
    writer: BulkWriter, pop: Population, sim: Simulation, shop: Shop, setup: Setup, *, now_us: int
) -> None:
    """Points as the Engagement score's rules give them at ``now`` (opens 5, clicks 10, purchase 20)."""
    points = (
        5 * (sim.last_open_us >= now_us - 30 * DAY)
        + 10 * (sim.last_click_us >= now_us - 30 * DAY)
        + 20 * (shop.last_order_us >= now_us - 90 * DAY)
    ).astype(np.int64)
    has = points > 0
    k = int(has.sum())
    writer.insert(
        ScoreValue.__table__,
        {
            "id": writer.reserve_ids(ScoreValue.__table__, k),
            "account_id": np.full(k, setup.account_id),
            "score_id": np.full(k, setup.engagement_score_id),
            "contact_id": pop.ids[has],
            "deal_id": np.full(k, np.nan),
            "points": points[has],
            "updated_at": np.full(k, now_us, dtype=np.int64).astype("datetime64[us]"),
        },
    )


def _write_deal_scores(writer: BulkWriter, setup: Setup, deals: pd.DataFrame, *, now: datetime) -> None:
    scored = deals[(deals["status"] == "open") & (deals["pipeline"] == "Wholesale")]
    k = len(scored)
    points = 15 * (scored["value_usd"].to_numpy() >= 10_000) + 10 * (
        scored["source"].to_numpy() == "referral"
    )
    writer.insert(
        ScoreValue.__table__,
        {
            "id": writer.reserve_ids(ScoreValue.__table__, k),
            "account_id": np.full(k, setup.account_id),
            "score_id": np.full(k, setup.deal_score_id),
            "contact_id": np.full(k, np.nan),
            "deal_id": scored["deal_id"].to_numpy(),
            "points": points.astype(np.int64),
            "updated_at": np.full(k, np.datetime64(now.replace(tzinfo=None), "us")),
        },
    )


def _sms_credits(
    session: Session, setup: Setup, specs: list[CampaignSpec], credits: dict[int, int], *, start: datetime
) -> None:
    """A credit purchase at the start of the window, one spend per SMS broadcast, and the balance."""
    spent = sum(credits.values())
    bought = int(np.ceil((spent + 2500) / 5000) * 5000)
    session.add(
        SmsCreditEntry(
            account_id=setup.account_id, delta=bought, reason="Purchased SMS credits", created_at=start
        )
    )
    for spec in specs:
        if spec.id in credits:
            session.add(
                SmsCreditEntry(
                    account_id=setup.account_id,
                    delta=-credits[spec.id],
                    reason=f"SMS broadcast {spec.name!r}",
                    campaign_id=spec.id,
                    created_at=spec.sent_at,
                )
            )
    session.execute(
        update(Account).where(Account.id == setup.account_id).values(sms_credit_balance=bought - spent)
    )
