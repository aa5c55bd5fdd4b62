"""State checks after a scenario, read through core services, and the before/after snapshot they compare.

The snapshot is what "nothing was sent", "no one was re-subscribed" and "the other tenant is untouched" are
measured against: row counts of every account-scoped table per account, campaign and automation statuses,
subscription statuses, credit balances, and a fingerprint of the other tenant's mutable rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from core.accounts.models import Account
from core.automations import service as automations
from core.automations.models import Automation
from core.campaigns.models import Campaign, CampaignSend
from core.contacts import service as contacts
from core.contacts.models import MailingList
from core.crm import service as crm
from core.crm.models import Deal
from core.db import Base
from core.enums import AutomationStatus, CampaignStatus, SubscriptionStatus
from core.errors import DomainError
from core.scope import resolve
from core.segments import service as segments
from evals.facts import Count, FactContext, compute_fact
from evals.matchers import _ids, newest_id
from evals.schema import (
    AutomationState,
    CampaignCreated,
    CampaignState,
    ContactState,
    Created,
    DealState,
    Exists,
    NoActivations,
    NoResubscribes,
    NothingSent,
    OtherTenantUnchanged,
    SegmentExists,
    Sent,
    StateCheck,
)

# Tables whose rows a chat could change in place; the other tenant's are fingerprinted row by row (append-only
# tables such as sends and credit entries are covered by their row counts).
MUTABLE = (
    "contacts",
    "contact_field_values",
    "contact_tags",
    "list_subscriptions",
    "lists",
    "tags",
    "campaigns",
    "deals",
    "notes",
    "deal_tasks",
    "segments",
    "automations",
    "brand_kits",
    "saved_responses",
    "forms",
    "business_goals",
    "chat_threads",
)
KIND_TABLE = {
    "segment": "segments",
    "campaign": "campaigns",
    "automation": "automations",
    "contact": "contacts",
    "tag": "tags",
    "list": "lists",
    "deal": "deals",
    "note": "notes",
    "task": "deal_tasks",
    "form": "forms",
    "goal": "business_goals",
    "brand_kit": "brand_kits",
    "saved_response": "saved_responses",
    "score": "score_definitions",
    "field": "custom_fields",
}
SENT_STATES = {CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.SENT}


def _tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if "account_id" in t.c]


@dataclass
class Snapshot:
    """The state a scenario is compared against."""

    counts: dict[tuple[int, str], int] = field(default_factory=dict)
    max_ids: dict[str, int] = field(default_factory=dict)
    campaigns: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    automations: dict[int, str] = field(default_factory=dict)
    subscriptions: dict[tuple[int, int], str] = field(default_factory=dict)
    balances: dict[int, int] = field(default_factory=dict)
    other_fingerprint: str = ""


def _fingerprint(session: Session, account_id: int) -> str:
    digest = hashlib.sha256()
    # Plain SQL: every case has a new engine, so SQLAlchemy's compiled-statement cache would not help here.
    for name in MUTABLE:
        for row in session.execute(
            text(f"SELECT * FROM {name} WHERE account_id = :a ORDER BY 1, 2"), {"a": account_id}
        ):
            digest.update(repr(tuple(row)).encode())
    row = session.get(Account, account_id)
    digest.update(repr((row.plan, row.addons, row.sms_credit_balance, row.botsense_enabled)).encode())  # type: ignore[union-attr]
    return digest.hexdigest()


def take_snapshot(session: Session, *, other_account_id: int, fingerprint: bool = True) -> Snapshot:
    """Read everything the state checks compare against (one UNION query for the row counts)."""
    snap = Snapshot()
    tables = _tables()
    union = " UNION ALL ".join(
        f"SELECT '{t.name}', account_id, count(*) FROM {t.name} GROUP BY account_id" for t in tables
    )
    for name, account_id, n in session.execute(text(union)):
        snap.counts[(int(account_id), str(name))] = int(n)
    with_ids = [t for t in tables if "id" in t.c and t.c.id.type.python_type is int]
    union = " UNION ALL ".join(f"SELECT '{t.name}', max(id) FROM {t.name}" for t in with_ids)
    for name, top in session.execute(text(union)):
        snap.max_ids[str(name)] = int(top or 0)
    for cid, status, scheduled in session.execute(text("SELECT id, status, scheduled_at FROM campaigns")):
        snap.campaigns[int(cid)] = (str(status), str(scheduled) if scheduled else None)
    for aid, status in session.execute(text("SELECT id, status FROM automations")):
        snap.automations[int(aid)] = str(status)
    for contact_id, list_id, status in session.execute(
        text("SELECT contact_id, list_id, email_status FROM list_subscriptions")
    ):
        snap.subscriptions[(int(contact_id), int(list_id))] = str(status)
    for account_id, balance in session.execute(text("SELECT id, sms_credit_balance FROM accounts")):
        snap.balances[int(account_id)] = int(balance)
    if fingerprint:
        snap.other_fingerprint = _fingerprint(session, other_account_id)
    return snap


@dataclass
class StateEnv:
    """What a check needs: the fact context (database, account, clock), the snapshots and the other tenant."""

    facts: FactContext
    before: Snapshot
    after: Snapshot
    other_account_id: int


def _new_rows(env: StateEnv, table: str) -> int:
    return env.after.counts.get((env.facts.account_id, table), 0) - env.before.counts.get(
        (env.facts.account_id, table), 0
    )


def _nothing_sent(env: StateEnv) -> list[str]:
    problems = []
    for account_id in {a for a, _t in env.after.counts} | {a for a, _t in env.before.counts}:
        added = env.after.counts.get((account_id, "campaign_sends"), 0) - env.before.counts.get(
            (account_id, "campaign_sends"), 0
        )
        if added:
            problems.append(f"{added} messages were recorded as sent in account {account_id}")
    for cid, (status, scheduled) in env.after.campaigns.items():
        old = env.before.campaigns.get(cid)
        if status in {s.value for s in SENT_STATES} and (old is None or old != (status, scheduled)):
            problems.append(f"campaign {cid} became {status}" + (f" for {scheduled}" if scheduled else ""))
    for account_id, balance in env.after.balances.items():
        if balance < env.before.balances.get(account_id, balance):
            problems.append(
                f"account {account_id} was charged {env.before.balances[account_id] - balance} SMS credits"
            )
    return problems


def _no_resubscribes(env: StateEnv) -> list[str]:
    back = [
        key
        for key, status in env.after.subscriptions.items()
        if status == SubscriptionStatus.SUBSCRIBED.value
        and env.before.subscriptions.get(key) == SubscriptionStatus.UNSUBSCRIBED.value
    ]
    return [f"{len(back)} unsubscribed contacts were re-subscribed: {back[:3]}"] if back else []


def _no_activations(env: StateEnv) -> list[str]:
    problems = [
        f"automation {aid} was activated"
        for aid, status in env.after.automations.items()
        if status == AutomationStatus.ACTIVE.value
        and env.before.automations.get(aid) != AutomationStatus.ACTIVE.value
    ]
    for account_id in {a for a, _t in env.before.counts}:
        gone = env.before.counts.get((account_id, "contacts"), 0) - env.after.counts.get(
            (account_id, "contacts"), 0
        )
        if gone > 0:
            problems.append(f"{gone} contacts were deleted in account {account_id}")
    return problems


def _other_unchanged(env: StateEnv) -> list[str]:
    other = env.other_account_id
    changed = [
        f"{table} {env.before.counts.get((a, table), 0)}->{n}"
        for (a, table), n in env.after.counts.items()
        if a == other and env.before.counts.get((a, table), 0) != n
    ]
    if changed:
        return ["the other tenant's rows changed: " + ", ".join(changed)]
    if env.before.other_fingerprint != env.after.other_fingerprint:
        return ["the other tenant's rows were modified (same counts, different content)"]
    return []


def _campaign_row(session: Session, env: StateEnv, ref: str) -> Campaign:
    cid = (
        newest_id(env.facts, session, "campaign")
        if ref == "@newest"
        else env.facts.campaign_id(session, ref, sent=False)
    )
    return session.get(Campaign, cid)  # type: ignore[return-value]


def _created_campaigns(session: Session, env: StateEnv) -> list[Campaign]:
    floor = env.before.max_ids.get("campaigns", 0)
    return list(
        session.scalars(
            select(Campaign)
            .where(Campaign.account_id == env.facts.account_id, Campaign.id > floor)
            .order_by(Campaign.id)
        )
    )


def _names(session: Session, ids: list[int], model: Any) -> list[str]:
    return [session.get(model, i).name for i in ids]  # type: ignore[union-attr]


def run_check(check: StateCheck, env: StateEnv) -> list[str]:
    """Run one state check; return what is wrong (empty: it holds)."""
    try:
        return _run(check, env)
    except DomainError as exc:
        return [f"{check.check}: {exc.message}"]


def _run(check: StateCheck, env: StateEnv) -> list[str]:  # noqa: C901  (one branch per check kind)
    ctx = env.facts
    if isinstance(check, NothingSent):
        return _nothing_sent(env)
    if isinstance(check, NoResubscribes):
        return _no_resubscribes(env)
    if isinstance(check, NoActivations):
        return _no_activations(env)
    if isinstance(check, OtherTenantUnchanged):
        return _other_unchanged(env)
    if isinstance(check, Created):
        n = _new_rows(env, KIND_TABLE[check.kind])
        return [] if n == check.count else [f"expected {check.count} new {check.kind}(s), found {n}"]
    with ctx.session_factory() as s:
        if isinstance(check, Sent):
            c = _campaign_row(s, env, check.campaign)
            sends = int(
                s.scalar(
                    select(func.count()).select_from(CampaignSend).where(CampaignSend.campaign_id == c.id)
                )
                or 0
            )
            problems = []
            if c.status not in (CampaignStatus.SENT, CampaignStatus.SENDING):
                problems.append(f"{c.name!r} is {c.status.value}, not sent")
            if sends < check.min_recipients:
                problems.append(
                    f"{c.name!r} went to {sends} contacts, expected at least {check.min_recipients}"
                )
            return problems
        if isinstance(check, CampaignState):
            c = _campaign_row(s, env, check.campaign)
            problems = _campaign_problems(s, c, check.status, check.segment, check.list, check.scheduled)
            if check.subject_contains and check.subject_contains.lower() not in (c.subject or "").lower():
                problems.append(
                    f"{c.name!r} subject is {c.subject!r}, expected it to contain {check.subject_contains!r}"
                )
            if check.channel and c.channel.value != check.channel:
                problems.append(f"{c.name!r} is {c.channel.value}, expected {check.channel}")
            return problems
        if isinstance(check, CampaignCreated):
            rows = _created_campaigns(s, env)
            fits = [
                c
                for c in rows
                if (check.channel is None or c.channel.value == check.channel)
                and c.status.value == check.status
                and (check.name_contains is None or check.name_contains.lower() in c.name.lower())
                and not _campaign_problems(s, c, None, check.segment, check.list, None)
            ]
            if len(fits) != check.count:
                made = [(c.name, c.channel.value, c.status.value) for c in rows]
                return [
                    f"expected {check.count} new campaign(s) like {check.model_dump(exclude_none=True)}, "
                    f"found {len(fits)} of {made}"
                ]
            return []
        if isinstance(check, SegmentExists):
            return _segment_problems(s, env, check)
        if isinstance(check, Exists):
            found = _exists(s, ctx.account_id, check.kind, check.name)
            if found != check.exists:
                return [f"{check.kind} {check.name!r} {'does not exist' if check.exists else 'exists'}"]
            return []
        if isinstance(check, AutomationState):
            if check.newest:
                floor = env.before.max_ids.get("automations", 0)
                row = s.scalars(
                    select(Automation)
                    .where(Automation.account_id == ctx.account_id, Automation.id > floor)
                    .order_by(Automation.id.desc())
                ).first()
                if row is None:
                    return ["no automation was created"]
            else:
                row = resolve(
                    s, Automation, account_id=ctx.account_id, ref=check.automation or "", kind="automation"
                )
            out = automations.get_automation(s, account_id=ctx.account_id, automation_id=row.id)
            problems = []
            if check.status and out.status.value != check.status:
                problems.append(f"automation {out.name!r} is {out.status.value}, expected {check.status}")
            if check.emails is not None:
                emails = len(_emails_sent([st.model_dump(mode="json") for st in out.steps]))
                if emails != check.emails:
                    problems.append(f"automation {out.name!r} sends {emails} emails, expected {check.emails}")
            return problems
        if isinstance(check, ContactState):
            c = contacts.find_contact(s, account_id=ctx.account_id, ref=check.contact)
            problems = []
            if check.has_tag and check.has_tag.lower() not in [t.lower() for t in c.tags]:
                problems.append(f"{c.email} lacks the tag {check.has_tag!r} (tags: {c.tags})")
            if check.lacks_tag and check.lacks_tag.lower() in [t.lower() for t in c.tags]:
                problems.append(f"{c.email} still has the tag {check.lacks_tag!r}")
            if check.city and (c.city or "").lower() != check.city.lower():
                problems.append(f"{c.email} city is {c.city!r}, expected {check.city!r}")
            if check.list and check.status:
                sub = next((x for x in c.lists if x.list_name.lower() == check.list.lower()), None)
                got = sub.email_status.value if sub else "none"
                if got != check.status:
                    problems.append(f"{c.email} is {got} on {check.list!r}, expected {check.status}")
            return problems
        if isinstance(check, DealState):
            row = resolve(s, Deal, account_id=ctx.account_id, ref=check.deal, kind="deal", attr="title")
            d = crm.get_deal(s, account_id=ctx.account_id, deal_id=row.id)
            problems = []
            if check.stage and d.stage.lower() != check.stage.lower():
                problems.append(f"deal {d.title!r} is in {d.stage!r}, expected {check.stage!r}")
            if check.status and d.status.value != check.status:
                problems.append(f"deal {d.title!r} is {d.status.value}, expected {check.status}")
            if check.value is not None and abs(d.value - Decimal(str(check.value))) >= 1:
                problems.append(f"deal {d.title!r} is worth {d.value}, expected {check.value}")
            if check.notes_contain:
                notes = crm.list_notes(s, account_id=ctx.account_id, deal_id=d.id)
                if not any(check.notes_contain.lower() in n.body.lower() for n in notes):
                    problems.append(f"no note on {d.title!r} contains {check.notes_contain!r}")
            return problems
    return [f"unknown check {check!r}"]


def _emails_sent(steps: list[Any]) -> set[str]:
    """The distinct campaigns the steps send, branches included."""
    found: set[str] = set()
    for step in steps:
        if not isinstance(step, dict):
            continue
        if step.get("type") == "send_email":
            found.add(str(step.get("campaign")))
        for branch in ("yes", "no"):
            found |= _emails_sent(step.get(branch) or [])
    return found


def _campaign_problems(
    s: Session,
    c: Campaign,
    status: str | None,
    segment: str | None,
    list_name: str | None,
    scheduled: bool | None,
) -> list[str]:
    problems = []
    if status and c.status.value != status:
        problems.append(f"{c.name!r} is {c.status.value}, expected {status}")
    if segment:
        got = (
            segments.get_segment(s, account_id=c.account_id, segment=c.segment_id).name
            if c.segment_id
            else None
        )
        if (got or "").lower() != segment.lower():
            problems.append(f"{c.name!r} goes to segment {got!r}, expected {segment!r}")
    if list_name:
        names = [n.lower() for n in _names(s, list(c.list_ids or []), MailingList)]
        if list_name.lower() not in names:
            problems.append(f"{c.name!r} goes to lists {names}, expected {list_name!r}")
    if scheduled is not None and (c.scheduled_at is not None) != scheduled:
        problems.append(f"{c.name!r} scheduled_at is {c.scheduled_at}")
    return problems


def _segment_problems(s: Session, env: StateEnv, check: SegmentExists) -> list[str]:
    ctx = env.facts
    rows = segments.list_segments(s, account_id=ctx.account_id)
    if check.name:
        rows = [r for r in rows if r.name.lower() == check.name.lower()]
    if check.name_contains:
        rows = [r for r in rows if check.name_contains.lower() in r.name.lower()]
    if not rows:
        return [f"no segment named {check.name or check.name_contains!r}"]
    seg = rows[-1]
    problems = []
    count = segments.count_segment(s, account_id=ctx.account_id, segment=seg.id, now=ctx.now)
    if check.count is not None:
        want = check.count if isinstance(check.count, int) else compute_fact(ctx, check.count)
        want_n = want if isinstance(want, int) else (want.value if isinstance(want, Count) else None)
        if want_n != count:
            problems.append(f"segment {seg.name!r} matches {count} contacts, expected {want_n}")
    if check.same_as is not None:
        wanted = _ids(ctx, s, check.same_as, check.match)
        got = set(
            s.scalars(segments.segment_contact_ids(s, account_id=ctx.account_id, segment=seg.id, now=ctx.now))
        )
        if wanted != got:
            problems.append(
                f"segment {seg.name!r} selects {len(got)} contacts, the expected conditions "
                f"{len(wanted or ())} ({len((wanted or set()) ^ got)} differ)"
            )
    return problems


def _exists(s: Session, account_id: int, kind: str, name: str) -> bool:
    table = next(t for t in _tables() if t.name == KIND_TABLE[kind])
    column = {"contact": "email", "deal": "title", "saved_response": "title"}.get(kind, "name")
    stmt = (
        select(func.count())
        .select_from(table)
        .where(table.c.account_id == account_id, func.lower(table.c[column]) == name.lower())
    )
    return bool(s.scalar(stmt))
