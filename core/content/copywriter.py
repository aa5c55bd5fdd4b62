"""A deterministic offline copywriter: email drafts, revisions, SMS text and subject lines.

It works without any model or network, from the marketer's prompt and the brand kit (name, colors, fonts,
tone words, description). Everything is seeded: the same brief, brand and seed give the same copy. Wording
choices do not depend on the length, so a shorter draft keeps a subset of the longer one's sentences.

Drafts follow the AI Campaign Builder: subject, preheader, one of five layouts, content blocks that
``core.campaigns.service.parse_blocks`` accepts, a call to action (left without a link when none is known,
which scheduling flags), locked blocks that survive regeneration, and feedback that adjusts the messaging.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from core.campaigns import sms
from core.campaigns.schemas import check_link, invalid_from_validation
from core.campaigns.service import parse_blocks, parse_layout
from core.content import phrasebank as pb
from core.content.phrasebank import Purpose, Tone
from core.content.schemas import BrandKitOut
from core.enums import Layout
from core.errors import Conflict, DomainError, InvalidRequest, invalid_choice

Length = Literal["short", "medium", "long"]
MAX_SUBJECT = 60
MAX_PREHEADER = 100
SMS_LIMIT = sms.SMS_SEGMENT_CHARS
# Target word counts of the copy (headings, text and buttons; the unsubscribe footer is not copy).
WORD_BUDGET: dict[str, int] = {"short": 70, "medium": 140, "long": 240}
MIN_CUT = 0.25
DEFAULT_BUTTON_COLOR = "#1F4FD8"
DEFAULT_FONT = "Arial"
SUBJECT_STYLES = ("shorter", "question", "personal", "specific", *pb.TONES)

_SLOT = re.compile(r"\{(\w+)\}")
_WORD = re.compile(r"[A-Za-z0-9%$£€][\w'%$£€.,-]*")
_TAG = re.compile(r"%[A-Z][A-Z0-9_]+%")


def _key(value: object) -> str:
    return re.sub(r"[\s-]+", "_", str(value).strip().lower())


def _purpose(value: object) -> object:
    if value is None or not str(value).strip():
        return None
    key = _key(value).replace("winback", "win_back").replace("reengagement", "re_engagement")
    aliases = {
        "launch": "product_launch",
        "thanks": "thank_you",
        "cart": "abandoned_cart",
        "promo": "promotion",
    }
    return aliases.get(key, key)


def _tone(value: object) -> object:
    if value is None or not str(value).strip():
        return None
    return pb.TONE_SYNONYMS.get(_key(value), _key(value))


def _layout(value: object) -> object:
    if value is None or isinstance(value, Layout):
        return value
    try:
        return parse_layout(str(value))
    except DomainError as err:
        raise ValueError(err.message.removeprefix("layout ")) from None


class EmailBrief(BaseModel):
    """What the marketer asked for; the copywriter fills in purpose, tone and layout when not given."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    topic: str = Field(min_length=3, max_length=500)
    purpose: Annotated[Purpose | None, BeforeValidator(_purpose)] = None
    audience: str | None = Field(default=None, max_length=200)
    tone: Annotated[Tone | None, BeforeValidator(_tone)] = None
    length: Length = "medium"
    layout: Annotated[Layout | None, BeforeValidator(_layout)] = None
    cta_text: str | None = Field(default=None, max_length=80)
    cta_url: str | None = Field(default=None, max_length=500)
    offer: str | None = Field(default=None, max_length=60)
    language: str = Field(default="en", min_length=2, max_length=16)
    # Feedback given while regenerating; kept so later regenerations still honour it.
    feedback: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("cta_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else check_link(v)

    @field_validator("audience", "cta_text", "offer")
    @classmethod
    def _blank(cls, v: str | None) -> str | None:
        return v or None


class DraftStyle(BaseModel):
    """Brand kit styling for the designer: button and accent colors, heading and body fonts."""

    button_color: str
    accent_color: str
    heading_font: str
    body_font: str


class EmailDraft(BaseModel):
    """A generated email: what a campaign needs, plus what a revision needs to regenerate it."""

    subject: str
    preheader: str
    layout: Layout
    blocks: list[dict[str, Any]]
    subject_alternatives: list[str]
    summary: str
    # The brief with purpose, tone and layout resolved.
    brief: EmailBrief
    style: DraftStyle
    word_count: int
    word_budget: int
    seed: int = 0
    # Bumped by each regeneration, so "regenerate" gives new wording while staying deterministic.
    variant: int = 0
    subject_locked: bool = False
    notes: list[str] = Field(default_factory=list)
    # The brand kit the draft was written with; revisions reuse it unless given another.
    brand: BrandKitOut | None = None


RevisionAction = Literal["shorter", "longer", "tone", "subject", "cta", "feedback", "regenerate", "layout"]


class Revision(BaseModel):
    """One change to a draft, like the AI Campaign Builder's quick edits and feedback box."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: RevisionAction
    tone: Annotated[Tone | None, BeforeValidator(_tone)] = None
    # "subject": either the exact text, or a style: 'shorter', 'question', 'personal', 'specific' or a tone.
    subject: str | None = Field(default=None, max_length=255)
    subject_style: str | None = Field(default=None, max_length=60)
    cta_text: str | None = Field(default=None, max_length=80)
    cta_url: str | None = Field(default=None, max_length=500)
    feedback: str | None = Field(default=None, max_length=1_000)
    layout: Annotated[Layout | None, BeforeValidator(_layout)] = None

    @field_validator("cta_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else check_link(v)


def parse_brief(data: EmailBrief | Mapping[str, Any]) -> EmailBrief:
    """Validate a brief given as a mapping; bad values raise InvalidRequest naming the field."""
    if isinstance(data, EmailBrief):
        return data
    try:
        return EmailBrief.model_validate(dict(data))
    except ValidationError as err:
        raise invalid_from_validation(err, what="email brief", field="brief") from None


def parse_revision(data: Revision | Mapping[str, Any]) -> Revision:
    """Validate a revision given as a mapping; bad values raise InvalidRequest naming the field."""
    if isinstance(data, Revision):
        return data
    try:
        return Revision.model_validate(dict(data))
    except ValidationError as err:
        raise invalid_from_validation(err, what="revision", field="revision") from None


# ---------------------------------------------------------------- reading the topic

_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_WHEN = re.compile(
    rf"(?i)\b(?P<lead>(?:ends?|ending|until|till|through|thru|by|on|this|next)\s+)?"
    rf"(?P<core>(?:{_DAYS})(?:\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?)?"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b"
    r"|weekend|week|tonight|today|tomorrow|midnight)"
    r"(?P<time>\s+at\s+\d{1,2}(?::\d{2})?\s?(?:am|pm)?)?\b"
)
_OFFER = re.compile(
    r"(?i)\b(?:(?:up to\s+)?\d{1,3}\s?%\s?off(?:\s+(?:everything|sitewide|storewide|all orders))?"
    r"|[$£€]\s?\d+(?:[.,]\d{2})?\s+off|buy one,? get one(?: free| half off)?|bogo"
    r"|free shipping|free delivery|free gift(?: with purchase)?)"
)
_PEOPLE = (
    "customers|subscribers|members|clients|users|shoppers|buyers|readers|fans|guests|students|parents"
    "|patients|donors|attendees|leads|prospects|partners|owners|runners|families|visitors|followers"
    "|contacts|people|friends|professionals|teams|businesses|creators|gamers|travell?ers|homeowners"
    "|moms|dads|kids|teachers|volunteers|employees|vips|signups|sign-ups|registrants|cyclists|golfers"
)
_AUDIENCE = re.compile(
    rf"(?i)\b(?:for|to|targeting|aimed at)\s+(?P<who>(?:[\w'-]+\s+){{0,4}}?(?:{_PEOPLE})"
    r"(?:\s+who\s+[^,.;]+)?)"
)
_LEAD = re.compile(
    r"(?i)^(?:please\s+)?(?:(?:write|create|draft|make|send|generate|build|compose|design|prepare|give me"
    r"|i need|we need|i want|help me write)\s+)?(?:me\s+|us\s+)?(?:an?\s+|the\s+)?"
    r"(?:(?:short|quick|long|brief|friendly|fun|formal|nice|simple)\s+)*"
    r"(?:(?:email|e-mail|campaign|newsletter|message|announcement|invite|invitation|promo|promotion"
    r"|reminder|blast|sms|text)\s+)+(?:about|for|on|announcing|promoting|regarding|to announce|to promote"
    r"|that announces|of)?\s*"
)
_LABEL_LEAD = re.compile(
    r"(?i)^(?:(?:product|big|official)\s+)?(?:launch|announcement|invitation|invite|update|reminder|news)"
    r"\s+(?:of|for|about|on)\s+"
)
_SALE = re.compile(
    r"(?i)^(?P<occ>(?:[\w'-]+\s+){0,3}?(?:sale|deals?|event|treat|gift))(?:\s+(?:on|of|for)\s+(?P<rest>.+))?$"
)
_EVENT_NOUN = re.compile(
    r"(?i)^(?:webinar|workshop|event|class|meetup|conference|open house|tasting|party|summit|masterclass"
    r"|livestream|launch party|talk|session|demo)\b"
)
_PURPOSE_LEAD: dict[str, re.Pattern[str]] = {
    key: re.compile("(?i)^" + pattern)
    for key, pattern in {
        "welcome": r"(?:welcome|onboard(?:ing)?)(?:\s+(?:series|email|sequence))?"
        r"(?:\s+(?:new\s+)?[\w-]+(?=\s+to\b))?"
        r"\s*(?:to\s+)?",
        "thank_you": r"(?:a\s+)?(?:thank(?:s|\s+you)|thank-you)(?:\s+(?:note|email|message))?"
        r"\s*(?:for\s+|to\s+)?",
        "abandoned_cart": r"(?:abandoned|left)\s+cart(?:\s+(?:reminder|email|recovery))?"
        r"\s*(?:for|about|with)?\s*",
        "win_back": r"(?:win[- ]?back|we miss you)(?:\s+(?:offer|email|campaign|series))?"
        r"\s*(?:for|with|about)?\s*",
        "re_engagement": r"re-?engage(?:ment)?(?:\s+(?:email|campaign|series))?\s*(?:for|with|about)?\s*",
        "follow_up": r"(?:follow(?:ing)?[- ]?up|checking in|check[- ]in)(?:\s+email)?\s*"
        r"(?:on|after|about|from|to|for)?\s*",
        "product_launch": r"(?:launch(?:ing)?|introduc(?:e|ing)|unveil(?:ing)?)\s+(?:of\s+)?",
        "announcement": r"announc(?:e|ing)\s+(?:that\s+)?",
        "promotion": r"promot(?:e|ing)\s+",
        "event": r"(?:invite|invitation|invit(?:e|ing)\s+\w+)\s+to\s+",
    }.items()
}
_DANGLING = re.compile(
    r"(?i)(?:[\s,;:-]+|\b(?:and|with|for|on|about|to|of|that|which|ending|ends|plus)\s*)+$"
)


@dataclass
class _Topic:
    focus: str
    short_focus: str
    audience: str | None = None
    offer: str | None = None
    deadline: str | None = None
    when: str | None = None
    occasion: str | None = None


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" \t,;:-.!?\"'")
    return _DANGLING.sub("", text).strip()


def _short(focus: str, max_words: int = 5) -> str:
    """Cut a long focus at its first natural break, or after ``max_words`` words."""
    head = re.split(r"(?i),|\s+(?:and|with|plus|featuring|including)\s+|\s+-\s+", focus)[0].strip()
    words = head.split()
    return _tidy(" ".join(words[:max_words])) if len(words) > max_words else head


def _phrase_pattern(phrase: str) -> str:
    # Word boundaries only where the phrase starts or ends with a word character ('% off' follows a digit).
    start = r"(?<![\w-])" if re.match(r"\w", phrase) else ""
    end = r"(?![\w-])" if re.search(r"\w$", phrase) else ""
    return start + re.escape(phrase) + end


def infer_purpose(topic: str) -> Purpose:
    """Guess the purpose of an email from the words of its topic (announcement when nothing matches)."""
    text = topic.lower()
    best, best_score = "announcement", 0
    for purpose, phrases in pb.PURPOSE_KEYWORDS.items():
        score = sum(len(p.split()) for p in phrases if re.search(_phrase_pattern(p), text))
        if score > best_score:
            best, best_score = purpose, score
    return best  # type: ignore[return-value]  # keys of PURPOSE_KEYWORDS are purposes


def _read_topic(
    topic: str, purpose: str, brand: BrandKitOut | None, offer: str | None, audience: str | None
) -> _Topic:
    text = re.sub(r"\s+", " ", topic).strip()
    found_offer = offer
    match = _OFFER.search(text)
    if match:
        found_offer = found_offer or match.group(0)
        text = text[: match.start()] + " " + text[match.end() :]
    deadline = when = None
    for match in _WHEN.finditer(text):
        lead = (match.group("lead") or "").strip().lower()
        core = (match.group("core") + (match.group("time") or "")).strip()
        if core.lower() in ("weekend", "week"):
            if lead not in ("this", "next"):
                continue
            core = f"{lead} {core}"
        deadline = core
        when = f"on {core}" if re.match(rf"(?i)(?:{_DAYS}|{_MONTHS}|\d)", core) else core
        text = text[: match.start()] + " " + text[match.end() :]
        break
    found_audience = audience
    match = _AUDIENCE.search(text)
    if match:
        found_audience = found_audience or _tidy(match.group("who"))
        text = text[: match.start()] + " " + text[match.end() :]
    text = _LEAD.sub("", _tidy(text))
    text = _LABEL_LEAD.sub("", text)
    if purpose in _PURPOSE_LEAD:
        text = _PURPOSE_LEAD[purpose].sub("", text)
    focus = _tidy(text)
    occasion = None
    sale = _SALE.match(focus) if purpose == "promotion" else None
    if sale:
        occasion = _tidy(sale.group("occ"))
        focus = _tidy(sale.group("rest") or "")
    if re.match(r"(?i)^(?:my|a|an)\s", focus):
        focus = (
            re.sub(r"(?i)^(?:my|a|an)\s", "our ", focus)
            if focus[:2].lower() == "my"
            else focus.split(" ", 1)[1]
        )
    if _EVENT_NOUN.match(focus) or re.match(r"(?i)^new\s", focus):
        focus = "our " + focus
    words = {w for w in re.findall(r"[\w'-]+", focus.lower())}
    if not focus or words <= pb.LABEL_WORDS:
        with_brand, without = pb.FALLBACK_FOCUS[purpose]
        focus = with_brand.format(brand=brand_name(brand)) if brand else without
    if occasion:
        occasion = occasion[0].upper() + occasion[1:]
    return _Topic(
        focus=focus,
        short_focus=_short(focus),
        audience=found_audience,
        offer=found_offer,
        deadline=deadline,
        when=when,
        occasion=occasion,
    )


# ---------------------------------------------------------------- small text helpers


def _stable_seed(*parts: object) -> int:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _fill(template: str, slots: Mapping[str, str | None]) -> str | None:
    """Fill a template's slots; None when a slot it needs has no value."""
    names = _SLOT.findall(template)
    if any(not slots.get(n) for n in names):
        return None
    text = _SLOT.sub(lambda m: str(slots[m.group(1)]), template)
    # "a {adj}" must read "an exceptional" when the slot starts with a vowel.
    text = re.sub(r"\b([Aa]) (?=[aeioAEIO])", r"\1n ", text)
    return _cap(text)


def _cap(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1 :] if text[:i].strip(" \"'(") == "" else text
        if ch == "%":
            return text
    return text


_KIT_SUFFIX = re.compile(r"(?i)[\s'’-]*(?:s\s+)?(?:brand\s*kit|brand|kit|style\s*guide)\s*$")


def brand_name(brand: BrandKitOut) -> str:
    """The business name to write in copy: a kit called "Demo Store brand" or "Acme's kit" speaks as "Demo Store"."""
    stripped = _KIT_SUFFIX.sub("", brand.name).strip()
    return stripped or brand.name


def _lower_first(text: str, brand: str | None) -> str:
    first = text.split(" ", 1)[0]
    if (
        first.startswith("%")
        or (brand and text.startswith(brand))
        or (len(first) > 1 and first.isupper())
        or any(c.isupper() for c in first[1:])
    ):
        return text
    return text[:1].lower() + text[1:]


def _expand_contractions(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        full = pb.CONTRACTIONS[word.lower().replace("’", "'")]
        return full[0].upper() + full[1:] if word[0].isupper() else full

    pattern = (
        r"(?i)\b(?:" + "|".join(re.escape(k) for k in sorted(pb.CONTRACTIONS, key=len, reverse=True)) + r")\b"
    )
    return re.sub(pattern, repl, text)


def _voice(text: str, tone: str) -> str:
    return _expand_contractions(text) if tone == "formal" else text


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _is_footer(block: Mapping[str, Any]) -> bool:
    return block.get("type") == "text" and "%UNSUBSCRIBELINK%" in str(block.get("text", ""))


def word_count(blocks: Sequence[Mapping[str, Any]], *, include_locked: bool = True) -> int:
    """Count the words of an email's copy: headings, text and button labels, not the unsubscribe footer."""
    total = 0
    for b in blocks:
        if _is_footer(b) or (b.get("locked") and not include_locked):
            continue
        if b.get("type") in ("heading", "text"):
            total += _words(str(b.get("text", "")))
        elif b.get("type") == "button":
            total += _words(str(b.get("label", "")))
    return total


def _fit(text: str, limit: int) -> str:
    """Cut text at a word boundary to at most ``limit`` characters."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-")


# ---------------------------------------------------------------- feedback


@dataclass
class _Feedback:
    mentions: list[str] = field(default_factory=list)
    banned: list[str] = field(default_factory=list)
    urgency: bool = False
    drop_offer: bool = False
    tone: str | None = None
    offer: str | None = None
    length_factor: float = 1.0
    unread: list[str] = field(default_factory=list)


_MENTION = re.compile(
    r"(?i)^(?:please\s+)?(?:also\s+)?(?:mention|include|add|talk about|highlight|emphasi[sz]e|note|stress"
    r"|point out|say|tell them|let them know|call out|remind them)\s+(?:that\s+)?(?:about\s+)?(?P<what>.+)$"
)
_NEGATION = re.compile(
    r"(?i)^(?:please\s+)?(?:don't|do not|no longer|stop|never|avoid|without|remove|drop|skip|leave out|no)\s+"
    r"(?:mention(?:ing)?\s+|talk(?:ing)? about\s+|say(?:ing)?\s+|use\s+|using\s+|include\s+|including\s+)?"
    r"(?:the\s+|any\s+|our\s+)?(?P<what>.+)$"
)
_URGENCY = re.compile(r"(?i)\burgen(?:t|cy)\b|\bscarcity\b|\bfomo\b|\bhurry\b|\bdeadline\b|\bact fast\b")
_SHORTER = re.compile(r"(?i)\b(?:shorter|more concise|too long|briefer|tighter|trim|cut it down|less text)\b")
_LONGER = re.compile(r"(?i)\b(?:longer|more detail(?:s|ed)?|too short|expand|elaborate|more text)\b")
_OFFER_WORDS = ("discount", "offer", "sale", "% off", "coupon", "code", "price", "deal", "promo")


def _tone_of(clause: str) -> str | None:
    low = clause.lower()
    if re.search(r"\bless (?:formal|stiff|corporate)\b", low):
        return "casual"
    if re.search(r"\bless (?:casual|informal)\b", low):
        return "professional"
    for word in re.findall(r"[a-z-]+", low):
        for cand in (word, word.removesuffix("er"), word.removesuffix("ier") + "y", word.removesuffix("r")):
            tone = pb.TONE_SYNONYMS.get(cand)
            if tone and tone != "urgent":
                return tone
    return None


def _read_feedback(texts: Sequence[str]) -> _Feedback:
    out = _Feedback()
    for text in texts:
        for clause in re.split(
            r"[.;\n]+|,\s*(?=(?:and\s+)?(?:mention|add|include|make|use|don't|remove)\b)"
            r"|\s+and\s+(?=(?:mention|add|include|make|use|don't|do not|remove)\b)",
            text,
        ):
            clause = clause.strip(" ,")
            if not clause:
                continue
            neg = _NEGATION.match(clause)
            if neg:
                what = _tidy(neg.group("what"))
                if any(w in what.lower() for w in _OFFER_WORDS):
                    out.drop_offer = True
                out.banned.extend(
                    w for w in re.findall(r"[\w%'-]{4,}", what.lower()) if w not in pb.LABEL_WORDS
                )
                continue
            matched = False
            if _URGENCY.search(clause):
                out.urgency = matched = True
            if _SHORTER.search(clause):
                out.length_factor, matched = 0.65, True
            elif _LONGER.search(clause):
                out.length_factor, matched = 1.45, True
            offer = _OFFER.search(clause)
            if offer and not _known_mention(clause):
                out.offer, matched = offer.group(0), True
            mention = _MENTION.match(clause)
            if mention and not matched and not _URGENCY.search(clause):
                what = _tidy(mention.group("what"))
                if what and not re.fullmatch(r"(?i)(?:more|some|a bit of|a little)\s+\w+", what):
                    out.mentions.append(what)
                    matched = True
            if not matched:
                tone = _tone_of(clause)
                if tone and re.search(r"(?i)\b(?:more|less|make|sound|tone|be|feel|er\b|ier\b)", clause):
                    out.tone, matched = tone, True
                elif tone and len(clause.split()) <= 3:
                    out.tone, matched = tone, True
            if not matched and _known_mention(clause):
                out.mentions.append(_tidy(clause))
                matched = True
            if not matched:
                out.unread.append(clause)
    return out


def _known_mention(text: str) -> str | None:
    low = text.lower()
    return next((sentence for key, sentence in pb.KNOWN_MENTIONS.items() if key in low), None)


def _mention_sentence(what: str) -> str:
    known = _known_mention(what)
    if known:
        return known
    code = re.search(r"(?i)\bcode\s+([A-Z0-9][A-Z0-9-]{2,19})\b", what)
    if code:
        return f"Use code {code.group(1).upper()} at checkout."
    ends = re.match(
        r"(?i)^(?:that\s+)?(?:the\s+)?(?:offer|sale|deal)?\s*(?:ends?|ending|runs until|until)\s+(.+)$", what
    )
    if ends:
        return f"The offer ends {_tidy(ends.group(1))}."
    clause = _tidy(re.sub(r"(?i)^(?:the fact that|that)\s+", "", what))
    if len(clause.split()) >= 3 and re.match(r"(?i)^(?:we|you|it|they|there|everyone|everything)\b", clause):
        return _cap(clause) + "."
    return f"One more thing: {clause}."


# ---------------------------------------------------------------- composing


@dataclass
class _Unit:
    tier: int
    slot: str
    text: str
    cost: int = 0  # extra words this unit brings along (a section title)


@dataclass
class _Plan:
    heading: str
    greeting: str
    signoff: str
    team: str
    cta: str
    titles: list[str]
    units: list[_Unit]
    footer: str


@dataclass
class _Spec:
    """A resolved brief plus what feedback adds to it."""

    purpose: str
    tone: str
    layout: Layout
    topic: _Topic
    brand: BrandKitOut | None
    cta_text: str | None
    cta_url: str | None
    feedback: _Feedback
    seed: int
    variant: int


def _slots(spec: _Spec, rng: random.Random, focus: str | None = None) -> dict[str, str | None]:
    t = spec.topic
    offer = None if spec.feedback.drop_offer else (spec.feedback.offer or t.offer)
    offer_on = None
    if offer:
        offer_on = offer if re.search(r"(?i)\boff(?:\s+\w+)?$", offer) else f"{offer} on"
    vocab = pb.TONE_VOCAB[spec.tone]
    return {
        "focus": focus or t.focus,
        "brand": brand_name(spec.brand) if spec.brand else None,
        "offer": offer,
        "offer_on": offer_on,
        "audience": t.audience,
        "deadline": t.deadline,
        "when": t.when,
        "occasion": t.occasion,
        "adj": rng.choice(vocab["adjectives"]),
    }


def _pick(rng: random.Random, templates: Sequence[str], slots: Mapping[str, str | None]) -> list[str]:
    """All usable fills of ``templates``, in a seeded order."""
    filled = [f for f in (_fill(t, slots) for t in templates) if f]
    rng.shuffle(filled)
    return filled


def _plan(spec: _Spec) -> _Plan:
    rng = random.Random(
        _stable_seed(spec.seed, spec.variant, spec.purpose, spec.tone, spec.layout.value, spec.topic.focus)
    )
    copy, vocab = pb.COPY[spec.purpose], pb.TONE_VOCAB[spec.tone]
    slots = _slots(spec, rng)
    fb = spec.feedback
    units: list[_Unit] = []

    heading = _pick(rng, copy["headings"], slots)[0]
    if spec.tone == "excited" and not heading.endswith(("?", "!")):
        heading += "!"
    greeting = _fill(rng.choice(vocab["greeting"]), slots) or "Hi %FIRSTNAME%,"
    brand = slots["brand"]

    intros = _pick(rng, copy["intro"], slots)
    units.append(_Unit(0, "intro", intros[0]))
    units.append(_Unit(1, "opener", rng.choice(vocab["opener"])))
    offers = _pick(rng, copy["offer"], slots)
    if offers:
        units.append(_Unit(0, "intro", offers[0]))
    if spec.topic.audience:
        units.append(_Unit(2, "intro", _fill(pb.GENERIC_LINES[0], slots) or ""))
    units.extend(_Unit(0, "intro", _mention_sentence(m)) for m in fb.mentions)

    sections = list(copy["sections"])
    titles = [t for t, _ in sections]
    multi = spec.layout in (Layout.EDITORIAL, Layout.CALLOUTS, Layout.TWO_COLUMN)
    for i, (title, sentences) in enumerate(sections):
        usable = [f for f in (_fill(s, slots) for s in sentences) if f]
        for j, sentence in enumerate(usable):
            tier = 1 if j == 0 else j + 1
            cost = _words(title) if multi and j == 0 else 0
            units.append(_Unit(tier, f"section{i}", sentence, cost))
    units.append(_Unit(3, "section1" if len(sections) > 1 else "section0", rng.choice(vocab["bridge"])))

    about = _about(spec.brand)
    if about:
        units.append(_Unit(3, "close", about))
    if fb.urgency or spec.tone == "urgent":
        units.append(_Unit(0 if fb.urgency else 2, "close", rng.choice(vocab["urgency"])))
    closes = _pick(rng, copy["close"], slots)
    units.append(_Unit(1, "close", closes[0]))
    units.extend(_Unit(4, "close", c) for c in closes[1:2])
    units.append(_Unit(0, "close", rng.choice(vocab["closer"])))
    generic = _pick(rng, pb.GENERIC_LINES[1:], slots)
    last = f"section{len(sections) - 1}"
    units.extend(_Unit(4 + k // 4, last, g) for k, g in enumerate(generic))

    if fb.banned:
        units = [u for u in units if not _has_banned(u.text, fb.banned)]
    seen: set[str] = set()
    unique = []
    for u in units:
        if u.text and u.text.lower() not in seen:
            seen.add(u.text.lower())
            unique.append(_Unit(u.tier, u.slot, _voice(u.text, spec.tone), u.cost))
    units = unique

    if spec.cta_text:
        cta = spec.cta_text
    elif fb.urgency:
        cta = rng.choice(pb.CTA_URGENT)
    else:
        cta = rng.choice(copy["cta"])
    team = f"The {brand} team" if brand else "The team"
    footer = pb.FOOTER_WITH_BRAND.format(brand=brand) if brand else pb.FOOTER
    return _Plan(
        heading=_voice(heading, spec.tone),
        greeting=greeting,
        signoff=rng.choice(vocab["signoff"]),
        team=team,
        cta=cta,
        titles=titles,
        units=units,
        footer=_voice(footer, spec.tone),
    )


def _has_banned(text: str, banned: Sequence[str]) -> bool:
    low = text.lower()
    return any(b in low for b in banned)


def _about(brand: BrandKitOut | None) -> str | None:
    if brand is None or not brand.description:
        return None
    first = re.split(r"(?<=[.!?])\s+", brand.description.strip())[0].strip()
    if not first or _words(first) > 35:
        return None
    if not first.endswith((".", "!", "?")):
        first += "."
    if first.lower().startswith(brand.name.lower()):
        return first
    if re.match(r"^We\b", first):
        return f"At {brand.name}, w{first[1:]}"
    return f"About {brand.name}: {first}"


def _select(plan: _Plan, budget: int) -> list[_Unit]:
    """Keep every tier-0 unit, then add units by tier while the copy stays within the word budget."""
    fixed = sum(_words(t) for t in (plan.heading, plan.greeting, plan.signoff, plan.team, plan.cta))
    chosen: list[_Unit] = []
    total = fixed
    for unit in sorted(plan.units, key=lambda u: u.tier):
        cost = _words(unit.text) + unit.cost
        if unit.tier == 0 or total + cost <= budget:
            chosen.append(unit)
            total += cost
    return chosen


def _image(spec: _Spec, label: str, *, height: int = 300, width: int = 600) -> dict[str, Any]:
    color = _style(spec.brand).accent_color.lstrip("#")
    url = f"https://placehold.co/{width}x{height}/{color}/ffffff/png?text={quote(label[:40])}"
    return {"type": "image", "url": url, "alt": label[:300]}


def _render(spec: _Spec, plan: _Plan, chosen: list[_Unit]) -> list[dict[str, Any]]:
    by_slot: dict[str, list[str]] = {}
    for unit in plan.units:  # plan order, so sentences read in the order they were written
        if any(unit is c for c in chosen):
            by_slot.setdefault(unit.slot, []).append(unit.text)
    blocks: list[dict[str, Any]] = []
    brand = spec.brand
    if brand and brand.logo_url:
        logo: dict[str, Any] = {"type": "image", "url": brand.logo_url, "alt": f"{brand.name} logo"}
        if brand.website:
            logo["link_url"] = brand.website
        blocks.append(logo)
    if spec.layout == Layout.EDITORIAL:
        blocks.append(_image(spec, spec.topic.short_focus, height=320))
    blocks.append({"type": "heading", "text": plan.heading, "level": 1})
    intro = " ".join(by_slot.get("opener", []) + by_slot.get("intro", []))
    blocks.append({"type": "text", "text": f"{plan.greeting}\n\n{intro}".strip()})

    sections = [(i, plan.titles[i], by_slot.get(f"section{i}", [])) for i in range(len(plan.titles))]
    sections = [s for s in sections if s[2]]
    if spec.layout == Layout.TWO_COLUMN and len(sections) > 2:
        # Two columns: the third section's lines join the second column.
        head, rest = sections[:1], sections[1:]
        sections = head + [(rest[0][0], rest[0][1], [line for s in rest for line in s[2]])]
    if spec.layout in (Layout.EDITORIAL, Layout.CALLOUTS, Layout.TWO_COLUMN):
        level = 2 if spec.layout == Layout.EDITORIAL else 3
        for _, title, lines in sections:
            if spec.layout == Layout.TWO_COLUMN:
                blocks.append(_image(spec, title, height=240, width=280))
            blocks.append({"type": "heading", "text": _voice(title, spec.tone), "level": level})
            blocks.append({"type": "text", "text": " ".join(lines)})
    else:
        if spec.layout == Layout.IMAGE_GRID:
            labels = [spec.topic.short_focus[:1].upper() + spec.topic.short_focus[1:]] + plan.titles
            blocks.extend(_image(spec, label, height=280, width=280) for label in (labels * 2)[:4])
        body = "\n\n".join(" ".join(lines) for _, _, lines in sections)
        if body:
            blocks.append({"type": "text", "text": body})
    blocks.append({"type": "button", "label": plan.cta, "url": spec.cta_url})
    close = " ".join(by_slot.get("close", []))
    blocks.append({"type": "text", "text": f"{close}\n\n{plan.signoff}\n{plan.team}".strip()})
    blocks.append({"type": "divider"})
    blocks.append({"type": "text", "text": plan.footer})
    return parse_blocks(blocks)


def _merge_locked(old: Sequence[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put each locked block of ``old`` where its counterpart sits in ``new``, keeping their order."""
    locked = [(i, b) for i, b in enumerate(old) if b.get("locked")]
    if not locked:
        return new
    if [b["type"] for b in old] == [b["type"] for b in new]:
        return [o if o.get("locked") else n for o, n in zip(old, new, strict=True)]
    result = list(new)
    taken: set[int] = set()
    last = -1
    for i, block in locked:
        ordinal = sum(1 for b in old[:i] if b["type"] == block["type"])
        same = [j for j, b in enumerate(result) if b["type"] == block["type"] and j not in taken]
        spot = next((j for j in same[ordinal:] if j > last), None)
        if spot is None:
            spot = next((j for j in same if j > last), None)
        if spot is None:
            result.insert(last + 1, block)
            taken = {j + 1 if j > last else j for j in taken}
            spot = last + 1
        else:
            result[spot] = block
        taken.add(spot)
        last = spot
    return result


def _style(brand: BrandKitOut | None) -> DraftStyle:
    colors = list(brand.colors) if brand else []
    fonts = list(brand.fonts) if brand else []
    button = colors[0] if colors else DEFAULT_BUTTON_COLOR
    return DraftStyle(
        button_color=button,
        accent_color=colors[1] if len(colors) > 1 else button,
        heading_font=fonts[0] if fonts else DEFAULT_FONT,
        body_font=fonts[1] if len(fonts) > 1 else (fonts[0] if fonts else DEFAULT_FONT),
    )


def _brand_tone(brand: BrandKitOut | None) -> str | None:
    if brand is None or not brand.tone:
        return None
    for word in re.findall(r"[a-z-]+", brand.tone.lower()):
        if word in pb.TONE_SYNONYMS:
            return pb.TONE_SYNONYMS[word]
    return None


def _resolve(brief: EmailBrief, brand: BrandKitOut | None) -> tuple[EmailBrief, list[str]]:
    notes: list[str] = []
    purpose = brief.purpose or infer_purpose(brief.topic)
    tone = brief.tone or _brand_tone(brand) or "friendly"
    layout = brief.layout or Layout(pb.DEFAULT_LAYOUT[purpose])
    if brief.language.lower().split("-")[0] != "en":
        notes.append(
            f"The offline copywriter writes English only; this draft is in English, not {brief.language!r}. "
            "Translate it once the content is final."
        )
    return brief.model_copy(update={"purpose": purpose, "tone": tone, "layout": layout}), notes


def _spec(brief: EmailBrief, brand: BrandKitOut | None, seed: int, variant: int) -> _Spec:
    assert brief.purpose and brief.tone and brief.layout  # resolved by _resolve
    feedback = _read_feedback(brief.feedback)
    return _Spec(
        purpose=brief.purpose,
        tone=brief.tone,
        layout=brief.layout,
        topic=_read_topic(brief.topic, brief.purpose, brand, brief.offer, brief.audience),
        brand=brand,
        cta_text=brief.cta_text,
        cta_url=brief.cta_url or (brand.website if brand else None),
        feedback=feedback,
        seed=seed,
        variant=variant,
    )


def _subject_candidates(spec: _Spec, style: str | None = None) -> list[str]:
    """Subject lines that fit in 60 characters, best first, each from a different base template."""
    rng = random.Random(
        _stable_seed("subject", spec.seed, spec.variant, spec.purpose, spec.tone, spec.topic.focus)
    )
    tone = style if style in pb.TONE_VOCAB else spec.tone
    styles = pb.TONE_VOCAB[tone]["subject_styles"]
    brand = spec.brand.name if spec.brand else None
    out: list[str] = []
    for focus in (spec.topic.focus, spec.topic.short_focus, _short(spec.topic.focus, 3)):
        slots = _slots(spec, random.Random(rng.random()), focus)
        bases = _pick(rng, pb.COPY[spec.purpose]["subjects"], slots)
        for i, base in enumerate(bases):
            options = [styles[(i + k) % len(styles)] for k in range(len(styles))] + ["{s}"]
            for st in options:
                if ":" in base and ":" in st:
                    continue
                text = _voice(st.format(s=base, l=_lower_first(base, brand)), tone)
                if "!" in text and "?" in text:
                    continue
                if len(text) <= MAX_SUBJECT and text.lower() not in (o.lower() for o in out):
                    out.append(text)
                    break
        if len(out) >= 4:
            break
    if not out:
        out.append(
            _fit(
                _voice(pb.COPY[spec.purpose]["headings"][0].format(focus=spec.topic.short_focus), tone),
                MAX_SUBJECT,
            )
        )
    return out


def _preheader(spec: _Spec) -> str:
    rng = random.Random(_stable_seed("preheader", spec.seed, spec.variant, spec.purpose, spec.topic.focus))
    for focus in (spec.topic.focus, spec.topic.short_focus):
        for text in _pick(rng, pb.COPY[spec.purpose]["preheaders"], _slots(spec, random.Random(1), focus)):
            text = _voice(text, spec.tone)
            if len(text) <= MAX_PREHEADER:
                return text
    return _fit(_voice(f"All about {spec.topic.short_focus}.", spec.tone), MAX_PREHEADER)


def _summary(
    draft_purpose: str, tone: str, layout: Layout, blocks: list[dict[str, Any]], notes: list[str]
) -> str:
    label = {"win_back": "win-back", "re_engagement": "re-engagement", "follow_up": "follow-up"}.get(
        draft_purpose, draft_purpose.replace("_", " ")
    )
    buttons = [b for b in blocks if b["type"] == "button"]
    text = (
        f"{label[0].upper()}{label[1:]} email in {'an' if tone[0] in 'aeiou' else 'a'} {tone} tone, "
        f"{layout.value} layout, "
        f"{word_count(blocks)} words."
    )
    for b in buttons:
        text += f" Call to action {b['label']!r}" + (
            f" links to {b['url']}." if b.get("url") else " has no link yet; add one before scheduling."
        )
    images = [b for b in blocks if b["type"] == "image" and "placehold.co" in b["url"]]
    if images:
        text += f" Swap the {len(images)} placeholder image{'s' if len(images) > 1 else ''} for your own."
    return " ".join([text, *notes])


def _build(
    brief: EmailBrief,
    brand: BrandKitOut | None,
    *,
    seed: int,
    variant: int,
    budget: int,
    notes: list[str],
    previous: EmailDraft | None = None,
) -> EmailDraft:
    spec = _spec(brief, brand, seed, variant)
    plan = _plan(spec)
    blocks = _render(spec, plan, _select(plan, budget))
    if previous is not None:
        blocks = _merge_locked(previous.blocks, blocks)
    subjects = _subject_candidates(spec)
    subject, preheader = subjects[0], _preheader(spec)
    if previous is not None and previous.subject_locked:
        subject, preheader = previous.subject, previous.preheader
    alternatives = [s for s in subjects if s != subject][:3]
    all_notes = list(
        dict.fromkeys(notes + [f"Feedback not understood: {u!r}." for u in spec.feedback.unread])
    )
    assert brief.purpose and brief.tone and brief.layout
    return EmailDraft(
        subject=subject,
        preheader=preheader,
        layout=brief.layout,
        blocks=blocks,
        subject_alternatives=alternatives,
        summary=_summary(brief.purpose, brief.tone, brief.layout, blocks, all_notes),
        brief=brief,
        style=_style(brand),
        word_count=word_count(blocks),
        word_budget=budget,
        seed=seed,
        variant=variant,
        subject_locked=previous.subject_locked if previous else False,
        notes=all_notes,
        brand=brand,
    )


# ---------------------------------------------------------------- public API


def draft_email(
    brief: EmailBrief | Mapping[str, Any], brand: BrandKitOut | None = None, *, seed: int = 0
) -> EmailDraft:
    """Write an email (subject, preheader, layout, blocks, alternatives) from a brief and a brand kit."""
    resolved, notes = _resolve(parse_brief(brief), brand)
    return _build(resolved, brand, seed=seed, variant=0, budget=WORD_BUDGET[resolved.length], notes=notes)


def revise_email(
    draft: EmailDraft,
    instruction: Revision | Mapping[str, Any],
    brand: BrandKitOut | None = None,
    *,
    seed: int | None = None,
) -> EmailDraft:
    """Apply one revision (shorter, longer, tone, subject, CTA, feedback, regenerate, layout).

    Locked blocks are never changed; the brand kit defaults to the one the draft was written with.
    """
    rev = parse_revision(instruction)
    seed = draft.seed if seed is None else seed
    brand = draft.brand if brand is None else brand
    brief, notes = draft.brief, [n for n in draft.notes if not n.startswith("Feedback not understood")]
    if rev.action in ("shorter", "longer"):
        return _resize(draft, brief, brand, seed, notes, shorter=rev.action == "shorter")
    if rev.action == "tone":
        if rev.tone is None:
            raise invalid_choice("tone", rev.tone, pb.TONES)
        brief = brief.model_copy(update={"tone": rev.tone})
        return _build(
            brief,
            brand,
            seed=seed,
            variant=draft.variant,
            budget=draft.word_budget,
            notes=notes,
            previous=draft,
        )
    if rev.action == "layout":
        if rev.layout is None:
            raise invalid_choice("layout", rev.layout, [layout.value for layout in Layout])
        brief = brief.model_copy(update={"layout": rev.layout})
        return _build(
            brief,
            brand,
            seed=seed,
            variant=draft.variant,
            budget=draft.word_budget,
            notes=notes,
            previous=draft,
        )
    if rev.action == "subject":
        return _new_subject(draft, rev, brand, seed)
    if rev.action == "cta":
        return _new_cta(draft, rev)
    budget = draft.word_budget
    if rev.action == "feedback":
        if not rev.feedback:
            raise InvalidRequest(
                "Feedback is empty; say what to change, e.g. 'mention free shipping'.", field="feedback"
            )
        once = _read_feedback([rev.feedback])
        update: dict[str, Any] = {"feedback": [*brief.feedback, rev.feedback][-20:]}
        if once.tone:
            update["tone"] = once.tone
        brief = brief.model_copy(update=update)
        budget = max(30, round(budget * once.length_factor))
    return _build(
        brief, brand, seed=seed, variant=draft.variant + 1, budget=budget, notes=notes, previous=draft
    )


def _resize(
    draft: EmailDraft,
    brief: EmailBrief,
    brand: BrandKitOut | None,
    seed: int,
    notes: list[str],
    *,
    shorter: bool,
) -> EmailDraft:
    before = word_count(draft.blocks, include_locked=False)
    if before == 0:
        raise Conflict(
            "Every block with text is locked; unlock a block so it can be rewritten.", field="blocks"
        )
    budget = draft.word_budget
    for step in range(1, 12):
        budget = (
            round(draft.word_budget * (1 - 0.12 * step))
            if shorter
            else round(draft.word_budget * (1 + 0.2 * step))
        )
        if budget < 10:
            break
        out = _build(
            brief, brand, seed=seed, variant=draft.variant, budget=budget, notes=notes, previous=draft
        )
        after = word_count(out.blocks, include_locked=False)
        if (shorter and after <= before * (1 - MIN_CUT)) or (not shorter and after >= before * (1 + MIN_CUT)):
            return out
    if shorter:
        raise InvalidRequest(
            f"This draft is already as short as the copywriter can make it ({before} words that are not "
            "locked). "
            "Remove a section or unlock blocks, or give feedback on what to drop.",
            field="length",
        )
    raise InvalidRequest(
        f"This draft is already as long as the copywriter can make it without repeating itself "
        f"({before} words). "
        "Give feedback with more to say, e.g. 'mention free returns'.",
        field="length",
    )


def _new_subject(draft: EmailDraft, rev: Revision, brand: BrandKitOut | None, seed: int) -> EmailDraft:
    if draft.subject_locked:
        raise Conflict("The subject line is locked; unlock it before changing it.", field="subject")
    if rev.subject:
        subject = rev.subject.strip()
        notes = list(draft.notes)
        if len(subject) > MAX_SUBJECT:
            notes.append(
                f"The subject is {len(subject)} characters; under {MAX_SUBJECT} reads best on phones."
            )
        return draft.model_copy(update={"subject": subject, "notes": notes})
    style = (rev.subject_style or "").strip().lower()
    style = re.sub(r"^(?:make it |make the subject |more |less |a |an )+", "", style)
    style = {
        "question": "question",
        "personalized": "personal",
        "personalised": "personal",
        "short": "shorter",
    }.get(style, pb.TONE_SYNONYMS.get(style, style))
    if style not in SUBJECT_STYLES:
        raise invalid_choice("subject style", rev.subject_style, SUBJECT_STYLES)
    spec = _spec(draft.brief, brand, seed, draft.variant)
    current = draft.subject
    candidates = [
        c for c in _subject_candidates(spec, style if style in pb.TONE_VOCAB else None) if c != current
    ]
    if style == "shorter":
        candidates = sorted((c for c in candidates if len(c) < len(current)), key=len)
        if not candidates:
            short = _fit(current, max(20, len(current) * 2 // 3))
            candidates = [short] if short != current else []
    elif style == "question":
        base = _lower_first(_fit(spec.topic.short_focus, 40), spec.brand.name if spec.brand else None)
        candidates = [
            _voice(q.format(f=base), spec.tone)
            for q in ("Ready for {f}?", "Have you seen {f}?", "Curious about {f}?")
        ]
    elif style == "personal":
        pool = [c for c in [current, *candidates] if "%FIRSTNAME%" not in c]
        candidates = [
            _fit(f"%FIRSTNAME%, {_lower_first(c, spec.brand.name if spec.brand else None)}", MAX_SUBJECT)
            for c in pool
        ] or [c for c in candidates if "%FIRSTNAME%" in c]
    elif style == "specific":
        details = [d for d in (spec.topic.offer, spec.topic.deadline) if d]
        candidates = sorted(
            candidates,
            key=lambda c: -sum(1 for d in details if d.lower() in c.lower()) - (spec.topic.focus in c),
        )
    if not candidates:
        raise InvalidRequest(
            f"No new subject fits the style {rev.subject_style!r}; give the subject text instead.",
            field="subject",
        )
    subject = candidates[0]
    alternatives = [c for c in dict.fromkeys([*candidates[1:], current]) if c != subject][:3]
    return draft.model_copy(update={"subject": subject, "subject_alternatives": alternatives})


def _new_cta(draft: EmailDraft, rev: Revision) -> EmailDraft:
    if not rev.cta_text and not rev.cta_url:
        raise InvalidRequest("Give the new button text (cta_text), its link (cta_url), or both.", field="cta")
    buttons = [i for i, b in enumerate(draft.blocks) if b["type"] == "button"]
    free = [i for i in buttons if not draft.blocks[i].get("locked")]
    if not free:
        raise Conflict(
            "The call-to-action button is locked; unlock it before changing it."
            if buttons
            else "This draft has no button; regenerate it or change the layout to get one.",
            field="blocks",
        )
    blocks = [dict(b) for b in draft.blocks]
    for i in free:
        if rev.cta_text:
            blocks[i]["label"] = rev.cta_text
        if rev.cta_url:
            blocks[i]["url"] = rev.cta_url
    blocks = parse_blocks(blocks)
    update = {k: v for k, v in (("cta_text", rev.cta_text), ("cta_url", rev.cta_url)) if v}
    brief = draft.brief.model_copy(update=update)
    assert brief.purpose and brief.tone
    return draft.model_copy(
        update={
            "blocks": blocks,
            "brief": brief,
            "word_count": word_count(blocks),
            "summary": _summary(brief.purpose, brief.tone, draft.layout, blocks, draft.notes),
        }
    )


# ---------------------------------------------------------------- subject lines and SMS


def subject_lines(
    topic: str,
    tone: str | None = None,
    n: int = 5,
    *,
    brand: BrandKitOut | None = None,
    offer: str | None = None,
    seed: int = 0,
) -> list[str]:
    """Suggest ``n`` distinct subject lines (each at most 60 characters) for a topic."""
    if not 1 <= n <= 20:
        raise InvalidRequest(f"Ask for 1 to 20 subject lines, not {n}.", field="n")
    brief = parse_brief({"topic": topic, "tone": tone, "offer": offer})
    resolved, _ = _resolve(brief, brand)
    out: list[str] = []
    variant = 0
    while len(out) < n and variant < 12:
        spec = _spec(resolved, brand, seed, variant)
        for style in (None, *pb.TONES):
            for s in _subject_candidates(spec, style):
                if s.lower() not in (o.lower() for o in out):
                    out.append(s)
            if len(out) >= n:
                break
        variant += 1
    return out[:n]


_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€")
_GSM_REPLACE = {"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "…": "...", "\u00a0": " "}


def gsm_length(text: str) -> int | None:
    """Length of ``text`` in GSM-7 septets (extension characters count twice); None if not GSM-7."""
    total = 0
    for ch in text:
        if ch in _GSM_BASIC:
            total += 1
        elif ch in _GSM_EXTENDED:
            total += 2
        else:
            return None
    return total


def to_gsm(text: str) -> str:
    """Replace typographic characters with GSM-7 ones and drop what GSM-7 cannot carry (emoji)."""
    out = []
    for ch in text:
        ch = _GSM_REPLACE.get(ch, ch)
        if len(ch) == 1 and ch not in _GSM_BASIC and ch not in _GSM_EXTENDED:
            ch = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
        out.append(ch)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def draft_sms(
    topic: str,
    tone: str | None = None,
    *,
    brand: BrandKitOut | None = None,
    offer: str | None = None,
    link: str | None = None,
    seed: int = 0,
) -> str:
    """Write a one-segment SMS (at most 160 GSM-7 characters) ending with 'Reply STOP to opt out'."""
    brief = parse_brief({"topic": topic, "tone": tone, "offer": offer})
    resolved, _ = _resolve(brief, brand)
    assert resolved.purpose and resolved.tone
    url = link.strip() if link and link.strip() else (brand.website if brand else None)
    if url:
        try:
            url = check_link(url, allow_tag=False)
        except ValueError as err:
            raise InvalidRequest(f"SMS link: {err}.", field="link") from None
    spec = _spec(resolved, brand, seed, 0)
    rng = random.Random(_stable_seed("sms", seed, resolved.purpose, resolved.tone, spec.topic.focus))
    prefix = f"{to_gsm(brand.name)}: " if brand else ""
    lead, lead_purposes = pb.SMS_LEADS.get(resolved.tone, ("", frozenset()))
    lead = lead if resolved.purpose in lead_purposes else ""
    tail = " ".join(p for p in (url, pb.SMS_OPT_OUT) if p)
    for focus in (spec.topic.focus, spec.topic.short_focus, _short(spec.topic.focus, 2)):
        slots = _slots(spec, rng, focus)
        cores = [f for f in (_fill(t, slots) for t in pb.COPY[resolved.purpose]["sms"]) if f]
        if slots["offer"]:
            # Lines that carry the offer themselves read better than one with "Get 20% off." tacked on.
            cores.sort(key=lambda c: str(slots["offer"]).lower() not in c.lower())
        extras = []
        if slots["offer"] and not any(slots["offer"].lower() in c.lower() for c in cores[:1]):
            extras.append(f"Get {slots['offer']}.")
        for core in cores:
            for with_lead, with_extra, with_prefix in (
                (True, True, True),
                (False, True, True),
                (False, False, True),
                (False, False, False),
            ):
                parts = [
                    (prefix if with_prefix else "")
                    + (lead if with_lead else "")
                    + _voice(core, resolved.tone),
                    *(
                        extras
                        if with_extra and slots["offer"] and slots["offer"].lower() not in core.lower()
                        else []
                    ),
                    tail,
                ]
                text = to_gsm(" ".join(parts))
                length = gsm_length(text)
                if (
                    length is not None
                    and length <= SMS_LIMIT
                    and sms.sms_segments(sms.count_characters(text)) == 1
                ):
                    return text
    room = SMS_LIMIT - len(pb.SMS_OPT_OUT) - 1
    raise InvalidRequest(
        f"The SMS cannot fit in {SMS_LIMIT} characters with the link ({len(url or '')} characters) and the "
        f"opt-out hint; keep the link under {max(room - 40, 10)} characters.",
        field="link",
    )
