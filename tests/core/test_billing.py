"""The activities ledger (never overdrawn, per month) and SMS credits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.accounts.models import Account
from core.billing import service as billing
from core.billing.models import ActivityEntry, SmsCreditEntry
from core.contacts.models import Contact
from core.errors import FeatureUnavailable, InvalidRequest, LimitExceeded, NotFound


def _account(
    session: Session,
    *,
    limit: int = 0,
    plan: str = "plus",
    addons: list[str] | None = None,
    name: str = "Acme",
) -> int:
    return accounts.create_account(
        session, name=name, plan=plan, addons=addons or [], monthly_activity_limit=limit
    ).id


def _contacts(session: Session, aid: int, n: int) -> list[int]:
    rows = [Contact(account_id=aid, email=f"c{i}@example.com") for i in range(n)]
    session.add_all(rows)
    session.flush()
    return [r.id for r in rows]


def _entries(session: Session, model: type, aid: int) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.account_id == aid)) or 0  # type: ignore[attr-defined]


def test_activities_are_charged_until_the_limit_then_skipped(session: Session, now: datetime) -> None:
    aid = _account(session, limit=3)
    ids = _contacts(session, aid, 4)
    results = [
        billing.record_activity(
            session, account_id=aid, feature="ai_actions", contact_id=cid, now=now, source="automation 7"
        )
        for cid in ids
    ]
    assert [r.charged for r in results] == [True, True, True, False]
    assert [r.remaining for r in results] == [2, 1, 0, 0]
    skipped = results[-1]
    assert (
        skipped.skipped_reason is not None and "3 activities is used up for 2026-06" in skipped.skipped_reason
    )
    assert "skips this action" in skipped.skipped_reason and skipped.used == 3
    assert _entries(session, ActivityEntry, aid) == 3
    assert billing.activities_used(session, account_id=aid, month="2026-06") == 3
    assert billing.activities_remaining(session, account_id=aid, now=now) == 0
    # Activities do not roll over: next month starts from the full limit.
    july = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
    assert billing.activities_remaining(session, account_id=aid, now=july) == 3
    assert billing.record_activity(
        session, account_id=aid, feature="translations", contact_id=ids[3], now=july
    ).charged


def test_batch_charges_stop_exactly_at_the_limit(session: Session, now: datetime) -> None:
    aid = _account(session, limit=5)
    ids = _contacts(session, aid, 8)
    billing.record_activity(session, account_id=aid, feature="translations", contact_id=ids[0], now=now)
    results = billing.record_activities(
        session, account_id=aid, feature="translations", contact_ids=ids, now=now
    )
    assert [r.charged for r in results] == [True] * 4 + [False] * 4
    assert results[3].used == 5 and results[-1].used == 5 and results[-1].remaining == 0
    assert billing.activity_usage(session, account_id=aid, now=now).used == 5
    again = billing.record_activities(
        session, account_id=aid, feature="translations", contact_ids=ids[:2], now=now
    )
    assert not any(r.charged for r in again) and _entries(session, ActivityEntry, aid) == 5


def test_no_activities_purchased(session: Session, now: datetime) -> None:
    aid = _account(session, limit=0)
    [cid] = _contacts(session, aid, 1)
    result = billing.record_activity(session, account_id=aid, feature="ai_actions", contact_id=cid, now=now)
    assert not result.charged and "purchase a monthly activity limit" in (result.skipped_reason or "")
    session.get(Account, aid).is_trial = True  # type: ignore[union-attr]
    session.flush()
    trial = billing.record_activity(session, account_id=aid, feature="ai_actions", contact_id=cid, now=now)
    assert "Trial accounts" in (trial.skipped_reason or "")
    assert _entries(session, ActivityEntry, aid) == 0


def test_bad_activity_input(session: Session, now: datetime) -> None:
    aid = _account(session, limit=10)
    [cid] = _contacts(session, aid, 1)
    with pytest.raises(InvalidRequest, match="'ai_actions', 'translations'"):
        billing.record_activity(session, account_id=aid, feature="spam_check", contact_id=cid, now=now)
    with pytest.raises(InvalidRequest, match="no time zone"):
        billing.record_activity(
            session, account_id=aid, feature="ai_actions", contact_id=cid, now=datetime(2026, 6, 1)
        )
    with pytest.raises(NotFound, match="nothing was charged"):
        billing.record_activities(
            session, account_id=aid, feature="ai_actions", contact_ids=[cid, 999_999], now=now
        )
    with pytest.raises(InvalidRequest, match="YYYY-MM"):
        billing.activities_used(session, account_id=aid, month="June")
    assert _entries(session, ActivityEntry, aid) == 0


def test_month_is_counted_in_utc() -> None:
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC) + timedelta(hours=1)
    assert billing.month_of(late) == "2026-07"


def test_sms_credits_never_overdraw(session: Session, now: datetime) -> None:
    aid = _account(session, addons=["sms"])
    bought = billing.purchase_credits(session, account_id=aid, amount=100, now=now)
    assert bought.balance == 100 and bought.delta == 100
    spent = billing.charge_credits(
        session, account_id=aid, amount=60, now=now, reason="SMS campaign Flash sale"
    )
    assert spent.delta == -60 and spent.balance == 40
    with pytest.raises(LimitExceeded) as err:
        billing.charge_credits(session, account_id=aid, amount=55, now=now, reason="SMS campaign Encore")
    assert "needs 55 SMS credits but the balance is 40: 15 credits short" in str(err.value)
    assert billing.credit_balance(session, account_id=aid).balance == 40
    assert _entries(session, SmsCreditEntry, aid) == 2
    history = billing.list_credit_entries(session, account_id=aid)
    assert [(e.delta, e.balance) for e in history] == [(-60, 40), (100, 100)]
    assert (
        billing.charge_credits(session, account_id=aid, amount=40, now=now, reason="All of it").balance == 0
    )


@pytest.mark.parametrize("amount", [0, -5, 2.5, True], ids=["zero", "negative", "fraction", "bool"])
def test_bad_credit_amounts(session: Session, now: datetime, amount: object) -> None:
    aid = _account(session, addons=["sms"])
    with pytest.raises(InvalidRequest, match="whole number above 0"):
        billing.purchase_credits(session, account_id=aid, amount=amount, now=now)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest, match="whole number above 0"):
        billing.charge_credits(session, account_id=aid, amount=amount, now=now, reason="x")  # type: ignore[arg-type]
    assert _entries(session, SmsCreditEntry, aid) == 0


def test_credits_need_the_sms_add_on(session: Session, now: datetime) -> None:
    aid = _account(session)
    with pytest.raises(FeatureUnavailable, match="SMS add-on"):
        billing.purchase_credits(session, account_id=aid, amount=10, now=now)
    assert billing.credit_balance(session, account_id=aid).balance == 0


def test_tenant_isolation(session: Session, now: datetime) -> None:
    a = _account(session, limit=2, addons=["sms"], name="A")
    b = _account(session, limit=2, addons=["sms"], name="B")
    a_contacts = _contacts(session, a, 2)
    billing.record_activities(session, account_id=a, feature="ai_actions", contact_ids=a_contacts, now=now)
    billing.purchase_credits(session, account_id=a, amount=50, now=now)
    # A used its whole budget; B's is untouched, and B cannot charge A's contacts.
    assert billing.activities_remaining(session, account_id=b, now=now) == 2
    with pytest.raises(NotFound):
        billing.record_activity(
            session, account_id=b, feature="ai_actions", contact_id=a_contacts[0], now=now
        )
    assert billing.credit_balance(session, account_id=b).balance == 0
    assert billing.list_credit_entries(session, account_id=b) == []
    with pytest.raises(LimitExceeded):
        billing.charge_credits(session, account_id=b, amount=1, now=now, reason="x")
    assert billing.credit_balance(session, account_id=a).balance == 50


def _race(engine: Engine, work: Callable[[Session], object], workers: int = 4) -> list[object]:
    """Run ``work`` in parallel sessions that commit; return each result or the exception it raised."""
    barrier = threading.Barrier(workers)
    results: list[object] = []

    def run() -> None:
        with Session(engine) as s:
            barrier.wait()
            try:
                results.append(work(s))
                s.commit()
            except Exception as err:  # noqa: BLE001  (the test inspects what each worker got)
                s.rollback()
                results.append(err)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("budget", ["credits", "activities"])
def test_concurrent_charges_never_overdraw(engine: Engine, now: datetime, budget: str) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the row lock matters on PostgreSQL")
    with Session(engine) as s:
        aid = _account(s, limit=2, addons=["sms"], name="Race")
        ids = _contacts(s, aid, 4)
        if budget == "credits":
            billing.purchase_credits(s, account_id=aid, amount=100, now=now)
        s.commit()
    try:
        if budget == "credits":
            results = _race(
                engine, lambda s: billing.charge_credits(s, account_id=aid, amount=60, now=now, reason="race")
            )
            assert sum(not isinstance(r, Exception) for r in results) == 1
            assert all(isinstance(r, LimitExceeded) for r in results if isinstance(r, Exception))
        else:
            counter = iter(ids)
            results = _race(
                engine,
                lambda s: billing.record_activity(
                    s, account_id=aid, feature="ai_actions", contact_id=next(counter), now=now
                ),
            )
            assert sorted(r.charged for r in results) == [False, False, True, True]  # type: ignore[attr-defined]
        with Session(engine) as s:
            assert billing.credit_balance(s, account_id=aid).balance == (40 if budget == "credits" else 0)
            assert billing.activities_used(s, account_id=aid, month="2026-06") == (
                0 if budget == "credits" else 2
            )
    finally:
        with Session(engine) as s:
            s.delete(s.get(Account, aid))
            s.commit()
