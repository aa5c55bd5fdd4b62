"""SMS rules from the help center ("Send broadcast SMS messages"): length, credits, MMS, quiet hours.

Pure functions: no session, no clock of their own.

- An SMS holds up to 160 characters per segment; a message is at most 1,600 characters.
- Every character of the body counts (letters, spaces, punctuation, links, emoji, personalization tags as
  written); an attached image does not count, it turns the message into an MMS.
- Credits per recipient: SMS costs 1 (US), 5 (UK) or 3 (AU) credits per 160 characters; MMS costs 3 (US) or
  21 (AU) credits per 1,600 characters. The UK has no MMS: the image is sent as a link inside an SMS.
- MMS images are PNG, JPEG or GIF (under 600 KB recommended).
- Marketing SMS go out between 08:00 and 21:00 in the recipient's local time; an unknown time zone is never
  inside the window (we hold the message rather than risk a night-time text).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from core.errors import InvalidRequest

SMS_SEGMENT_CHARS = 160
MAX_MESSAGE_CHARS = 1_600
MMS_SEGMENT_CHARS = 1_600
SMS_CREDITS_PER_SEGMENT: dict[str, int] = {"US": 1, "GB": 5, "AU": 3}
MMS_CREDITS_PER_SEGMENT: dict[str, int] = {"US": 3, "AU": 21}
SMS_COUNTRIES = tuple(SMS_CREDITS_PER_SEGMENT)
MMS_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif")
QUIET_HOURS_END = time(8, 0)
QUIET_HOURS_START = time(21, 0)

_COUNTRY_ALIASES = {"UK": "GB", "USA": "US", "AUS": "AU"}


class CountryCost(BaseModel):
    """The cost of one message for the recipients in one country."""

    country: str
    recipients: int
    kind: Literal["sms", "mms"]
    segments: int
    credits_per_recipient: int
    credits: int


class SmsCost(BaseModel):
    """Length, segments and credits of one SMS/MMS body for a set of recipient countries."""

    characters: int
    segments: int
    has_image: bool
    recipients: int
    per_country: list[CountryCost]
    # Recipients we cannot text (no credit rate for their country, or no country on record), by country.
    unsupported: dict[str, int]
    total_credits: int


def count_characters(body: str) -> int:
    """Count the characters of an SMS body the way the limit counts them (every character is one)."""
    return len(body)


def sms_segments(characters: int) -> int:
    """Return how many 160-character SMS segments a body of ``characters`` needs (at least one)."""
    return max(1, math.ceil(characters / SMS_SEGMENT_CHARS))


def check_body(body: str | None) -> str:
    """Validate an SMS body: not empty, at most 1,600 characters."""
    text = (body or "").strip()
    if not text:
        raise InvalidRequest("The SMS message is empty; write the text to send.", field="sms_body")
    if count_characters(text) > MAX_MESSAGE_CHARS:
        raise InvalidRequest(
            f"The SMS message is {count_characters(text):,} characters; the maximum is "
            f"{MAX_MESSAGE_CHARS:,}. "
            "Shorten it.",
            field="sms_body",
        )
    return text


def check_media_url(url: str) -> str:
    """Validate an MMS image address: an http(s) URL of a PNG, JPEG or GIF file."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or "." not in (parts.hostname or ""):
        raise InvalidRequest(
            f"Image {url!r} is not a web address; use a URL like 'https://example.com/promo.png'.",
            field="sms_media_url",
        )
    if not parts.path.lower().endswith(MMS_IMAGE_EXTENSIONS):
        raise InvalidRequest(
            f"Image {url!r} is not a PNG, JPEG or GIF file; MMS messages accept only those types.",
            field="sms_media_url",
        )
    return text


def normalise_country(country: str | None) -> str | None:
    """Return an upper-case ISO country code ('uk' -> 'GB'), or None when unknown."""
    if country is None or not country.strip():
        return None
    code = country.strip().upper()
    return _COUNTRY_ALIASES.get(code, code)


def sms_cost(body: str, countries: Iterable[str | None], *, media_url: str | None = None) -> SmsCost:
    """Compute characters, segments and the credit cost of sending ``body`` to recipients in ``countries``.

    ``countries`` holds one entry per recipient (ISO codes; 'UK' is accepted for GB). With ``media_url`` the
    message is an MMS where the country allows it; in the UK it becomes an SMS carrying the image link.
    """
    text = check_body(body)
    if media_url is not None:
        media_url = check_media_url(media_url)
    chars = count_characters(text)
    tally = Counter(normalise_country(c) or "unknown" for c in countries)
    per_country: list[CountryCost] = []
    unsupported: dict[str, int] = {}
    for country, n in sorted(tally.items()):
        if country not in SMS_CREDITS_PER_SEGMENT:
            unsupported[country] = n
            continue
        if media_url is not None and country in MMS_CREDITS_PER_SEGMENT:
            kind: Literal["sms", "mms"] = "mms"
            segments = max(1, math.ceil(chars / MMS_SEGMENT_CHARS))
            rate = MMS_CREDITS_PER_SEGMENT[country]
        else:
            kind = "sms"
            # Where MMS is not supported the image travels as a link, which lengthens the text.
            length = chars + (1 + len(media_url) if media_url is not None else 0)
            segments = sms_segments(length)
            rate = SMS_CREDITS_PER_SEGMENT[country]
        per_country.append(
            CountryCost(
                country=country,
                recipients=n,
                kind=kind,
                segments=segments,
                credits_per_recipient=segments * rate,
                credits=segments * rate * n,
            )
        )
    return SmsCost(
        characters=chars,
        segments=sms_segments(chars),
        has_image=media_url is not None,
        recipients=sum(tally.values()),
        per_country=per_country,
        unsupported=unsupported,
        total_credits=sum(c.credits for c in per_country),
    )


def _zone(timezone: str | None) -> ZoneInfo | None:
    if not timezone or not timezone.strip():
        return None
    try:
        return ZoneInfo(timezone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InvalidRequest(
            f"Time {at.isoformat()} has no time zone; pass an aware datetime (for example in UTC).",
            field="at",
        )
    return at


def is_allowed_sending_time(
    at: datetime, timezone: str | None, *, start: time = QUIET_HOURS_END, end: time = QUIET_HOURS_START
) -> bool:
    """Return True when ``at`` falls inside the recipient's sending window (local [08:00, 21:00) by default).

    An unknown or missing time zone is never allowed: we fail closed and hold the message.
    """
    zone = _zone(timezone)
    if zone is None:
        return False
    local = _aware(at).astimezone(zone).time()
    return start <= local < end


def next_allowed_sending_time(
    at: datetime, timezone: str | None, *, start: time = QUIET_HOURS_END, end: time = QUIET_HOURS_START
) -> datetime | None:
    """Return ``at`` if inside the window, else the next opening (in ``at``'s zone); None if zone unknown."""
    zone = _zone(timezone)
    if zone is None:
        return None
    if is_allowed_sending_time(at, timezone, start=start, end=end):
        return at
    local = _aware(at).astimezone(zone)
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    opening = datetime.combine(day, start, tzinfo=zone)
    return opening.astimezone(at.tzinfo)
