"""Turn one user message into steps: intent, slots and unresolved references per step.

``parse(text, catalog)`` splits multi-step requests ("create a segment of X, then draft a win-back email for
them"), classifies each step, keeps the slots the intent uses and reports references ("it", "that segment",
"them", "the second one") for the caller to resolve against dialogue state. A reference inside a later step
that points back at an earlier step's result carries that step's index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from agent.nlu.classifier import IntentModel, IntentPrediction
from agent.nlu.conditions import parse_conditions
from agent.nlu.data import OUT_OF_SCOPE, TRAINING_FILE
from agent.nlu.slots import (
    CATALOG_KINDS,
    CONTACT_FIELDS,
    EMAIL_RE,
    Catalog,
    Slot,
    extract_slots,
    to_int,
)

# --------------------------------------------------------------------------------------------------
# Result types


@dataclass(frozen=True)
class Reference:
    """A mention that needs dialogue state to resolve ("it", "that segment", "the second one", "them")."""

    text: str
    kind: str | None = None
    ordinal: int | None = None
    which: str | None = None
    step: int | None = None
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Step:
    """One request inside a message: its intent, chosen slots, references and the raw slot spans.

    When the classifier was not confident (``rejected``), ``intent`` is ``out_of_scope`` and ``slots``
    belong to the best guess, ``alternatives[0]``.
    """

    text: str
    intent: str
    confidence: float
    slots: dict[str, Any] = field(default_factory=dict)
    references: tuple[Reference, ...] = ()
    alternatives: tuple[tuple[str, float], ...] = ()
    rejected: bool = False
    spans: tuple[Slot, ...] = ()
    continuation: bool = False


@dataclass(frozen=True)
class ParseResult:
    """The parse of one message: one step per request, in order."""

    text: str
    steps: tuple[Step, ...]
    data_version: int = 0

    @property
    def intent(self) -> str:
        """Return the first step's intent (most messages have one step)."""
        return self.steps[0].intent if self.steps else OUT_OF_SCOPE


@dataclass(frozen=True)
class DialogueContext:
    """What the conversation is waiting for, so short answers ("yes", "the VIP list") are read in context."""

    awaiting: Literal["confirmation", "selection", "slot"] | None = None
    slot: str | None = None
    last_intent: str | None = None


# --------------------------------------------------------------------------------------------------
# Model


@lru_cache(maxsize=4)
def default_model(cache_dir: str | None = None, path: str = str(TRAINING_FILE)) -> IntentModel:
    """Return the intent model trained on the packaged utterances (trained once per process, or loaded)."""
    return IntentModel.train(Path(path), cache_dir=cache_dir)


# --------------------------------------------------------------------------------------------------
# Splitting multi-step requests

IMPERATIVES = (
    "send",
    "schedule",
    "draft",
    "write",
    "create",
    "make",
    "build",
    "add",
    "tag",
    "untag",
    "remove",
    "delete",
    "subscribe",
    "unsubscribe",
    "resubscribe",
    "show",
    "list",
    "compare",
    "tell",
    "give",
    "email",
    "text",
    "sms",
    "activate",
    "turn",
    "launch",
    "move",
    "mark",
    "set",
    "update",
    "change",
    "export",
    "check",
    "run",
    "preview",
    "find",
    "get",
    "pull",
    "save",
    "put",
    "remind",
    "notify",
    "apply",
    "assign",
    "start",
    "queue",
    "test",
    "spam-check",
    "log",
    "note",
    "enable",
    "pause",
    "copy",
    "duplicate",
    "translate",
    "shorten",
    "rewrite",
)
_STRONG_SPLIT = re.compile(
    r"\s*(?:;|(?<=[.!?])\s+(?=\w)|,?\s*\band then\b|,?\s*\bthen\b|,?\s*\bafter that\b|,?\s*\bafterwards\b|"
    r",?\s*\bonce (?:that is|that's|it is|it's|this is) done\b|,?\s*\band also\b|,?\s*\balso\b|"
    r",?\s*\bnext,)\s*",
    re.IGNORECASE,
)
_AND_SPLIT = re.compile(
    r",?\s+(?:and|&)\s+(?=(?:please\s+)?(?:" + "|".join(IMPERATIVES) + r")\b)", re.IGNORECASE
)
_DIALOGUE_ACTS = {"greeting", "thanks", "confirm", "deny", "select", "capabilities"}


def split_steps(text: str) -> list[tuple[str, str, int]]:
    """Split a message into (piece, joiner, offset) triples; joiner is "start", "then" or "and"."""
    out: list[tuple[str, str, int]] = []
    pos = 0
    for m in list(_STRONG_SPLIT.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        chunk = text[pos:end]
        joiner = "start" if not out else "then"
        sub_pos = 0
        for a in list(_AND_SPLIT.finditer(chunk)) + [None]:
            sub_end = a.start() if a else len(chunk)
            piece = chunk[sub_pos:sub_end]
            if piece.strip(" ,.;"):
                offset = pos + sub_pos + (len(piece) - len(piece.lstrip()))
                out.append((piece.strip(" ,.;"), joiner if sub_pos == 0 else "and", offset))
            sub_pos = a.end() if a else len(chunk)
        pos = m.end() if m else len(text)
        if m is None:
            break
    return out or [(text.strip(), "start", 0)]


# --------------------------------------------------------------------------------------------------
# References

_KIND_NOUNS = {
    "campaign": "campaign",
    "campaigns": "campaign",
    "email": "campaign",
    "emails": "campaign",
    "newsletter": "campaign",
    "draft": "campaign",
    "blast": "campaign",
    "send": "campaign",
    "sms": "campaign",
    "segment": "segment",
    "audience": "segment",
    "list": "list",
    "tag": "tag",
    "automation": "automation",
    "workflow": "automation",
    "flow": "automation",
    "sequence": "automation",
    "series": "automation",
    "deal": "deal",
    "opportunity": "deal",
    "contact": "contact",
    "person": "contact",
    "people": "contacts",
    "contacts": "contacts",
    "subscribers": "contacts",
    "customers": "contacts",
    "form": "form",
    "goal": "goal",
    "score": "score",
    "brand kit": "brand_kit",
    "kit": "brand_kit",
    "one": None,
    "ones": None,
}
_NOUNS = (
    r"(?:brand kit|"
    + "|".join(sorted((k for k in _KIND_NOUNS if k != "brand kit"), key=len, reverse=True))
    + r")"
)
_DEMONSTRATIVE_RE = re.compile(
    r"\b(?:this|that|these|those|the same|said|the above)\s+(?P<noun>" + _NOUNS + r")\b", re.IGNORECASE
)
_RECENT_RE = re.compile(
    r"\b(?:the|my|our)\s+(?P<which>last|latest|most recent|previous|newest|recent|current|"
    r"new)\s+(?P<noun>(?!ones?\b)" + _NOUNS + r")\b",
    re.IGNORECASE,
)
_PRONOUN_RE = re.compile(
    r"\b(?P<p>its|it|them|they|him|her|those|these|this|that|this one|that one)\b", re.IGNORECASE
)
_PRONOUN_NEXT_OK = re.compile(
    r"^\s*(?:$|[,.!?;:]|(?:to|as|for|with|in|on|now|please|again|instead|too|out|off|up|live|back|into|from|"
    r"a|an|and|but|then|shorter|longer|more|less|by|at|tomorrow|today|tonight|vip|one)\b)",
    re.IGNORECASE,
)
_PRONOUN_KIND = {"him": "contact", "her": "contact"}
_PRODUCES = {
    "create_segment": "segment",
    "preview_segment": "contacts",
    "find_contacts": "contacts",
    "draft_campaign": "campaign",
    "create_list": "list",
    "create_contact": "contact",
    "create_deal": "deal",
    "create_automation": "automation",
    "create_tag": "tag",
    "create_form": "form",
    "create_goal": "goal",
    "create_score": "score",
    "create_brand_kit": "brand_kit",
    "list_campaigns": "campaign",
    "list_segments": "segment",
    "list_lists": "list",
    "list_deals": "deal",
    "list_automations": "automation",
    "schedule_campaign": "campaign",
    "edit_campaign": "campaign",
    "get_campaign": "campaign",
    "compare_campaigns": "campaign",
}


def find_references(text: str, spans: Sequence[Slot]) -> list[Reference]:
    """Return the references in one step's text (not yet linked to earlier steps)."""
    taken = [
        (s.start, s.end)
        for s in spans
        # A standard contact field word ("email" in "this email") is no catalogue name.
        if (s.name in CATALOG_KINDS and not (s.name == "field" and s.value in CONTACT_FIELDS))
        or s.name in ("email", "quoted", "name")
    ]
    refs: list[Reference] = []

    def free(a: int, b: int) -> bool:
        return not any(a < y and x < b for x, y in taken) and not any(a < r.end and r.start < b for r in refs)

    for m in _RECENT_RE.finditer(text):
        if free(m.start(), m.end()) and not re.match(r"\s+\d", text[m.end() :]):
            which = "previous" if m.group("which").lower() == "previous" else "latest"
            refs.append(
                Reference(
                    m.group(0),
                    _KIND_NOUNS.get(m.group("noun").lower()),
                    which=which,
                    start=m.start(),
                    end=m.end(),
                )
            )
    for m in _DEMONSTRATIVE_RE.finditer(text):
        if free(m.start(), m.end()):
            refs.append(
                Reference(m.group(0), _KIND_NOUNS.get(m.group("noun").lower()), start=m.start(), end=m.end())
            )
    for s in spans:
        if s.name == "ordinal" and free(s.start, s.end):
            refs.append(
                Reference(
                    s.text,
                    None,
                    ordinal=s.value if isinstance(s.value, int) else None,
                    which=s.value if isinstance(s.value, str) else None,
                    start=s.start,
                    end=s.end,
                )
            )
    for m in _PRONOUN_RE.finditer(text):
        word = m.group("p").lower()
        if not free(m.start(), m.end()):
            continue
        if word in ("this", "that") and not _PRONOUN_NEXT_OK.match(text[m.end() :]):
            continue
        if word in ("this", "that", "those", "these") and re.match(
            r"\s+(?:is|was|are|were)\b", text[m.end() :]
        ):
            continue
        if (
            word == "her"
            and re.match(
                r"\s+(?!to\b|a\b|an\b|the\b|as\b|off\b|back\b|on\b|in\b|from\b)[a-z]+\b",
                text[m.end() :],
                re.IGNORECASE,
            )
            and not re.match(r"\s+(?:vip|sms|texts?|emails?)\b", text[m.end() :], re.IGNORECASE)
        ):
            # Possessive "her record", "her score": still the contact.
            refs.append(Reference(m.group(0), "contact", start=m.start(), end=m.end()))
            continue
        if word == "it" and re.match(
            r"\s+(?:is|was)\s+(?:possible|worth|ok|okay|fine|true)\b", text[m.end() :]
        ):
            continue
        refs.append(Reference(m.group(0), _PRONOUN_KIND.get(word), start=m.start(), end=m.end()))
    refs.sort(key=lambda r: r.start)
    return refs


# --------------------------------------------------------------------------------------------------
# Slot selection per intent

_CONTACT_INTENTS = {
    "get_contact",
    "update_contact",
    "delete_contact",
    "add_tag",
    "remove_tag",
    "subscribe_contact",
    "unsubscribe_contact",
    "resubscribe_contact",
    "get_contact_score",
    "add_note",
    "create_task",
    "create_contact",
    "find_contacts",
    "send_sms",
    "create_deal",
}
INTENT_SLOTS: dict[str, tuple[str, ...]] = {
    "get_campaign_performance": ("campaign", "period", "metric", "channel", "segment"),
    "get_period_performance": ("period", "metric", "channel"),
    "compare_campaigns": ("campaign", "campaigns", "period", "metric", "count", "channel"),
    "explain_performance_change": ("metric", "period", "campaign", "direction", "channel"),
    "get_clicks_report": ("campaign", "period", "url"),
    "list_campaigns": ("period", "status", "channel", "count"),
    "get_campaign": ("campaign",),
    "troubleshoot_campaign": ("campaign", "channel", "period"),
    "find_similar_campaigns": ("campaign", "topic", "query"),
    "best_send_time": ("segment", "list", "channel", "campaign"),
    "draft_campaign": (
        "topic",
        "audience",
        "segment",
        "list",
        "tone",
        "length",
        "layout",
        "brand_kit",
        "channel",
    ),
    "edit_campaign": (
        "campaign",
        "tone",
        "length",
        "layout",
        "brand_kit",
        "subject",
        "preheader",
        "cta",
        "headline",
        "from_name",
        "topic",
        "audience",
        "instruction",
    ),
    "send_test_email": ("campaign", "email", "emails", "phone"),
    "schedule_campaign": ("campaign", "when", "segment", "list", "predictive", "channel"),
    "send_campaign": ("campaign", "segment", "segments", "list", "lists"),
    "send_sms": ("segment", "list", "email", "phone", "message"),
    "spam_check": ("campaign",),
    "create_segment": ("name", "conditions", "tag", "list", "campaign", "period"),
    "preview_segment": ("segment", "conditions", "tag", "list", "campaign", "period"),
    "list_segments": ("period",),
    "list_tags": ("tag",),
    "create_automation": ("count", "duration", "kind", "list", "tag", "channel", "pipeline"),
    "edit_automation": ("automation", "duration", "name", "status"),
    "activate_automation": ("automation",),
    "list_automations": ("status", "period"),
    "find_contacts": ("contact", "email", "company", "domain", "tag", "list", "period", "phone"),
    "get_contact": ("contact", "email"),
    "create_contact": ("contact", "email", "phone", "company", "list", "tag"),
    "update_contact": ("contact", "email", "field", "value", "phone"),
    "add_tag": ("tag", "tags", "contact", "email", "segment", "list"),
    "remove_tag": ("tag", "tags", "contact", "email", "segment", "list"),
    "subscribe_contact": ("contact", "email", "list", "lists", "channel", "segment"),
    "unsubscribe_contact": ("contact", "email", "list", "lists", "channel"),
    "resubscribe_contact": ("contact", "email", "list", "lists", "channel"),
    "delete_contact": ("contact", "email"),
    "create_list": ("name",),
    "create_tag": ("tag", "tags"),
    "list_deals": ("stage", "pipeline", "status", "period", "owner", "company", "money"),
    "get_deal": ("deal",),
    "create_deal": ("name", "company", "money", "pipeline", "stage", "email", "contact", "owner"),
    "update_deal": ("deal", "stage", "status", "money", "owner", "value"),
    "get_deal_forecast": ("period", "pipeline", "format", "group_by"),
    "get_win_probability": ("deal", "pipeline"),
    "add_note": ("note", "contact", "email", "deal"),
    "create_task": ("task", "when", "contact", "email", "deal", "owner"),
    "get_contact_score": ("contact", "email", "score", "deal"),
    "create_score": ("name", "number", "duration", "target"),
    "list_brand_kits": ("brand_kit",),
    "create_brand_kit": ("name",),
    "list_saved_responses": ("category", "saved_response", "topic"),
    "create_saved_response": ("name", "topic", "category"),
    "create_form": ("list", "tag", "percent", "form_type"),
    "list_forms": ("form", "period"),
    "create_goal": ("number", "money", "period", "name"),
    "list_goals": ("period",),
    "check_feature": ("feature",),
    "get_activity_usage": ("period",),
    "get_sms_credits": ("list", "segment", "period"),
    "search_help": ("query",),
    "suggest_ideas": ("period", "topic"),
    "select": ("ordinal",),
}

# The automation builder's kinds (core/automations/builder.py AUTOMATION_KINDS); anything else is "custom".
_AUTOMATION_KINDS = {
    "welcome": ("welcome", "onboarding", "new subscriber"),
    "abandoned_cart": ("abandoned cart", "cart", "checkout"),
    "win_back": ("win-back", "win back", "winback", "lapsed"),
    "re_engagement": ("re-engagement", "reengagement", "re-engage", "reengage", "inactive subscribers"),
    "birthday": ("birthday",),
    "post_purchase": ("post-purchase", "post purchase", "after purchase", "after they buy", "thank you"),
    "lead_nurture": ("nurture", "drip"),
    "event_follow_up": (
        "event follow-up",
        "event follow up",
        "webinar follow-up",
        "webinar follow up",
        "after the event",
        "after the webinar",
        "attendees",
    ),
}
_STATUS_WORDS = {
    "draft": r"\bdrafts?\b",
    "scheduled": r"\bscheduled\b|\bupcoming\b|\bqueued\b",
    "sent": r"\bsent\b",
    "failed": r"\bfailed\b",
    "sending": r"\bsending\b|\bin progress\b",
    "active": r"\bactive\b|\brunning\b|\blive\b|\bon\b",
    "inactive": r"\binactive\b|\bpaused\b|\boff\b",
    "open": r"\bopen\b",
    "won": r"\bwon\b|\bclosed won\b",
    "lost": r"\blost\b|\bfell through\b",
}
_MESSAGE_RE = re.compile(
    r"(?:\bsaying|\bthat says|\bto say|\bthat|:|\babout|\ba reminder about|\breminding them(?: that| about)?)"
    r"\s+(?P<m>.+)$",
    re.IGNORECASE,
)
_NOTE_RE = re.compile(r"(?::|\bsaying|\bthat says|\bthat|\babout)\s+(?P<m>.+)$", re.IGNORECASE)
_TASK_RE = re.compile(
    r"\b(?:remind me(?: [\w ]{1,20}?)? to|task(?: for \w+)?(?: to [A-Z]\w+)? to|to-?do to|reminder to|"
    r"task:|to-?do:|i (?:need|have) to|follow[- ]up task to|set a reminder to|make sure i|"
    r"new task:?|task on my list to|to-?do (?:for|with) \w+ to)\s+(?P<t>.+?)"
    r"(?:\s+(?:due|by|on|for the [\w ]+ deal|for [\w.@]+@[\w.]+)\b.*)?$",
    re.IGNORECASE,
)
_VALUE_RE = re.compile(
    r"\b(?:to|is now|should be|now|as)\s+['\"]?(?P<v>[^,;'\"]+?)['\"]?\s*(?:now|please)?\s*$", re.IGNORECASE
)
_COMPANY_RE = re.compile(
    r"\b(?:at|from|for|with|works at|company)\s+(?P<c>(?:[A-Z][\w&.-]*)(?:\s+(?:&\s+)?[A-Z][\w&.-]*){0,2})"
)
_DOMAIN_RE = re.compile(
    r"(?<![@\w.])(?P<d>[a-z0-9-]+\.(?:com|io|org|net|co|dev|de|es|uk|fr|app|ai|in|co\.uk))\b", re.IGNORECASE
)
_NUMBER_RE = re.compile(r"(?<![\w$€£.])(?P<n>[+-]?\d[\d,]*)(?!\s*%|[\w])")
_OWNER_RE = re.compile(
    r"\b(?:owned by|assign(?:ed)?(?: it| the \w+ deal)? to|owner to|hand (?:it|\w+) over to|"
    r"belong(?:s|ing)? to|task to|for rep)\s+(?P<o>[A-Z][a-z]+)"
)


def _first(spans: Sequence[Slot], name: str, *, allow_weak: bool = True) -> Slot | None:
    for s in spans:
        if s.name == name and (allow_weak or not s.weak):
            return s
    return None


def _all(spans: Sequence[Slot], name: str, *, allow_weak: bool = True) -> list[Slot]:
    seen: list[Slot] = []
    for s in spans:
        if s.name == name and (allow_weak or not s.weak) and all(o.value != s.value for o in seen):
            seen.append(s)
    return seen


def _contact(spans: Sequence[Slot]) -> Any:
    """Return who the request is about: a known or guessed person name, else the (first) email address."""
    catalog_contact = _first(spans, "contact")
    if catalog_contact:
        return catalog_contact.value
    person = _first(spans, "contact_name")
    if person:
        return person.value
    email = _first(spans, "email")
    return email.value if email else None


def _free_text(rx: re.Pattern[str], text: str, group: str, *, exclude: Sequence[Slot] = ()) -> str | None:
    m = rx.search(text)
    if not m:
        return None
    value = m.group(group).strip().strip("'\".")
    for s in exclude:
        if s.name == "when" and value.lower().endswith(s.text.lower()):
            value = re.sub(r"\s+(?:on|at|by|for|due)$", "", value[: -len(s.text)].strip(" ,"))
        if s.name in ("email", "contact_name", "contact") and value.lower().startswith(
            str(s.value).lower() + " "
        ):
            value = value[len(str(s.value)) + 1 :]
        if s.name in ("email", "contact_name", "contact") and value.lower().endswith(
            " for " + str(s.value).lower()
        ):
            value = value[: -len(str(s.value)) - 5]
    return value.strip(" ,") or None


_SEARCH_RE = re.compile(
    r"\b(?:named|called|matching|search(?: my contacts)? for|look(?:ing)? (?:up|for)|find|is|"
    r"last name is|first name is)"
    r"\s+(?:a\s+contact\s+|contacts?\s+|people\s+|someone\s+|"
    r"anyone\s+)?['\"]?(?P<q>[\w.'-]+(?: [A-Z][\w.'-]+)?)['\"]?\s*\??$",
    re.IGNORECASE,
)
_NOT_SEARCH_TERMS = {
    "contacts",
    "contact",
    "people",
    "everyone",
    "someone",
    "anyone",
    "all",
    "them",
    "me",
    "it",
    "email",
}


def _search_term(text: str) -> str | None:
    """Return the name being searched for in "search for alex", "contacts matching jones"."""
    m = _SEARCH_RE.search(text)
    if not m or m.group("q").lower() in _NOT_SEARCH_TERMS:
        return None
    return m.group("q")


def _without_names(text: str, spans: Sequence[Slot]) -> str:
    """The text with a new object's name blanked: "a segment called Link openers" names, not describes."""
    for s in sorted((s for s in spans if s.name == "name"), key=lambda s: -s.start):
        text = text[: s.start] + " " * (s.end - s.start) + text[s.end :]
    return text


def _builders(
    text: str, spans: Sequence[Slot], catalog: Catalog, intent_hint: str = ""
) -> dict[str, Callable[[], Any]]:
    low = text.lower()

    def catalog_value(kind: str, strict: bool = False) -> Callable[[], Any]:
        def get() -> Any:
            found = _first(spans, kind, allow_weak=not strict)
            return found.value if found else None

        return get

    def many(kind: str) -> Callable[[], Any]:
        def get() -> Any:
            values = [s.value for s in _all(spans, kind)]
            return values if len(values) > 1 else None

        return get

    def status() -> Any:
        for value, rx in _STATUS_WORDS.items():
            if re.search(rx, low):
                return value
        return None

    def kind() -> Any:
        for value, words in _AUTOMATION_KINDS.items():
            if any(w in low for w in words):
                return value
        return None

    def name() -> Any:
        named = _first(spans, "name")
        if named:
            return named.value
        quoted = _first(spans, "quoted")
        if quoted:
            return quoted.value
        m = re.search(r"\brename\b.*?\bto\s+['\"]?(?P<n>[^'\"]+?)['\"]?\s*$", text, re.IGNORECASE)
        if m:
            return m.group("n").strip()
        m = re.search(
            r"\b(?:list|tag|kit|goal|score|response|form)\s+(?:for|of)\s+(?P<n>[\w' -]{3,40}?)\s*$",
            text,
            re.IGNORECASE,
        )
        if m:
            return m.group("n").strip()
        m = re.search(
            r"\b(?:a|an|the|new)\s+(?P<n>[A-Z][\w'&-]*(?:\s+[A-Z][\w'&-]*){0,3})\s+(?:mailing\s+)?list\b",
            text,
        ) or re.search(r"\b(?:list|score|kit)\s+(?P<n>[A-Z][\w'&-]*(?:\s+[A-Z0-9][\w'&-]*){0,3})\b", text)
        if m and m.group("n").lower() not in ("new", "email", "mailing", "sms"):
            return m.group("n").strip()
        m = re.search(
            r"\b(?:new|create|make|add|start)\s+(?:a\s+)?(?:new\s+)?(?:list|brand kit|score|deal)\s*:?\s+"
            r"(?P<n>[A-Z][\w' &-]{1,40}?)\s*(?:list)?\s*$",
            text,
        )
        return m.group("n").strip() if m else None

    def tags() -> Any:
        values = [s.value for s in _all(spans, "tag")]
        return values if len(values) > 1 else None

    def message() -> Any:
        value = _free_text(_MESSAGE_RE, text, "m")
        if value is None:
            # "text jane@acme.com your order shipped": whatever follows the recipient.
            recipient = _first(spans, "email") or _first(spans, "phone")
            rest = text[recipient.end :].strip(" ,:") if recipient else ""
            if len(rest.split()) >= 2 and not re.match(
                r"(?:a |an |the )?(?:reminder|text|message|sms)\b", rest, re.IGNORECASE
            ):
                value = rest
        return value

    def direction() -> Any:
        if re.search(
            r"\b(?:drop|dropped|down|fell|fall|falling|dip|declin\w*|decreas\w*|lower|worse|tank\w*|"
            r"slid\w*|underperform\w*|badly|plummet\w*|fewer)\b",
            low,
        ):
            return "down"
        if re.search(
            r"\b(?:up|rise|rose|spike\w*|jump\w*|increas\w*|improv\w*|higher|better|surge\w*|grew|climb\w*)\b",
            low,
        ):
            return "up"
        return None

    def company() -> Any:
        m = _COMPANY_RE.search(text) or re.search(
            r"\b(?:deal|opportunity|lead|contact)\s*:\s*(?P<c>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,2})", text
        )
        if not m:
            return None
        value = m.group("c")
        if any(
            s.name in ("segment", "list", "pipeline", "stage", "tag") and s.value.lower() == value.lower()
            for s in spans
        ):
            return None
        return value

    def domain() -> Any:
        m = _DOMAIN_RE.search(EMAIL_RE.sub(" ", text))
        return m.group("d").lower() if m else None

    def number() -> Any:
        for m in _NUMBER_RE.finditer(text):
            if not any(
                s.start <= m.start() < s.end
                for s in spans
                if s.name in ("period", "duration", "money", "when")
            ):
                return int(m.group("n").replace(",", "").lstrip("+"))
        return None

    def value() -> Any:
        value = _free_text(_VALUE_RE, text, "v", exclude=[s for s in spans if s.name != "when"])
        if value and EMAIL_RE.fullmatch(value):
            return None
        return value

    def owner() -> Any:
        m = _OWNER_RE.search(text)
        return m.group("o") if m else None

    def count() -> Any:
        found = _first(spans, "count")
        if found:
            return found.value
        m = re.search(
            r"\b(?:last|past|previous|recent|top|my)\s+(?P<n>\d+|two|three|four|five|six|seven|eight|nine|ten)"
            r"\b",
            low,
        )
        return to_int(m.group("n")) if m else None

    return {
        "campaigns": many("campaign"),
        "segments": many("segment"),
        "lists": many("list"),
        "emails": many("email"),
        "tags": tags,
        "status": status,
        "kind": kind,
        "name": name,
        "message": message,
        "direction": direction,
        "company": company,
        "domain": domain,
        "number": number,
        "value": value,
        "owner": owner,
        "count": count,
        "contact": lambda: (
            _contact(spans) or (_search_term(text) if intent_hint == "find_contacts" else None)
        ),
        "money": lambda: (
            found.value
            if (found := _first(spans, "money"))
            else (
                {"amount": int(m.group("n").replace(",", "")), "currency": None}
                if (m := re.search(r"\b(?:amount|value|worth)\b[\w ]{0,12}?\bto\s+(?P<n>\d[\d,]*)\b", low))
                else None
            )
        ),
        "note": lambda: _free_text(_NOTE_RE, text, "m", exclude=[s for s in spans if s.name != "when"]),
        "task": lambda: _free_text(_TASK_RE, text, "t", exclude=spans),
        "conditions": lambda: parse_conditions(_without_names(text, spans), catalog),
        "channel": lambda: "sms" if any(s.name == "channel" and s.value == "sms" for s in spans) else None,
        "query": lambda: text.strip(),
        "instruction": lambda: text.strip(),
        "predictive": lambda: (
            True if re.search(r"\bpredictive|best time|optimal|each contact", low) else None
        ),
        "group_by": lambda: "owner" if re.search(r"\b(?:by|per) (?:owner|rep|sales rep)\b", low) else None,
        "target": lambda: "deal" if re.search(r"\bdeal", low) else "contact",
        "form_type": lambda: next(
            (t for t in ("popup", "pop-up", "inline", "floating bar", "modal", "floating box") if t in low),
            None,
        ),
        "category": lambda: (
            m.group("c")
            if (m := re.search(r"\b(?:in|under) (?:the )?(?P<c>[A-Z]\w+) category", text))
            else None
        ),
    }


_FREE_TEXT_SLOTS = ("subject", "preheader", "cta", "headline", "from_name", "quoted")


def select_slots(intent: str, text: str, spans: Sequence[Slot], catalog: Catalog) -> dict[str, Any]:
    """Pick and normalise the slots ``intent`` uses from all the spans found in ``text``."""
    wanted = INTENT_SLOTS.get(intent, ())
    # Words inside a new subject line or a quoted name are content, not instructions:
    # "Last chance" in a subject is no tone.
    free = [s for s in spans if s.name in _FREE_TEXT_SLOTS]
    spans = [
        s
        for s in spans
        if s.name in _FREE_TEXT_SLOTS
        or s.name == "name"
        or not any(f.start <= s.start and s.end <= f.end for f in free)
    ]
    builders = _builders(text, spans, catalog, intent)
    slots: dict[str, Any] = {}
    for name in wanted:
        if name in builders:
            value = builders[name]()
        else:
            # A weak (lowercase, one-word) catalogue match only counts when the intent wants that kind.
            found = _first(spans, name)
            value = found.value if found else None
        if value is not None and value != []:
            slots[name] = value
    if intent == "create_tag" and "tag" not in slots:
        named = _first(spans, "name") or _first(spans, "quoted")
        if named:
            slots["tag"] = named.value
    if (
        intent in ("add_tag", "remove_tag", "create_tag")
        and "tag" in slots
        and "segment" in slots
        and slots["segment"] == slots["tag"]
    ):
        del slots["segment"]
    if (
        intent in ("send_campaign", "schedule_campaign", "draft_campaign", "best_send_time")
        and "segment" in slots
        and "list" in slots
        and slots["segment"] == slots["list"]
    ):
        # "the VIP segment" names a segment; a bare "VIP" prefers the segment too.
        del slots["list"]
    if (
        intent == "draft_campaign"
        and "topic" in slots
        and "audience" in slots
        and slots["topic"] == slots["audience"]
    ):
        del slots["topic"]
    return slots


# --------------------------------------------------------------------------------------------------
# Entry point


def _apply_context(
    pred: IntentPrediction,
    step_text: str,
    spans: Sequence[Slot],
    catalog: Catalog,
    context: DialogueContext | None,
) -> tuple[str, float, bool, dict[str, Any]]:
    """Re-read a short answer in light of what the conversation asked for.

    Returns (intent, confidence, continuation, extra slots).
    """
    intent, confidence = pred.intent, pred.confidence
    if context is None:
        return intent, confidence, False, {}
    probs = dict(pred.alternatives)
    words = len(step_text.split())
    if context.awaiting == "confirmation" and words <= 6:
        acts = {k: v for k, v in probs.items() if k in ("confirm", "deny")}
        if acts and intent not in ("confirm", "deny"):
            best = max(acts, key=lambda k: acts[k])
            if acts[best] >= 0.05:
                return best, acts[best], False, {}
    if context.awaiting == "selection":
        ordinal = _first(spans, "ordinal")
        if ordinal is not None and words <= 6:
            return "select", max(confidence, 0.9), False, {"ordinal": ordinal.value}
    if context.awaiting == "slot" and context.slot and context.last_intent and words <= 6:
        found = _first(spans, context.slot)
        if found is not None:
            return context.last_intent, 0.9, True, {context.slot: found.value}
    if (
        context.last_intent in ("draft_campaign", "edit_campaign")
        and intent in ("draft_campaign", OUT_OF_SCOPE)
        and words <= 8
        and any(s.name in ("tone", "length", "layout", "subject") for s in spans)
    ):
        return "edit_campaign", max(confidence, 0.6), False, {}
    return intent, confidence, False, {}


def parse(
    text: str,
    catalog: Catalog | None = None,
    *,
    model: IntentModel | None = None,
    context: DialogueContext | None = None,
) -> ParseResult:
    """Parse a message into steps (intent, slots, references) against the account's catalogue of names."""
    catalog = catalog or Catalog()
    model = model or default_model()
    pieces = split_steps(text)
    predictions = model.predict_many([p for p, _, _ in pieces])
    whole = model.predict(text) if len(pieces) > 1 else predictions[0]
    # A split is only kept when every piece is a request of its own; otherwise read the message whole.
    if (
        len(pieces) > 1
        and any(
            p.intent == OUT_OF_SCOPE or (p.intent in _DIALOGUE_ACTS and p.intent != whole.intent)
            for p in predictions
        )
        and whole.intent != OUT_OF_SCOPE
    ):
        pieces, predictions = [(text.strip(), "start", 0)], [whole]
    steps: list[Step] = []
    for i, ((piece, joiner, _offset), pred) in enumerate(zip(pieces, predictions, strict=True)):
        spans = extract_slots(piece, catalog)
        intent, confidence, continuation, extra = _apply_context(
            pred, piece, spans, catalog, context if i == 0 else None
        )
        # A rejected guess still gets its slots, so the caller can ask "did you mean ...?" with the details.
        slot_intent = pred.best_guess if intent == OUT_OF_SCOPE and pred.rejected else intent
        slots = select_slots(slot_intent, piece, spans, catalog) if slot_intent != OUT_OF_SCOPE else {}
        slots.update(extra)
        refs = find_references(piece, spans)
        if i > 0:
            produced = _PRODUCES.get(steps[-1].intent) or (
                "contact" if "contact" in steps[-1].slots else None
            )
            refs = [
                Reference(
                    r.text, r.kind or produced, r.ordinal, r.which, step=i - 1, start=r.start, end=r.end
                )
                if r.ordinal is None
                and r.which is None
                and (r.kind is None or r.kind == produced or {r.kind, produced} <= {"contacts", "segment"})
                else r
                for r in refs
            ]
        step = Step(
            piece,
            intent,
            confidence,
            slots,
            tuple(refs),
            pred.alternatives,
            pred.rejected and not extra,
            tuple(spans),
            continuation,
        )
        # "write an email and make it friendlier" is one draft with a tone, not a draft and then an edit.
        if joiner == "and" and steps and steps[-1].intent == "draft_campaign" and intent == "edit_campaign":
            prev = steps[-1]
            merged = {**prev.slots, **{k: v for k, v in slots.items() if k in INTENT_SLOTS["draft_campaign"]}}
            steps[-1] = Step(
                f"{prev.text} and {piece}",
                prev.intent,
                prev.confidence,
                merged,
                prev.references,
                prev.alternatives,
                prev.rejected,
                prev.spans + tuple(spans),
                prev.continuation,
            )
            continue
        steps.append(step)
    return ParseResult(text=text, steps=tuple(steps), data_version=model.data_version)
