"""The segment condition tree: typed, versioned pydantic models, their static checks and plain-English text.

Structure and everything that needs no database (operators per field type, value shapes, dates, periods,
nesting) is checked here. Names (tags, lists, custom fields, scores, campaigns, pipelines) are resolved
against the account by the compiler, which also checks custom-field values against their type.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from core.enums import ContactStatus, DealStatus, FieldType
from core.errors import InvalidRequest, nearest_names
from core.periods import PERIOD_SHAPES, Period, check_date, describe_period

MAX_DEPTH = 5
MAX_CONDITIONS = 50
MAX_IN_VALUES = 500

Scalar = str | int | float | bool
FieldOp = Literal[
    "eq",
    "neq",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "is_empty",
    "is_not_empty",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "in",
]
Presence = Literal["has", "has_not"]
EngagementAction = Literal["open", "click", "reply", "forward", "share", "unsubscribe", "bounce"]
ListOp = Literal["subscribed", "unsubscribed", "not_subscribed"]
ScoreOp = Literal["gt", "gte", "lt", "lte", "eq"]
DealField = Literal[
    "status", "value", "stage", "pipeline", "owner", "win_probability", "forecast_close_date", "source"
]

# Value kinds: the custom field types plus the shapes of the standard columns.
Kind = Literal[
    "text",
    "textarea",
    "date",
    "datetime",
    "dropdown",
    "number",
    "language",
    "status",
    "country",
    "deal_status",
    "name",
    "owner",
    "probability",
]
_TEXT_OPS = (
    "eq",
    "neq",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "is_empty",
    "is_not_empty",
    "in",
)
_CHOICE_OPS = ("eq", "neq", "in", "is_empty", "is_not_empty")
_NUMBER_OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "between", "in", "is_empty", "is_not_empty")
_DATE_OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "between", "is_empty", "is_not_empty")
OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "text": _TEXT_OPS,
    "textarea": _TEXT_OPS,
    "dropdown": _CHOICE_OPS,
    "language": _CHOICE_OPS,
    "country": _CHOICE_OPS,
    "status": ("eq", "neq", "in"),
    "number": _NUMBER_OPS,
    "date": _DATE_OPS,
    "datetime": ("eq", "neq", "gt", "gte", "lt", "lte", "between"),
    "deal_status": ("eq", "neq", "in"),
    "name": ("eq", "neq", "in"),
    "owner": _CHOICE_OPS,
    "probability": ("eq", "neq", "gt", "gte", "lt", "lte", "between", "is_empty", "is_not_empty"),
}
STANDARD_FIELDS: dict[str, Kind] = {
    "email": "text",
    "first_name": "text",
    "last_name": "text",
    "phone": "text",
    "status": "status",
    "preferred_language": "language",
    "timezone": "text",
    "country": "country",
    "city": "text",
    "created_at": "datetime",
}
CUSTOM_KINDS: dict[FieldType, Kind] = {
    FieldType.TEXT: "text",
    FieldType.TEXTAREA: "textarea",
    FieldType.DATE: "date",
    FieldType.DROPDOWN: "dropdown",
    FieldType.NUMBER: "number",
    FieldType.LANGUAGE: "language",
}
DEAL_KINDS: dict[str, Kind] = {
    "status": "deal_status",
    "value": "number",
    "stage": "name",
    "pipeline": "name",
    "owner": "owner",
    "win_probability": "probability",
    "forecast_close_date": "date",
    "source": "text",
}
LANGUAGE_NAMES = {
    "english": "en",
    "french": "fr",
    "spanish": "es",
    "german": "de",
    "italian": "it",
    "portuguese": "pt",
    "dutch": "nl",
    "swedish": "sv",
    "danish": "da",
    "norwegian": "no",
    "finnish": "fi",
    "polish": "pl",
    "czech": "cs",
    "russian": "ru",
    "ukrainian": "uk",
    "turkish": "tr",
    "greek": "el",
    "japanese": "ja",
    "chinese": "zh",
    "korean": "ko",
    "arabic": "ar",
    "hebrew": "he",
    "hindi": "hi",
}
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?")


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldCondition(_Node):
    """A standard field (email, first_name, ..., created_at) or a custom field by name."""

    type: Literal["field"] = "field"
    field: str = Field(min_length=1, max_length=150)
    op: FieldOp
    value: Scalar | list[Scalar] | None = None


class TagCondition(_Node):
    """The contact has (or has not) the tag."""

    type: Literal["tag"] = "tag"
    tag: str = Field(min_length=1, max_length=100)
    op: Presence = "has"


class ListCondition(_Node):
    """The contact's subscription to a list: subscribed, unsubscribed, or not subscribed (never/no more)."""

    type: Literal["list"] = "list"
    list: str = Field(min_length=1, max_length=150)
    op: ListOp = "subscribed"


class EngagementCondition(_Node):
    """The contact opened, clicked, replied ... (any or one campaign) at least ``min_count`` times."""

    type: Literal["engagement"] = "engagement"
    action: EngagementAction
    op: Presence = "has"
    campaign: str | int | None = None
    channel: Literal["email", "sms"] | None = None
    url: str | None = Field(default=None, max_length=500)
    period: Period | None = None
    min_count: int = Field(default=1, ge=1, le=10_000)
    exclude_mpp: bool = False


class PageVisitCondition(_Node):
    """The contact visited a page matching ``url`` (``*`` matches anything)."""

    type: Literal["page_visit"] = "page_visit"
    url: str = Field(min_length=1, max_length=500)
    op: Presence = "has"
    period: Period | None = None
    min_count: int = Field(default=1, ge=1, le=10_000)


class PurchaseCondition(_Node):
    """The contact placed orders (optionally of a product or category, spending at least ``min_total``)."""

    type: Literal["purchase"] = "purchase"
    op: Presence = "has"
    period: Period | None = None
    product: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=100)
    min_total: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    min_count: int = Field(default=1, ge=1, le=10_000)


class EventCondition(_Node):
    """The contact triggered the custom event ``name`` (optionally with ``value``)."""

    type: Literal["event"] = "event"
    name: str = Field(min_length=1, max_length=100)
    op: Presence = "has"
    value: str | None = Field(default=None, max_length=255)
    period: Period | None = None
    min_count: int = Field(default=1, ge=1, le=10_000)


class ScoreCondition(_Node):
    """The contact's points on a score (contacts without points have 0)."""

    type: Literal["score"] = "score"
    score: str = Field(min_length=1, max_length=150)
    op: ScoreOp
    value: int


class DealCondition(_Node):
    """The contact has a deal where ``field op value``."""

    type: Literal["deal"] = "deal"
    field: DealField
    op: FieldOp
    value: Scalar | list[Scalar] | None = None


NODE_TYPES = (
    "group",
    "field",
    "tag",
    "list",
    "engagement",
    "page_visit",
    "purchase",
    "event",
    "score",
    "deal",
)
# Keys that name a node's type unambiguously, so a condition may leave out "type".
_TYPE_BY_KEY = (
    ("conditions", "group"),
    ("tag", "tag"),
    ("list", "list"),
    ("action", "engagement"),
    ("score", "score"),
    ("field", "field"),
)


def _infer_type(value: Any) -> Any:
    if isinstance(value, dict) and "type" not in value:
        for key, node_type in _TYPE_BY_KEY:
            if key in value:
                return {"type": node_type, **value}
    return value


def _match_word(value: Any) -> Any:
    if isinstance(value, str):
        return {"and": "all", "every": "all", "or": "any", "some": "any"}.get(value.strip().lower(), value)
    return value


class Group(_Node):
    """Conditions combined with AND (``match="all"``) or OR (``"any"``), optionally negated (NOT)."""

    type: Literal["group"] = "group"
    match: Annotated[Literal["all", "any"], BeforeValidator(_match_word)] = "all"
    negate: bool = False
    conditions: list[Node] = Field(min_length=1, max_length=MAX_CONDITIONS)

    @model_validator(mode="before")
    @classmethod
    def _infer_condition_types(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("conditions"), list):
            data = {**data, "conditions": [_infer_type(c) for c in data["conditions"]]}
        return data


Condition = (
    FieldCondition
    | TagCondition
    | ListCondition
    | EngagementCondition
    | PageVisitCondition
    | PurchaseCondition
    | EventCondition
    | ScoreCondition
    | DealCondition
)
Node = Annotated[Group | Condition, Field(discriminator="type")]
NODE_MODELS: dict[str, type[BaseModel]] = {
    "group": Group,
    "field": FieldCondition,
    "tag": TagCondition,
    "list": ListCondition,
    "engagement": EngagementCondition,
    "page_visit": PageVisitCondition,
    "purchase": PurchaseCondition,
    "event": EventCondition,
    "score": ScoreCondition,
    "deal": DealCondition,
}


class SegmentTree(_Node):
    """A versioned condition tree; ``root`` is the top group."""

    version: Literal[1] = 1
    root: Group

    @model_validator(mode="after")
    def _static_checks(self) -> SegmentTree:
        problems = static_problems(self)
        if problems:
            raise ValueError("; ".join(problems[:5]))
        return self


Group.model_rebuild()
SegmentTree.model_rebuild()


# ----------------------------------------------------------------------------------------------------------
# Walking and static checks


def walk(group: Group, path: str = "root", depth: int = 1) -> Iterator[tuple[str, int, Group | Condition]]:
    """Yield ``(path, depth, node)`` for the group and everything below it, depth first."""
    yield path, depth, group
    for i, node in enumerate(group.conditions):
        child = f"{path}.conditions[{i}]"
        if isinstance(node, Group):
            yield from walk(node, child, depth + 1)
        else:
            yield child, depth, node


def static_problems(tree: SegmentTree) -> list[str]:
    """Return the problems found without the database, each prefixed with its path."""
    problems: list[str] = []
    for path, depth, node in walk(tree.root):
        try:
            if isinstance(node, Group):
                if depth > MAX_DEPTH:
                    raise InvalidRequest(
                        f"{path}: groups nest {depth} deep; at most {MAX_DEPTH} levels are allowed"
                    )
            elif isinstance(node, FieldCondition):
                kind = STANDARD_FIELDS.get(node.field.strip().lower())
                check_value_shape(node.op, node.value, path=path)
                if kind is not None:
                    coerce_value(kind, node.op, node.value, path=path, subject=f"field {node.field!r}")
            elif isinstance(node, DealCondition):
                coerce_value(
                    DEAL_KINDS[node.field],
                    node.op,
                    node.value,
                    path=path,
                    subject=f"deal field {node.field!r}",
                )
            elif isinstance(node, EngagementCondition) and node.url is not None and node.action != "click":
                raise InvalidRequest(f"{path}.url: a URL only applies to clicks, not to {node.action!r}")
        except InvalidRequest as e:
            problems.append(e.message)
    return problems


def check_value_shape(op: str, value: object, *, path: str) -> None:
    """Check that ``value`` has the shape ``op`` needs: none, a pair, a list or one value."""
    if op in ("is_empty", "is_not_empty"):
        if value not in (None, ""):
            raise InvalidRequest(f"{path}.value: {op!r} takes no value (got {value!r}); leave value out")
    elif op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise InvalidRequest(
                f"{path}.value: 'between' needs a list of two values [low, high] (got {value!r})"
            )
    elif op == "in":
        if not isinstance(value, list) or not value or len(value) > MAX_IN_VALUES:
            raise InvalidRequest(
                f"{path}.value: 'in' needs a list of 1 to {MAX_IN_VALUES} values (got {value!r})"
            )
    elif value is None or isinstance(value, list):
        raise InvalidRequest(f"{path}.value: {op!r} needs exactly one value (got {value!r})")


def coerce_value(
    kind: str, op: str, value: object, *, path: str, subject: str, options: list[str] | None = None
) -> Any:
    """Check ``op`` and ``value`` against a value kind and return the value normalised for SQL.

    Dates are only checked here (relative dates need the clock); the compiler resolves them.
    """
    allowed = OPS_BY_KIND[kind]
    if op not in allowed:
        near = nearest_names(op, allowed, limit=1)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise InvalidRequest(
            f"{path}.op: {op!r} does not apply to {subject} ({_kind_label(kind)}); choose one of: "
            + ", ".join(repr(a) for a in allowed)
            + "."
            + hint
        )
    check_value_shape(op, value, path=path)
    if op in ("is_empty", "is_not_empty"):
        return None
    if isinstance(value, list):
        return [
            _coerce_one(kind, v, path=f"{path}.value[{i}]", subject=subject, options=options)
            for i, v in enumerate(value)
        ]
    return _coerce_one(kind, value, path=f"{path}.value", subject=subject, options=options)


def _kind_label(kind: str) -> str:
    return {
        "datetime": "a date",
        "date": "a date",
        "deal_status": "a deal status",
        "name": "a name",
        "owner": "a user name or email",
        "probability": "a probability",
        "status": "a contact status",
        "country": "a country code",
        "dropdown": "a dropdown",
        "textarea": "text",
        "language": "a language",
    }.get(kind, kind)


def _coerce_one(kind: str, value: object, *, path: str, subject: str, options: list[str] | None) -> Any:
    if kind in ("text", "textarea", "name", "owner"):
        text = str(value).strip() if not isinstance(value, bool) else str(value).lower()
        if not text:
            raise InvalidRequest(f"{path}: {subject} needs a non-empty value")
        return text
    if kind == "number":
        return _decimal(value, path=path, subject=subject)
    if kind in ("date", "datetime"):
        try:
            check_date(value)
        except InvalidRequest as e:
            raise InvalidRequest(f"{path}: {e.message}") from None
        return value
    if kind == "status":
        return _choice(value, [s.value for s in ContactStatus], path=path, subject=subject)
    if kind == "deal_status":
        return _choice(value, [s.value for s in DealStatus], path=path, subject=subject)
    if kind == "dropdown":
        return _choice(value, options or [], path=path, subject=subject)
    if kind == "language":
        code = LANGUAGE_NAMES.get(str(value).strip().lower(), str(value).strip().lower().replace("_", "-"))
        if not _LANGUAGE_RE.fullmatch(code):
            raise InvalidRequest(
                f"{path}: {value!r} is not a language; use a code like 'en', 'fr' or 'pt-br', "
                "or a name like 'French'"
            )
        return code
    if kind == "country":
        code = str(value).strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise InvalidRequest(
                f"{path}: {value!r} is not a country code; use two letters like 'US' or 'FR'"
            )
        return code
    if kind == "probability":
        return _probability(value, path=path)
    raise AssertionError(f"unknown value kind {kind}")


def _decimal(value: object, *, path: str, subject: str) -> Decimal:
    if isinstance(value, bool):
        raise InvalidRequest(f"{path}: {subject} needs a number (got {value!r})")
    try:
        number = Decimal(str(value).strip().replace(",", "").lstrip("$€£"))
    except InvalidOperation:
        raise InvalidRequest(f"{path}: {subject} needs a number (got {value!r})") from None
    if not number.is_finite():
        raise InvalidRequest(f"{path}: {subject} needs a finite number (got {value!r})")
    return number


def _choice(value: object, allowed: list[str], *, path: str, subject: str) -> str:
    text = str(value).strip()
    for a in allowed:
        if a.lower() == text.lower():
            return a
    near = nearest_names(text, allowed, limit=1)
    hint = f" Did you mean {near[0]!r}?" if near else ""
    listed = ", ".join(repr(a) for a in allowed) or "(none defined)"
    raise InvalidRequest(f"{path}: {value!r} is not an option of {subject}; choose one of: {listed}.{hint}")


def _probability(value: object, *, path: str) -> float:
    """Read a win probability as a fraction: 0.7, "0.7", "70%", or 70 (read as percent)."""
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        number = -1.0
    if isinstance(value, bool) or not 0 <= number <= 100:
        raise InvalidRequest(f"{path}: win probability {value!r} is not understood; write 0.7 or '70%'")
    if percent or number > 1:
        number /= 100
    return number


# ----------------------------------------------------------------------------------------------------------
# Parsing with path messages


def parse_tree(data: SegmentTree | dict[str, Any]) -> SegmentTree:
    """Validate ``data`` into a SegmentTree; problems raise InvalidRequest naming the path and the choices.

    A bare group (a dict with "conditions" and no "root") is accepted as the root.
    """
    if isinstance(data, SegmentTree):
        return data
    if not isinstance(data, dict):
        raise InvalidRequest(
            f"A segment tree must be an object like {{'root': {{'match': 'all', 'conditions': [...]}}}}, "
            f"not {type(data).__name__}.",
            field="tree",
        )
    if "root" not in data and "conditions" in data:
        data = {"root": data}
    try:
        return SegmentTree.model_validate(data)
    except ValidationError as err:
        messages = [m.rstrip(". ") for m in format_errors(err)[:5]]
        text = "; ".join(messages)
        raise InvalidRequest(
            "Invalid segment: " + text + ("" if text.endswith("?") else "."),
            field=messages[0].split(":", 1)[0],
        ) from None


def _path(loc: tuple[int | str, ...]) -> tuple[str, str | None, str | None]:
    """Turn a pydantic location into ("root.conditions[2].op", node type, the collapsing key if any)."""
    parts: list[str] = []
    node_type: str | None = None
    prev: int | str | None = None
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif isinstance(prev, int) and item in NODE_TYPES:
            node_type = item  # the discriminator tag pydantic puts after a list index
        elif "[" in item or item.startswith("function-"):
            pass
        else:
            parts.append(("." if parts else "") + item)
            if item in ("period", "value") and len(parts) > 1:
                return "".join(parts), node_type, item
        prev = item
    if node_type is None and loc and loc[0] == "root":
        node_type = "group" if len(loc) == 1 or loc[1] in Group.model_fields else None
    return "".join(parts), node_type, None


def format_errors(err: ValidationError) -> list[str]:
    """Render pydantic errors as "path: what is wrong and what is allowed" lines, one per path."""
    by_path: dict[str, str] = {}
    for e in err.errors(include_url=False):
        path, node_type, collapsed = _path(tuple(e["loc"]))
        kind = e["type"]
        ctx = e.get("ctx") or {}
        got = e.get("input")
        if kind == "value_error":
            message = str(ctx.get("error", e["msg"]))
            line = message if not path else f"{path}: {message}"
            if collapsed and path in by_path and "not a valid" not in by_path[path]:
                continue
            by_path[path] = line
            continue
        if path in by_path:
            continue
        if collapsed == "period":
            line = f"{path}: {got!r} is not a valid period; use {PERIOD_SHAPES}"
        elif collapsed == "value":
            line = f"{path}: {got!r} is not a valid value; use text, a number, or a list of them"
        elif kind == "literal_error":
            allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
            near = nearest_names(str(got), allowed, limit=1)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            line = f"{path}: {got!r} is not allowed; choose one of: {ctx.get('expected')}.{hint}"
        elif kind == "union_tag_invalid":
            near = nearest_names(str(ctx.get("tag")), NODE_TYPES, limit=1)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            line = (
                f"{path}.type: {ctx.get('tag')!r} is not a condition type; choose one of: "
                + ", ".join(repr(t) for t in NODE_TYPES)
                + "."
                + hint
            )
        elif kind == "union_tag_not_found":
            line = f"{path}: each condition needs a 'type', one of: " + ", ".join(repr(t) for t in NODE_TYPES)
        elif kind == "missing":
            line = f"{path}: is required"
        elif kind == "extra_forbidden":
            model = NODE_MODELS.get(node_type or "") if node_type else None
            keys = ", ".join(repr(k) for k in model.model_fields) if model else ""
            key = path.rpartition(".")[2]
            line = f"{path}: {key!r} is not a known key" + (f"; allowed keys: {keys}" if keys else "")
        elif kind == "too_short":
            line = f"{path}: needs at least {ctx.get('min_length')} item(s)"
        elif kind == "too_long":
            line = f"{path}: allows at most {ctx.get('max_length')} items (got {ctx.get('actual_length')})"
        else:
            line = f"{path}: {e['msg']} (got {got!r})"
        by_path[path] = line
    return list(by_path.values())


# ----------------------------------------------------------------------------------------------------------
# Plain-English descriptions

_ACTION_WORDS = {
    "open": ("opened", "has not opened"),
    "click": ("clicked", "has not clicked"),
    "reply": ("replied to", "has not replied to"),
    "forward": ("forwarded", "has not forwarded"),
    "share": ("shared", "has not shared"),
    "unsubscribe": ("unsubscribed from", "has not unsubscribed from"),
    "bounce": ("bounced on", "has not bounced on"),
}
_OP_WORDS = {
    "eq": "is",
    "neq": "is not",
    "contains": "contains",
    "not_contains": "does not contain",
    "starts_with": "starts with",
    "ends_with": "ends with",
    "is_empty": "is empty",
    "is_not_empty": "is not empty",
    "gt": "is greater than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "between": "is between",
    "in": "is one of",
}


def _times(n: int) -> str:
    return "" if n == 1 else f" at least {n} times"


def _value_text(op: str, value: object) -> str:
    if op in ("is_empty", "is_not_empty"):
        return ""
    if op == "between" and isinstance(value, list) and len(value) == 2:
        return f" {value[0]!r} and {value[1]!r}"
    if isinstance(value, list):
        return " " + ", ".join(repr(v) for v in value)
    return f" {value!r}"


def describe_node(node: Group | Condition, *, top: bool = False) -> str:
    """Describe one node in plain English."""
    if isinstance(node, Group):
        joiner = " and " if node.match == "all" else " or "
        parts = [describe_node(c) for c in node.conditions]
        text = joiner.join(parts)
        if node.negate:
            return f"not ({text})"
        return text if top or len(parts) == 1 else f"({text})"
    if isinstance(node, FieldCondition):
        return f"{node.field} {_OP_WORDS[node.op]}{_value_text(node.op, node.value)}"
    if isinstance(node, TagCondition):
        return f"has tag {node.tag!r}" if node.op == "has" else f"does not have tag {node.tag!r}"
    if isinstance(node, ListCondition):
        return {
            "subscribed": f"is subscribed to list {node.list!r}",
            "unsubscribed": f"unsubscribed from list {node.list!r}",
            "not_subscribed": f"is not subscribed to list {node.list!r}",
        }[node.op]
    if isinstance(node, EngagementCondition):
        done, not_done = _ACTION_WORDS[node.action]
        target = (
            f"campaign {node.campaign!r}"
            if node.campaign is not None
            else (f"any {node.channel} campaign" if node.channel else "any campaign")
        )
        text = f"{done if node.op == 'has' else not_done} {target}"
        if node.url:
            text += f" (link {node.url!r})"
        text += _times(node.min_count)
        if node.period is not None:
            text += " " + describe_period(node.period)
        if node.exclude_mpp and node.action == "open":
            text += " (Apple MPP opens excluded)"
        return text
    if isinstance(node, PageVisitCondition):
        verb = "visited" if node.op == "has" else "has not visited"
        return f"{verb} {node.url!r}{_times(node.min_count)}" + (
            f" {describe_period(node.period)}" if node.period else ""
        )
    if isinstance(node, PurchaseCondition):
        text = "purchased" if node.op == "has" else "has not purchased"
        if node.product:
            text += f" {node.product!r}"
        if node.category:
            text += f" in category {node.category!r}"
        text += _times(node.min_count)
        if node.min_total is not None:
            text += f" spending at least {node.min_total}"
        if node.period is not None:
            text += " " + describe_period(node.period)
        return text
    if isinstance(node, EventCondition):
        text = f"{'had' if node.op == 'has' else 'has not had'} event {node.name!r}"
        if node.value is not None:
            text += f" with value {node.value!r}"
        text += _times(node.min_count)
        return text + (f" {describe_period(node.period)}" if node.period else "")
    if isinstance(node, ScoreCondition):
        return f"score {node.score!r} {_OP_WORDS[node.op]} {node.value}"
    if isinstance(node, DealCondition):
        return f"has a deal whose {node.field.replace('_', ' ')} {_OP_WORDS[node.op]}" + _value_text(
            node.op, node.value
        )
    raise AssertionError(f"unknown node {node!r}")


def describe_tree(tree: SegmentTree) -> str:
    """Describe a whole tree, e.g. "opened any campaign in the last 90 days and has tag 'VIP'"."""
    return describe_node(tree.root, top=True)
