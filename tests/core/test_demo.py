"""The demo generator: deterministic, realistic, consistent, with its ground truth kept out of the database.

The generator commits its own transaction, so these tests use fresh databases (a temp SQLite file and
throwaway PostgreSQL databases) instead of the rolled-back ``session`` fixture.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

import core.models  # noqa: F401
from core.db import Base, make_engine
from core.demo import DemoSummary, build_demo_account, load_ground_truth
from core.errors import Conflict, InvalidRequest
from core.migrations.runner import alembic_config

POSTGRES_ADMIN_URL = os.environ.get(
    "ACTIVEINTEL_TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test"
)
BACKENDS = ["sqlite"] + ([] if os.environ.get("ACTIVEINTEL_TEST_SKIP_POSTGRES") == "1" else ["postgres"])
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
CONTACTS = 300
TABLES = [
    "contacts",
    "contact_field_values",
    "list_subscriptions",
    "contact_tags",
    "campaigns",
    "campaign_links",
    "campaign_sends",
    "engagement_events",
    "page_visits",
    "orders",
    "order_items",
    "abandoned_carts",
    "custom_events",
    "deals",
    "deal_tasks",
    "notes",
    "score_values",
    "form_submissions",
]


def _schema(engine: Engine) -> None:
    # Same as the shared fixtures: the models' schema, stamped so the generator's upgrade step is a no-op.
    Base.metadata.create_all(engine)
    command.stamp(alembic_config(engine), "head")


@pytest.fixture(scope="module")
def new_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Engine]]:
    """Make fresh, schema-complete databases on demand; drop them at the end."""
    engines: list[Engine] = []
    pg_names: list[str] = []
    admin = None

    def make(backend: str) -> Engine:
        nonlocal admin
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
        else:
            admin = admin or create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            name = f"activeintel_demo_{uuid.uuid4().hex[:10]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            pg_names.append(name)
            url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        _schema(engine)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()
    if admin is not None:
        with admin.connect() as conn:
            for name in pg_names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Built:
    engine: Engine
    summary: DemoSummary
    data_dir: Path
    backend: str


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, new_engine: Callable[[str], Engine], tmp_path_factory) -> Built:
    engine = new_engine(request.param)
    data_dir = tmp_path_factory.mktemp("data")
    summary = build_demo_account(engine, contacts=CONTACTS, seed=7, now=NOW, data_dir=data_dir)
    return Built(engine, summary, data_dir, request.param)


def _frame(engine: Engine, table: str, account_id: int) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(
            text(f"SELECT * FROM {table} WHERE account_id = :a"), conn, params={"a": account_id}
        )


def _checksums(engine: Engine, account_id: int) -> dict[str, tuple[int, int]]:
    out = {}
    for table in TABLES:
        df = _frame(engine, table, account_id)
        keys = [c for c in ("id", "contact_id", "list_id", "tag_id", "field_id") if c in df.columns]
        df = df.sort_values(keys).astype(str).reset_index(drop=True)
        out[table] = (len(df), int(pd.util.hash_pandas_object(df, index=False).sum()))
    return out


def test_builds_the_described_account(demo: Built) -> None:
    s = demo.summary
    assert (s.plan, s.industry, s.botsense_enabled) == ("pro", "E-Commerce/Retail", True)
    assert set(s.addons) == {"pipelines", "sales_engagement", "sms"}
    assert s.contacts == CONTACTS and 3 <= s.lists <= 5
    assert {"VIP", "Customer", "Lead"} <= set(_frame(demo.engine, "tags", s.account_id)["name"])
    # One draft newsletter plus the three emails of the two automations.
    assert s.campaigns_by_status["draft"] == 4 and s.campaigns_by_status["scheduled"] == 1
    assert 1 <= s.campaigns_by_status["failed"] <= 2 and s.campaigns_by_status["sent"] >= 24
    types = {e.type for e in s.events}
    assert {"open", "click", "unsubscribe", "bounce"} <= types
    assert s.orders > 0 and s.page_visits > 0 and s.abandoned_carts > 0
    assert s.deals_by_status["won"] > 0 and s.deals_by_status["lost"] > 0 and s.deals_by_status["open"] > 0
    fields = _frame(demo.engine, "custom_fields", s.account_id)
    assert sorted(fields["type"]) == sorted(["text", "textarea", "date", "dropdown", "number", "language"])
    failed = _frame(demo.engine, "campaigns", s.account_id).query("status == 'failed'")
    assert failed["failure_reason"].str.len().min() > 20
    sms = _frame(demo.engine, "list_subscriptions", s.account_id).query("sms_consent_source.notna()")
    assert len(sms) > 0 and sms["sms_consent_at"].notna().all()


def test_same_seed_same_data_and_other_seed_differs(
    demo: Built, new_engine: Callable[[str], Engine], tmp_path: Path
) -> None:
    again = new_engine(demo.backend)
    twin = build_demo_account(again, contacts=CONTACTS, seed=7, now=NOW, data_dir=tmp_path)
    assert twin.model_dump(exclude={"elapsed_seconds", "ground_truth_dir"}) == demo.summary.model_dump(
        exclude={"elapsed_seconds", "ground_truth_dir"}
    )
    assert _checksums(again, twin.account_id) == _checksums(demo.engine, demo.summary.account_id)

    other = build_demo_account(
        again, contacts=CONTACTS, seed=8, now=NOW, name="Other Store", data_dir=tmp_path
    )
    assert other.account_id != twin.account_id
    ours, theirs = _checksums(again, twin.account_id), _checksums(again, other.account_id)
    assert ours["engagement_events"] != theirs["engagement_events"]
    assert ours["campaign_sends"][0] != theirs["campaign_sends"][0] or ours["orders"] != theirs["orders"]


def test_rates_are_realistic(demo: Built) -> None:
    aid = demo.summary.account_id
    sends = _frame(demo.engine, "campaign_sends", aid)
    events = _frame(demo.engine, "engagement_events", aid)
    campaigns = _frame(demo.engine, "campaigns", aid)
    email_ids = set(campaigns.query("channel == 'email'")["id"])
    delivered = sends[sends["campaign_id"].isin(email_ids) & (sends["status"] == "delivered")]
    ev = events[events["campaign_id"].isin(email_ids)]
    opens = ev[(ev["type"] == "open") & ~ev["is_bot"].astype(bool)]
    open_rate = len(opens[["campaign_id", "contact_id"]].drop_duplicates()) / len(delivered)
    assert 0.25 <= open_rate <= 0.55, open_rate
    mpp = opens[opens["is_mpp"].astype(bool)]
    assert 0.35 <= len(mpp) / len(opens) <= 0.85
    assert (mpp["user_agent"] == "Mozilla/5.0").all()
    clicks = ev[ev["type"] == "click"]
    bots = clicks[clicks["is_bot"].astype(bool)]
    assert 0 < len(bots) < len(clicks)
    human = clicks[~clicks["is_bot"].astype(bool)]
    human_rate = len(human[["campaign_id", "contact_id"]].drop_duplicates()) / len(delivered)
    assert 0.005 <= human_rate <= 0.06, human_rate
    # Scanners hit every link, the hidden honeypot included; no human ever does.
    links = _frame(demo.engine, "campaign_links", aid)
    honeypots = set(links[links["is_honeypot"].astype(bool)]["url"])
    assert set(bots["url"]) & honeypots
    assert not set(human["url"]) & honeypots
    sent_at = sends.set_index(["campaign_id", "contact_id"])["sent_at"]
    bot_delay = pd.to_datetime(
        bots.set_index(["campaign_id", "contact_id"])["occurred_at"], utc=True
    ) - pd.to_datetime(sent_at, utc=True).reindex(bots.set_index(["campaign_id", "contact_id"]).index)
    assert bot_delay.max() <= timedelta(seconds=10)
    unsub_rate = (ev["type"] == "unsubscribe").sum() / len(delivered)
    assert unsub_rate < 0.01


def test_events_only_for_recipients_after_their_send(demo: Built) -> None:
    aid = demo.summary.account_id
    sends = _frame(demo.engine, "campaign_sends", aid)
    events = _frame(demo.engine, "engagement_events", aid)
    merged = events.merge(sends, on=["campaign_id", "contact_id"], how="left", suffixes=("", "_send"))
    assert merged["id_send"].notna().all(), "an event for a contact who was not sent the campaign"
    occurred = pd.to_datetime(merged["occurred_at"], utc=True)
    assert (occurred >= pd.to_datetime(merged["sent_at"], utc=True)).all()
    assert (occurred <= pd.Timestamp(NOW)).all()
    assert not merged.loc[merged["is_mpp"].astype(bool), "type"].ne("open").any()


def test_no_sends_after_bounce_or_unsubscribe(demo: Built) -> None:
    aid = demo.summary.account_id
    sends = _frame(demo.engine, "campaign_sends", aid)
    sends["sent_at"] = pd.to_datetime(sends["sent_at"], utc=True)
    events = _frame(demo.engine, "engagement_events", aid)
    bounces = events[events["type"] == "bounce"].groupby("contact_id")["occurred_at"].min()
    later = sends.join(pd.to_datetime(bounces, utc=True).rename("bounced_at"), on="contact_id")
    assert not (later["sent_at"] > later["bounced_at"]).any()
    contacts = _frame(demo.engine, "contacts", aid).set_index("id")
    assert (contacts.loc[bounces.index, "status"] == "bounced").all()

    campaigns = _frame(demo.engine, "campaigns", aid).set_index("id")
    subs = _frame(demo.engine, "list_subscriptions", aid)
    subs["subscribed_at"] = pd.to_datetime(subs["subscribed_at"], utc=True)
    subs["unsubscribed_at"] = pd.to_datetime(subs["unsubscribed_at"], utc=True)
    assert (subs["email_status"] == "unsubscribed").sum() > 0
    lists_of = campaigns["list_ids"].map(lambda v: v if isinstance(v, list) else json.loads(v))
    rows = sends[["campaign_id", "contact_id", "sent_at"]].assign(list_id=sends["campaign_id"].map(lists_of))
    rows = rows.explode("list_id").astype({"list_id": "int64"})
    joined = rows.merge(subs, on=["contact_id", "list_id"], how="left")
    joined["ok"] = (joined["subscribed_at"] <= joined["sent_at"]) & (
        joined["unsubscribed_at"].isna() | (joined["unsubscribed_at"] > joined["sent_at"])
    )
    per_send = joined.groupby(["campaign_id", "contact_id"])["ok"].any()
    assert per_send.all(), f"{(~per_send).sum()} sends went to contacts off the campaign's lists"


def test_no_page_visits_from_bots(demo: Built) -> None:
    aid = demo.summary.account_id
    visits = _frame(demo.engine, "page_visits", aid).dropna(subset=["campaign_id"])
    events = _frame(demo.engine, "engagement_events", aid)
    human = events[(events["type"] == "click") & ~events["is_bot"].astype(bool)]
    humans = set(zip(human["campaign_id"], human["contact_id"], strict=True))
    visited = set(zip(visits["campaign_id"].astype(int), visits["contact_id"].astype(int), strict=True))
    assert visited and visited <= humans


def test_ids_stay_inside_the_account_and_foreign_keys_hold(demo: Built) -> None:
    aid = demo.summary.account_id
    contact_ids = set(_frame(demo.engine, "contacts", aid)["id"])
    for table in ("campaign_sends", "engagement_events", "orders", "contact_tags", "list_subscriptions"):
        assert set(_frame(demo.engine, table, aid)["contact_id"]) <= contact_ids, table
    if demo.backend == "sqlite":
        with demo.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_indexes_and_constraints_are_rebuilt_after_the_bulk_load(demo: Built) -> None:
    # The load drops the big tables' indexes (and, on PostgreSQL, keys) while they are empty; all come back.
    with demo.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    insp = inspect(demo.engine)
    assert {"ix_events_account_type_time", "ix_events_campaign_type", "ix_events_contact_type_time"} <= {
        i["name"] for i in insp.get_indexes("engagement_events")
    }
    if demo.backend == "postgres":
        assert len(insp.get_foreign_keys("engagement_events")) == 3
        assert insp.get_unique_constraints("campaign_sends")
        with demo.engine.connect() as conn:
            last = conn.execute(text("SELECT last_value FROM engagement_events_id_seq")).scalar_one()
            top = conn.execute(text("SELECT max(id) FROM engagement_events")).scalar_one()
        assert last >= top


def test_ground_truth_is_written_loadable_and_absent_from_the_database(demo: Built) -> None:
    aid = demo.summary.account_id
    truth = load_ground_truth(demo.data_dir, aid)
    assert (
        truth.meta["seed"] == 7
        and truth.meta["now"] == NOW.isoformat()
        and truth.meta["contacts"] == CONTACTS
    )
    assert sorted(truth.contacts["contact_id"]) == sorted(_frame(demo.engine, "contacts", aid)["id"])
    assert truth.contacts["engagement_propensity"].between(0, 1).all()
    assert 0.1 <= truth.contacts["is_mpp_user"].mean() <= 0.5
    deals = _frame(demo.engine, "deals", aid)
    assert sorted(truth.deals["deal_id"]) == sorted(deals["id"])
    assert truth.deals["true_win_probability"].between(0, 1).all()
    closed = truth.deals[truth.deals["status"] != "open"]
    # Outcomes follow the hidden probability: won deals had the higher true odds on average.
    won = closed["status"] == "won"
    assert closed.loc[won, "true_win_probability"].mean() > closed.loc[~won, "true_win_probability"].mean()
    assert deals["win_probability"].isna().all()
    hidden = {
        "engagement_propensity",
        "propensity",
        "true_win_probability",
        "preferred_hour_local",
        "is_mpp_user",
        "has_link_scanner",
        "customer_tier",
        "destined_to_win",
    }
    insp = inspect(demo.engine)
    for table in insp.get_table_names():
        assert not hidden & {c["name"] for c in insp.get_columns(table)}, table
    with pytest.raises(FileNotFoundError, match="No ground truth"):
        load_ground_truth(demo.data_dir, aid + 999)


def test_refuses_an_existing_name_and_bad_sizes(demo: Built, tmp_path: Path) -> None:
    with pytest.raises(Conflict, match="already exists"):
        build_demo_account(
            demo.engine, contacts=CONTACTS, seed=1, now=NOW, name="demo store", data_dir=tmp_path
        )
    with pytest.raises(InvalidRequest, match="contacts"):
        build_demo_account(demo.engine, contacts=5, now=NOW, name="Tiny", data_dir=tmp_path)
    with pytest.raises(InvalidRequest, match="timezone-aware"):
        build_demo_account(demo.engine, now=NOW.replace(tzinfo=None), name="Naive", data_dir=tmp_path)


def test_reports_progress_for_every_stage(new_engine: Callable[[str], Engine], tmp_path: Path) -> None:
    seen: dict[str, tuple[int, int]] = {}
    build_demo_account(
        new_engine("sqlite"),
        contacts=150,
        seed=3,
        now=NOW,
        data_dir=tmp_path,
        progress=lambda stage, done, total: seen.__setitem__(stage, (done, total)),
    )
    assert len(seen) == 5 and all(done == total for done, total in seen.values())


def test_cli_demo_runs_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from activeintel.cli import main

    # The real first-run path: an empty data folder, the schema made by the migrations.
    monkeypatch.setenv("ACTIVEINTEL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["demo", "--contacts", "200", "--seed", "5", "--now", "2026-06-15"]) == 0
    out = capsys.readouterr().out
    assert "Demo account 'Demo Store'" in out and "200" in out and "deals" in out
    assert (tmp_path / "ground_truth" / "account_1" / "meta.json").exists()
    assert main(["demo", "--contacts", "200", "--quiet"]) == 1
    assert "already exists" in capsys.readouterr().out
    assert main(["demo", "--now", "15/06/2026", "--quiet"]) == 2
