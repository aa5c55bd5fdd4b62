"""Time periods: typed shapes and plain words ("last week", "May", "Q2") resolved to UTC ranges.

Every range is half-open, ``start <= t < end``. Calendar words (days, weeks, months, quarters, years) are cut
at local midnight in the account's time zone; rolling windows ("last 90 days") end at ``now``; "this month"
and friends run up to ``now``. Weeks start on Monday.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from core.errors import InvalidRequest

EXAMPLES = (
    "'last 90 days', 'last week', 'this month', 'last month', 'May', 'May 2026', 'Q2', 'yesterday', "
    "'since March 3' or '2026-05-01 to 2026-05-31'"
)
DATE_EXAMPLES = "'2026-05-03', 'May 3', 'May 3 2026', 'today', 'yesterday', '30 days ago' or 'in 2 weeks'"

MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
MONTH_NAMES = {n: name.capitalize() for name, n in MONTHS.items()}
_MONTH_ABBR = {name[:3]: n for name, n in MONTHS.items()} | {"sept": 9}
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "thirty": 30,
    "sixty": 60,
    "ninety": 90,
}
_UNITS = {
    "hour": "hour",
    "hours": "hour",
    "hr": "hour",
    "hrs": "hour",
    "h": "hour",
    "day": "day",
    "days": "day",
    "d": "day",
    "week": "week",
    "weeks": "week",
    "wk": "week",
    "wks": "week",
    "w": "week",
    "month": "month",
    "months": "month",
    "mo": "month",
    "mos": "month",
    "quarter": "quarter",
    "quarters": "quarter",
    "year": "year",
    "years": "year",
    "yr": "year",
    "yrs": "year",
    "y": "year",
}
MAX_SPAN_DAYS = 36_600


class TimeRange(NamedTuple):
    """A half-open UTC range ``[start, end)``."""

    start: datetime
    end: datetime


# ----------------------------------------------------------------------------------------------------------
# Typed period shapes (used in segment trees and tools)


class LastDays(BaseModel):
    """The rolling window of the last ``last_days`` days, ending now."""

    model_config = ConfigDict(extra="forbid")
    last_days: int = Field(ge=1, le=MAX_SPAN_DAYS)


class LastSpan(BaseModel):
    """A rolling window such as ``{"last": "3 months"}``, ending now."""

    model_config = ConfigDict(extra="forbid")
    last: str

    @field_validator("last")
    @classmethod
    def _check(cls, v: str) -> str:
        try:
            parse_span(v)
        except InvalidRequest as e:
            raise ValueError(e.message) from None
        return v.strip()


class DateRange(BaseModel):
    """Whole local days from ``start`` to ``end``, both included."""

    model_config = ConfigDict(extra="forbid")
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError(
                f"end {self.end.isoformat()} is before start {self.start.isoformat()}; swap them"
            )
        return self


class Since(BaseModel):
    """From local midnight of ``since`` until now."""

    model_config = ConfigDict(extra="forbid")
    since: date


class PeriodWords(BaseModel):
    """Plain words such as ``"last month"`` or ``"Q2"``, resolved against the clock when used."""

    model_config = ConfigDict(extra="forbid")
    words: str

    @field_validator("words")
    @classmethod
    def _check(cls, v: str) -> str:
        # Parseability does not depend on the clock, so any fixed reference will do.
        try:
            parse_period(v, now=_REFERENCE_NOW)
        except InvalidRequest as e:
            raise ValueError(e.message) from None
        return v.strip()


def _period_from_text(value: Any) -> Any:
    """Accept a bare string ("last 90 days") wherever a period is expected."""
    if isinstance(value, str):
        return {"words": value}
    return value


Period = Annotated[LastDays | LastSpan | DateRange | Since | PeriodWords, BeforeValidator(_period_from_text)]
PERIOD_SHAPES = (
    "{last_days: 90}, {last: '3 months'}, {start: 'YYYY-MM-DD', end: 'YYYY-MM-DD'}, {since: 'YYYY-MM-DD'} "
    "or plain words like " + EXAMPLES
)
_REFERENCE_NOW = datetime(2026, 1, 1, tzinfo=UTC)


# ----------------------------------------------------------------------------------------------------------
# Resolution


def zone(tz: str | None) -> ZoneInfo:
    """Return the IANA zone ``tz`` (UTC when empty)."""
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(
            f"Time zone {tz!r} is not a known IANA zone; use e.g. 'America/New_York'."
        ) from None


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """Return local midnight of ``day`` in ``tz`` as a UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _utc(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """Shift ``day`` by ``months`` calendar months, clamping to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_first = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_first - timedelta(days=1)).day))


def resolve_period(period: Any, *, now: datetime, tz: str | None = "UTC") -> TimeRange:
    """Resolve a typed period (or plain words) against ``now`` in the time zone ``tz``."""
    now = _utc(now)
    zi = zone(tz)
    if isinstance(period, str):
        return parse_period(period, now=now, tz=tz)
    if isinstance(period, LastDays):
        return TimeRange(now - timedelta(days=period.last_days), now)
    if isinstance(period, LastSpan):
        count, unit = parse_span(period.last)
        return TimeRange(_rolling_start(now, count, unit, zi), now)
    if isinstance(period, DateRange):
        return TimeRange(local_midnight(period.start, zi), local_midnight(period.end + timedelta(days=1), zi))
    if isinstance(period, Since):
        return TimeRange(local_midnight(period.since, zi), now)
    if isinstance(period, PeriodWords):
        return parse_period(period.words, now=now, tz=tz)
    raise InvalidRequest(f"Period {period!r} is not understood; use {PERIOD_SHAPES}.", field="period")


def _rolling_start(now: datetime, count: int, unit: str, zi: ZoneInfo) -> datetime:
    if unit == "hour":
        return now - timedelta(hours=count)
    if unit == "day":
        return now - timedelta(days=count)
    if unit == "week":
        return now - timedelta(weeks=count)
    months = count * {"month": 1, "quarter": 3, "year": 12}[unit]
    local = now.astimezone(zi)
    shifted = add_months(local.date(), -months)
    return datetime.combine(shifted, local.timetz()).astimezone(UTC)


def parse_span(text: str) -> tuple[int, str]:
    """Parse a span like "7 days", "3 months" or "two weeks" into (count, unit)."""
    m = re.fullmatch(r"\s*(\w+)\s*([a-z]+)\s*", text.lower())
    count = _number(m.group(1)) if m else None
    unit = _UNITS.get(m.group(2)) if m else None
    if m is None or count is None or unit is None or count < 1:
        raise InvalidRequest(
            f"Span {text!r} is not understood; write a count and a unit, e.g. '7 days', '2 weeks', "
            "'3 months' or '1 year'.",
            field="period",
        )
    if (
        count * {"hour": 1 / 24, "day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}[unit]
        > MAX_SPAN_DAYS
    ):
        raise InvalidRequest(f"Span {text!r} is too long; use at most 100 years.", field="period")
    return count, unit


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word)


def _month_number(word: str) -> int | None:
    word = word.rstrip(".")
    return MONTHS.get(word) or _MONTH_ABBR.get(word)


def _clean(text: str) -> str:
    t = " ".join(text.lower().replace(",", " ").split()).strip(" .?!")
    for prefix in (
        "in the ",
        "during the ",
        "over the ",
        "within the ",
        "for the ",
        "the ",
        "in ",
        "during ",
    ):
        if t.startswith(prefix):
            t = t[len(prefix) :]
            break
    return t


def parse_period(text: str, *, now: datetime, tz: str | None = "UTC") -> TimeRange:
    """Parse plain words ("last week", "May", "Q2 2026", "since March 3") into a UTC range.

    Unparseable text raises InvalidRequest listing examples.
    """
    now = _utc(now)
    zi = zone(tz)
    t = _clean(text)
    result = _parse_period(t, now, zi) if t else None
    if result is None:
        raise InvalidRequest(f"Could not understand the period {text!r}. Try {EXAMPLES}.", field="period")
    if result.end <= result.start:
        raise InvalidRequest(
            f"The period {text!r} is empty (it ends before it starts); try {EXAMPLES}.", field="period"
        )
    return result


def _unit_start(day: date, unit: str) -> date:
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


def _unit_shift(day: date, unit: str, n: int) -> date:
    if unit == "day":
        return day + timedelta(days=n)
    if unit == "week":
        return day + timedelta(weeks=n)
    return add_months(day, n * {"month": 1, "quarter": 3, "year": 12}[unit])


def _calendar(day: date, unit: str, zi: ZoneInfo) -> TimeRange:
    start = _unit_start(day, unit)
    return TimeRange(local_midnight(start, zi), local_midnight(_unit_shift(start, unit, 1), zi))


def _parse_period(t: str, now: datetime, zi: ZoneInfo) -> TimeRange | None:
    today = now.astimezone(zi).date()
    aliases = {
        "ytd": "this year",
        "year to date": "this year",
        "mtd": "this month",
        "month to date": "this month",
        "qtd": "this quarter",
        "quarter to date": "this quarter",
        "wtd": "this week",
    }
    t = aliases.get(t, t)
    if t == "today":
        return TimeRange(local_midnight(today, zi), now)
    if t == "yesterday":
        return _calendar(today - timedelta(days=1), "day", zi)
    m = re.fullmatch(r"this (week|month|quarter|year)", t)
    if m:
        return TimeRange(local_midnight(_unit_start(today, m.group(1)), zi), now)
    m = re.fullmatch(r"(?:last|previous|prior) (week|month|quarter|year)", t)
    if m:
        unit = m.group(1)
        return _calendar(_unit_shift(_unit_start(today, unit), unit, -1), unit, zi)
    m = re.fullmatch(r"(?:(?:last|past|previous|prior) )?(\w+) ([a-z]+)", t)
    if m and _number(m.group(1)) is not None and m.group(2) in _UNITS:
        count, unit = parse_span(f"{m.group(1)} {m.group(2)}")
        return TimeRange(_rolling_start(now, count, unit, zi), now)
    m = re.fullmatch(r"past (hour|day|week|month|quarter|year)", t)
    if m:
        return TimeRange(_rolling_start(now, 1, m.group(1), zi), now)
    m = re.fullmatch(r"q([1-4])(?: (\d{4}))?|(\d{4}) q([1-4])", t)
    if m:
        q = int(m.group(1) or m.group(4))
        year = m.group(2) or m.group(3)
        first = date(int(year) if year else today.year, 3 * q - 2, 1)
        if not year and first > today:
            first = first.replace(year=first.year - 1)
        return _calendar(first, "quarter", zi)
    m = re.fullmatch(r"(\d{4})", t)
    if m:
        return _calendar(date(int(m.group(1)), 1, 1), "year", zi)
    m = re.fullmatch(r"([a-z]+\.?)(?: (\d{4}))?", t)
    if m and _month_number(m.group(1)):
        month = _month_number(m.group(1)) or 1
        if m.group(2):
            first = date(int(m.group(2)), month, 1)
        else:
            first = date(today.year, month, 1)
            if first > today:
                first = first.replace(year=today.year - 1)
        return _calendar(first, "month", zi)
    m = re.fullmatch(r"(?:since|from) (.+)", t)
    if m and not re.search(r" (?:to|until|till|through|thru|and) | - ", t):
        day = _parse_day(m.group(1), today)
        return TimeRange(local_midnight(day, zi), now) if day else None
    m = re.fullmatch(r"(?:from |between )?(.+?)(?: to | until | till | through | thru | and | - )(.+)", t)
    if m:
        first, last = _parse_day(m.group(1), today), _parse_day(m.group(2), today, not_after=None)
        if first and last:
            return TimeRange(local_midnight(first, zi), local_midnight(last + timedelta(days=1), zi))
        return None
    day = _parse_day(t, today)
    if day:
        return _calendar(day, "day", zi)
    return None


# ----------------------------------------------------------------------------------------------------------
# Dates (values of date fields, period bounds)


def _parse_day(t: str, today: date, not_after: date | None | bool = True) -> date | None:
    """Parse one day; a month and day without a year is the most recent one not after today."""
    t = t.strip().replace(",", " ")
    t = " ".join(t.split())
    if t == "today":
        return today
    if t == "yesterday":
        return today - timedelta(days=1)
    if t == "tomorrow":
        return today + timedelta(days=1)
    m = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[t ][\d:.]+(?:z|[+-][\d:]+)?)?", t)
    if m:
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(r"(\w+) ([a-z]+) ago", t)
    if m and _number(m.group(1)) is not None and m.group(2) in _UNITS:
        return _shift_day(today, -(_number(m.group(1)) or 0), _UNITS[m.group(2)])
    m = re.fullmatch(r"in (\w+) ([a-z]+)", t)
    if m and _number(m.group(1)) is not None and m.group(2) in _UNITS:
        return _shift_day(today, _number(m.group(1)) or 0, _UNITS[m.group(2)])
    m = re.fullmatch(r"([a-z]+\.?) (\d{1,2})(?:st|nd|rd|th)?(?: (\d{4}))?", t) or None
    month_first = True
    if m is None:
        m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)? ([a-z]+\.?)(?: (\d{4}))?", t)
        month_first = False
    if m:
        month_word, day_str = (m.group(1), m.group(2)) if month_first else (m.group(2), m.group(1))
        month = _month_number(month_word)
        if not month:
            return None
        if m.group(3):
            return _safe_date(int(m.group(3)), month, int(day_str))
        found = _safe_date(today.year, month, int(day_str))
        if found and not_after is True and found > today:
            found = _safe_date(today.year - 1, month, int(day_str))
        return found
    return None


def _shift_day(today: date, n: int, unit: str) -> date | None:
    if unit == "hour":
        return None
    return _unit_shift(today, unit, n)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(value: object, *, now: datetime, tz: str | None = "UTC") -> date:
    """Parse a date value: a ``date``, ISO text, "May 3", or relative words ("30 days ago", "in 2 weeks")."""
    if isinstance(value, datetime):
        return value.astimezone(zone(tz)).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        today = _utc(now).astimezone(zone(tz)).date()
        found = _parse_day(value.lower(), today)
        if found:
            return found
    raise InvalidRequest(f"Date {value!r} is not understood; use e.g. {DATE_EXAMPLES}.", field="date")


def check_date(value: object) -> None:
    """Raise InvalidRequest when ``value`` can never be parsed as a date (the clock does not matter)."""
    parse_date(value, now=_REFERENCE_NOW)


# ----------------------------------------------------------------------------------------------------------
# Descriptions


def describe_period(period: Any) -> str:
    """Describe a period in words, e.g. "in the last 90 days" or "between 2026-05-01 and 2026-05-31"."""
    if isinstance(period, str):
        return _describe_words(period)
    if isinstance(period, LastDays):
        return "in the last day" if period.last_days == 1 else f"in the last {period.last_days} days"
    if isinstance(period, LastSpan):
        count, unit = parse_span(period.last)
        return f"in the last {unit}" if count == 1 else f"in the last {count} {unit}s"
    if isinstance(period, DateRange):
        if period.start == period.end:
            return f"on {period.start.isoformat()}"
        return f"between {period.start.isoformat()} and {period.end.isoformat()}"
    if isinstance(period, Since):
        return f"since {period.since.isoformat()}"
    if isinstance(period, PeriodWords):
        return _describe_words(period.words)
    return str(period)


def _describe_words(words: str) -> str:
    t = _clean(words)
    # Keep the user's capitalisation ("May", "Q2") but drop the leading "in the" that _clean removed.
    shown = " ".join(words.split()).strip(" .?!")
    shown = shown[len(shown) - len(t) :] if shown.lower().endswith(t) else t
    if re.fullmatch(r"(?:last|past) \w+ [a-z]+", t):
        return f"in the {shown}"
    if re.match(r"(?:since|from|between|this|last|previous|prior|past|today|yesterday)\b", t):
        return shown[:1].lower() + shown[1:]
    if re.search(r" (?:to|until|till|through|thru|and|-) ", t):
        return f"from {shown}"
    if _parse_day(t, _REFERENCE_NOW.date()) is not None:
        return f"on {shown}"
    return f"in {shown}"
