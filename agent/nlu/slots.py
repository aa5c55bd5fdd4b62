"""Slot extraction without downloads: catalogue gazetteers with fuzzy matching, regexes and small grammars.

``extract_slots(text, catalog)`` returns every slot it can find, whatever the intent; ``parse`` picks the
ones the intent needs. Each slot keeps the span it came from (offsets into the original text).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process, utils

from agent.nlu.periods import find_periods, find_send_times, period_words
from agent.nlu.text import EMAIL_RE, ORDINALS, PHONE_RE, TENS, UNITS, URL_RE, ascii_fold

CATALOG_KINDS = (
    "campaign",
    "segment",
    "list",
    "tag",
    "automation",
    "pipeline",
    "stage",
    "brand_kit",
    "form",
    "goal",
    "saved_response",
    "field",
    "score",
    "deal",
    "contact",
    "user",
)
# Words that, next to a name, say which kind of object it is ("the VIP segment", "tag VIP").
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "campaign": ("campaign", "email", "newsletter", "blast", "send", "mailing", "broadcast", "draft"),
    "segment": ("segment", "audience"),
    "list": ("list", "mailing list"),
    "tag": ("tag", "tagged", "label"),
    "automation": ("automation", "workflow", "flow", "sequence", "series", "drip"),
    "pipeline": ("pipeline",),
    "stage": ("stage",),
    "brand_kit": ("brand kit", "kit", "brand"),
    "form": ("form",),
    "goal": ("goal",),
    "saved_response": ("saved response", "response", "reply", "canned response"),
    "field": ("field",),
    "score": ("score",),
    "deal": ("deal", "opportunity"),
    "contact": ("contact",),
    "user": ("owner", "user", "rep"),
}
FUZZY_CUTOFF = 88.0
SHORT_NAME_CUTOFF = 92.0

TONES: dict[str, tuple[str, ...]] = {
    "friendly": (
        "friendly",
        "friendlier",
        "warm",
        "warmer",
        "casual",
        "relaxed",
        "laid back",
        "laid-back",
        "conversational",
        "approachable",
        "cheerful",
        "informal",
        "less formal",
        "kind",
        "chatty",
    ),
    "formal": (
        "formal",
        "more formal",
        "professional",
        "serious",
        "corporate",
        "polished",
        "businesslike",
        "respectful",
        "official",
    ),
    "playful": (
        "playful",
        "fun",
        "funny",
        "witty",
        "cheeky",
        "quirky",
        "lighthearted",
        "light-hearted",
        "snappy",
        "snappier",
        "humorous",
        "silly",
    ),
    "urgent": ("urgent", "urgency", "pressing", "time-sensitive", "last chance", "fomo"),
    "excited": (
        "excited",
        "exciting",
        "thrilled",
        "hyped",
        "enthusiastic",
        "energetic",
        "upbeat",
        "pumped",
        "excitement",
        "more energy",
        "ecstatic",
        "high energy",
    ),
    "empathetic": ("empathetic", "caring", "compassionate", "apologetic", "gentle", "understanding"),
    "confident": ("confident", "bold", "assertive", "punchy", "punchier"),
}
LENGTHS: dict[str, tuple[str, ...]] = {
    "shorter": (
        "shorter",
        "shorten",
        "more concise",
        "concise",
        "tighter",
        "tighten",
        "trim",
        "cut it down",
        "cut down",
        "less wordy",
        "briefer",
        "too long",
        "condense",
    ),
    "longer": (
        "longer",
        "lengthen",
        "expand",
        "more detail",
        "more detailed",
        "elaborate",
        "too short",
        "flesh out",
    ),
    "short": ("short", "brief", "quick"),
    "long": ("long", "detailed", "in-depth", "in depth"),
}
LAYOUTS: dict[str, tuple[str, ...]] = {
    "2 Column": ("2 column", "2-column", "two column", "two-column", "2 col", "two columns", "2 columns"),
    "Simple": ("simple", "minimal", "plain"),
    "Editorial": ("editorial",),
    "Callouts": ("callouts", "callout", "call outs", "call-outs"),
    "Image grid": ("image grid", "image-grid", "grid", "photo grid"),
}
METRICS: dict[str, tuple[str, ...]] = {
    "open_rate": ("open rate", "open rates", "opens", "opened", "open"),
    "click_rate": (
        "click rate",
        "click rates",
        "clicks",
        "clicked",
        "click-through",
        "clickthrough",
        "ctr",
        "click through",
    ),
    "click_to_open": ("ctor", "click-to-open", "click to open"),
    "unsubscribes": ("unsubscribes", "unsubscribe rate", "unsubscribed", "unsubs", "opt-outs", "opt outs"),
    "bounces": ("bounces", "bounce rate", "bounced"),
    "revenue": ("revenue", "sales", "orders", "money"),
    "conversions": ("conversions", "conversion rate", "converted"),
    "replies": ("replies", "reply rate", "replied"),
}
# Feature words mapped to the account's feature keys (core/accounts/features.py FEATURES); a key the account
# does not know is never produced, so check_feature is only called with a valid feature.
FEATURES: dict[str, tuple[str, ...]] = {
    "predictive_sending": (
        "predictive sending",
        "predictive send",
        "send time optimization",
        "send-time optimization",
    ),
    "sms": ("sms", "text messaging", "texting", "text messages"),
    "win_probability": ("win probability", "win probabilities", "chance of winning"),
    "ai_actions": ("ai actions library", "ai actions", "ai action"),
    "ai_campaign_builder": ("ai campaign builder", "campaign builder"),
    "site_tracking": ("site tracking", "website tracking", "web tracking"),
    "deal_scoring": ("deal scoring", "deal score", "deal scores"),
    "contact_scoring": (
        "contact scoring",
        "lead scoring",
        "lead score",
        "lead scores",
        "contact scores",
        "contact score",
    ),
    "deal_forecast": ("deal forecast", "forecast report", "deal forecasting", "sales forecast"),
    "botsense": ("botsense", "bot sense", "bot filtering", "bot detection"),
    "deals": ("pipelines", "pipeline", "deals", "crm"),
    "translations": ("translation", "translations", "translate"),
    "transactional_email": ("transactional email", "transactional emails", "transactional"),
    "multiple_brand_kits": ("brand kits", "more brand kits", "multiple brand kits", "several brand kits"),
    "saved_responses": ("saved responses", "saved response", "canned responses"),
    "spam_check": ("spam check", "spam checker", "spam score"),
    "link_tracking": ("link tracking", "click tracking"),
    "best_send_time": ("best send time", "best time to send", "best send day"),
    "ai_email_designer": ("ai email designer", "ai content in the email designer"),
    "ai_images": ("ai images", "ai image", "ai-generated images"),
    "page_metrics": ("pages metrics", "page metrics"),
    "email_templates": ("email templates",),
    "one_to_one_email": ("1:1 email", "one-to-one email", "one to one email"),
    "activities": ("ai activities",),
}
FORMATS = {
    "csv": "csv",
    "excel": "xlsx",
    "xlsx": "xlsx",
    "spreadsheet": "xlsx",
    "json": "json",
    "html": "html",
    "markdown": "md",
    "md": "md",
    "txt": "txt",
    "text file": "txt",
}
CONTACT_FIELDS: dict[str, tuple[str, ...]] = {
    "phone": ("phone number", "phone", "mobile", "cell"),
    "email": ("email address", "email"),
    "first_name": ("first name", "firstname", "given name"),
    "last_name": ("last name", "surname", "lastname", "family name"),
    "city": ("city",),
    "country": ("country",),
    "company": ("company", "employer", "organisation", "organization"),
    "job_title": ("job title", "title", "role", "position"),
    "preferred_language": ("preferred language", "language"),
    "timezone": ("time zone", "timezone"),
    "birthday": ("birthday", "date of birth", "birth date"),
}


@dataclass(frozen=True)
class Catalog:
    """The account's object names per kind, passed in by the caller (the NLU never reads the database)."""

    names: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, **names: Iterable[str]) -> Catalog:
        """Build a catalog from keyword lists, e.g. ``Catalog.of(list=["Newsletter"], tag=["VIP"])``."""
        unknown = set(names) - set(CATALOG_KINDS)
        if unknown:
            raise ValueError(f"unknown catalog kinds {sorted(unknown)}; use {', '.join(CATALOG_KINDS)}")
        return cls({k: tuple(v) for k, v in names.items()})

    def get(self, kind: str) -> tuple[str, ...]:
        """Return the names of one kind."""
        return tuple(self.names.get(kind, ()))


@dataclass(frozen=True)
class Slot:
    """One extracted value: slot ``name``, normalised ``value``, the ``text`` span and its offsets."""

    name: str
    value: Any
    text: str
    start: int
    end: int
    score: float = 100.0
    weak: bool = False


# --------------------------------------------------------------------------------------------------
# Small helpers

_NUM_WORDS = {**UNITS, **TENS, "a": 1, "an": 1, "twice": 2, "once": 1, "thrice": 3, "dozen": 12}
NUM = (
    r"(?:\d+|"
    + "|".join(
        sorted(
            (w for w in _NUM_WORDS if w not in ("a", "an", "twice", "once", "thrice")), key=len, reverse=True
        )
    )
    + r")"
)


def to_int(word: str) -> int | None:
    """Return the integer for a digit string or an English number word ("three", "twenty")."""
    word = word.strip().lower().replace(",", "")
    if word.isdigit():
        return int(word)
    if "-" in word or " " in word:
        parts = re.split(r"[\s-]+", word)
        vals = [_NUM_WORDS.get(p) for p in parts]
        if all(v is not None for v in vals):
            return sum(v for v in vals if v is not None)
    return _NUM_WORDS.get(word)


def _phrase_re(phrases: Iterable[str]) -> re.Pattern[str]:
    alts = sorted({re.escape(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])")


def _lexicon_slots(name: str, low: str, table: Mapping[str, tuple[str, ...]]) -> list[Slot]:
    out = []
    for value, phrases in table.items():
        for m in _phrase_re(phrases).finditer(low):
            out.append(Slot(name, value, m.group(0), m.start(), m.end()))
    out.sort(key=lambda s: (s.start, -(s.end - s.start)))
    return out


def _overlaps(a: Slot | tuple[int, int], b: Slot | tuple[int, int]) -> bool:
    a0, a1 = (a.start, a.end) if isinstance(a, Slot) else a
    b0, b1 = (b.start, b.end) if isinstance(b, Slot) else b
    return a0 < b1 and b0 < a1


# --------------------------------------------------------------------------------------------------
# Catalogue names


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(0), m.start(), m.end()) for m in re.finditer(r"[\w'&.+/-]+", text)]


def _kind_cue(low: str, start: int, end: int, kind: str) -> bool:
    words = KIND_WORDS.get(kind, ())
    after = low[end : end + 24]
    before = low[max(0, start - 24) : start]
    for w in words:
        if re.match(r"['\u2019]?s?\s+" + re.escape(w) + r"s?\b", after) or re.search(
            r"\b" + re.escape(w) + r"s?(?:\s+(?:named|called))?\s+['\"]?$", before
        ):
            return True
    return False


def match_catalog(text: str, catalog: Catalog, kinds: Sequence[str] | None = None) -> list[Slot]:
    """Find catalogue names in ``text`` (exact, then fuzzy on word windows), best match per span.

    A one-word name written in lowercase with no kind word next to it ("customers", "newsletter") is marked
    ``weak``: it is probably an ordinary word, so callers use it only when the intent needs that kind.
    """
    low = ascii_fold(text).lower()
    if len(low) != len(text):
        low = text.lower()
    toks = _tokens(low)
    found: list[Slot] = []
    for kind in kinds or CATALOG_KINDS:
        names = [n for n in catalog.get(kind) if n.strip()]
        if not names:
            continue
        lowered = {n.lower(): n for n in names}
        # Exact, case-insensitive, on word boundaries.
        for lname, name in lowered.items():
            for m in re.finditer(r"(?<![\w-])" + re.escape(lname) + r"(?![\w-])", low):
                found.append(_name_slot(kind, name, text, low, m.start(), m.end(), 100.0))
        # Fuzzy: windows of one to four tokens against names at least five characters long.
        long_names = [n for n in lowered if len(n) >= 5]
        if not long_names:
            continue
        max_len = min(4, max(len(n.split()) for n in long_names) + 1)
        for i in range(len(toks)):
            for j in range(i + 1, min(len(toks), i + max_len) + 1):
                start, end = toks[i].start, toks[j - 1].end
                window = low[start:end]
                if len(window) < 4:
                    continue
                if len(window) < 5:
                    continue
                hit = process.extractOne(
                    window,
                    long_names,
                    scorer=fuzz.ratio,
                    processor=utils.default_process,
                    score_cutoff=FUZZY_CUTOFF,
                )
                if hit is None or hit[1] >= 100:
                    continue
                # One typo in a short name is a large share of it: "lead" is not the list "Leads".
                if len(hit[0]) < 8 and hit[1] < SHORT_NAME_CUTOFF:
                    continue
                found.append(_name_slot(kind, lowered[hit[0]], text, low, start, end, float(hit[1])))
    return _best_per_span(found)


def _name_slot(kind: str, name: str, text: str, low: str, start: int, end: int, score: float) -> Slot:
    written = text[start:end]
    cue = _kind_cue(low, start, end, kind)
    quoted = start > 0 and text[start - 1] in "'\"" and end < len(text) and text[end] in "'\""
    single_word = len(name.split()) == 1
    capitalised = (
        written[:1].isupper()
        and start > 0
        and not written.isupper()
        or written.isupper()
        and len(written) > 1
    )
    weak = single_word and not (cue or quoted or capitalised)
    # A kind word next to the name raises confidence, so "the VIP segment" beats the VIP tag.
    bonus = 5.0 if cue else 0.0
    return Slot(kind, name, written, start, end, score + bonus, weak)


def _best_per_span(found: list[Slot]) -> list[Slot]:
    """Keep non-overlapping matches, longest and best first; equal spans of different kinds all stay."""
    kept: list[Slot] = []
    for s in sorted(found, key=lambda s: (-s.score, -(s.end - s.start), s.start)):
        clash = [k for k in kept if _overlaps(k, s)]
        if not clash:
            kept.append(s)
        elif all((k.start, k.end) == (s.start, s.end) and k.name != s.name for k in clash) and s.score >= max(
            k.score for k in clash
        ):
            kept.append(s)
    kept.sort(key=lambda s: (s.start, s.name))
    # One name per kind and span.
    out: list[Slot] = []
    for s in kept:
        if not any(o.name == s.name and o.value == s.value and _overlaps(o, s) for o in out):
            out.append(s)
    return out


# --------------------------------------------------------------------------------------------------
# Values

MONEY_RE = re.compile(
    r"(?:(?P<cur>[$€£])\s?(?P<a>\d[\d,]*(?:\.\d+)?)\s?(?P<ak>k|m)?\b)"
    r"|(?:\b(?P<b>\d[\d,]*(?:\.\d+)?)\s?(?P<bk>k|m)?\s?(?P<word>dollars?|usd|euros?|eur|gbp|pounds?|bucks)\b)"
    r"|(?:\b(?P<c>\d+(?:\.\d+)?)(?P<ck>k)\b)"
)
PERCENT_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(?:%|percent\b|per cent\b)")
DURATION_RE = re.compile(
    rf"(?:(?P<pre>(?:wait(?:s|ing)?|delay|gap|pause)(?: time)?(?: of| for| to| is| be| should be)?|"
    rf"every|after|"
    rf"expire[sd]? after|spaced|decay after)\s+)?"
    rf"(?P<n>{NUM}|a|an|one)[\s-](?P<unit>minutes?|mins?|hours?|hrs?|days?|weeks?|months?)"
    rf"(?:\s+(?P<post>between|apart|later|gap|delay|wait|after|in between|in-between|spacing))?",
)
COUNT_RE = re.compile(
    rf"(?<![\w$])(?P<n>{NUM})[\s-](?P<noun>emails?|steps?|parts?|messages?|touch(?:es|points?)?|texts?|sms|mails|"
    rf"newsletters|campaigns|sends|emails? series)\b"
)
ORDINAL_RE = re.compile(
    r"(?<![\w])(?:(?:the|that|pick|choose|take|use|select|go with|number|no\.?|option|#)\s*)?"
    r"(?P<ord>" + "|".join(ORDINALS) + r"|\d{1,2}(?:st|nd|rd|th)|last|latter|former|top|bottom|middle)"
    r"(?:\s+(?P<noun>one|option|choice|item|entry|result|deal|contact|segment|automation|pipeline|form|goal))?(?![\w])"
)
NUMBER_PICK_RE = re.compile(
    r"(?<![\w])(?:number|no\.|option|#)\s*(?P<n>\d{1,2}|" + "|".join(list(UNITS)[1:11]) + r"|[a-e])\b"
)
QUOTED_RE = re.compile(r"\"([^\"]{1,120})\"|(?<![\w])'([^']{1,120})'(?![\w])|\u201c([^\u201d]{1,120})\u201d")
NAMED_RE = re.compile(
    r"\b(?:called|named|titled|name it|call it)\s+['\"]?(?P<name>[^,.;:!?\"']{1,60}?)['\"]?"
    r"(?=\s+(?:with|for|that|which|and|in|on|to|where|who|using|as|"
    r"of (?:all )?(?:the )?(?:people|contacts|subscribers|customers|users|everyone|those|leads|buyers|"
    r"shoppers))\b"
    r"|[,.;:!?]|$)",
    re.IGNORECASE,
)
SET_TO_RE = re.compile(
    r"\b(?P<what>subject(?: line)?|preheader|pre-header|headline|title|call to action|cta|button(?: text)?|"
    r"from name|sender name)(?: of (?:the |my |our )?[\w' ]{1,40}?)?\s*(?:to|:|=|to say|to read|"
    r"should (?:be|say|read))"
    r"\s*['\"]?(?P<value>[^\"]+?)['\"]?\s*$",
    re.IGNORECASE,
)
SET_TO_SLOT = {
    "subject": "subject",
    "subject line": "subject",
    "preheader": "preheader",
    "pre-header": "preheader",
    "headline": "headline",
    "title": "headline",
    "call to action": "cta",
    "cta": "cta",
    "button": "cta",
    "button text": "cta",
    "from name": "from_name",
    "sender name": "from_name",
}
PATH_RE = re.compile(r"(?<![\w/.])(/[\w\-./*]*[\w*])")
CHANNEL_SMS_RE = re.compile(r"\b(?:sms|mms|texts?|text messages?|texting|txt)\b")
CHANNEL_EMAIL_RE = re.compile(r"\b(?:e-?mails?|newsletters?)\b")


def _money(low: str) -> list[Slot]:
    out = []
    for m in MONEY_RE.finditer(low):
        amount = m.group("a") or m.group("b") or m.group("c")
        mult = m.group("ak") or m.group("bk") or m.group("ck")
        try:
            value = float(amount.replace(",", ""))
        except ValueError:
            continue
        value *= {"k": 1000, "m": 1_000_000}.get(mult or "", 1)
        cur = m.group("cur") or m.group("word") or ""
        currency = {
            "$": "USD",
            "€": "EUR",
            "£": "GBP",
            "dollars": "USD",
            "dollar": "USD",
            "usd": "USD",
            "bucks": "USD",
            "euro": "EUR",
            "euros": "EUR",
            "eur": "EUR",
            "gbp": "GBP",
            "pounds": "GBP",
            "pound": "GBP",
        }.get(cur)
        span = m.group(0).rstrip()
        out.append(
            Slot(
                "money",
                {"amount": int(value) if value.is_integer() else value, "currency": currency},
                span,
                m.start(),
                m.start() + len(span),
            )
        )
    return out


def _durations(low: str) -> list[Slot]:
    out = []
    for m in DURATION_RE.finditer(low):
        if not (m.group("pre") or m.group("post")):
            continue
        n = to_int(m.group("n"))
        if n is None:
            continue
        unit = m.group("unit").rstrip("s")
        iso = {
            "minute": f"PT{n}M",
            "min": f"PT{n}M",
            "hour": f"PT{n}H",
            "hr": f"PT{n}H",
            "day": f"P{n}D",
            "week": f"P{n}W",
            "month": f"P{n}M",
        }[unit]
        out.append(Slot("duration", iso, m.group(0), m.start(), m.end()))
    return out


def _ordinals(low: str) -> list[Slot]:
    out = []
    short = len(low.split()) <= 5
    for m in ORDINAL_RE.finditer(low):
        word = m.group("ord")
        noun = m.group("noun")
        lead = m.group(0)[: m.start("ord") - m.start()].strip()
        if word in ("top", "bottom", "middle", "latter", "former", "last") and not (
            noun or len(low.split()) <= 3
        ):
            continue
        if not (
            noun
            or short
            or lead in ("pick", "choose", "take", "use", "select", "go with", "number", "option")
        ):
            continue
        # "last week", "first name", "top links" are not picks.
        tail = low[m.end() : m.end() + 12]
        if not noun and re.match(
            r"\s+(?:week|month|year|quarter|name|time|day|email|campaign|link|\d|two|three|four|"
            r"five|six|seven|eight|nine|ten|few|couple)",
            tail,
        ):
            continue
        if word in ORDINALS:
            value: int | str = ORDINALS[word]
        elif word[:-2].isdigit():
            value = int(word[:-2])
        else:
            value = {"last": -1, "latter": -1, "former": 1, "top": 1, "bottom": -1, "middle": "middle"}[word]
        out.append(Slot("ordinal", value, m.group(0), m.start(), m.end()))
    for m in NUMBER_PICK_RE.finditer(low):
        raw = m.group("n")
        value = to_int(raw) if raw not in "abcde" else "abcde".index(raw) + 1
        if value is not None and not any(_overlaps(o, Slot("", 0, "", m.start(), m.end())) for o in out):
            out.append(Slot("ordinal", value, m.group(0), m.start(), m.end()))
    return out


def _counts(low: str) -> list[Slot]:
    out = []
    for m in COUNT_RE.finditer(low):
        n = to_int(m.group("n"))
        if n is not None and n < 100:
            out.append(Slot("count", n, m.group(0), m.start(), m.end()))
    return out


def _quoted(text: str) -> list[Slot]:
    out = []
    for m in QUOTED_RE.finditer(text):
        value = next(g for g in m.groups() if g is not None)
        out.append(Slot("quoted", value.strip(), m.group(0), m.start(), m.end()))
    return out


def _named(text: str) -> list[Slot]:
    out = []
    for m in NAMED_RE.finditer(text):
        name = m.group("name").strip()
        if name and name.lower() not in ("it", "that", "this"):
            out.append(Slot("name", name, name, m.start("name"), m.end("name")))
    return out


def _set_to(text: str) -> list[Slot]:
    m = SET_TO_RE.search(text)
    if not m:
        return []
    what = m.group("what").lower()
    slot = SET_TO_SLOT.get(what, SET_TO_SLOT.get(what.split()[0], "subject"))
    value = m.group("value").strip().strip("'\"")
    if not value or value.lower() in ("something", "something else", "another one"):
        return []
    return [Slot(slot, value, value, m.start("value"), m.end("value"))]


def _channel(low: str) -> list[Slot]:
    m = CHANNEL_SMS_RE.search(low)
    if m:
        return [Slot("channel", "sms", m.group(0), m.start(), m.end())]
    m = CHANNEL_EMAIL_RE.search(low)
    if m:
        return [Slot("channel", "email", m.group(0), m.start(), m.end(), weak=True)]
    return []


def _paths(text: str) -> list[Slot]:
    out = []
    for m in PATH_RE.finditer(text):
        if len(m.group(1)) > 1:
            out.append(Slot("url", m.group(1), m.group(1), m.start(1), m.end(1)))
    for m in URL_RE.finditer(text):
        out.append(Slot("url", m.group(0).rstrip(".,)"), m.group(0), m.start(), m.end()))
    return out


def _times(text: str, taken: list[Slot]) -> list[Slot]:
    out = []
    for span in find_periods(text):
        if any(_overlaps((span.start, span.end), t) for t in taken):
            continue
        out.append(Slot("period", period_words(span.text), span.text, span.start, span.end))
    for span in find_send_times(text):
        if any(_overlaps((span.start, span.end), t) for t in taken if t.name != "period"):
            continue
        out.append(Slot("when", span.text, span.text, span.start, span.end))
    return out


# --------------------------------------------------------------------------------------------------
# Free-text slots used by drafting and CRM intents

_TOPIC_TRIGGER = re.compile(
    r"\b(?:about|on the topic of|regarding|announcing|promoting|to announce|to promote|showcasing|explaining|"
    r"covered|covering|mentioning|to mention|mention|talked about|inviting (?:\w+ )*?to|"
    r"reminding (?:\w+ )*?(?:about|of|that)|"
    r"(?:announcement|invitation|reminder|note|update) (?:of|about|that|for)|email:|newsletter:|campaign:|"
    r"(?:with|including|featuring) (?=(?:a |an )?[\w%$ -]{2,30} (?:coupon|discount|offer|code|deal)\b)|"
    r"to say|for)\s+"
)
_TOPIC_NOUN_RE = re.compile(
    r"\b(?:a|an|previous|past|old|older|earlier|other|any|our)\s+(?P<t>[\w -]{3,40}?)\s+(?:emails?|"
    r"newsletters?|"
    r"campaigns?|sms|texts?|messages?|announcements?|reminders?|series|notes?|blasts?)\b"
)
_TOPIC_STOP = re.compile(
    r"\s*(?:,|;|\bwith\b|\bin an?\b|\bin a\b|\busing\b|\bfor (?:the|our|my|"
    r"all)?\s*(?:\w+ )?(?:customers|subscribers|"
    r"segment|list|leads|contacts|people|users|vips?)\b|\bto (?:the|my|our|all)\b|\btone\b|\blayout\b|"
    r"\bplease\b|\bthen\b|\band then\b|\bsend\b).*$"
)
_AUDIENCE_RE = re.compile(
    r"\b(?:for|to|targeting|aimed at|at|inviting|thanking|reminding|asking|telling|invite|thank|remind|"
    r"informing)\s+(?P<a>(?:(?:the|my|our|all|all of my|all our|every|new|existing|"
    r"current|recent|inactive|lapsed|loyal|vip|engaged|unengaged|potential|past|former|gold|premium|"
    r"first-time|repeat|trial|\w+ing)\s+)*(?:\w+\s+)?(?:customers|subscribers|members|leads|contacts|people|"
    r"users|buyers|shoppers|clients|partners|vips|fans|attendees|signups|prospects|readers|list|segment|"
    r"audience|everyone|donors|students|patients|guests)(?:\s+who\s+[^,.;]+)?)"
)
_GENERIC_TOPIC = {
    "email",
    "newsletter",
    "campaign",
    "sms",
    "text",
    "message",
    "new",
    "new email",
    "short",
    "long",
    "quick",
    "the",
    "my",
    "our",
    "draft",
    "it",
}


def _topic(text: str, taken: list[Slot]) -> list[Slot]:
    low = text.lower()
    candidates: list[tuple[int, str, bool]] = []
    for m in _TOPIC_TRIGGER.finditer(low):
        candidates.append((m.end(), low[m.end() :], True))
    for m in _TOPIC_NOUN_RE.finditer(low):
        candidates.append((m.start("t"), m.group("t"), False))
    for start, raw, after_trigger in candidates:
        cut = _TOPIC_STOP.search(raw)
        if cut:
            raw = raw[: cut.start()]
        raw = raw.strip(" .!?")
        stripped = re.sub(r"^(?:ones|emails|campaigns|something) (?:about|on) ", "", raw)
        if after_trigger:
            start += len(raw) - len(stripped)
        raw = stripped
        if after_trigger and re.match(
            r"(?:the |my |our |all |every |new )?(?:\w+ )?(?:customers|subscribers|segment|"
            r"list|leads|contacts|people|users|vips?|attendees|partners|members)\b",
            raw,
        ):
            continue
        if not after_trigger:
            raw = re.sub(r"^\d+[\s-]?(?:email|step|part|message)s?\s*", "", raw)
            start = start + len(low[start:]) - len(low[start:].lstrip()) if raw else start
            idx = low.find(raw, start)
            start = idx if idx >= 0 else start
        words = raw.split()
        if not raw or raw in _GENERIC_TOPIC or len(words) > 12:
            continue
        if raw in ("them", "it", "him", "her", "those", "these", "this", "that", "us", "me", "everyone"):
            continue
        if all(
            w in TONE_WORDS or w in LENGTH_WORDS or w in ("a", "an", "the", "new", "quick") for w in words
        ):
            continue
        end = start + len(raw)
        if any(t.start <= start and end <= t.end for t in taken if t.name == "when"):
            continue
        return [Slot("topic", text[start:end], text[start:end], start, end)]
    return []


TONE_WORDS = {w for ws in TONES.values() for w in ws}
LENGTH_WORDS = {w for ws in LENGTHS.values() for w in ws}


def _audience(text: str) -> list[Slot]:
    low = text.lower()
    m = _AUDIENCE_RE.search(low)
    if not m:
        return []
    a = m.group("a").strip()
    return [
        Slot(
            "audience",
            text[m.start("a") : m.start("a") + len(a)],
            text[m.start("a") : m.start("a") + len(a)],
            m.start("a"),
            m.start("a") + len(a),
        )
    ]


_TAG_FREE_RES = [
    re.compile(
        r"\btag(?:s|ged)?\s+(?:(?:him|her|them|it|this contact|these contacts|everyone|all|people|contacts|"
        r"submitters|subscribers)\s+)?(?:as\s+(?:an?\s+)?)?"
        r"['\"]?(?P<t>[\w][\w&.-]*)['\"]?(?=\s*$|[\s,.;!?])"
    ),
    re.compile(r"\b(?:the|a|an)\s+['\"]?(?P<t>[\w][\w&.-]*)['\"]?\s+(?:tag|label)\b"),
    re.compile(r"\b(?:tag|label)s?\s+(?:called\s+|named\s+)?['\"]?(?P<t>[\w][\w&.-]*)['\"]?"),
    re.compile(
        r"\b(?:label(?:led)?|mark(?:ed)?)\s+(?:\w+\s+){0,3}?as\s+(?:an?\s+)?['\"]?(?P<t>[\w][\w&.-]*)"
    ),
    re.compile(r"\b(?:add|create|make|use)\s+['\"]?(?P<t>[\w][\w&.-]*)['\"]?\s+as\s+a\s+(?:new\s+)?tag\b"),
    re.compile(r"\btags?\s+(?:for|called|named)\s+['\"]?(?P<t>[\w][\w&. -]*?)['\"]?\s*$"),
]
_NOT_A_TAG = {
    "him",
    "her",
    "them",
    "it",
    "this",
    "that",
    "these",
    "those",
    "to",
    "from",
    "on",
    "off",
    "the",
    "a",
    "an",
    "as",
    "with",
    "everyone",
    "all",
    "contact",
    "contacts",
    "people",
    "tag",
    "tags",
    "list",
    "for",
    "and",
    "is",
    "called",
    "named",
    "remove",
    "add",
    "new",
    "please",
    "in",
    "of",
    "my",
    "me",
}


def _free_tags(text: str, taken: list[Slot]) -> list[Slot]:
    low = text.lower()
    out: list[Slot] = []
    for rx in _TAG_FREE_RES:
        for m in rx.finditer(low):
            t = m.group("t")
            written = text[m.start("t") :]
            # "tag Maria Garcia customer", "label Sarah Lee as VIP": a capitalised pair is the person,
            # not the tag.
            if re.match(r"[A-Z][a-z]+\s+[A-Z][a-z]+", written) or re.match(
                r"\S+\s+as\b(?!\s+an?\s+(?:new\s+)?tag)", low[m.start("t") :]
            ):
                continue
            if (
                t in _NOT_A_TAG
                or EMAIL_RE.fullmatch(t)
                or any(_overlaps((m.start("t"), m.end("t")), s) for s in taken)
            ):
                continue
            if any(_overlaps(o, (m.start("t"), m.end("t"))) for o in out):
                continue
            out.append(
                Slot(
                    "tag",
                    text[m.start("t") : m.end("t")],
                    text[m.start("t") : m.end("t")],
                    m.start("t"),
                    m.end("t"),
                    score=70.0,
                )
            )
    return out


_PERSON_RE = re.compile(r"(?<![\w@.])([A-Z][a-z]+(?:[ -][A-Z][a-z'-]+){0,2})(?![\w@])")
_NOT_NAMES = {
    "I",
    "The",
    "A",
    "An",
    "My",
    "Our",
    "Can",
    "Could",
    "Please",
    "Send",
    "Show",
    "Add",
    "Create",
    "Find",
    "Tag",
    "What",
    "How",
    "Why",
    "When",
    "Which",
    "Who",
    "Is",
    "Are",
    "Do",
    "Does",
    "Make",
    "Set",
    "Update",
    "Change",
    "Delete",
    "Remove",
    "Hi",
    "Hey",
    "Hello",
    "Thanks",
    "Yes",
    "No",
    "Ok",
    "Okay",
    "Email",
    "Sms",
    "VIP",
    "Let",
    "Give",
    "Tell",
    "Get",
    "Put",
    "New",
    "Note",
    "Task",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Black",
    "Cyber",
    "Pro",
    "Plus",
    "Starter",
    "Enterprise",
    "Berlin",
    "London",
    "Paris",
    "Germany",
    "France",
    "Canada",
    "Madrid",
    "Spanish",
    "German",
    "English",
    "French",
}


def _people(text: str, taken: list[Slot]) -> list[Slot]:
    """Guess person names: capitalised word pairs after contact words, or 'named X'."""
    out = []
    for m in _PERSON_RE.finditer(text):
        name = m.group(1)
        words = name.split()
        while words and words[0] in _NOT_NAMES:
            words.pop(0)
        while words and words[-1] in _NOT_NAMES:
            words.pop()
        if not words:
            continue
        name = re.sub(r"'s?$", "", " ".join(words))
        start = m.start(1) + m.group(1).index(name)
        end = start + len(name)
        if any(_overlaps((start, end), s) for s in taken):
            continue
        before = text[max(0, start - 30) : start].lower()
        cue = re.search(
            r"(?:named|called|contact|person|lead|customer|for|with|to|remind me to call|call|email|"
            r"about|on|tag|add|find|update|delete|remove|subscribe|unsubscribe|resubscribe|record|"
            r"profile|met)\s*$",
            before,
        )
        if len(words) >= 2 or cue or start == 0:
            if start == 0 and len(words) < 2:
                continue
            out.append(Slot("contact_name", name, name, start, end, score=70.0))
    return out


# --------------------------------------------------------------------------------------------------
# Entry point


def extract_slots(text: str, catalog: Catalog | None = None) -> list[Slot]:
    """Return all slots found in ``text``, ordered by position; catalogue names win overlapping spans."""
    catalog = catalog or Catalog()
    low = ascii_fold(text)
    if len(low) != len(text):
        low = text
    low = low.lower()
    slots: list[Slot] = []
    emails = [
        Slot("email", m.group(0).lower(), m.group(0), m.start(), m.end()) for m in EMAIL_RE.finditer(text)
    ]
    urls = _paths(text)
    slots += emails + urls
    slots += [
        Slot("phone", re.sub(r"[^\d+]", "", m.group(0)), m.group(0), m.start(), m.end())
        for m in PHONE_RE.finditer(text)
        if not any(_overlaps((m.start(), m.end()), e) for e in emails)
    ]
    quoted = _quoted(text)
    slots += quoted
    names = [s for s in match_catalog(text, catalog) if not any(_overlaps(s, e) for e in emails + urls)]
    slots += names
    taken = emails + urls + names
    slots += [s for s in _money(low) if not any(_overlaps(s, t) for t in taken)]
    slots += _percents(low)
    slots += _durations(low)
    slots += _counts(low)
    slots += _ordinals(low)
    durations = [s for s in slots if s.name in ("duration", "money", "percent")]
    slots += _times(text, taken + durations)
    slots += _lexicon_slots("tone", low, TONES)
    slots += _lexicon_slots("length", low, LENGTHS)
    slots += _lexicon_slots("layout", low, LAYOUTS)
    slots += _lexicon_slots("metric", low, METRICS)
    slots += _lexicon_slots("feature", low, FEATURES)
    slots += _lexicon_slots(
        "format", low, {v: tuple(k for k, vv in FORMATS.items() if vv == v) for v in set(FORMATS.values())}
    )
    slots += _lexicon_slots("field", low, CONTACT_FIELDS)
    slots += _channel(low)
    slots += _named(text)
    slots += _set_to(text)
    taken = [
        s for s in slots if s.name in CATALOG_KINDS or s.name in ("email", "quoted", "url", "when", "period")
    ]
    slots += _free_tags(text, [t for t in taken if t.name not in ("when", "period")])
    slots += _topic(text, taken)
    slots += _audience(text)
    slots += _people(
        text,
        [
            s
            for s in slots
            if s.name in CATALOG_KINDS or s.name in ("email", "quoted", "period", "when", "layout", "tone")
        ],
    )
    slots.sort(key=lambda s: (s.start, s.name))
    return slots


def _percents(low: str) -> list[Slot]:
    return [
        Slot("percent", float(m.group(1)), m.group(0), m.start(), m.end()) for m in PERCENT_RE.finditer(low)
    ]


def first(slots: Sequence[Slot], name: str, *, strong_only: bool = False) -> Slot | None:
    """Return the first slot called ``name`` (optionally skipping weak matches)."""
    for s in slots:
        if s.name == name and not (strong_only and s.weak):
            return s
    return None
