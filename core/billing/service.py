"""The activities ledger (monthly limit, never overdrawn) and SMS credits (bought, then spent on sends).

Activities: one per contact per AI action, or per translated send. They do not roll over, so the budget is
counted per calendar month (UTC). When the month's limit is used up the contact skips the action; we never
charge past the limit. Both budgets lock the account row while they count, so concurrent workers cannot
overdraw them (PostgreSQL: SELECT ... FOR UPDATE; SQLite serialises writers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from core.accounts.models import Account
from core.accounts.service import require_feature
from core.billing.models import MAX_MONTHLY_ACTIVITY_LIMIT, ActivityEntry, SmsCreditEntry
from core.billing.schemas import (
    ACTIVITY_FEATURES,
    ActivityResult,
    ActivityUsage,
    CreditBalance,
    CreditEntryOut,
)
from core.campaigns.models import Campaign
from core.contacts.models import Contact
from core.errors import InvalidRequest, LimitExceeded, NotFound, invalid_choice
from core.scope import get_owned

MAX_CREDIT_PURCHASE = 1_000_000
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_of(now: datetime) -> str:
    """Return the ledger month ('YYYY-MM', UTC) of a moment."""
    if now.tzinfo is None:
        raise InvalidRequest(f"Time {now.isoformat()} has no time zone; give an aware time.", field="now")
    return now.astimezone(UTC).strftime("%Y-%m")


def _locked(session: Session, account_id: int) -> Account:
    account = session.execute(
        select(Account)
        .where(Account.id == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    return account


def _used(session: Session, account_id: int, month: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ActivityEntry)
            .where(ActivityEntry.account_id == account_id, ActivityEntry.month == month)
        )
        or 0
    )


def _feature(value: str) -> str:
    key = str(value).strip().lower()
    if key not in ACTIVITY_FEATURES:
        raise invalid_choice("activity feature", value, ACTIVITY_FEATURES)
    return key


def _skip_reason(account: Account, month: str) -> str:
    if account.monthly_activity_limit == 0:
        if account.is_trial:
            return "Trial accounts cannot purchase activities, so the contact skips this AI action."
        return (
            "This account has no activities; purchase a monthly activity limit (Billing & Upgrade) to run AI "
            "actions and translations. The contact skips this action."
        )
    return (
        f"The monthly limit of {account.monthly_activity_limit:,} activities is used up for {month}; the "
        "contact "
        f"skips this action. Raise the limit (up to {MAX_MONTHLY_ACTIVITY_LIMIT:,}) in Billing & Upgrade."
    )


def _clean_source(source: str | None) -> str | None:
    return source.strip()[:120] if source and source.strip() else None


def record_activity(
    session: Session,
    *,
    account_id: int,
    feature: str,
    contact_id: int,
    now: datetime,
    source: str | None = None,
) -> ActivityResult:
    """Charge one activity for a contact, or report that the contact skips the action (limit reached)."""
    result = record_activities(
        session, account_id=account_id, feature=feature, contact_ids=[contact_id], now=now, source=source
    )
    return result[0]


def record_activities(
    session: Session,
    *,
    account_id: int,
    feature: str,
    contact_ids: Iterable[int],
    now: datetime,
    source: str | None = None,
) -> list[ActivityResult]:
    """Charge one activity per contact, in order, until the month's limit; the rest skip the action."""
    key = _feature(feature)
    month = month_of(now)
    ids = [int(i) for i in contact_ids]
    distinct = sorted(set(ids))
    owned: set[int] = set()
    for i in range(0, len(distinct), 1000):
        chunk = distinct[i : i + 1000]
        owned.update(
            session.scalars(
                select(Contact.id).where(Contact.account_id == account_id, Contact.id.in_(chunk))
            ).all()
        )
    unknown = sorted(set(ids) - owned)
    if unknown:
        raise NotFound(
            f"No contacts with ids {unknown[:10]} in this account; nothing was charged.", field="contact"
        )
    account = _locked(session, account_id)
    limit = account.monthly_activity_limit
    used = _used(session, account_id, month)
    charge = ids[: max(0, limit - used)]
    if charge:
        session.execute(
            insert(ActivityEntry),
            [
                {
                    "account_id": account_id,
                    "month": month,
                    "feature": key,
                    "source": _clean_source(source),
                    "contact_id": cid,
                    "created_at": now,
                }
                for cid in charge
            ],
        )
    results: list[ActivityResult] = []
    for n, _cid in enumerate(ids):
        charged = n < len(charge)
        after = used + min(n + 1, len(charge))
        results.append(
            ActivityResult(
                charged=charged,
                skipped_reason=None if charged else _skip_reason(account, month),
                month=month,
                used=after,
                limit=limit,
                remaining=max(0, limit - after),
            )
        )
    session.flush()
    return results


def activities_used(session: Session, *, account_id: int, month: str) -> int:
    """Return how many activities were charged in ``month`` ('YYYY-MM')."""
    if not _MONTH.match(str(month)):
        raise InvalidRequest(f"Month {month!r} is not in the form 'YYYY-MM', e.g. '2026-06'.", field="month")
    return _used(session, account_id, month)


def activities_remaining(session: Session, *, account_id: int, now: datetime) -> int:
    """Return the activities left this month."""
    return activity_usage(session, account_id=account_id, now=now).remaining


def activity_usage(session: Session, *, account_id: int, now: datetime) -> ActivityUsage:
    """Return this month's activity use against the limit."""
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    month = month_of(now)
    used = _used(session, account_id, month)
    limit = account.monthly_activity_limit
    return ActivityUsage(month=month, used=used, limit=limit, remaining=max(0, limit - used))


# ---------------------------------------------------------------- SMS credits


def _amount(amount: int, *, field: str, max_value: int | None = None) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidRequest(f"Credit amount {amount!r} must be a whole number above 0.", field=field)
    if max_value is not None and amount > max_value:
        raise InvalidRequest(
            f"Credit amount {amount:,} is above the {max_value:,} allowed at once; split the purchase.",
            field=field,
        )
    return amount


def _entry_out(entry: SmsCreditEntry, balance: int) -> CreditEntryOut:
    return CreditEntryOut.model_validate(entry).model_copy(update={"balance": balance})


def purchase_credits(
    session: Session, *, account_id: int, amount: int, now: datetime, reason: str = "Credit purchase"
) -> CreditEntryOut:
    """Add purchased SMS credits to the balance (needs the SMS add-on)."""
    _amount(amount, field="amount", max_value=MAX_CREDIT_PURCHASE)
    require_feature(session, account_id=account_id, feature="sms")
    account = _locked(session, account_id)
    account.sms_credit_balance += amount
    entry = SmsCreditEntry(
        account_id=account_id, delta=amount, reason=(reason or "Credit purchase")[:200], created_at=now
    )
    session.add(entry)
    session.flush()
    return _entry_out(entry, account.sms_credit_balance)


def charge_credits(
    session: Session,
    *,
    account_id: int,
    amount: int,
    now: datetime,
    reason: str,
    campaign_id: int | None = None,
) -> CreditEntryOut:
    """Spend SMS credits; a charge larger than the balance is refused whole, showing the shortfall."""
    _amount(amount, field="amount")
    if not (reason or "").strip():
        raise InvalidRequest("Say what the credits pay for, e.g. 'SMS campaign Flash sale'.", field="reason")
    if campaign_id is not None:
        get_owned(session, Campaign, account_id=account_id, id=campaign_id, kind="campaign")
    account = _locked(session, account_id)
    balance = account.sms_credit_balance
    if amount > balance:
        short = amount - balance
        raise LimitExceeded(
            f"This needs {amount:,} SMS credits but the balance is {balance:,}: {short:,} credits short. "
            f"Buy at least {short:,} more credits, or send to fewer recipients.",
            field="sms_credits",
        )
    account.sms_credit_balance = balance - amount
    entry = SmsCreditEntry(
        account_id=account_id,
        delta=-amount,
        reason=reason.strip()[:200],
        campaign_id=campaign_id,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    return _entry_out(entry, account.sms_credit_balance)


def credit_balance(session: Session, *, account_id: int) -> CreditBalance:
    """Return the SMS credit balance."""
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    return CreditBalance(balance=account.sms_credit_balance)


def list_credit_entries(session: Session, *, account_id: int, limit: int = 50) -> list[CreditEntryOut]:
    """Return the latest credit purchases and spends, newest first, each with the balance after it."""
    balance = credit_balance(session, account_id=account_id).balance
    rows = session.scalars(
        select(SmsCreditEntry)
        .where(SmsCreditEntry.account_id == account_id)
        .order_by(SmsCreditEntry.id.desc())
        .limit(max(1, min(limit, 500)))
    ).all()
    out = []
    for row in rows:
        out.append(_entry_out(row, balance))
        balance -= row.delta
    return out
