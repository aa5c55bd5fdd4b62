"""Plain-words and typed periods resolved against a fixed clock and the account's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.errors import InvalidRequest
from core.periods import (
    DateRange,
    LastDays,
    LastSpan,
    PeriodWords,
    Since,
    add_months,
    describe_period,
    parse_date,
    parse_period,
    resolve_period,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # a Monday


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("words", "start", "end"),
    [
        ("last week", utc(2026, 6, 8), utc(2026, 6, 15)),
        ("last 90 days", utc(2026, 3, 17, 12), NOW),
        ("in the last 90 days", utc(2026, 3, 17, 12), NOW),
        ("past 2 weeks", utc(2026, 6, 1, 12), NOW),
        ("last seven days", utc(2026, 6, 8, 12), NOW),
        ("last 3 months", utc(2026, 3, 15, 12), NOW),
        ("last 24 hours", utc(2026, 6, 14, 12), NOW),
        ("this month", utc(2026, 6, 1), NOW),
        ("this week", utc(2026, 6, 15), NOW),
        ("this year", utc(2026, 1, 1), NOW),
        ("last month", utc(2026, 5, 1), utc(2026, 6, 1)),
        ("last quarter", utc(2026, 1, 1), utc(2026, 4, 1)),
        ("last year", utc(2025, 1, 1), utc(2026, 1, 1)),
        ("May", utc(2026, 5, 1), utc(2026, 6, 1)),
        ("june", utc(2026, 6, 1), utc(2026, 7, 1)),
        ("July", utc(2025, 7, 1), utc(2025, 8, 1)),  # the most recent July is last year's
        ("Dec", utc(2025, 12, 1), utc(2026, 1, 1)),
        ("May 2026", utc(2026, 5, 1), utc(2026, 6, 1)),
        ("May, 2025", utc(2025, 5, 1), utc(2025, 6, 1)),
        ("Q2", utc(2026, 4, 1), utc(2026, 7, 1)),
        ("Q3", utc(2025, 7, 1), utc(2025, 10, 1)),
        ("q1 2026", utc(2026, 1, 1), utc(2026, 4, 1)),
        ("2025", utc(2025, 1, 1), utc(2026, 1, 1)),
        ("yesterday", utc(2026, 6, 14), utc(2026, 6, 15)),
        ("today", utc(2026, 6, 15), NOW),
        ("since March 3", utc(2026, 3, 3), NOW),
        ("since 2026-03-03", utc(2026, 3, 3), NOW),
        ("since Dec 24", utc(2025, 12, 24), NOW),
        ("2026-05-01 to 2026-05-31", utc(2026, 5, 1), utc(2026, 6, 1)),
        ("from May 1 to May 31", utc(2026, 5, 1), utc(2026, 6, 1)),
        ("between 1 May 2026 and 3 May 2026", utc(2026, 5, 1), utc(2026, 5, 4)),
        ("June 3", utc(2026, 6, 3), utc(2026, 6, 4)),
        ("2026-06-03", utc(2026, 6, 3), utc(2026, 6, 4)),
        ("ytd", utc(2026, 1, 1), NOW),
    ],
)
def test_plain_words_in_utc(words: str, start: datetime, end: datetime) -> None:
    assert parse_period(words, now=NOW, tz="UTC") == (start, end)


def test_calendar_words_cut_at_local_midnight() -> None:
    # New York is UTC-4 in summer and UTC-5 in winter.
    ny = "America/New_York"
    assert parse_period("last week", now=NOW, tz=ny) == (utc(2026, 6, 8, 4), utc(2026, 6, 15, 4))
    assert parse_period("yesterday", now=NOW, tz=ny) == (utc(2026, 6, 14, 4), utc(2026, 6, 15, 4))
    assert parse_period("Q4 2025", now=NOW, tz=ny) == (utc(2025, 10, 1, 4), utc(2026, 1, 1, 5))
    # Rolling windows do not depend on the zone.
    assert parse_period("last 90 days", now=NOW, tz=ny) == (utc(2026, 3, 17, 12), NOW)
    # Just after midnight UTC it is still the previous day in New York.
    early = utc(2026, 6, 15, 2)
    assert parse_period("today", now=early, tz=ny) == (utc(2026, 6, 14, 4), early)


@pytest.mark.parametrize("words", ["blah", "next tuesday", "", "last 3 moons", "since whenever", "Q5"])
def test_unparseable_words_list_examples(words: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        parse_period(words, now=NOW)
    assert "last 90 days" in str(err.value) and "since March 3" in str(err.value)
    assert repr(words) in str(err.value)


def test_backwards_range_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="empty"):
        parse_period("2026-05-31 to 2026-05-01", now=NOW)


def test_typed_periods() -> None:
    assert resolve_period(LastDays(last_days=90), now=NOW) == (utc(2026, 3, 17, 12), NOW)
    assert resolve_period(LastSpan(last="3 months"), now=NOW) == (utc(2026, 3, 15, 12), NOW)
    assert resolve_period(LastSpan(last="1 year"), now=NOW) == (utc(2025, 6, 15, 12), NOW)
    assert resolve_period(
        DateRange(start=date(2026, 5, 1), end=date(2026, 5, 31)), now=NOW, tz="Europe/Paris"
    ) == (utc(2026, 4, 30, 22), utc(2026, 5, 31, 22))
    assert resolve_period(Since(since=date(2026, 3, 3)), now=NOW) == (utc(2026, 3, 3), NOW)
    assert resolve_period(PeriodWords(words="last month"), now=NOW) == (utc(2026, 5, 1), utc(2026, 6, 1))
    assert resolve_period("last month", now=NOW) == (utc(2026, 5, 1), utc(2026, 6, 1))
    with pytest.raises(ValueError):
        DateRange(start=date(2026, 5, 2), end=date(2026, 5, 1))
    with pytest.raises(ValueError):
        LastSpan(last="3 moons")


def test_month_arithmetic_clamps_to_month_end() -> None:
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2026, 1, 15), -13) == date(2024, 12, 15)
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)


def test_dates() -> None:
    assert parse_date("2026-05-03", now=NOW) == date(2026, 5, 3)
    assert parse_date("May 3", now=NOW) == date(2026, 5, 3)
    assert parse_date("3 May 2025", now=NOW) == date(2025, 5, 3)
    assert parse_date("30 days ago", now=NOW) == date(2026, 5, 16)
    assert parse_date("in 2 weeks", now=NOW) == date(2026, 6, 29)
    assert parse_date("1 month ago", now=NOW) == date(2026, 5, 15)
    assert parse_date("yesterday", now=NOW, tz="Pacific/Auckland") == date(2026, 6, 15)
    with pytest.raises(InvalidRequest, match="'soon' is not understood; use e.g. '2026-05-03'"):
        parse_date("soon", now=NOW)
    with pytest.raises(InvalidRequest):
        parse_date("2026-02-30", now=NOW)


def test_descriptions() -> None:
    assert describe_period(LastDays(last_days=90)) == "in the last 90 days"
    assert describe_period(LastDays(last_days=1)) == "in the last day"
    assert describe_period(LastSpan(last="3 months")) == "in the last 3 months"
    assert describe_period(DateRange(start=date(2026, 5, 1), end=date(2026, 5, 31))) == (
        "between 2026-05-01 and 2026-05-31"
    )
    assert describe_period(DateRange(start=date(2026, 5, 1), end=date(2026, 5, 1))) == "on 2026-05-01"
    assert describe_period(Since(since=date(2026, 3, 3))) == "since 2026-03-03"
    assert describe_period("last 90 days") == "in the last 90 days"
    assert describe_period("Last week") == "last week"
    assert describe_period("May") == "in May"
    assert describe_period("Q2 2026") == "in Q2 2026"
    assert describe_period("since March 3") == "since March 3"
    assert describe_period("June 3") == "on June 3"
    assert describe_period("2026-05-01 to 2026-05-31") == "from 2026-05-01 to 2026-05-31"


def test_unknown_time_zone() -> None:
    with pytest.raises(InvalidRequest, match="Mars/Olympus"):
        parse_period("last week", now=NOW, tz="Mars/Olympus")
