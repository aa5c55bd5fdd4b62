"""From understood steps to tool calls: one handler per intent, fed with slots, references and results so far.

A handler is a pure function of what it is given, so the plan is recomputed from the messages on every
model call; nothing but the messages needs to survive between calls, which is what lets any worker continue a
thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.dialogue import DialogueState
from agent.nlu.parse import IMPERATIVES, Step
from agent.offline.reading import Conversation
from core.periods import MONTHS

CAMPAIGN_NOUNS = (
    r"(?:newsletter|campaign|email|e-mail|promo(?:tion)?|sale|announcement|blast|sms|digest|update)"
)


@dataclass
class Call:
    name: str
    args: dict[str, Any]


@dataclass
class Say:
    text: str
    pending: dict[str, Any] | None = None


class _Done:
    pass


DONE = _Done()
Outcome = Call | Say | _Done


@dataclass
class Env:
    """What a handler sees."""

    step: Step
    index: int
    conv: Conversation
    state: DialogueState
    tools: set[str]
    # This step's calls so far: (tool name, args, result data, status)
    done: list[tuple[str, dict[str, Any], Any, str]] = field(default_factory=list)
    # Earlier steps of the same message: their last successful result data
    earlier: dict[int, Any] = field(default_factory=dict)

    def slot(self, *names: str) -> Any:
        for n in names:
            value = self.step.slots.get(n)
            if value not in (None, "", [], {}):
                return value
        return None

    def ref(self, kind: str) -> dict[str, Any] | None:
        """Resolve "it", "that <kind>", "them" (an earlier step), "the second one", or the page's object."""
        for r in self.step.references:
            # "them"/"it" pointing at an earlier step of the same message: that step's result, any kind.
            if r.step is not None and isinstance(self.earlier.get(r.step), dict):
                return self.earlier[r.step]
            if r.ordinal is not None:
                hit = self.state.resolve(None, r.ordinal)
                if hit:
                    return hit
            hit = self.state.resolve(r.kind or kind) or (self.state.last_object if r.kind is None else None)
            if hit:
                return hit
        page = self.conv.page
        if page and page.get("object_type") == kind and page.get("object_id"):
            return {"id": page["object_id"], "object": kind}
        return None

    def ref_name(self, kind: str) -> str | None:
        hit = self.ref(kind)
        if not hit:
            return None
        return (
            str(hit.get("name") or hit.get("campaign_name") or hit.get("title") or hit.get("id") or "")
            or None
        )


MONTH_ABBR = {m[:3]: m for m in MONTHS} | {"sept": "september"}
# Other languages' and common misspellings of month names seen next to a campaign noun.
MONTH_ALIASES = {
    "mai": "may",
    "juni": "june",
    "juli": "july",
    "okt": "october",
    "dez": "december",
    "marz": "march",
    "januar": "january",
    "februar": "february",
    "oktober": "october",
    "dezember": "december",
}
_NOT_MONTHS = {
    "many",
    "man",
    "mad",
    "map",
    "mat",
    "max",
    "mar",
    "jun",
    "jul",
    "way",
    "day",
    "say",
    "pay",
    "yay",
    "bay",
    "hay",
    "lay",
    "ray",
    "mag",
    "main",
    "mail",
    "junk",
    "jury",
    "just",
    "august",
    "apr",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    "jan",
    "feb",
    "marc",
    "mary",
    "mark",
    "mama",
    "maya",
    "mayo",
    "june",
    "july",
    "may",
    "the",
    "our",
    "my",
    "and",
    "for",
    "from",
    "one",
    "new",
    "last",
}
_LONG_NOUNS = ("newsletter", "campaign", "promotion", "announcement", "digest")


def _near(word: str, target: str, limit: int) -> bool:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(word, target, score_cutoff=limit) <= limit


def respell(low: str) -> str:
    """Fix near-miss spellings of campaign nouns and of a month next to one ("mayy newsleter")."""
    words = re.findall(r"[a-z0-9']+|[^a-z0-9']+", low)
    for i, w in enumerate(words):
        base = w[:-1] if w.endswith("s") and len(w) > 6 else w
        if not re.fullmatch(r"[a-z]{6,}", base) or base in _LONG_NOUNS:
            continue
        for noun in _LONG_NOUNS:
            if _near(base, noun, 2 if len(noun) >= 8 else 1):
                words[i] = noun + ("s" if base != w else "")
                break
    nouns = [i for i, w in enumerate(words) if re.fullmatch(CAMPAIGN_NOUNS + "s?", w)]
    for i in nouns:
        # the word before the noun ("mayy newsletter"), or after "from/in/of" behind it ("... from mayy")
        spots = [i - 2] + (
            [i + 4] if i + 4 < len(words) and words[i + 2] in ("from", "in", "of", "for") else []
        )
        for j in spots:
            if j < 0 or j >= len(words):
                continue
            w = words[j].rstrip("'s") if words[j].endswith("'s") else words[j]
            if w in MONTHS or not re.fullmatch(r"[a-z]{3,}", w):
                continue
            fixed = MONTH_ALIASES.get(w) or MONTH_ABBR.get(w)
            if fixed is None and w not in _NOT_MONTHS:
                fixed = next((m for m in MONTHS if _near(w, m, 1 if len(m) <= 5 else 2)), None)
            if fixed:
                words[j] = fixed
    return "".join(words)


def _month_of(low: str) -> str | None:
    m = re.search(r"\b(" + "|".join(MONTHS) + r"|" + "|".join(MONTH_ABBR) + r")\b", low)
    return MONTH_ABBR.get(m.group(1), m.group(1)) if m else None


def _same_kind_in(month: str, env: Env) -> str | None:
    """ "the April one": the campaign in play, but from another month (its name without month and year)."""
    shown = env.state.resolve("campaign_performance") or env.state.resolve("campaign") or {}
    name = str(shown.get("campaign_name") or shown.get("name") or "")
    rest = [
        w
        for w in re.findall(r"[A-Za-z][\w']*", name)
        if w.lower() not in MONTHS and w.lower() not in MONTH_ABBR and w.lower() not in ("draft",)
    ]
    return f"{month} {' '.join(rest).lower()}".strip() if rest else None


def _campaign_phrase(env: Env) -> str | None:
    named = env.slot("campaign")
    if named:
        return str(named)
    hit = env.ref_name("campaign")
    if hit:
        return hit
    low = respell(env.step.text.lower())
    month = _month_of(low)
    if (
        month
        and not re.search(CAMPAIGN_NOUNS, low)
        and re.search(r"\bone\b|'s\b|\?$|^\W*(?:and|what about|how about)\b", low)
    ):
        same = _same_kind_in(month, env)
        if same:
            return same
    latest = re.search(rf"\b(?:last|latest|most recent|previous)\s+({CAMPAIGN_NOUNS})?", low)
    if latest:
        return f"last {latest.group(1)}" if latest.group(1) else "last"
    m = re.search(rf"\b(?:my|the|our|this|that)\s+((?:\w+\s+){{0,3}}?{CAMPAIGN_NOUNS}s?)\b", low)
    if m:
        # "the numbers for the newsletter": only what follows the last determiner or preposition names it
        tail = re.split(r"\b(?:the|my|our|this|that|for|of|from|on|about|in)\s+", m.group(1))[-1]
        words = [w for w in tail.split() if w not in ("last", "latest", "recent")]
        after = re.match(rf"\s+(?:from|in|of)\s+({'|'.join(MONTHS)})\b", low[m.end() :])
        if after and not any(w in MONTHS for w in words):
            words = [after.group(1), *words]
        if len(words) > 1 or any(w in MONTHS for w in words):
            return " ".join(words)
    month_noun = re.search(rf"\b({'|'.join(MONTHS)})\s+((?:\w+\s+){{0,2}}?{CAMPAIGN_NOUNS})s?\b", low)
    if month_noun:
        return f"{month_noun.group(1)} {month_noun.group(2)}"
    noun_month = re.search(rf"\b({CAMPAIGN_NOUNS})s?\s+(?:from|in|of|for)\s+({'|'.join(MONTHS)})\b", low)
    if noun_month:
        return f"{noun_month.group(2)} {noun_month.group(1)}"
    period = str(env.slot("period") or "").lower()
    if period in MONTHS:
        noun = re.search(CAMPAIGN_NOUNS, low)
        return f"{period} {noun.group(0)}" if noun else period
    return None


def _as_intent(env: Env, intent: str) -> Env:
    """The same request read as another intent, with that intent's slots."""
    from dataclasses import replace

    from agent.nlu.parse import select_slots
    from agent.nlu.slots import Catalog
    from agent.offline.reading import CATALOG_KINDS

    catalog = Catalog.of(**{CATALOG_KINDS[k]: v for k, v in env.conv.catalog.items() if k in CATALOG_KINDS})
    slots = select_slots(intent, env.step.text, env.step.spans, catalog)
    return replace(env, step=replace(env.step, intent=intent, slots=slots))


def _call(env: Env, name: str, args: dict[str, Any]) -> Outcome:
    if env.done:
        return DONE
    if name not in env.tools:
        return Say(f"I can't do that here yet ({name.replace('_', ' ')} is not available).")
    return Call(name, {k: v for k, v in args.items() if v is not None})


def _simple(tool: str, **arg_slots: str | tuple[str, ...]) -> Callable[[Env], Outcome]:
    def handler(env: Env) -> Outcome:
        args = {}
        for arg, names in arg_slots.items():
            names_t = (names,) if isinstance(names, str) else names
            args[arg] = env.slot(*names_t)
        return _call(env, tool, args)

    return handler


def _ask(env: Env, question: str, missing: str) -> Say:
    return Say(
        question, pending={"intent": env.step.intent, "slots": dict(env.step.slots), "missing": missing}
    )


# ---------------------------------------------------------------------------------------------- handlers


def campaign_performance(env: Env) -> Outcome:
    return _call(
        env,
        "get_campaign_performance",
        {"campaign": _campaign_phrase(env), "exclude_mpp": True if _mentions_mpp(env) else None},
    )


def _mentions_mpp(env: Env) -> bool:
    return bool(
        re.search(
            r"\b(?:without|excluding|exclude|no)\s+(?:apple\s+)?(?:mpp|machine|privacy)",
            env.step.text.lower(),
        )
    )


def period_performance(env: Env) -> Outcome:
    if not env.slot("period"):
        ranked = _ranking(env)
        if ranked is not None:
            return ranked
    channel = env.slot("channel")
    if not channel and re.search(r"\b(?:e-?mails?|newsletters?)\b", env.step.text.lower()):
        channel = "email"  # "how are my emails doing": the email campaigns, SMS left out
    return _call(
        env, "get_period_performance", {"period": env.slot("period") or "last 30 days", "channel": channel}
    )


def _month_campaigns(text: str) -> list[str]:
    """ "the May newsletter and the April one" -> ["may newsletter", "april newsletter"]."""
    low = respell(text.lower())
    months = [
        (m.start(), MONTH_ABBR.get(m.group(1), m.group(1)))
        for m in re.finditer(r"\b(" + "|".join(MONTHS) + "|" + "|".join(MONTH_ABBR) + r")\b", low)
    ]
    if len(months) < 2:
        return []
    nouns = [(m.start(), m.group(1)) for m in re.finditer(rf"\b({CAMPAIGN_NOUNS})s?\b", low)]
    if not nouns:
        return []
    out = []
    for pos, month in months:
        after = next((n for p, n in nouns if p > pos and not any(pos < q < p for q, _ in months)), None)
        noun = after or nouns[0][1]
        phrase = f"{month} {noun}"
        if phrase not in out:
            out.append(phrase)
    return out if len(out) >= 2 else []


_RANKING = re.compile(r"\b(?:best|top|worst|highest|lowest|most|least|fewest|strongest|weakest)\b|\brank")


def _ranking(env: Env) -> Outcome | None:
    """ "Which campaigns got the most clicks?", "top email of April": a period's campaigns, ranked."""
    if env.slot("campaigns") or env.slot("campaign") or not _RANKING.search(env.step.text.lower()):
        return None
    if re.search(r"\b(?:two|2|both|these|those|them)\b", env.step.text.lower()):
        return None
    channel = env.slot("channel") or (
        "email" if re.search(r"\b(?:e-?mails?|newsletters?)\b", env.step.text.lower()) else None
    )
    return _call(
        env, "get_period_performance", {"period": env.slot("period") or "last 365 days", "channel": channel}
    )


def compare(env: Env) -> Outcome:
    names = env.slot("campaigns") or ([env.slot("campaign")] if env.slot("campaign") else [])
    if len(names) < 2:
        names = _month_campaigns(env.step.text) or names
    if env.done and env.done[0][0] == "get_period_performance":
        return DONE
    if len(names) < 2 and not env.done:
        ranked = _ranking(env)
        if ranked is not None:
            return ranked
    if len(names) >= 2:
        return _call(env, "compare_campaigns", {"campaigns": names})
    if not env.done:
        count = env.slot("count") or 2
        return Call(
            "list_campaigns",
            {
                "status": "sent",
                "channel": env.slot("channel") or "email",
                "period": env.slot("period"),
                "limit": int(count),
            },
        )
    if len(env.done) == 1 and env.done[0][3] == "success":
        items = env.done[0][2].get("items", []) if isinstance(env.done[0][2], dict) else []
        if len(items) >= 2:
            return Call("compare_campaigns", {"campaigns": [str(i["id"]) for i in items]})
        return Say("There are not enough sent campaigns in that period to compare.")
    return DONE


def explain(env: Env) -> Outcome:
    return _call(
        env,
        "explain_performance_change",
        {"metric": env.slot("metric") or "open_rate", "period": env.slot("period") or "last week"},
    )


def troubleshoot(env: Env) -> Outcome:
    phrase = env.slot("campaign") or env.ref_name("campaign")
    return _call(env, "troubleshoot_campaign", {"campaign": phrase})


def get_campaign(env: Env) -> Outcome:
    if re.match(r"^\W*how(?:'s|\s+(?:was|were|did|is|are|has))\b", env.step.text, re.IGNORECASE):
        return campaign_performance(env)  # "how was the May newsletter?" asks how it did
    return _call(env, "get_campaign", {"campaign": _campaign_phrase(env)})


def clicks(env: Env) -> Outcome:
    return _call(env, "get_clicks_report", {"campaign": _campaign_phrase(env)})


def list_campaigns(env: Env) -> Outcome:
    if re.search(r"\b(?:click|open|read|engag|perform|convert)\w*", env.step.text.lower()):
        ranked = _ranking(env)  # "my most clicked campaigns" ranks them, it is no plain listing
        if ranked is not None:
            return ranked
    return _call(
        env,
        "list_campaigns",
        {
            "status": env.slot("status"),
            "channel": env.slot("channel"),
            "period": env.slot("period"),
            "limit": env.slot("count"),
        },
    )


def _audience(env: Env, *, from_reference: bool = False) -> tuple[str | None, str | None]:
    """The segment or list the user named; with ``from_reference``, "for them" may be a segment in play."""
    if from_reference and any(r.step is not None for r in env.step.references):
        # "... then draft an email for them": the segment the earlier step just made, by its real name.
        hit = env.ref("segment")
        if hit and hit.get("object") == "segment":
            return hit.get("name"), None
    segment = env.slot("segment")
    lst = env.slot("list")
    if not segment and not lst:
        # "the VIP segment" that is not in the catalog: pass the words on, the tool answers with suggestions.
        m = re.search(r"\b(?:the|my|our)\s+([\w' -]{2,40}?)\s+(segment|list)\b", env.step.text, re.IGNORECASE)
        if m:
            # "the audience to the Newsletter list": the name follows the last determiner.
            name = re.split(r"\b(?:the|my|our)\s+", m.group(1))[-1].strip()
            segment, lst = (name, None) if m.group(2).lower() == "segment" else (None, name)
    if from_reference and not segment and not lst:
        hit = env.ref("segment")
        if hit and hit.get("object") == "segment":
            segment = hit.get("name")
    return segment, lst


def draft(env: Env) -> Outcome:
    segment, lst = _audience(env, from_reference=True)
    topic = _topic(env)
    offer = re.search(
        r"\b(\d{1,2}\s?% off|free shipping|buy one,? get one(?: free)?|bogo)\b", env.step.text, re.IGNORECASE
    )
    return _call(
        env,
        "draft_campaign",
        {
            "offer": offer.group(1) if offer else None,
            "topic": topic,
            "channel": env.slot("channel"),
            "tone": env.slot("tone"),
            "length": env.slot("length"),
            "layout": env.slot("layout"),
            "segment": segment,
            "list_name": lst,
            "brand_kit": env.slot("brand_kit"),
        },
    )


def _subject_as(text: str) -> str | None:
    """'use "We miss you" as the subject' -> We miss you."""
    m = re.search(
        r"[\"“'](?P<s>[^\"”']{2,150})[\"”']\s+(?:as|for)\s+(?:the\s+|its\s+|a\s+)?(?:new\s+)?subject\b",
        text,
        re.IGNORECASE,
    )
    return m.group("s") if m else None


def edit_campaign(env: Env) -> Outcome:
    # An edit with no object named ("make the tone warmer") is about the campaign in play, usually the draft.
    in_play = env.state.resolve("campaign")
    campaign = env.slot("campaign") or env.ref_name("campaign") or (in_play or {}).get("name")
    if not campaign:
        return Say("Which campaign should I change? Name it, or draft one first.")
    segment, lst = _audience(env)
    return _call(
        env,
        "edit_campaign",
        {
            "campaign": campaign,
            "instruction": env.slot("instruction") or env.step.text,
            "tone": env.slot("tone"),
            "length": env.slot("length"),
            "layout": env.slot("layout"),
            "subject": env.slot("subject") or _subject_as(env.step.text),
            "segment": segment,
            "list_name": lst,
        },
    )


def _campaign_or_ask(env: Env) -> str | None:
    """A campaign the user clearly means; "it" with nothing in play is asked about, never guessed."""
    named = next((s.value for s in env.step.spans if s.name == "campaign" and not s.weak), None)
    campaign = env.slot("campaign") or named or _quoted(env.step.text) or env.ref_name("campaign")
    if campaign:
        return str(campaign)
    latest = re.search(rf"\b(?:last|latest|most recent)\s+({CAMPAIGN_NOUNS})?", env.step.text.lower())
    if latest:
        return f"last {latest.group(1)}" if latest.group(1) else "last"
    named = re.search(
        rf"\b(?:the|my|our)\s+([\w' &:-]{{2,60}}?)\s+{CAMPAIGN_NOUNS}\b", env.step.text, re.IGNORECASE
    )
    return named.group(1) if named else None


def _named_before(text: str, noun: str) -> str | None:
    """The name in "the VIP buyers list" / "my Whales segment" (after the last determiner), or None."""
    m = re.search(
        rf"\b(?:the|my|our|a|an)\s+([\w' &-]{{2,40}}?)\s+(?:mailing\s+)?{noun}\b", text, re.IGNORECASE
    )
    if not m:
        return None
    name = re.split(r"\b(?:the|my|our)\s+", m.group(1), flags=re.IGNORECASE)[-1].strip()
    if name.lower() in (
        "new",
        "same",
        "whole",
        "entire",
        "email",
        "mailing",
        "this",
        "that",
        "other",
        "following",
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "last",
        "next",
        "previous",
        "top",
        "latest",
        "newest",
        "biggest",
        "largest",
        "smallest",
    ):
        return None  # "the second segment" picks from a list, it names nothing
    return name


def _quoted(text: str) -> str | None:
    m = re.search(r"[\"“']([^\"”']{2,120})[\"”']", text)
    return m.group(1) if m else None


_VERBS_AND_ASKS = set(IMPERATIVES) | {
    "draft",
    "write",
    "compose",
    "prepare",
    "put",
    "craft",
    "generate",
    "plan",
    "design",
    "need",
    "want",
    "help",
    "produce",
    "whip",
    "come",
    "do",
    "i",
    "we",
    "i'd",
    "we'd",
    "let's",
    "lets",
    "can",
    "could",
    "please",
    "would",
    "will",
    "an",
    "a",
    "the",
    "how",
    "what",
    "which",
    "why",
    "is",
    "are",
    "should",
    "give",
    "get",
    "set",
}


def _style_words() -> set[str]:
    from agent.nlu.slots import LENGTH_WORDS, TONE_WORDS

    return {w for phrase in TONE_WORDS | LENGTH_WORDS for w in phrase.split()} | {
        "quick",
        "new",
        "nice",
        "little",
    }


_STYLE_WORDS = _style_words()


def _topic(env: Env) -> str:
    """What the email is about, without the audience words ("... for the VIP segment")."""
    text = env.step.text
    m = re.search(
        r"\b(?:draft|write|create|make|compose|build|prepare)\s+(?:me\s+)?(?:(?:an?|the|my|our|some)\b\s*)?"
        r"(?P<t>(?!(?:an?|the|my|our|some)\b).+?)\s+(?:email|e-mail|newsletter|sms|text|campaign|message)\b(?P<rest>.*)",
        text,
        re.IGNORECASE,
    )
    # Tone and length words before the noun ("a friendly email", "a short exciting email") are no topic.
    kind = " ".join(w for w in m.group("t").split() if w.lower() not in _STYLE_WORDS) if m else ""
    slot = env.slot("topic")
    if slot and not re.search(r"\b(?:segment|list)\b", str(slot), re.IGNORECASE):
        # "a launch email for our new product": the kind of email belongs to its topic
        return f"{kind} {slot}" if kind and kind.lower() not in str(slot).lower() else str(slot)
    if m:
        topic = kind
        about = re.search(
            r"\b(?:about|on|for)\s+(?P<a>.+?)(?:\s+(?:for|to)\s+the\s+[\w' -]+\s+(?:segment|list))?$",
            m.group("rest").strip(),
            re.IGNORECASE,
        )
        if about and not re.search(r"\b(?:segment|list)\b", about.group("a"), re.IGNORECASE):
            topic = f"{topic} {about.group('a')}".strip()
        if topic:
            return topic
    # "summer clearance email to the Newsletter list": no verb, the words before the noun are the topic
    lead = re.match(
        r"^\W*(?:(?:an?|the|my|our|some|new)\s+)?(?P<t>[\w' &%-]{3,60}?)\s+"
        r"(?:email|e-mail|newsletter|sms|text|campaign|message)\b",
        text,
        re.IGNORECASE,
    )
    if lead and lead.group("t").split()[0].lower() not in _VERBS_AND_ASKS:
        return lead.group("t").strip()
    # "an email saying our boots are back", "an email with a comeback offer for my Lapsed buyers segment",
    # "a friendly email to win back customers who stopped buying"
    said = re.search(
        r"\b(?:email|e-mail|newsletter|sms|text|campaign|message)\s+(?:with|saying|that says|announcing|"
        r"about|offering|on|promoting|telling (?:them|people|everyone)|"
        r"to(?= (?!the\b|my\b|our\b|all\b)[a-z]+\b))"
        r"\s+(?P<a>.+)$",
        text,
        re.IGNORECASE,
    )
    if said:
        topic = re.sub(
            r"\s+(?:for|to)\s+(?:the\s+|my\s+|our\s+)?[\w' -]+?\s+(?:segment|list)\b.*$",
            "",
            said.group("a"),
            flags=re.IGNORECASE,
        )
        topic = re.sub(r"^(?:an?|the)\s+", "", topic.strip(" .!?"), flags=re.IGNORECASE)
        if len(topic) >= 3:
            return topic
    return text


_CAN_I_SMS = re.compile(
    r"^\W*(?:can|could|am|are|is|do|does|may)\s+(?:i|we|my account|our account|this account|the account)\b.*"
    r"\b(?:sms|texts?|text messag\w*|texting)\b",
    re.IGNORECASE,
)


_SEND_VERB = re.compile(
    r"\b(?:send|sent|blast|deliver|push|fire|launch|mail|text|go out|email (?:it|this|that|them)|"
    r"release|dispatch|resend|broadcast)\b",
    re.IGNORECASE,
)


def send(env: Env) -> Outcome:
    if (
        not _SEND_VERB.search(env.step.text)
        and not env.slot("campaign")
        and not _quoted(env.step.text)
        and not env.step.references
        and "draft_campaign" in env.tools
    ):
        # "comeback offer email to the Lapsed buyers segment": nothing says send, and nothing exists to send.
        return draft(_as_intent(env, "draft_campaign"))
    if (
        not env.slot("campaign")
        and not _quoted(env.step.text)
        and _CAN_I_SMS.search(env.step.text)
        and not env.slot("email", "phone", "segment", "list")
        and not re.search(
            r"\b(?:segment|list|contacts?|people|customers|everyone|subscribers|them|him|her|about)\b",
            env.step.text,
            re.IGNORECASE,
        )
    ):
        # "Can my account send SMS yet?" asks whether SMS is on the plan, it sends nothing.
        return _call(env, "check_feature", {"feature": "sms"})
    campaign = _campaign_or_ask(env)
    described = not (env.slot("campaign") or _quoted(env.step.text) or env.ref_name("campaign"))
    if (
        campaign is not None
        and described
        and re.search(
            r"\b(?:an?|customers|subscribers|contacts|people|everyone|clients)\b", campaign, re.IGNORECASE
        )
        and "draft_campaign" in env.tools
    ):
        # "send my customers an sms reminder for their appointment": new content to write, no campaign to send
        return draft(_as_intent(env, "draft_campaign"))
    if campaign is None:
        return _ask(env, "Which campaign should I send? Give me its name.", "campaign")
    segment, lst = _audience(env)
    if (segment or lst) and not env.done and campaign and "edit_campaign" in env.tools:
        return Call(
            "edit_campaign",
            {"campaign": campaign, "segment": segment, "list_name": lst, "instruction": "set the audience"},
        )
    if len(env.done) == 1 and env.done[0][0] == "edit_campaign" and env.done[0][3] == "success":
        return Call("send_campaign", {"campaign": campaign})
    return _call(env, "send_campaign", {"campaign": campaign})


def schedule(env: Env) -> Outcome:
    campaign = _campaign_or_ask(env)
    if campaign is None:
        return _ask(env, "Which campaign should I schedule? Give me its name.", "campaign")
    when = env.slot("when")
    if not when:
        return _ask(env, "When should it go out? For example 'tomorrow 9am' or '2026-12-01 10:00'.", "when")
    return _call(env, "schedule_campaign", {"campaign": campaign, "send_at": when})


def segment_conditions(env: Env) -> list[dict[str, Any]] | None:
    tree = env.slot("conditions")
    if isinstance(tree, dict) and tree.get("root", {}).get("conditions"):
        return tree["root"]["conditions"]
    tag = env.slot("tag")
    if tag:
        return [{"type": "tag", "tag": tag, "op": "has"}]
    lst = env.slot("list")
    if lst:
        return [{"type": "list", "list": lst, "op": "subscribed"}]
    return None


def _segment_name(env: Env, conditions: list[dict[str, Any]]) -> str:
    named = env.slot("name")
    if named:
        return str(named)
    m = re.search(
        r"\bas\s+(?:the\s+|a\s+|my\s+|our\s+)?(?:segment\s+)?"
        r"[\"“']?(?P<n>[\w][\w' &-]{1,60}?)[\"”']?(?:\s+segment)?\s*[.!]?$",
        env.step.text,
        re.IGNORECASE,
    )
    if (
        m
        and re.search(r"\bsegment\b", env.step.text, re.IGNORECASE)
        and m.group("n").lower() not in ("a", "new", "segment")
    ):
        return m.group("n").strip()
    low = env.conv.text.lower()
    for word, name in (
        ("win-back", "Win-back"),
        ("win back", "Win-back"),
        ("vip", "VIPs"),
        ("inactive", "Inactive"),
        ("never bought", "Engaged non-buyers"),
        ("lapsed", "Lapsed"),
    ):
        if word in low:
            return name
    kinds = "-".join(sorted({c.get("action") or c.get("type", "") for c in conditions}))
    return f"Segment ({kinds})"


def create_segment(env: Env) -> Outcome:
    conditions = segment_conditions(env)
    previewed = env.state.resolve("segment_preview")
    refers_back = bool(env.step.references) or not conditions
    if refers_back and previewed and previewed.get("conditions"):
        # "Save it as a segment" after a preview: the conditions the user just saw counted.
        conditions = previewed["conditions"]
    if not conditions:
        return _ask(
            env,
            "Who should be in the segment? Describe them, e.g. 'opened in the last 90 days but never "
            "bought' or 'tagged VIP in Berlin'.",
            "conditions",
        )
    match = (
        (env.slot("conditions") or {}).get("root", {}).get("match", "all")
        if isinstance(env.slot("conditions"), dict)
        else "all"
    )
    return _call(
        env,
        "create_segment",
        {
            "name": _segment_name(env, conditions),
            "conditions": conditions,
            "match": match,
            "rename_if_taken": not env.slot("name"),
        },
    )


def preview_segment(env: Env) -> Outcome:
    conditions = segment_conditions(env)
    if not conditions:
        named = env.slot("segment") or _named_before(env.step.text, "segment") or env.ref_name("segment")
        if named:
            return _call(env, "get_segment", {"segment": named})
        return _ask(env, "Which contacts should I count? Describe them, e.g. 'clicked in May'.", "conditions")
    match = (
        env.slot("conditions").get("root", {}).get("match", "all")
        if isinstance(env.slot("conditions"), dict)
        else "all"
    )
    return _call(env, "preview_segment", {"conditions": conditions, "match": match})


def automation(env: Env) -> Outcome:
    duration = env.slot("duration")
    days = _days(duration)
    return _call(
        env,
        "create_automation",
        {
            "kind": env.slot("kind"),
            "emails": env.slot("count"),
            "wait_days": days,
            "trigger_list": env.slot("list"),
            "trigger_tag": env.slot("tag"),
            "topic": env.slot("topic"),
        },
    )


def _days(duration: Any) -> int | None:
    if not isinstance(duration, str):
        return None
    m = re.fullmatch(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(\d+)H)?", duration)
    if not m:
        return None
    weeks, days, hours = (int(x) if x else 0 for x in m.groups())
    total = weeks * 7 + days + (1 if hours and not (weeks or days) else 0)
    return total or None


def activate_automation(env: Env) -> Outcome:
    # "activate it" right after building one: the automation in play (or the one open on the page).
    name = env.slot("automation") or env.ref_name("automation")
    if not name:
        return _ask(env, "Which automation should I turn on? Give me its name.", "automation")
    return _call(env, "activate_automation", {"automation": str(name)})


def list_tags(env: Env) -> Outcome:
    tag = env.slot("tag")
    # "How many contacts have the tag X?" is a count of one tag, not a listing of all tags.
    if tag and re.search(r"\b(?:how many|count|number of|who has|who have)\b", env.step.text.lower()):
        return _call(env, "preview_segment", {"conditions": [{"type": "tag", "tag": tag, "op": "has"}]})
    return _call(env, "list_tags", {})


def contact_ref(env: Env) -> str | None:
    value = env.slot("contact", "email")
    if value:
        return str(value)
    hit = env.ref("contact")
    return str(hit.get("email") or hit.get("id")) if hit else None


def _need_contact(env: Env, tool: str, **extra: Any) -> Outcome:
    contact = contact_ref(env)
    if not contact:
        return _ask(env, "Which contact? Give me their email address.", "contact")
    return _call(env, tool, {"contact": contact, **extra})


_REMOVAL = re.compile(
    r"\b(?:remove|removed|untag|take off|taken off|delete|drop|strip|clear|no longer|shouldn't|should not|"
    r"not be|"
    r"isn't|is not|without|get rid)\b",
    re.IGNORECASE,
)


def tag_handler(tool: str) -> Callable[[Env], Outcome]:
    def handler(env: Env) -> Outcome:
        if tool == "remove_tag" and not _REMOVAL.search(env.step.text):
            return tag_handler("add_tag")(env)  # "X should be tagged VIP" says nothing about removing
        tag = env.slot("tag")
        if (
            tool == "add_tag"
            and not contact_ref(env)
            and re.search(r"\b(?:add|create|make)\s+(?:a\s+)?(?:new\s+)?tag\b", env.step.text, re.IGNORECASE)
            and not re.search(
                r"\bto\s+(?:him|her|them|it|this|that|these|those)\b", env.step.text, re.IGNORECASE
            )
        ):
            # "add a tag Webinar 2026" with nobody to tag: a new tag for the account.
            return create_tag(env)
        if not tag:
            return _ask(env, "Which tag?", "tag")
        return _need_contact(env, tool, tag=tag)

    return handler


def list_member_handler(tool: str) -> Callable[[Env], Outcome]:
    def handler(env: Env) -> Outcome:
        # A list the account does not have ("the Wholesale buyers list") goes to the tool, which names the
        # lists that exist, instead of being dropped and asked for again.
        lst = env.slot("list") or _named_before(env.step.text, "list")
        if not lst:
            return _ask(env, "Which list?", "list")
        return _need_contact(env, tool, list_name=lst)

    return handler


def create_tag(env: Env) -> Outcome:
    # "a tag called Webinar 2026 (no contacts yet)": the whole name, not its first word.
    m = re.search(
        r"\btag\s+(?:(?:called|named|titled)\s+)?[\"“']?(?P<n>[\w][\w &.-]{0,40}?)[\"”']?"
        r"\s*(?=[(,;.!?]|$|\s+(?:for|with|to|and)\b)",
        env.step.text,
        re.IGNORECASE,
    )
    long_name = m.group("n").strip() if m and m.group("n").lower() not in ("called", "named") else None
    name = _span(env, "name", "quoted") or long_name or env.slot("tag")
    if not name:
        return _ask(env, "What should the new tag be called?", "tag")
    return _call(env, "create_tag", {"name": str(name)})


def _person_names(text: str, email: str | None) -> dict[str, str]:
    """First and last name given with a new contact: "first name Jane", "named Jane Doe"."""
    out: dict[str, str] = {}
    for key, rx in (
        ("first_name", r"\bfirst[- ]?name(?:\s+is|\s*:|\s*=)?\s+(?P<v>[A-Z][\w'-]*)"),
        ("last_name", r"\b(?:last[- ]?name|surname|family name)(?:\s+is|\s*:|\s*=)?\s+(?P<v>[A-Z][\w'-]*)"),
    ):
        m = re.search(rx, text, re.IGNORECASE)
        if m:
            out[key] = m.group("v")
    if not out:
        m = re.search(
            r"\b(?:named|called|name is|for)\s+(?P<f>[A-Z][\w'-]+)(?:\s+(?P<l>[A-Z][\w'-]+))?", text
        )
        if m and (not email or m.group("f").lower() not in email.split("@")[1].lower()):
            out["first_name"] = m.group("f")
            if m.group("l"):
                out["last_name"] = m.group("l")
    return out


def create_contact(env: Env) -> Outcome:
    email = env.slot("email")
    if not email:
        return _ask(env, "What is the new contact's email address?", "email")
    return _call(
        env,
        "create_contact",
        {"email": email, "phone": env.slot("phone"), **_person_names(env.step.text, str(email))},
    )


def deal_ref(env: Env) -> str | None:
    value = env.slot("deal")
    if value:
        return str(value)
    return deal_title(env) or env.ref_name("deal")


# A deal title as people write them: capitalised words, maybe joined by " - " or " & " ("Pioneer Spa -
# Wholesale order"), up to ten words; where it ends is told by what follows it.
_TITLE_WORD = (
    r"(?!(?:about|the|on|for|to|with|of|in|a|an|at|by|from|into|as|is|was|should|has|and|or|but|that|this|"
    r"it|them|their|back|now|please|deal|opportunity)\b)[\w&'.]+"
)
_TITLE = rf"[A-Z0-9][\w&'.]*(?:(?:\s+[-\u2013&]\s+|\s+){_TITLE_WORD}){{0,9}}?"
_TITLE_STOP = {
    "the",
    "a",
    "an",
    "we",
    "i",
    "our",
    "my",
    "move",
    "put",
    "shift",
    "mark",
    "close",
    "closed",
    "add",
    "create",
    "note",
    "for",
    "set",
    "update",
    "change",
    "show",
    "what",
    "how",
    "which",
    "please",
    "can",
    "could",
    "would",
    "log",
    "won",
    "lost",
    "win",
    "lose",
    "deal",
    "deals",
    "new",
    "make",
    "open",
    "get",
    "tell",
    "give",
    "assign",
    "bump",
    "push",
    "advance",
    "reopen",
    "remind",
    "it",
    "this",
    "that",
    "task",
    "call",
    "is",
    "was",
    "and",
    "then",
    "also",
    "to",
}
_AFTER_TITLE = (
    r"(?=\s+(?:to|as|into|in|is|should|has|was|stage|from|with|worth|now|for|on|back|-\s*(?:call|note|they))\b"
    r"|\s*[:!,.;?)]|\s*$)"
)


def _title_starts(text: str) -> list[int]:
    return [
        m.start()
        for m in re.finditer(r"(?<![\w'-])[A-Z0-9][\w&'.]*", text)
        if m.group(0).lower().strip(".'") not in _TITLE_STOP
    ]


def deal_title(env: Env) -> str | None:
    """The deal a request names when the catalog does not know it: "the X deal", "deal: X", "We won X!"."""
    text = env.step.text
    known = {
        n.lower()
        for kind in ("stages", "pipelines", "lists", "tags", "segments")
        for n in env.conv.catalog.get(kind, [])
    }
    starts = _title_starts(text)

    def ok(title: str) -> bool:
        low = title.lower()
        return bool(title) and low not in known and low not in MONTHS and not re.fullmatch(r"\d+", title)

    # "the Pioneer Spa - Wholesale order deal", "for Acme Renewal opportunity"
    for pos in starts:
        m = re.match(rf"({_TITLE})\s+(?:deal|opportunity)\b", text[pos:])
        if m and ok(m.group(1)):
            return m.group(1)
    # "deal Pioneer Spa - Wholesale order", "deal: Acme renewal", "opportunity called Acme"
    for m in re.finditer(
        r"\b(?:deal|opportunity)\s*(?::|called|named|titled)?\s*[\"“']?", text, re.IGNORECASE
    ):
        rest = text[m.end() :]
        t = re.match(rf"({_TITLE})[\"”']?{_AFTER_TITLE}", rest)
        if t and ok(t.group(1)) and t.group(1).lower().split()[0] not in _TITLE_STOP:
            return t.group(1)
    # "We won Brightside Gifts - Corporate gifts!", "Pioneer Spa - Wholesale order should be in Negotiation"
    for pos in starts:
        m = re.match(rf"({_TITLE}){_AFTER_TITLE}", text[pos:])
        if (
            m
            and ok(m.group(1))
            and (" - " in m.group(1) or " \u2013 " in m.group(1) or len(m.group(1).split()) >= 2)
        ):
            return m.group(1)
    return None


def update_deal(env: Env) -> Outcome:
    deal = deal_ref(env)
    if not deal:
        return _ask(env, "Which deal? Give me its title.", "deal")
    money = env.slot("money")
    return _call(
        env,
        "update_deal",
        {
            "deal": deal,
            "stage": env.slot("stage"),
            "status": env.slot("status"),
            "value": _amount(money),
            "owner": env.slot("owner"),
        },
    )


def _amount(money: Any) -> float | None:
    if isinstance(money, int | float):
        return float(money)
    if isinstance(money, dict):
        return float(money.get("amount") or 0) or None
    if isinstance(money, str):
        m = re.search(r"[\d,.]+", money)
        return float(m.group(0).replace(",", "")) if m else None
    return None


def create_deal(env: Env) -> Outcome:
    title = env.slot("name") or _span(env, "quoted") or deal_title(env) or env.slot("company")
    money = _amount(env.slot("money"))
    # No pipeline in the catalog: the tool still answers (on a plan without deals, with what to upgrade).
    pipeline = env.slot("pipeline") or (env.conv.catalog.get("pipelines") or [""])[0]
    if not title:
        return _ask(env, "What should the deal be called?", "name")
    if money is None:
        return _ask(env, f"What is the {title} deal worth?", "money")
    return _call(
        env,
        "create_deal",
        {
            "title": str(title),
            "value": money,
            "pipeline": pipeline,
            "stage": env.slot("stage"),
            "contact": env.slot("email"),
            "owner": env.slot("owner"),
        },
    )


def add_note(env: Env) -> Outcome:
    deal = deal_ref(env)
    note = env.slot("note")
    if not deal:
        return _ask(env, "Which deal should the note go on?", "deal")
    return _call(env, "add_note", {"deal": deal, "text": note or env.step.text})


# ---------------------------------------------------------------------------------------- account and content


def check_feature(env: Env) -> Outcome:
    feature = env.slot("feature")
    if feature:
        return _call(env, "check_feature", {"feature": feature})
    if re.search(r"\bpersonali[sz]\w*|\bmerge tags?\b|\bfields?\b", env.step.text.lower()):
        # "which personalization tags do I have access to?": the fields, not a plan feature.
        return _call(env, "list_custom_fields", {})
    # "What plan am I on?", "what's included in my plan": the account's plan, add-ons and included features.
    return _call(env, "get_account_overview", {})


_GOAL_METRICS: tuple[tuple[str, str], ...] = (
    ("open_rate", r"\bopen(?:ing)?[- ]?rates?\b|\bopens\b"),
    ("click_rate", r"\bclick(?:[- ]?through)?[- ]?rates?\b|\bctr\b|\bclicks\b"),
    ("deals_won", r"\bdeals?\b"),
    ("revenue", r"\brevenue\b|\bsales\b|\bincome\b|\bearn\w*|\bturnover\b|\bmoney\b"),
    ("orders", r"\borders?\b|\bpurchas\w*|\bbuy\w*|\bbought\b|\bcheckouts?\b"),
    (
        "new_contacts",
        r"\bsubscriber\w*|\bcontacts?\b|\bsign[- ]?ups?\b|\bleads?\b|\bfollowers\b|\blist growth\b|"
        r"\bgrow\w* (?:my |our |the )?(?:\w+ )?list\b|\bsubscribe\w*|\bopt[- ]?ins?\b",
    ),
)
_GOAL_WORDS = {
    "revenue": "revenue",
    "orders": "orders",
    "new_contacts": "new contacts",
    "open_rate": "open rate",
    "click_rate": "click rate",
    "deals_won": "deals won",
}
_PERIOD_WORDS = (
    ("week", r"\bweek(?:ly)?\b"),
    ("month", r"\bmonth(?:ly)?\b"),
    ("quarter", r"\bquarter(?:ly)?\b|\bq[1-4]\b"),
    ("year", r"\byear(?:ly)?\b|\bannual(?:ly)?\b|\b20\d\d\b"),
)


def _goal_metric(text: str) -> str | None:
    low = text.lower().replace("_", " ")
    for metric, rx in _GOAL_METRICS:
        if re.search(rx, low):
            return metric
    return None


def _goal_period(text: str) -> str | None:
    low = text.lower()
    for period, rx in _PERIOD_WORDS:
        if re.search(rx, low):
            return period
    return None


def _target_value(text: str, metric: str) -> float | None:
    """The number to reach, from "500", "$20k", "1.5 million", "25%" (rates become fractions)."""
    m = re.search(
        r"(?<![\w.])[$€£]?\s?(\d[\d,]*(?:\.\d+)?)\s?(k|m|thousand|million|%|percent)?(?![\w.])",
        text.replace("per cent", "percent"),
        re.IGNORECASE,
    )
    if not m:
        return None
    value = float(m.group(1).replace(",", ""))
    unit = (m.group(2) or "").lower()
    value *= {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000}.get(unit, 1)
    if metric in ("open_rate", "click_rate") and (unit in ("%", "percent") or value > 1):
        value /= 100
    return value or None


def _goal_target_text(env: Env) -> str:
    """The part of the request that states the target: the answer to "what target?", or the request itself."""
    given = env.slot("target")
    if given is not None:
        return str(given)
    money = env.slot("money")
    if isinstance(money, dict) and money.get("amount"):
        return str(money["amount"])
    text = re.sub(
        r"\b(?:in|by|for|this|next|per|every|each)\s+(?:q[1-4]|20\d\d)\b",
        " ",
        env.step.text,
        flags=re.IGNORECASE,
    )
    return text


def create_goal(env: Env) -> Outcome:
    slots = dict(env.step.slots)
    metric = (
        _goal_metric(str(env.slot("metric") or "")) or env.slot("metric_key") or _goal_metric(env.step.text)
    )
    period = _goal_period(env.step.text) or env.slot("goal_period") or "month"
    known = {**slots, "metric_key": metric, "goal_period": period}
    if metric not in _GOAL_WORDS:
        return Say(
            "What should the goal measure: revenue, orders, new contacts, open rate, click rate or deals "
            "won? And what target, per week, month, quarter or year?",
            pending={"intent": "create_goal", "slots": known, "missing": "metric"},
        )
    target = _target_value(_goal_target_text(env), metric)
    words = _GOAL_WORDS[metric]
    if target is None:
        example = {
            "revenue": "$20,000",
            "orders": "300 orders",
            "new_contacts": "500 new contacts",
            "open_rate": "35%",
            "click_rate": "4%",
            "deals_won": "10 deals",
        }[metric]
        return Say(
            f"What {words} target should the goal have, and per week, month, quarter or year? "
            f"For example '{example} a {period}'.",
            pending={"intent": "create_goal", "slots": known, "missing": "target"},
        )
    shown = (
        f"{target:.0%}"
        if metric in ("open_rate", "click_rate")
        else f"${target:,.0f}"
        if metric == "revenue"
        else f"{target:,.0f}"
    )
    name = env.slot("name") if env.slot("name") and not re.match(r"^\$?\d", str(env.slot("name"))) else None
    return _call(
        env,
        "create_goal",
        {
            "name": str(name or f"{shown} {words} per {period}"),
            "metric": metric,
            "target": target,
            "period": period,
        },
    )


_BODY_RE = re.compile(
    r"(?:\bsaying|\bthat says|\bwhich says|\bthat reads|"
    r"\bwith (?:the )?(?:text|body|message|content|wording)|"
    r"\b(?:text|body|message|content)\s*:|\bthe (?:text|body) is|:)"
    r"\s*:?\s*[\"“']?(?P<b>.+?)[\"”']?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def create_saved_response(env: Env) -> Outcome:
    text = env.step.text
    body = env.slot("body")
    if not body:
        m = _BODY_RE.search(text)
        body = m.group("b").strip() if m else None
    title = env.slot("name")
    if title and body and str(title).strip() in str(body):
        title = None
    if not title:
        m = re.search(
            r"\b(?:called|named|titled)\s+[\"“']?(?P<t>[^\"”':,]{2,80}?)[\"”']?\s*(?=[:,]|\s+(?:saying|that|which|with|in)\b|$)",
            text,
            re.IGNORECASE,
        ) or re.search(
            r"\b(?:saved|canned)\s+(?:response|reply|answer)\s+[\"“']?(?P<t>[^\"”':,]{2,80}?)[\"”']?\s*(?=[:,]|\s+(?:saying|that|which|with|in)\b|$)",
            text,
            re.IGNORECASE,
        )
        title = m.group("t").strip() if m else None
    category = env.slot("category")
    if not body:
        known = {**env.step.slots, "name": title} if title else dict(env.step.slots)
        return Say(
            "What should the saved response say? Send me its text.",
            pending={"intent": "create_saved_response", "slots": known, "missing": "body"},
        )
    if not title:
        return Say(
            "What should the saved response be called?",
            pending={
                "intent": "create_saved_response",
                "slots": {**env.step.slots, "body": body},
                "missing": "name",
            },
        )
    return _call(env, "create_saved_response", {"title": str(title), "body": str(body), "category": category})


_STANDARD_FIELDS = ("first_name", "last_name", "phone", "city", "country")


def _country_code(value: str) -> str:
    from agent.nlu.conditions import COUNTRIES

    clean = value.strip().strip(".")
    return COUNTRIES.get(clean.lower(), clean.upper() if len(clean) == 2 else clean)


def update_contact(env: Env) -> Outcome:
    # The email address first: a capitalised new value ("... to Jackson-Smith") can look like a person's name.
    hit = env.ref("contact")
    contact = (
        env.slot("email") or (str(hit.get("email") or hit.get("id")) if hit else None) or env.slot("contact")
    )
    text = env.step.text
    field_name = env.slot("field")
    value = env.slot("value")
    custom = next(
        (
            f
            for f in env.conv.catalog.get("fields", [])
            if re.search(rf"\b{re.escape(f.lower())}\b", text.lower())
        ),
        None,
    )
    moved = re.search(
        r"\b(?:moved|relocated|lives|living|is based|now based|now lives)\s+(?:to|in)\s+"
        r"(?P<p>[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)",
        text,
    )
    if custom and field_name not in _STANDARD_FIELDS and not moved:
        field_name = custom
    if moved and (value is None or not field_name):
        place = moved.group("p")
        field_name = field_name or ("country" if place.lower() in _countries() else "city")
        value = place
    if env.slot("phone") and field_name in (None, "phone"):
        field_name, value = "phone", env.slot("phone")
    if value is None and field_name:
        m = re.search(
            r"\b(?:to|is now|should be|is|as|=)\s+"
            r"[\"“']?(?P<v>[^,;\"”']+?)[\"”']?\s*(?:now|please)?\s*[.!]?\s*$",
            text,
            re.IGNORECASE,
        )
        value = m.group("v").strip() if m else None
    if not contact:
        return _ask(env, "Which contact? Give me their email address.", "contact")
    if not field_name:
        return Say(
            "What should I change on the contact? For example 'set their city to Berlin' or 'change their "
            "phone to +14155550100'."
        )
    if value is None or str(value).strip() == "" or "@" in str(value):
        label = str(field_name).replace("_", " ")
        return Say(
            f"What should the {label} be?",
            pending={
                "intent": "update_contact",
                "slots": {**env.step.slots, "email": contact, "field": field_name},
                "missing": "value",
            },
        )
    value = str(value).strip()
    if field_name in _STANDARD_FIELDS:
        return _call(
            env,
            "update_contact",
            {"contact": contact, field_name: _country_code(value) if field_name == "country" else value},
        )
    fields = list(env.conv.catalog.get("fields", []))
    match = next((f for f in fields if f.lower() == str(field_name).lower().replace("_", " ")), None)
    if match:
        return _call(env, "update_contact", {"contact": contact, "custom_fields": {match: value}})
    custom_list = ", ".join(fields) if fields else "none yet"
    return Say(
        f"I can change a contact's first name, last name, phone, city and country, or a custom field "
        f"(this account has: {custom_list}); '{str(field_name).replace('_', ' ')}' is not one of them."
    )


def _countries() -> set[str]:
    from agent.nlu.conditions import COUNTRIES

    return set(COUNTRIES)


_FORM_FILLER = {
    "a",
    "an",
    "the",
    "my",
    "our",
    "new",
    "simple",
    "basic",
    "quick",
    "little",
    "small",
    "short",
    "nice",
    "inline",
    "embedded",
    "popup",
    "pop-up",
    "modal",
    "floating",
    "bar",
    "box",
    "web",
    "website",
    "online",
    "some",
    "one",
    "create",
    "make",
    "build",
    "need",
    "want",
    "add",
    "set",
    "up",
    "me",
    "i",
    "please",
}


def _span(env: Env, *names: str) -> Any:
    """A slot found in the text whatever the intent uses (e.g. an explicit "called X" name)."""
    for n in names:
        for s in env.step.spans:
            if s.name == n and s.value:
                return s.value
    return None


def _form_name(env: Env) -> str | None:
    """A name for a form from what it is for: "signup form for the newsletter" -> "Newsletter signup form"."""
    named = env.slot("name") or _span(env, "name", "quoted")
    if named:
        return str(named)
    text = env.step.text
    before = re.search(r"\b((?:[\w-]+\s+){0,4}?)forms?\b", text, re.IGNORECASE)
    kind = [w for w in (before.group(1).split() if before else []) if w.lower() not in _FORM_FILLER]
    after = re.search(
        r"\bforms?\s+(?:for|to promote|about|on)\s+(?:my|our|the|a|an)?\s*(?P<p>[\w' &-]{2,50}?)"
        r"(?=\s+(?:that|which|with|asking|to|including|includes|where|so|and|on|in)\b|[,.;:!?(]|$)",
        text,
        re.IGNORECASE,
    )
    purpose = after.group("p").strip() if after else ""
    if re.search(r"\s(?:mailing\s+)?list$", purpose, re.IGNORECASE):
        purpose = re.sub(r"\s+(?:mailing\s+)?list$", "", purpose, flags=re.IGNORECASE)
        kind = kind or ["signup"]
    if purpose.lower() in (
        "people",
        "contacts",
        "visitors",
        "subscribers",
        "customers",
        "signups",
        "sign-ups",
    ):
        purpose = ""
    words = " ".join([purpose, *kind]).split()
    if not words:
        lst = env.slot("list")
        return f"{lst} signup form" if lst else None
    name = " ".join(words)
    return (name[0].upper() + name[1:] + " form")[:150]


def _form_fields(text: str) -> list[str] | None:
    m = re.search(
        r"\b(?:asking for|asks for|ask for|with (?:the )?fields?(?: for)?|fields?:|collect(?:s|ing)?|"
        r"that (?:includes?|has|asks for|collects)|including|includes)\s+(?P<f>.+?)(?:[.!?]|$)",
        text,
        re.IGNORECASE,
    )
    if not m:
        return None
    parts = [p.strip() for p in re.split(r",|\band\b|&|/", m.group("f"))]
    fields = []
    for p in parts:
        p = re.sub(r"^(?:their|the|a|an|his|her)\s+", "", p, flags=re.IGNORECASE).strip(" .")
        p = re.sub(r"^how (?:big|large) (?:their |the )?(\w+) is$", r"\1 size", p, flags=re.IGNORECASE)
        if p and p.lower() not in ("email", "email address", "e-mail") and len(p.split()) <= 4:
            fields.append(p.lower())
    return fields or None


def create_form(env: Env) -> Outcome:
    name = _form_name(env)
    if not name:
        return _ask(
            env,
            "What should the form be called? (You can also tell me a list to subscribe people to.)",
            "name",
        )
    lst = env.slot("list")
    if not lst:
        # "a newsletter signup form": a list the account has, named as the form's purpose.
        low = env.step.text.lower()
        lst = next(
            (n for n in env.conv.catalog.get("lists", []) if re.search(rf"\b{re.escape(n.lower())}\b", low)),
            None,
        )
    return _call(
        env,
        "create_form",
        {"name": name, "fields": _form_fields(env.step.text), "list_name": lst, "tag": env.slot("tag")},
    )


# Intents the model understands but no tool serves yet: say so, and what can be done instead.
NOT_YET = {
    "best_send_time": (
        "I can't work out a best send time yet: there is no send-time analysis among my tools. What I can "
        "do: schedule a campaign for a time you pick (in your account's time zone), show how past "
        "campaigns did so you can compare, or check whether predictive sending is on your plan."
    ),
    "get_deal_forecast": (
        "I can't build a deal forecast yet: there is no forecast report among my tools. What I can do: "
        "list your open deals by pipeline, stage or owner with their values, or show one deal."
    ),
    "get_win_probability": (
        "I can't give a deal's win probability yet: there is no win-probability score among my tools. "
        "What I can do: show the deal (stage, value, owner, notes) or list open deals by stage."
    ),
}


def not_yet(env: Env) -> Outcome:
    low = env.step.text.lower()
    if (
        env.step.intent == "get_win_probability"
        and not re.search(r"\b(?:chances?|likel\w*|probab\w*|odds|predict\w*|risk|will)\b", low)
        and re.search(
            r"\b(?:did we win|have we won|we(?:'ve| have)? won|deals? (?:we|that we) won|won deals?)\b", low
        )
    ):
        # "Which deals did we win?" is about deals already won, not a prediction.
        return _call(env, "list_deals", {"status": "won", "pipeline": env.slot("pipeline")})
    return Say(NOT_YET[env.step.intent])


def list_deals(env: Env) -> Outcome:
    low = env.step.text.lower()
    if (
        re.search(r"\bpipelines\b|\bstages\b", low)
        and not re.search(r"\bdeals?\b|\bopportunit", low)
        and "list_pipelines" in env.tools
    ):
        # "What pipelines do I have?": the pipelines and their stages, not the deals in them.
        return _call(env, "list_pipelines", {})
    return _call(
        env,
        "list_deals",
        {
            "pipeline": env.slot("pipeline"),
            "stage": env.slot("stage"),
            "status": env.slot("status"),
            "owner": env.slot("owner"),
        },
    )


def create_task(env: Env) -> Outcome:
    deal = deal_ref(env)
    title = str(env.slot("task") or "").strip()
    if deal and title:
        # "call them back on the Acme - Renewal deal": the deal goes in its own argument, not in the title.
        title = re.sub(
            rf"\s*[(,]?\s*(?:about|on|for|regarding|re:?|with)?\s*(?:the\s+)?(?:deal\s*:?\s*)?{re.escape(deal)}"
            rf"(?:\s+(?:deal|opportunity))?\s*\)?",
            " ",
            title,
            flags=re.IGNORECASE,
        ).strip(" ,;:")
    if not title:
        m = re.search(r"\b(?:task|to-?do|reminder)\s*(?:to|:)\s*(?P<t>.+)$", env.step.text, re.IGNORECASE)
        title = m.group("t").strip() if m else ""
    if not title:
        return _ask(env, "What is the task? For example 'call them back about pricing'.", "task")
    if not deal:
        return _ask(env, f"Which deal is the task '{title}' for? Give me the deal's title.", "deal")
    return _call(env, "create_task", {"title": title, "deal": deal, "owner": env.slot("owner")})


_PAGE_GETTERS = {
    "campaign": ("get_campaign", "campaign"),
    "automation": ("get_automation", "automation"),
    "segment": ("get_segment", "segment"),
    "deal": ("get_deal", "deal"),
    "contact": ("get_contact", "contact"),
}


def list_saved_responses(env: Env) -> Outcome:
    topic = env.slot("topic")
    if topic:
        # "about refunds" finds "Refund issued": the stem of each word, not the plural
        topic = " ".join(re.sub(r"(?<=[a-z]{3})(?:ies|es|s)$", "", w) for w in str(topic).lower().split())
    return _call(env, "list_saved_responses", {"category": env.slot("category"), "search": topic})


def select(env: Env) -> Outcome:
    ordinal = env.slot("ordinal")
    item = env.state.resolve(None, int(ordinal)) if isinstance(ordinal, int) else None
    page = env.conv.page or {}
    if (
        not item
        and not env.state.listed
        and page.get("object_id")
        and re.search(r"\b(?:this|that)\b", env.step.text.lower())
    ):
        # "what does this one say?" on a campaign's page: the object on the page.
        getter = _PAGE_GETTERS.get(str(page.get("object_type")))
        if getter and getter[0] in env.tools:
            return _call(env, getter[0], {getter[1]: str(page["object_id"])})
    if not item:
        return Say(
            "Which one? I don't have a list in this chat to pick from; ask me to list something first."
        )
    kind = env.state.listed_kind
    tool, key = {
        "campaign": ("get_campaign", "campaign"),
        "deal": ("get_deal", "deal"),
        "contact": ("get_contact", "contact"),
        "segment": ("get_segment", "segment"),
        "campaign_performance": ("get_campaign_performance", "campaign"),
    }.get(kind or "", (None, None))
    if tool is None or key is None:
        return Say(f"That is {item.get('name') or item.get('title') or item}.")
    ref = (
        item.get("email")
        if key == "contact"
        else (item.get("id") or item.get("campaign_id") or item.get("name"))
    )
    return _call(env, tool, {key: str(ref)})


HANDLERS: dict[str, Callable[[Env], Outcome]] = {
    "get_campaign_performance": campaign_performance,
    "get_period_performance": period_performance,
    "compare_campaigns": compare,
    "explain_performance_change": explain,
    "get_clicks_report": clicks,
    "list_campaigns": list_campaigns,
    "get_campaign": get_campaign,
    "troubleshoot_campaign": troubleshoot,
    "draft_campaign": draft,
    "edit_campaign": edit_campaign,
    "send_campaign": send,
    "send_sms": send,
    "schedule_campaign": schedule,
    "create_segment": create_segment,
    "preview_segment": preview_segment,
    "list_segments": _simple("list_segments"),
    "create_automation": automation,
    "list_automations": _simple("list_automations", status="status"),
    "activate_automation": activate_automation,
    "find_contacts": _simple("find_contacts", query=("contact", "email", "company", "domain", "query")),
    "get_contact": lambda env: _need_contact(env, "get_contact"),
    "create_contact": create_contact,
    "delete_contact": lambda env: _need_contact(env, "delete_contact"),
    "add_tag": tag_handler("add_tag"),
    "remove_tag": tag_handler("remove_tag"),
    "subscribe_contact": list_member_handler("subscribe_contact"),
    "unsubscribe_contact": list_member_handler("unsubscribe_contact"),
    "resubscribe_contact": list_member_handler("resubscribe_contact"),
    "create_list": _simple("create_list", name="name"),
    "list_lists": _simple("list_lists"),
    "list_tags": list_tags,
    "create_tag": create_tag,
    "list_deals": list_deals,
    "get_deal": lambda env: (
        _call(env, "get_deal", {"deal": deal_ref(env)}) if deal_ref(env) else _ask(env, "Which deal?", "deal")
    ),
    "create_deal": create_deal,
    "update_deal": update_deal,
    "add_note": add_note,
    "create_task": create_task,
    "list_brand_kits": _simple("list_brand_kits"),
    "create_brand_kit": _simple("create_brand_kit", name="name"),
    "list_saved_responses": list_saved_responses,
    "create_form": create_form,
    "create_goal": create_goal,
    "create_saved_response": create_saved_response,
    "update_contact": update_contact,
    "best_send_time": not_yet,
    "get_deal_forecast": not_yet,
    "get_win_probability": not_yet,
    "list_forms": _simple("list_forms"),
    "list_goals": _simple("list_goals"),
    "check_feature": check_feature,
    "get_activity_usage": _simple("get_activity_usage"),
    "get_sms_credits": _simple("get_sms_credits"),
    "search_help": lambda env: _call(env, "search_help", {"question": env.slot("query") or env.step.text}),
    "find_similar_campaigns": lambda env: _call(
        env, "find_similar_campaigns", {"text": env.slot("topic", "query", "campaign") or env.step.text}
    ),
    "spam_check": lambda env: _call(env, "spam_check", {"campaign": _campaign_phrase(env)}),
    "capabilities": _simple("describe_capabilities"),
    "suggest_ideas": _simple("suggest_ideas"),
    "select": select,
}


# ------------------------------------------------------------------------------------- unsure or unserved


# Requests no tool serves, whatever intent they resemble: say so plainly, and what can be done instead.
_NO_TOOL = (
    (
        re.compile(
            r"\b(?:import|migrate|bring (?:over|across|in)|transfer|move|copy|port)\b.*"
            r"\b(?:templates?|designs?)\b|"
            r"\btemplates?\b.*\bfrom\s+(?:mailchimp|klaviyo|hubspot|sendinblue|brevo|constant contact|"
            r"my (?:old|previous|last|other) (?:platform|provider|tool|esp|account))",
            re.IGNORECASE,
        ),
        "I can't import or migrate email templates from another platform: no tool here reads other "
        "platforms' templates. What I can do: draft a new campaign from a description (tone, layout, "
        "audience), or save reusable texts as saved responses.",
    ),
)


def no_tool_for(text: str) -> str | None:
    """The honest answer to a request no tool can serve, or None."""
    return next((answer for rx, answer in _NO_TOOL if rx.search(text)), None)


# "Which custom fields do I have?" asks for a listing, however it was classified (creating one is
# another request).
_FIELDS_QUESTION = re.compile(
    r"^\W*(?:which|what|list|show|do (?:i|we) have|display|tell me)\b.*\b(?:custom|contact|"
    r"personali[sz]ation|merge)\s+(?:fields?|tags?)\b(?!.*\b(?:create|add|make|new)\b)",
    re.IGNORECASE,
)
_STATUS_WORDS = re.compile(
    r"\b(?:status|scheduled|schedule|going out|go out|goes out|sent|sending|queued|when)\b", re.IGNORECASE
)
_COUNT_WORDS = re.compile(
    r"^\W*(?:how many|count|number of|who (?:are|is)|which (?:contacts|people|subscribers))\b", re.IGNORECASE
)


def settle_unsure(step: Step, conv: Conversation) -> Step | None:
    """A request the classifier was unsure about, settled by what it names: a known campaign asked about, a
    count of described contacts, the account's custom fields. None when nothing settles it."""
    from dataclasses import replace

    from agent.nlu.parse import select_slots
    from agent.nlu.slots import Catalog
    from agent.offline.reading import CATALOG_KINDS

    catalog = Catalog.of(**{CATALOG_KINDS[k]: v for k, v in conv.catalog.items() if k in CATALOG_KINDS})

    def as_(intent: str) -> Step:
        slots = select_slots(intent, step.text, step.spans, catalog)
        return replace(step, intent=intent, slots=slots, rejected=False, confidence=max(step.confidence, 0.5))

    if _FIELDS_QUESTION.search(step.text):
        return as_("check_feature")  # its handler lists the fields
    if not (step.rejected or step.intent == "out_of_scope"):
        return None
    if _CAN_I_SMS.search(step.text) or (
        re.search(r"\b(?:sms|texts?|text messag\w*|texting)\b", step.text, re.IGNORECASE)
        and re.search(
            r"\b(?:registration|registered|register|set up|setup|ready|approved|enabled|verified|verify)\b",
            step.text,
            re.IGNORECASE,
        )
    ):
        return replace(as_("check_feature"), slots={"feature": "sms"})  # "is my SMS registration complete?"
    if re.search(
        r"^\W*(?:please\s+)?(?:add|create|make)\s+(?:a\s+)?(?:new\s+)?tag\b", step.text, re.IGNORECASE
    ):
        return as_("create_tag")  # "add a tag Webinar 2026 (no contacts yet)"
    named_campaign = any(s.name == "campaign" and not s.weak for s in step.spans)
    if named_campaign and _STATUS_WORDS.search(step.text):
        return as_("get_campaign")  # "status of the Spring launch?", "is the May newsletter scheduled?"
    if _COUNT_WORDS.search(step.text):
        counted = as_("preview_segment")
        if isinstance(counted.slots.get("conditions"), dict):
            return counted  # "how many VIPs do I have?": a read-only count of what the words describe
    return None


_AUTOMATION_WORDS = re.compile(
    r"\b(?:automations?|series|workflows?|flows?|sequences?|drips?|waits?|delays?|triggers?|starts? it|"
    r"steps?)\b",
    re.IGNORECASE,
)
_TURN_ON = re.compile(
    r"^\W*(?:please\s+)?(?:(?:switch|turn)\s+(?:it|this|that)(?:\s+one)?\s+on|"
    r"(?:switch|turn)\s+on\s+(?:it|this|that)\b|(?:activate|enable|start|launch)\s+(?:it|this|that)(?:\s+one)?)"
    r"(?:\s+(?:now|please|for me|right away))?\W*$",  # the whole request: "start it when ..." sets a trigger
    re.IGNORECASE,
)
_QUESTION = re.compile(r"^\W*(?:who|what|which|where|why|how|when)\b", re.IGNORECASE)


def settle_in_play(step: Step, state: DialogueState, conv: Conversation) -> Step | None:
    """A step re-read in the light of what the chat is about; None when it stands as it is."""
    from dataclasses import replace

    if (
        step.intent == "edit_automation"
        and not step.slots.get("automation")
        and not _AUTOMATION_WORDS.search(step.text)
    ):
        last = state.last_object or {}
        page = conv.page or {}
        if last.get("object") == "campaign" or (not last and page.get("object_type") == "campaign"):
            # "add the customer's name to this email" right after drafting: the campaign, not an automation
            env = Env(step=step, index=0, conv=conv, state=state, tools=set())
            return _as_intent(env, "edit_campaign").step
    draft_in_play = (state.resolve("campaign") or {}).get("status") == "draft"
    if (
        (step.rejected or step.intent in ("out_of_scope", "draft_campaign"))
        and draft_in_play
        and any(r.kind == "campaign" and r.which is None and r.step is None for r in step.references)
        and not re.search(r"\b(?:new|another|second|similar|like|copy|duplicate)\b", step.text, re.IGNORECASE)
    ):
        # "personalize this email with merge tags" right after a draft: a change to that draft
        env = Env(step=step, index=0, conv=conv, state=state, tools=set())
        return replace(_as_intent(env, "edit_campaign").step, rejected=False)
    if (
        step.intent == "update_contact"
        and draft_in_play
        and not step.slots.get("email")
        and re.search(
            r"\b(?:in|into|to|on)\s+(?:the|this|that|my|our)\s+(?:email|message|draft|newsletter)\b",
            step.text,
            re.IGNORECASE,
        )
    ):
        # "put the contact's first name in the email" after a draft: personalizing the draft, not a contact
        env = Env(step=step, index=0, conv=conv, state=state, tools=set())
        return _as_intent(env, "edit_campaign").step
    page = conv.page or {}
    automation_in_play = (
        page.get("object_type") == "automation" or (state.last_object or {}).get("object") == "automation"
    )
    if step.intent != "activate_automation" and automation_in_play and _TURN_ON.search(step.text):
        # "switch this one on" on an automation's page
        return replace(step, intent="activate_automation", slots={}, rejected=False)
    if step.intent in ("confirm", "deny") and _QUESTION.search(step.text) and len(step.text.split()) > 3:
        # "Who is the right audience for this?" is a question, not a yes
        return replace(step, intent="out_of_scope", rejected=True)
    return None
