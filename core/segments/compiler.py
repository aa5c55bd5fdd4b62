"""Compile a segment tree into one SQLAlchemy SELECT of contact ids, scoped to one account.

Conditions on other tables are "memberships" (the contact has, or has not, matching rows); how they are
written depends on the backend, because the two planners differ:

- PostgreSQL: always correlated EXISTS / NOT EXISTS. The planner turns them into hash semi/anti-joins
  (or index probes when that is cheaper). NOT IN is never used: PostgreSQL cannot make it an anti-join.
- SQLite runs a correlated EXISTS once per candidate contact and an IN (subquery) once in total (into a
  temporary index). So in an AND group the most selective positive membership *drives*, written as
  ``contacts.id IN (...)`` (SQLite then loops over that list by rowid). "Most selective" is measured with
  row counts capped at DRIVER_PROBE_CAP. When the driver leaves few candidates, every other membership is
  an EXISTS probe on a (contact_id, ...) index, cheapest table first; when it leaves many, or there is no
  positive membership, they are IN / NOT IN lists too. In OR groups every membership is a list, since every
  contact has to be tested anyway. NOT IN is safe here: the lists never contain NULL.

Conditions that need a count (``min_count`` > 1, ``min_total``) group by contact: per probed contact, or once
in a derived table that PostgreSQL hash-joins. User text only reaches SQL as bound parameters; LIKE
patterns escape ``%``, ``_`` and the backslash before ``*`` becomes ``%``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from core.accounts.models import Account, User
from core.automations.models import ScoreDefinition, ScoreValue
from core.campaigns.models import Campaign, EngagementEvent
from core.commerce.models import Order, OrderItem
from core.contacts.models import (
    Contact,
    ContactFieldValue,
    ContactTag,
    CustomField,
    ListSubscription,
    MailingList,
    Tag,
)
from core.crm.models import Deal, Pipeline, Stage
from core.enums import DealStatus, EventType, OrderStatus, ScoreTarget, SubscriptionStatus
from core.errors import InvalidRequest, NotFound, not_found
from core.periods import TimeRange, local_midnight, parse_date, resolve_period, zone
from core.scope import resolve
from core.segments.tree import (
    CUSTOM_KINDS,
    DEAL_KINDS,
    STANDARD_FIELDS,
    Condition,
    DealCondition,
    EngagementCondition,
    EventCondition,
    FieldCondition,
    Group,
    ListCondition,
    PageVisitCondition,
    PurchaseCondition,
    ScoreCondition,
    SegmentTree,
    TagCondition,
    coerce_value,
)
from core.tracking.models import CustomEvent, PageVisit

# Bot and MPP flags only exist on opens and clicks.
_BOT_ACTIONS = (EventType.OPEN, EventType.CLICK)
_NEGATIVE_OPS = {"neq": "eq", "not_contains": "contains", "is_empty": "is_not_empty"}
# Counting more rows than this to pick a driver costs more than it can save.
# Candidates below this many are probed one by one; above it, lists are cheaper (measured: a probe costs
# about 3-6 us per candidate, building a list about 1-2 us per row).
DRIVER_PROBE_CAP = 200_000
# Probe order in SQLite AND groups: small indexed tables first, the big event tables last.
RANK_TAG, RANK_LIST, RANK_FIELD, RANK_DEAL, RANK_CAMPAIGN_EVENT, RANK_ACTIVITY, RANK_ENGAGEMENT = range(1, 8)


@dataclass(frozen=True)
class Membership:
    """The contact has (or, negated, has not) rows matching ``where``; with ``having``, enough of them.

    The account filter is kept apart so SQLite can be kept from planning around it: without statistics
    SQLite may pick a table's account_id index over the contact_id (probes) or tag/list/field index
    (lists) that actually narrows the search, so there it is written ``account_id + 0 = :id``.
    ``list_by_scope`` marks tables whose account-leading index is the right way to build a list.
    """

    contact_col: Any
    where: tuple[ColumnElement[bool], ...]
    negate: bool
    rank: int
    scope_col: Any
    account_id: int
    hide_scope: bool
    list_by_scope: bool = False
    having: ColumnElement[bool] | None = None

    def scope(self, *, listing: bool) -> ColumnElement[bool]:
        """The account filter, hidden from SQLite's index choice unless it should drive a list."""
        if self.hide_scope and not (listing and self.list_by_scope):
            return (self.scope_col + 0) == self.account_id
        return self.scope_col == self.account_id

    def as_exists(self) -> ColumnElement[bool]:
        """Correlated EXISTS: one index probe per contact tested (aggregates are counted per contact)."""
        where = (self.contact_col == Contact.id, self.scope(listing=False), *self.where)
        stmt = exists().where(*where)
        if self.having is not None:
            stmt = exists(select(literal(1)).where(*where).group_by(self.contact_col).having(self.having))
        return not_(stmt) if self.negate else stmt

    def as_hashed(self) -> ColumnElement[bool]:
        """EXISTS over an aggregated derived table, which PostgreSQL computes once and hash-joins."""
        if self.having is None:
            return self.as_exists()
        sub = self._ids().subquery()
        clause = select(literal(1)).select_from(sub).where(sub.c.contact_id == Contact.id).exists()
        return not_(clause) if self.negate else clause

    def as_in(self) -> ColumnElement[bool]:
        """``contacts.id [NOT] IN (subquery)``; the subquery never yields NULL, so NOT IN is exact."""
        clause = Contact.id.in_(self._ids())
        return not_(clause) if self.negate else clause

    def list_where(self) -> tuple[ColumnElement[bool], ...]:
        """The filters of the rows behind the list form."""
        return (self.contact_col.isnot(None), self.scope(listing=True), *self.where)

    def _ids(self) -> Select[Any]:
        stmt = select(self.contact_col.label("contact_id")).where(*self.list_where())
        if self.having is not None:
            stmt = stmt.group_by(self.contact_col).having(self.having)
        return stmt


def _member(
    ctx: _Ctx,
    table: Any,
    contact_col: Any,
    where: list[ColumnElement[bool]] | tuple[ColumnElement[bool], ...],
    *,
    negate: bool,
    rank: int,
    having: ColumnElement[bool] | None = None,
    list_by_scope: bool = False,
) -> Membership:
    return Membership(
        contact_col,
        tuple(where),
        negate,
        rank,
        table.account_id,
        ctx.account_id,
        ctx.dialect == "sqlite",
        list_by_scope,
        having,
    )


Piece = ColumnElement[bool] | Membership


@dataclass
class _Ctx:
    """What compiling one tree needs: the account, its settings, the clock and name caches."""

    session: Session
    account_id: int
    now: datetime
    tz: str
    botsense: bool
    dialect: str
    estimate: bool = True
    caches: dict[str, dict[str, Any]] = field(default_factory=dict)

    def period(self, period: Any) -> TimeRange | None:
        return None if period is None else resolve_period(period, now=self.now, tz=self.tz)

    def day_start(self, day: date) -> datetime:
        return local_midnight(day, zone(self.tz))

    def date_value(self, value: Any, path: str) -> date:
        try:
            return parse_date(value, now=self.now, tz=self.tz)
        except InvalidRequest as e:
            raise InvalidRequest(f"{path}: {e.message}", field=path) from None


def load_context(session: Session, *, account_id: int, now: datetime, estimate: bool = True) -> _Ctx:
    """Load what the compiler needs about the account (time zone, BotSense) and the backend.

    ``estimate=False`` skips the row counts SQLite plans use (for validation, which never runs the SQL).
    """
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    return _Ctx(
        session,
        account_id,
        now,
        account.timezone or "UTC",
        bool(account.botsense_enabled),
        session.get_bind().dialect.name,
        estimate,
    )


def compile(session: Session, *, account_id: int, tree: SegmentTree, now: datetime) -> Select[tuple[int]]:  # noqa: A001
    """Compile ``tree`` into a SELECT of the ids of this account's matching contacts."""
    ctx = load_context(session, account_id=account_id, now=now)
    return select(Contact.id).where(contact_filter(ctx, tree))


def contact_filter(ctx: _Ctx, tree: SegmentTree) -> ColumnElement[bool]:
    """The WHERE clause on ``contacts``: this account's contacts that match the tree."""
    clause, driven = _group(ctx, tree.root, "root")
    # With a driving IN list, SQLite must loop over it by rowid rather than over the account's contacts.
    scope = (Contact.account_id + 0) if driven else Contact.account_id
    return and_(scope == ctx.account_id, clause)


def group_clause(ctx: _Ctx, group: Group, path: str) -> ColumnElement[bool]:
    """Combine a group's conditions with AND/OR (negated when the group says so)."""
    return _group(ctx, group, path)[0]


def _group(ctx: _Ctx, group: Group, path: str) -> tuple[ColumnElement[bool], bool]:
    """Compile a group; the flag says whether an IN list drives it (SQLite AND groups only)."""
    pieces: list[Piece] = []
    subgroups: list[ColumnElement[bool]] = []
    for i, node in enumerate(group.conditions):
        child = f"{path}.conditions[{i}]"
        if isinstance(node, Group):
            subgroups.append(group_clause(ctx, node, child))
        else:
            pieces.append(condition_piece(ctx, node, child))
    driven = False
    if ctx.dialect != "sqlite":
        parts = _postgres_parts(group, pieces) + subgroups
    elif group.match == "any":
        parts = [p.as_in() if isinstance(p, Membership) else p for p in pieces] + subgroups
    else:
        parts = _sqlite_and(ctx, pieces)
        driven = not group.negate and any(isinstance(p, Membership) and not p.negate for p in pieces)
        parts += subgroups
    combined = and_(*parts) if group.match == "all" else or_(*parts)
    return (not_(combined) if group.negate else combined), driven


def _postgres_parts(group: Group, pieces: list[Piece]) -> list[ColumnElement[bool]]:
    """PostgreSQL plans plain EXISTS well; only counted memberships need a choice.

    A count beside a plain positive membership is checked per surviving contact (correlated); alone,
    it is aggregated once for the whole account and hash-joined.
    """
    narrowed = group.match == "all" and any(
        isinstance(p, Membership) and not p.negate and p.having is None for p in pieces
    )
    return [
        (p.as_exists() if narrowed else p.as_hashed()) if isinstance(p, Membership) else p for p in pieces
    ]


def _sqlite_and(ctx: _Ctx, pieces: list[Piece]) -> list[ColumnElement[bool]]:
    """Order an AND group for SQLite: row tests, the driving IN list, then the other memberships.

    With few candidates (the driver's rows below DRIVER_PROBE_CAP) the others are index probes, cheapest
    first; with many, probing each one costs more than building each list once, so they become lists too.
    """
    members = [p for p in pieces if isinstance(p, Membership)]
    plain = [p for p in pieces if not isinstance(p, Membership)]
    positives = [m for m in members if not m.negate]
    if not positives:
        # Every contact of the account gets tested: one lookup in a list built once beats an index probe each.
        return [*plain, *(m.as_in() for m in sorted(members, key=_probe_order))]
    if len(members) == 1:
        return [*plain, positives[0].as_in()]
    sizes = {id(m): _estimate(ctx, m) for m in positives}
    driver = min(positives, key=lambda m: (sizes[id(m)], m.rank))
    rest = sorted((m for m in members if m is not driver), key=_probe_order)
    few = sizes[id(driver)] < DRIVER_PROBE_CAP
    return [*plain, driver.as_in(), *(m.as_exists() if few else m.as_in() for m in rest)]


def _probe_order(m: Membership) -> tuple[int, bool]:
    return m.rank, m.having is not None


def _estimate(ctx: _Ctx, m: Membership) -> int:
    """Count the rows behind a membership, stopping at DRIVER_PROBE_CAP (a bounded index range scan).

    Validation only needs the SQL to build, so it skips the counting and ranks by condition type.
    """
    if not ctx.estimate:
        return m.rank
    capped = select(literal(1)).where(*m.list_where()).limit(DRIVER_PROBE_CAP).subquery()
    return int(ctx.session.scalar(select(func.count()).select_from(capped)) or 0)


def condition_piece(ctx: _Ctx, node: Condition, path: str) -> Piece:
    """Compile one leaf condition into a row test or a membership."""
    if isinstance(node, FieldCondition):
        return _field(ctx, node, path)
    if isinstance(node, TagCondition):
        return _tag(ctx, node, path)
    if isinstance(node, ListCondition):
        return _list(ctx, node, path)
    if isinstance(node, EngagementCondition):
        return _engagement(ctx, node, path)
    if isinstance(node, PageVisitCondition):
        return _page_visit(ctx, node)
    if isinstance(node, PurchaseCondition):
        return _purchase(ctx, node)
    if isinstance(node, EventCondition):
        return _event(ctx, node)
    if isinstance(node, ScoreCondition):
        return _score(ctx, node, path)
    if isinstance(node, DealCondition):
        return _deal(ctx, node, path)
    raise AssertionError(f"unknown condition {node!r}")


# ----------------------------------------------------------------------------------------------------------
# Shared SQL shapes


def _range(col: Any, span: TimeRange | None) -> list[ColumnElement[bool]]:
    return [] if span is None else [col >= span.start, col < span.end]


def like_pattern(text: str) -> str:
    """Turn a user pattern with ``*`` wildcards into a LIKE pattern (the escape character is a backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def url_match(col: Any, pattern: str) -> ColumnElement[bool]:
    """Match a URL column against a pattern with ``*`` wildcards, case-insensitively.

    A pattern without a scheme matches any scheme and an optional "www."; one without a wildcard at the end
    also matches the same URL with a query string (tracking parameters).
    """
    p = pattern.strip()
    if p == "*":
        return col.isnot(None)
    base = like_pattern(p)
    candidates = [base]
    if "://" not in p and not p.startswith("*"):
        candidates = [f"%://{base}"] + ([] if p.lower().startswith("www.") else [f"%://www.{base}"])
    if not p.endswith("*") and "?" not in p:
        candidates += [f"{c}?%" for c in candidates]
    return or_(*[col.ilike(c, escape="\\") for c in candidates])


def _text_like(col: Any, op: str, value: str) -> ColumnElement[bool]:
    pat = like_pattern(value)
    pattern = {"contains": f"%{pat}%", "starts_with": f"{pat}%", "ends_with": f"%{pat}"}[op]
    return col.ilike(pattern, escape="\\")


def _lookup(ctx: _Ctx, kind: str, model: Any, name: str, path: str, *, attr: str = "name") -> Any:
    """Resolve a name to a row of ``model`` in this account (cached); NotFound with suggestions."""
    cache = ctx.caches.setdefault(kind, {})
    key = str(name).strip().lower()
    if key not in cache:
        column = getattr(model, attr)
        row = ctx.session.scalars(
            select(model).where(model.account_id == ctx.account_id, func.lower(column) == key).limit(1)
        ).first()
        if row is None:
            names = ctx.session.scalars(
                select(column).where(model.account_id == ctx.account_id).limit(500)
            ).all()
            err = not_found(kind, str(name).strip(), names)
            raise NotFound(f"{path}: {err.message}", field=path)
        cache[key] = row
    return cache[key]


# ----------------------------------------------------------------------------------------------------------
# Fields


def _field(ctx: _Ctx, node: FieldCondition, path: str) -> Piece:
    name = node.field.strip()
    kind = STANDARD_FIELDS.get(name.lower())
    if kind is not None:
        value = coerce_value(kind, node.op, node.value, path=path, subject=f"field {name!r}")
        col = getattr(Contact, name.lower())
        if kind == "datetime":
            return _datetime_compare(ctx, col, node.op, value, path)
        return _column_compare(col, kind, node.op, value)
    custom = _lookup(ctx, "field", CustomField, name, f"{path}.field")
    kind = CUSTOM_KINDS[custom.type]
    value = coerce_value(
        kind,
        node.op,
        node.value,
        path=path,
        subject=f"field {custom.name!r}",
        options=list(custom.options or []),
    )
    positive = _NEGATIVE_OPS.get(node.op, node.op)
    if kind == "date":
        col: Any = ContactFieldValue.value_date
        pred = _date_compare(ctx, col, positive, value, path)
    elif kind == "number":
        col = ContactFieldValue.value_number
        pred = _column_compare(col, kind, positive, value)
    else:
        col = ContactFieldValue.value_text
        pred = _column_compare(col, kind, positive, value)
    where = [ContactFieldValue.field_id == custom.id, pred]
    # A contact without a stored value is "empty": negative operators include it.
    cfv = ContactFieldValue
    return _member(ctx, cfv, cfv.contact_id, where, negate=node.op in _NEGATIVE_OPS, rank=RANK_FIELD)


def _column_compare(col: Any, kind: str, op: str, value: Any) -> ColumnElement[bool]:
    """Compare a text, choice or number column; negative operators include empty values."""
    if op in _NEGATIVE_OPS:
        return (
            or_(col.is_(None), not_(_column_compare(col, kind, _NEGATIVE_OPS[op], value)))
            if op != "is_empty"
            else not_(_column_compare(col, kind, "is_not_empty", value))
        )
    if op == "is_not_empty":
        return and_(col.isnot(None), col != "") if kind not in ("number",) else col.isnot(None)
    if kind == "number":
        return _ordered_compare(col, op, value)
    if op in ("contains", "starts_with", "ends_with"):
        return _text_like(col, op, value)
    values = value if op == "in" else [value]
    if kind == "language":
        return or_(
            *[
                or_(func.lower(col) == v, func.lower(col).like(f"{like_pattern(v)}-%", escape="\\"))
                for v in values
            ]
        )
    if kind == "country":
        return func.upper(col).in_(values) if op == "in" else func.upper(col) == value
    if kind in ("status", "deal_status"):
        return col.in_(values) if op == "in" else col == value
    lowered = [str(v).lower() for v in values]
    return func.lower(col).in_(lowered) if op == "in" else func.lower(col) == lowered[0]


def _ordered_compare(col: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "between":
        low, high = sorted(value)
        return and_(col >= low, col <= high)
    if op == "in":
        return col.in_(value)
    return {
        "eq": lambda: col == value,
        "gt": lambda: col > value,
        "gte": lambda: col >= value,
        "lt": lambda: col < value,
        "lte": lambda: col <= value,
    }[op]()


def _date_compare(ctx: _Ctx, col: Any, op: str, value: Any, path: str) -> ColumnElement[bool]:
    """Compare a DATE column with date values (ISO or relative words)."""
    if op == "is_not_empty":
        return col.isnot(None)
    if op == "between":
        low, high = sorted(ctx.date_value(v, f"{path}.value[{i}]") for i, v in enumerate(value))
        return and_(col >= low, col <= high)
    return _ordered_compare(col, op, ctx.date_value(value, f"{path}.value"))


def _datetime_compare(ctx: _Ctx, col: Any, op: str, value: Any, path: str) -> ColumnElement[bool]:
    """Compare a timestamp with whole local days: "created on May 3" is that day in the account's zone."""
    if op == "between":
        low, high = sorted(ctx.date_value(v, f"{path}.value[{i}]") for i, v in enumerate(value))
        return and_(col >= ctx.day_start(low), col < ctx.day_start(high + timedelta(days=1)))
    day = ctx.date_value(value, f"{path}.value")
    start, end = ctx.day_start(day), ctx.day_start(day + timedelta(days=1))
    return {
        "eq": lambda: and_(col >= start, col < end),
        "neq": lambda: or_(col < start, col >= end),
        "gt": lambda: col >= end,
        "gte": lambda: col >= start,
        "lt": lambda: col < start,
        "lte": lambda: col < end,
    }[op]()


# ----------------------------------------------------------------------------------------------------------
# Tags, lists


def _tag(ctx: _Ctx, node: TagCondition, path: str) -> Piece:
    tag = _lookup(ctx, "tag", Tag, node.tag, f"{path}.tag")
    where = [ContactTag.tag_id == tag.id]
    return _member(ctx, ContactTag, ContactTag.contact_id, where, negate=node.op == "has_not", rank=RANK_TAG)


def _list(ctx: _Ctx, node: ListCondition, path: str) -> Piece:
    lst = _lookup(ctx, "list", MailingList, node.list, f"{path}.list")
    wanted = SubscriptionStatus.UNSUBSCRIBED if node.op == "unsubscribed" else SubscriptionStatus.SUBSCRIBED
    sub = ListSubscription
    where = [sub.list_id == lst.id, sub.email_status == wanted]
    return _member(ctx, sub, sub.contact_id, where, negate=node.op == "not_subscribed", rank=RANK_LIST)


# ----------------------------------------------------------------------------------------------------------
# Activity: engagement, page visits, purchases, custom events


def _count_having(min_count: int) -> ColumnElement[bool] | None:
    # count(*) rather than count(id), so PostgreSQL can answer from an index alone.
    return None if min_count <= 1 else func.count() >= min_count


def _engagement(ctx: _Ctx, node: EngagementCondition, path: str) -> Piece:
    e = EngagementEvent
    action = EventType(node.action)
    where: list[ColumnElement[bool]] = [e.type == action]
    where += _range(e.occurred_at, ctx.period(node.period))
    if node.campaign is not None:
        try:
            campaign = resolve(
                ctx.session, Campaign, account_id=ctx.account_id, ref=node.campaign, kind="campaign"
            )
        except NotFound as err:
            raise NotFound(f"{path}.campaign: {err.message}", field=f"{path}.campaign") from None
        where.append(e.campaign_id == campaign.id)
    elif node.channel is not None:
        where.append(
            e.campaign_id.in_(
                select(Campaign.id).where(
                    Campaign.account_id == ctx.account_id, Campaign.channel == node.channel
                )
            )
        )
    if ctx.botsense and action in _BOT_ACTIONS:
        where.append(e.is_bot == false())
    if node.exclude_mpp and action == EventType.OPEN:
        where.append(e.is_mpp == false())
    if node.url is not None:
        where.append(url_match(e.url, node.url))
    rank = RANK_CAMPAIGN_EVENT if node.campaign is not None else RANK_ENGAGEMENT
    return _member(
        ctx,
        e,
        e.contact_id,
        where,
        negate=node.op == "has_not",
        rank=rank,
        having=_count_having(node.min_count),
        list_by_scope=True,
    )


def _page_visit(ctx: _Ctx, node: PageVisitCondition) -> Piece:
    v = PageVisit
    where = [url_match(v.url, node.url), *_range(v.visited_at, ctx.period(node.period))]
    return _member(
        ctx,
        v,
        v.contact_id,
        where,
        negate=node.op == "has_not",
        rank=RANK_ACTIVITY,
        having=_count_having(node.min_count),
        list_by_scope=True,
    )


def _purchase(ctx: _Ctx, node: PurchaseCondition) -> Piece:
    o = Order
    where: list[ColumnElement[bool]] = [o.status == OrderStatus.PLACED]
    where += _range(o.placed_at, ctx.period(node.period))
    if node.product or node.category:
        item_where = [OrderItem.account_id == ctx.account_id, OrderItem.order_id == o.id]
        if node.product:
            item_where.append(OrderItem.product_name.ilike(like_pattern(node.product.strip()), escape="\\"))
        if node.category:
            item_where.append(OrderItem.category.ilike(like_pattern(node.category.strip()), escape="\\"))
        where.append(exists().where(*item_where))
    having: ColumnElement[bool] | None = _count_having(node.min_count)
    if node.min_total is not None and node.min_total > 0:
        cents = int((node.min_total * 100).to_integral_value())
        spent = func.sum(o.total_cents) >= cents
        having = spent if having is None else and_(having, spent)
    return _member(
        ctx,
        o,
        o.contact_id,
        where,
        negate=node.op == "has_not",
        rank=RANK_ACTIVITY,
        having=having,
        list_by_scope=True,
    )


def _event(ctx: _Ctx, node: EventCondition) -> Piece:
    ev = CustomEvent
    where = [ev.name == node.name.strip(), *_range(ev.occurred_at, ctx.period(node.period))]
    if node.value is not None:
        where.append(ev.value == node.value)
    return _member(
        ctx,
        ev,
        ev.contact_id,
        where,
        negate=node.op == "has_not",
        rank=RANK_ACTIVITY,
        having=_count_having(node.min_count),
        list_by_scope=True,
    )


# ----------------------------------------------------------------------------------------------------------
# Scores and deals


def _score(ctx: _Ctx, node: ScoreCondition, path: str) -> Piece:
    score = _lookup(ctx, "score", ScoreDefinition, node.score, f"{path}.score")
    sv = ScoreValue
    points_ok = _ordered_compare(sv.points, node.op, node.value)
    # Contacts (or deals) without a stored value have 0 points; with one row per owner,
    # "NOT EXISTS a row failing the test" is exactly "the points (0 when absent) pass the test".
    zero_passes = {
        "gt": 0 > node.value,
        "gte": 0 >= node.value,
        "lt": 0 < node.value,
        "lte": 0 <= node.value,
        "eq": node.value == 0,
    }[node.op]
    if score.target == ScoreTarget.CONTACT:
        where = [sv.score_id == score.id, sv.deal_id.is_(None)]
        if zero_passes:
            return _member(ctx, sv, sv.contact_id, [*where, not_(points_ok)], negate=True, rank=RANK_FIELD)
        return _member(ctx, sv, sv.contact_id, [*where, points_ok], negate=False, rank=RANK_FIELD)
    deal_points = [sv.account_id == ctx.account_id, sv.score_id == score.id, sv.deal_id == Deal.id]
    deal_ok = (
        not_(exists().where(*deal_points, not_(points_ok)))
        if zero_passes
        else exists().where(*deal_points, points_ok)
    )
    return _member(ctx, Deal, Deal.contact_id, [deal_ok], negate=False, rank=RANK_DEAL)


def _deal(ctx: _Ctx, node: DealCondition, path: str) -> Piece:
    kind = DEAL_KINDS[node.field]
    value = coerce_value(kind, node.op, node.value, path=path, subject=f"deal field {node.field!r}")
    d = Deal
    pred: ColumnElement[bool]
    if node.field in ("pipeline", "stage", "owner"):
        pred = _deal_reference(ctx, node, value, path)
    elif node.field == "status":
        pred = _column_compare(
            d.status,
            "deal_status",
            node.op,
            [DealStatus(v) for v in value] if isinstance(value, list) else DealStatus(value),
        )
    elif node.field == "value":
        cents: Any = (
            [int(v * 100) for v in value]
            if isinstance(value, list)
            else (None if value is None else int(Decimal(value) * 100))
        )
        pred = _number_with_empty(d.value_cents, node.op, cents)
    elif node.field == "win_probability":
        pred = _probability_compare(d.win_probability, node.op, value)
    elif node.field == "forecast_close_date":
        if node.op in ("is_empty", "is_not_empty"):
            pred = (
                d.forecast_close_date.is_(None)
                if node.op == "is_empty"
                else d.forecast_close_date.isnot(None)
            )
        elif node.op == "neq":
            pred = or_(
                d.forecast_close_date.is_(None),
                d.forecast_close_date != ctx.date_value(value, f"{path}.value"),
            )
        else:
            pred = _date_compare(ctx, d.forecast_close_date, node.op, value, path)
    else:
        pred = _column_compare(d.source, "text", node.op, value)
    return _member(ctx, d, d.contact_id, [pred], negate=False, rank=RANK_DEAL)


def _number_with_empty(col: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "neq":
        return or_(col.is_(None), col != value)
    return _ordered_compare(col, op, value)


def _probability_compare(col: Any, op: str, value: Any) -> ColumnElement[bool]:
    """Compare a fraction; "is 70%" means within half a percentage point, since probabilities are floats."""
    if op == "is_empty":
        return col.is_(None)
    if op == "is_not_empty":
        return col.isnot(None)
    if op == "eq":
        return and_(col >= value - 0.005, col < value + 0.005)
    if op == "neq":
        return or_(col.is_(None), col < value - 0.005, col >= value + 0.005)
    return _ordered_compare(col, op, value)


def _deal_reference(ctx: _Ctx, node: DealCondition, value: Any, path: str) -> ColumnElement[bool]:
    """Pipeline, stage or owner given by name; a name may match several stages (one per pipeline)."""
    d = Deal
    if node.op in ("is_empty", "is_not_empty"):
        return d.owner_id.is_(None) if node.op == "is_empty" else d.owner_id.isnot(None)
    names = value if isinstance(value, list) else [value]
    ids: list[int] = []
    for i, name in enumerate(names):
        where_path = f"{path}.value" + (f"[{i}]" if isinstance(value, list) else "")
        ids += _reference_ids(ctx, node.field, name, where_path)
    col = {"pipeline": d.pipeline_id, "stage": d.stage_id, "owner": d.owner_id}[node.field]
    if node.op == "neq":
        return or_(col.is_(None), col.notin_(ids))
    return col.in_(ids)


def _reference_ids(ctx: _Ctx, field_name: str, name: str, path: str) -> list[int]:
    key = name.strip().lower()
    if field_name == "pipeline":
        return [_lookup(ctx, "pipeline", Pipeline, name, path).id]
    if field_name == "stage":
        ids = ctx.session.scalars(
            select(Stage.id).where(Stage.account_id == ctx.account_id, func.lower(Stage.name) == key)
        ).all()
        if not ids:
            names = ctx.session.scalars(
                select(Stage.name).where(Stage.account_id == ctx.account_id).limit(500)
            ).all()
            raise NotFound(f"{path}: {not_found('stage', name.strip(), names).message}", field=path)
        return list(ids)
    users = ctx.session.scalars(
        select(User.id).where(
            User.account_id == ctx.account_id,
            or_(func.lower(User.name) == key, func.lower(User.email) == key),
        )
    ).all()
    if not users:
        pool = ctx.session.execute(
            select(User.name, User.email).where(User.account_id == ctx.account_id)
        ).all()
        candidates = [n for row in pool for n in row]
        raise NotFound(f"{path}: {not_found('user', name.strip(), candidates).message}", field=path)
    return list(users)
