"""Find time expressions in text: reporting periods ("last 90 days", "in May") and send times ("Friday at 9").

Only spans are found here; ``core.periods`` turns period words into dates against the account's clock.
``period_object`` gives the typed shape used inside segment conditions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agent.nlu.text import ORDINALS, TENS, UNITS

NUM_WORD = r"(?:\d+|a|an|" + "|".join(sorted(list(UNITS) + list(TENS), key=len, reverse=True)) + r")"
UNIT = r"(?:hours?|hrs?|days?|weeks?|wks?|months?|mos?|quarters?|years?|yrs?)"
MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thu|fri|sat|sun)"
)
DAY_NUM = r"\d{1,2}(?:st|nd|rd|th)?"
DATE = (
    rf"(?:{MONTH} {DAY_NUM}(?:,? \d{{4}})?|{DAY_NUM} (?:of )?{MONTH}(?:,? \d{{4}})?|"
    rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}|"
    rf"\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?|today|yesterday)"
)
CLOCK = r"(?:\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon|midnight)"
DAYPART = r"(?:morning|afternoon|evening|night)"

# Month names that are also ordinary words need a cue before them ("in May", "since March").
_AMBIGUOUS_MONTHS = {"may", "march", "august", "jan", "mar", "may.", "sat", "sun", "wed"}
_PERIOD_PREFIX = r"(?:(?:in|over|during|within|for|from|throughout|across) (?:the )?|the )?"

_PERIOD_PATTERNS = [
    rf"(?:between|from) {DATE} (?:and|to|until|till|through|thru|-) {DATE}",
    r"\d{4}-\d{1,2}-\d{1,2} ?(?:to|until|till|through|thru|-|\u2013) ?\d{4}-\d{1,2}-\d{1,2}",
    rf"(?:between|from) {MONTH}(?: \d{{4}})? (?:and|to|until|till|through|thru|-) {MONTH}(?: \d{{4}})?",
    rf"since (?:the (?:start|beginning) of (?:the )?(?:year|month|quarter|week)|{DATE}|{MONTH}(?: \d{{4}})?|"
    rf"last (?:week|month|quarter|year)|{WEEKDAY}|(?:19|20)\d{{2}})",
    rf"{_PERIOD_PREFIX}(?:last|past|previous|prior|recent) {NUM_WORD} {UNIT}",
    rf"{_PERIOD_PREFIX}(?:last|past|previous|prior|this|current|next|coming) (?:week|month|quarter|year)",
    r"(?:year|month|quarter|week) to date|\bytd\b|\bmtd\b|\bqtd\b",
    r"today|yesterday|this morning|this afternoon|this evening",
    r"(?:in |during |for )?q[1-4](?:,? \d{4})?",
    rf"(?:on |since )?{DATE}",
    rf"(?:in |during |for |of )?{MONTH}(?:,? (?:19|20)\d{{2}})?",
    r"(?:in |during |for )?(?:19|20)\d{2}\b(?!-\d)",
    rf"(?:in|within|for|over) (?:the )?{NUM_WORD} {UNIT}",
    rf"{NUM_WORD} {UNIT} ago",
]
_PERIOD_RE = re.compile(r"(?<![\w/@.$])(?:" + "|".join(f"(?:{p})" for p in _PERIOD_PATTERNS) + r")(?![\w@])")

_WHEN_DAY = (
    rf"(?:(?:next|this|coming) )?(?:{WEEKDAY}|weekend)|the weekend|today|tonight|tomorrow|tmrw|"
    rf"later today|next week|{MONTH} {DAY_NUM}|{DAY_NUM} (?:of )?{MONTH}|the {DAY_NUM}|"
    rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}"
)
_WHEN_PATTERNS = [
    rf"(?:(?:on|for|at|by|until|till) )?(?:first thing )?(?:{_WHEN_DAY})(?:,? (?:at |around |"
    rf"by )?(?:{CLOCK}|{DAYPART}|"
    rf"\d{{1,2}}(?::\d{{2}})?(?!\d)))?(?:,? (?:at )?{CLOCK})?",
    rf"(?:(?:at|around|by) )?{CLOCK}(?:,? (?:on |this |tomorrow |next )?(?:{_WHEN_DAY}|{DAYPART}))?",
    rf"at \d{{1,2}}(?::\d{{2}})?(?!\d)(?: (?:tonight|tomorrow|in the {DAYPART}))?",
    rf"in {NUM_WORD} (?:minutes?|mins?|hours?|hrs?|days?|weeks?)",
    rf"every (?:{WEEKDAY}|day|week|month|morning)",
    rf"(?:first thing )?(?:tomorrow|this|monday|tuesday|wednesday|thursday|friday|saturday|sunday) {DAYPART}",
]
_WHEN_RE = re.compile(r"(?<![\w/@.$])(?:" + "|".join(f"(?:{p})" for p in _WHEN_PATTERNS) + r")(?![\w@])")

_STRIP_PREFIX = re.compile(r"^(?:(?:in|over|during|within|for|from|throughout|across|on|of) )?(?:the )?")
_CUE_BEFORE = re.compile(
    r"(?:in|since|from|during|of|for|last|this|until|before|after|to|between|and|by)\s+$"
)


@dataclass(frozen=True)
class TimeSpan:
    """A time expression found in text: ``text`` as written (lowercase) and its offsets."""

    text: str
    start: int
    end: int


def _month_is_word(low: str, original: str, m: re.Match[str]) -> bool:
    """Return True when a bare ambiguous month name ("may", "march") is probably just a word."""
    bare = m.group(0).strip().rstrip(".")
    if bare not in _AMBIGUOUS_MONTHS:
        return False
    if original[m.start() : m.start() + 1].isupper() and m.start() > 0:
        return False
    return not _CUE_BEFORE.search(low[: m.start()])


def find_periods(text: str) -> list[TimeSpan]:
    """Return reporting-period spans ("last 90 days", "this quarter", "in May", "since March 3")."""
    low = text.lower()
    spans = []
    for m in _PERIOD_RE.finditer(low):
        if not m.group(0).strip():
            continue
        if _month_is_word(low, text, m):
            continue
        # A bare number-unit ("in 2 days") right after a send verb is a time to send, not a period.
        spans.append(TimeSpan(m.group(0).strip(), m.start(), m.end()))
    return spans


def find_send_times(text: str) -> list[TimeSpan]:
    """Return send-time or due-date spans ("tomorrow at 9am", "next Monday", "in 2 hours")."""
    low = text.lower()
    out = []
    for m in _WHEN_RE.finditer(low):
        t = re.sub(r"^(?:on|for|by|until|till) ", "", m.group(0).strip(" ,"))
        if t:
            out.append(TimeSpan(t, m.start(), m.end()))
    return out


def period_words(span: str) -> str:
    """Normalise a period span to words ``core.periods`` parses, e.g. "over the last week" -> "last week"."""
    t = " ".join(span.lower().replace(",", " ").split())
    t = _STRIP_PREFIX.sub("", t, count=1)
    return t.strip()


def _count(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    if word in ("a", "an"):
        return 1
    return UNITS.get(word) or TENS.get(word)


_UNIT_NAMES = {
    "hour": "hours",
    "hr": "hours",
    "day": "days",
    "week": "weeks",
    "wk": "weeks",
    "month": "months",
    "mo": "months",
    "quarter": "quarters",
    "year": "years",
    "yr": "years",
}


def _unit_name(unit: str) -> str:
    return _UNIT_NAMES.get(unit.rstrip("s"), unit if unit.endswith("s") else unit + "s")


def period_object(span: str) -> dict[str, Any]:
    """Return the segment-condition period shape: ``{"last_days": N}``, ``{"last": "3 months"}`` or words.

    Words use the key ``words`` (``core.periods.PeriodWords``), which resolves them against the clock.
    """
    t = period_words(span)
    m = re.fullmatch(rf"(?:(?:last|past|previous|prior|recent) )?({NUM_WORD}) ({UNIT})", t)
    if m:
        n = _count(m.group(1))
        unit = _unit_name(m.group(2))
        if n:
            if unit == "days":
                return {"last_days": n}
            return {"last": f"{n} {unit if n != 1 else unit[:-1]}"}
    return {"words": t}


ORDINAL_WORDS = ORDINALS
