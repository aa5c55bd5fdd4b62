"""Lead scoring and custom fields for the offline model: plans for the intents, answers with the numbers.

Intents: list_scores, get_contact_score ("what's Jane Doe's lead score", "... of the second one" after a
ranking), top_scored_contacts ("who are my hottest leads"), create_score and create_custom_field ("add a
custom field called Birthday as a date"). Results come back from tools/scores.py and tools/contacts.py with
the kinds scores, score_ranking, contact_score, deal_score, score and field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from agent.nlu.conditions import parse_conditions
from agent.nlu.slots import Catalog, to_int
from agent.offline.nlg import n
from agent.offline.planner import Env, Outcome, Say, _ask, _call, _days
from agent.offline.reading import CATALOG_KINDS

# ---------------------------------------------------------------------------------------------- reading

_NUMBER = r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty)"
_LIMIT_RES = (
    re.compile(rf"\b(?:top|best|first|hottest|highest)\s+(?P<n>{_NUMBER})\b", re.IGNORECASE),
    re.compile(
        rf"\b(?P<n>{_NUMBER})\s+(?:hottest|best|top|highest[- ]scoring|highest|warmest|most engaged|"
        r"strongest|"
        r"leads|contacts|prospects|people|subscribers)\b",
        re.IGNORECASE,
    ),
)
FIELD_TYPES: tuple[tuple[str, str], ...] = (
    ("textarea", r"text[ -]?areas?|long text|paragraph|multi-?line|text box"),
    ("dropdown", r"drop[ -]?downs?|pick ?lists?|select(?: box| list)?|list box|options?|choices"),
    ("date", r"dates?|date-type"),
    ("number", r"numbers?|numeric|integers?|decimals?"),
    ("language", r"languages?"),
    ("text", r"text|string|short text|single[ -]line"),
)
_TYPE_WORDS = re.compile(r"\b(?:" + "|".join(p for _k, p in FIELD_TYPES) + r")\b", re.IGNORECASE)
_NAME_STOP = (
    r"(?=\s*(?:$|[,.;:!?(])|\s+(?:as|with|of|type|that|which|to|on|in|please|field|property|attribute)\b|\s+(?:"
    + "|".join(p for _k, p in FIELD_TYPES)
    + r")\b)"
)
_FIELD_NOUN = r"(?:custom\s+)?(?:contact\s+)?(?:field|property|attribute)"
_FIELD_NAME_RES = (
    # "field called X" is taken from the name slot; these cover the other ways people name a field.
    re.compile(
        rf"\b{_FIELD_NOUN}\s*:?\s+(?:for\s+|named\s+|called\s+)?(?P<n>[A-Z][\w'&/-]*(?:\s+[A-Z0-9][\w'&/-]*)*)"
    ),
    re.compile(
        rf"\b(?:add|create|make|build|define)\s+(?:an?\s+|the\s+)?(?:new\s+)?(?P<n>[A-Z][\w'&/-]*(?:\s+[A-Z0-9][\w'&/-]*)*)"
        rf"\s+(?:as\s+(?:an?\s+)?)?(?:(?:custom|contact|new)\s+)*(?:\w+\s+)?{_FIELD_NOUN}"
    ),
    re.compile(
        rf"\b{_FIELD_NOUN}\s+(?:to\s+(?:store|track|capture|hold|record)|for)\s+"
        r"(?:each contact's\s+|the\s+|their\s+)?"
        rf"(?P<n>[\w'&/ -]{{2,40}}?){_NAME_STOP}",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:store|track|capture|record|keep)\s+(?:each contact's\s+|the\s+|their\s+|a\s+)?"
        r"(?P<n>[\w'&/ -]{2,40}?)\s+(?:on|in|for|against|as|per)\b",
        re.IGNORECASE,
    ),
)
_NOT_NAMES = set("a an the new custom contact field one it this that me".split()) | {"a new"}
_OPTIONS_RE = re.compile(
    r"(?:\boptions?\b|\bchoices\b|\bvalues\b|\bdrop[ -]?down\b(?:\s+of\b)?|\bpick ?list\b(?:\s+of\b)?|"
    r"\bwith\b)"
    r"\s*(?:are\s+|of\s+|like\s+)?:?\s*(?P<o>[^:]+?)\s*$",
    re.IGNORECASE,
)


def _span(env: Env, name: str) -> Any:
    """A slot of the step even when the intent does not select it (the raw spans keep every slot found)."""
    value = env.slot(name)
    if value not in (None, ""):
        return value
    for s in env.step.spans:
        if s.name == name and not s.weak:
            return s.value
    return None


def _limit(env: Env) -> int | None:
    count = env.slot("count")
    if isinstance(count, int):
        return count
    for rx in _LIMIT_RES:
        m = rx.search(env.step.text)
        if m:
            value = to_int(m.group("n"))
            if value:
                return value
    return None


def _ranking(env: Env) -> dict[str, Any] | None:
    """The last ranking shown, if it is what "the second one" can point at (nothing else listed since)."""
    ranking = env.state.resolve("score_ranking")
    if not ranking:
        return None
    last = env.state.last_object or {}
    return ranking if last.get("object") in ("score_ranking", "contact_score") else None


def _picked_contact(env: Env) -> str | None:
    """ "the second one", "the top one", "the last one": an item of the ranking (or of a contact list)."""
    for r in env.step.references:
        if r.ordinal is None:
            continue
        ranking = _ranking(env)
        items = (ranking or {}).get("items") or []
        if items:
            index = r.ordinal - 1 if r.ordinal > 0 else len(items) + r.ordinal
            if 0 <= index < len(items):
                return str(items[index].get("email") or items[index].get("contact_id"))
            return None
        hit = env.state.resolve(None, r.ordinal)
        if hit and (hit.get("email") or env.state.listed_kind == "contact"):
            return str(hit.get("email") or hit.get("id"))
    return None


def _contact(env: Env) -> str | None:
    picked = _picked_contact(env)
    if picked:
        return picked
    value = env.slot("contact", "email") or _span(env, "email") or _span(env, "contact_name")
    if value:
        return str(value)
    if env.step.references:
        # "her score", "what about him": the contact in play, or the one whose score was just shown.
        hit = env.ref("contact") or env.state.resolve("contact_score")
        if hit:
            person = hit.get("contact") if isinstance(hit.get("contact"), dict) else hit
            ref = person.get("email") or (
                person.get("id") if hit.get("object") in ("contact", None) else None
            )
            if ref:
                return str(ref)
    page = env.conv.page or {}
    if page.get("object_type") == "contact" and page.get("object_id"):
        return str(page["object_id"])
    return None


def field_type(text: str, *, skip: tuple[int, int] | None = None) -> str | None:
    """The field type named in ``text`` (outside the name's span): dropdown, date, number, textarea..."""
    low = text.lower()
    if skip:
        low = low[: skip[0]] + " " * (skip[1] - skip[0]) + low[skip[1] :]
    found: list[tuple[int, str]] = []
    for kind, pattern in FIELD_TYPES:
        m = re.search(r"\b(?:" + pattern + r")\b", low)
        if m:
            found.append((m.start(), kind))
    if not found:
        return None
    kinds = {k for _p, k in found}
    # "a text area", "long text" win over the bare word "text"; a listed set of options makes a dropdown.
    for kind in ("textarea", "dropdown", "date", "number", "language"):
        if kind in kinds:
            return kind
    return "text"


def field_name(env: Env) -> tuple[str | None, tuple[int, int] | None]:
    """The new field's name and where it is written."""
    text = env.step.text
    named = _span(env, "name") or _span(env, "quoted")
    if named:
        name = _clean_name(str(named))
        if name:
            return name, _where(text, name, text.find(str(named)))
    for rx in _FIELD_NAME_RES:
        for m in rx.finditer(text):
            name = _clean_name(m.group("n"))
            if name:
                return name, _where(text, name, m.start("n"))
    return None, None


def _where(text: str, name: str, near: int) -> tuple[int, int] | None:
    start = text.lower().find(name.lower(), max(near, 0))
    return (start, start + len(name)) if start >= 0 else None


def _clean_name(raw: str) -> str | None:
    words = raw.strip(" '\"“”.,:;").split()
    # Trailing lowercase type or filler words are not part of the name: "Shoe Size number" -> "Shoe Size"
    # (a capitalised one is: "Wedding Date").
    while (
        words
        and words[-1].islower()
        and (_TYPE_WORDS.fullmatch(words[-1]) or words[-1] in ("field", "please", "custom", "contact"))
    ):
        words.pop()
    while words and words[0].lower() in ("a", "an", "the", "new", "custom", "contact", "my", "our"):
        words.pop(0)
    name = " ".join(words)
    if not name or name.lower() in _NOT_NAMES or (name.islower() and _TYPE_WORDS.fullmatch(name)):
        return None
    return name[0].upper() + name[1:]


def field_options(text: str, kind: str | None, name_span: tuple[int, int] | None) -> list[str] | None:
    tail_from = name_span[1] if name_span else 0
    m = _OPTIONS_RE.search(text[tail_from:])
    if not m:
        return None
    if m.group(0).lower().lstrip().startswith("with") and kind != "dropdown":
        return None
    raw = re.sub(
        r"^(?:(?:the|a|an|these|following|options?|choices|values|with|of|like|are)\b\s*:?\s*)+",
        "",
        m.group("o"),
        flags=re.IGNORECASE,
    )
    parts = [p.strip(" .'\"") for p in re.split(r"\s*(?:,|/|;|\bor\b|\band\b)\s*", raw)]
    options = [
        p for p in parts if p and not _TYPE_WORDS.fullmatch(p) and p.lower() not in ("options", "choices")
    ]
    return options or None


# ---------------------------------------------------------------------------------------------- handlers


def list_scores(env: Env) -> Outcome:
    return _call(env, "list_scores", {})


_NAMED_SCORE_RE = re.compile(r"\b(?P<n>[A-Z][\w'&-]*(?:\s+[A-Z][\w'&-]*){0,3})\s+(?:score|scoring)\b")
_GENERIC_SCORE_WORDS = set("lead leads contact deal engagement my the top highest what who".split())


def _score_name(env: Env) -> str | None:
    """A score in the catalogue, or a capitalised name before "score" ("the Intent score").

    The tool answers an unknown one with the account's score names; "lead score" names no score in particular.
    """
    known = _span(env, "score")
    if known:
        return str(known)
    m = _NAMED_SCORE_RE.search(env.step.text)
    if m and m.group("n").split()[0].lower() not in _GENERIC_SCORE_WORDS:
        return m.group("n")
    return None


def top_scored_contacts(env: Env) -> Outcome:
    return _call(env, "top_scored_contacts", {"score": _score_name(env), "limit": _limit(env)})


_DEAL_WORDS_RES = (
    re.compile(
        r"\bdeal\s+scores?\s+(?:of|for|on)\s+(?:the\s+)?(?P<n>.+?)(?:\s+deal)?\s*[?.!]*$", re.IGNORECASE
    ),
    re.compile(
        r"\b(?:the|my|our)\s+(?P<n>[^?.!]+?)\s+deal(?:'s)?\b(?!\s+scores?\s+(?:of|for|on)\b)", re.IGNORECASE
    ),
)


def _deal_words(text: str) -> str | None:
    """A deal title the catalogue does not know ("the Brightside Market - Wholesale order deal"): the tool
    answers an unknown one with near titles."""
    for rx in _DEAL_WORDS_RES:
        m = rx.search(text)
        if m:
            name = re.split(r"\b(?:the|my|our)\s+", m.group("n"), flags=re.IGNORECASE)[-1].strip(" '\"")
            if name and name.lower() not in ("deal", "score", "this", "that"):
                return name
    return None


def get_contact_score(env: Env) -> Outcome:
    score = _score_name(env)
    deal = env.slot("deal") or _span(env, "deal")
    mentions_deal = bool(re.search(r"\bdeals?\b", env.step.text.lower()))
    if not deal and mentions_deal and not (env.slot("email") or _span(env, "email")):
        # A capitalised title next to "deal" is the deal, not a person ("the Brightside Market - ... deal").
        deal = _deal_words(env.step.text) or env.ref_name("deal")
        if not deal and not _contact(env):
            return _ask(env, "Which deal? Give me its title.", "deal")
    if deal:
        return _call(env, "get_deal_score", {"deal": str(deal), "score": score})
    contact = _contact(env)
    if not contact:
        return _ask(env, "Which contact? Give me their email address or full name.", "contact")
    return _call(env, "get_contact_score", {"contact": contact, "score": score})


def create_custom_field(env: Env) -> Outcome:
    name, span = field_name(env)
    if not name:
        return _ask(env, "What should the new field be called?", "name")
    given = env.slot("type")
    kind = field_type(str(given)) if given else field_type(env.step.text, skip=span)
    options = field_options(env.step.text, kind, span)
    if options and not kind:
        kind = "dropdown"
    if not kind:
        return _ask_keeping(
            env,
            f"What type should {name} be: text, text area, date, number, dropdown or language?",
            "type",
            name=name,
        )
    if kind == "dropdown" and not options:
        listed = env.slot("options")
        options = field_options(f"options {listed}", kind, None) if listed else None
        if not options:
            return _ask_keeping(
                env,
                f"Which options should the {name} dropdown offer? For example 'Gold, Silver, Bronze'.",
                "options",
                name=name,
                type=kind,
            )
    return _call(env, "create_custom_field", {"name": name, "type": kind, "options": options})


def _ask_keeping(env: Env, question: str, missing: str, **known: Any) -> Say:
    """Ask for ``missing`` and keep what this step already worked out, so the short answer completes it."""
    asked = _ask(env, question, missing)
    assert asked.pending is not None
    asked.pending["slots"].update(known)
    return asked


def create_score(env: Env) -> Outcome:
    catalog = Catalog.of(**{CATALOG_KINDS[k]: v for k, v in env.conv.catalog.items() if k in CATALOG_KINDS})
    tree = parse_conditions(env.step.text, catalog)
    found = (tree or {}).get("root", {}).get("conditions") if isinstance(tree, dict) else None
    conditions = [c for i, c in enumerate(found or []) if c not in (found or [])[:i]]
    name = env.slot("name")
    if not name:
        name = "Deal score" if env.slot("target") == "deal" else "Lead score"
    points = env.slot("number")
    if points is None:
        return _ask(env, "How many points should it give (or take away, e.g. -10)?", "number")
    if re.search(r"\b(?:subtract|deduct|take away|remove|minus|lose|loses)\b", env.step.text.lower()):
        points = -abs(int(points))
    if not conditions:
        return _ask(
            env,
            "Who should get the points? Describe them, e.g. 'opened an email in the last 30 days'.",
            "conditions",
        )
    days = _days(env.slot("duration"))
    return _call(
        env,
        "create_score",
        {
            "name": str(name),
            "target": env.slot("target") or "contact",
            "rules": [
                {
                    "conditions": conditions,
                    "points": int(points),
                    "expires_after": f"{days} days" if days else None,
                }
            ],
        },
    )


HANDLERS: dict[str, Callable[[Env], Outcome]] = {
    "list_scores": list_scores,
    "get_contact_score": get_contact_score,
    "top_scored_contacts": top_scored_contacts,
    "create_custom_field": create_custom_field,
    "create_score": create_score,
}


# ---------------------------------------------------------------------------------------------- answers


def _points(p: Any) -> str:
    value = int(p or 0)
    return f"{value:,} point{'s' if abs(value) != 1 else ''}"


def _expiry(days: Any) -> str:
    if not days:
        return "never expire"
    return f"expire after {n(days)} day{'s' if int(days) != 1 else ''}"


def _rule_line(rule: dict[str, Any]) -> str:
    sign = "+" if int(rule["points"]) > 0 else ""
    return f"{sign}{rule['points']} for {rule['when']} ({_expiry(rule.get('expires_days'))})"


def scores(d: dict[str, Any]) -> str:
    items = d.get("items") or []
    if not items:
        return d.get("note") or "This account has no scores yet."
    lines = [f"You have {len(items)} score{'s' if len(items) != 1 else ''}:"]
    for s in items:
        target = "contact" if s["target"] == "contact" else "deal"
        where = f" in {s['pipeline']}" if s.get("pipeline") else ""
        held = f"{n(s['scored'])} {target}s have points"
        lines.append(
            f"- **{s['name']}** ({target} score{where}, {'active' if s['active'] else 'inactive'}): "
            f"{s['rule_count']} rule{'s' if s['rule_count'] != 1 else ''}, {held}"
        )
        lines += [f"  - {_rule_line(r)}" for r in s.get("rules", [])[:5]]
    return "\n".join(lines)


def score_ranking(d: dict[str, Any]) -> str:
    items = d.get("items") or []
    if not items:
        return f"Nobody has points on **{d['score']}** yet."
    head = (
        f"Top {len(items)} contact{'s' if len(items) != 1 else ''} on **{d['score']}** "
        f"({n(d['scored'])} contacts have points):"
    )
    ranks = [i["rank"] for i in items]
    lines = []
    # Numbered by position, so "the second one" is the second line; equal points share a rank.
    for pos, i in enumerate(items, 1):
        tie = f" (tied for #{i['rank']})" if ranks.count(i["rank"]) > 1 else ""
        who = f"**{i['name']}** ({i['email']})" if i.get("name") else f"**{i['email']}**"
        lines.append(f"{pos}. {who}: {_points(i['points'])}{tie}")
    if not d.get("active", True):
        lines.append(f"Note: {d['score']} is inactive.")
    return head + "\n" + "\n".join(lines)


def _standing(s: dict[str, Any], noun: str) -> str:
    text = f"**{_points(s['points'])}** on {s['score']}"
    if s.get("rank"):
        text += f" (ranked #{n(s['rank'])} of {n(s['scored'])} scored {noun}s)"
    return text


def contact_score(d: dict[str, Any]) -> str:
    person = d["contact"]
    who = f"**{person['name']}** ({person['email']})" if person.get("name") else f"**{person['email']}**"
    rows = d.get("scores") or []
    if len(rows) == 1:
        return f"{who} has {_standing(rows[0], 'contact')}."
    return f"{who} has:\n" + "\n".join(f"- {_standing(s, 'contact')}" for s in rows)


def deal_score(d: dict[str, Any]) -> str:
    deal = d["deal"]
    who = f"The **{deal['title']}** deal ({deal['pipeline']}, {deal['status']})"
    rows = d.get("scores") or []
    if len(rows) == 1:
        return f"{who} has {_standing(rows[0], 'deal')}."
    return f"{who} has:\n" + "\n".join(f"- {_standing(s, 'deal')}" for s in rows)


def score(d: dict[str, Any]) -> str:
    rules = d.get("rules") or []
    text = f"Created the {d.get('target', 'contact')} score **{d['name']}**"
    text += ":" if rules else "."
    text += "".join(f"\n- {_rule_line(r)}" for r in rules)
    if "scored" in d:
        text += f"\n{n(d['scored'])} contacts got points right away."
    if d.get("note"):
        text += f"\n{d['note']}"
    return text


def field(d: dict[str, Any]) -> str:
    kind = {"textarea": "text area"}.get(d.get("type", ""), d.get("type", "text"))
    text = f"Created the custom field **{d['name']}** ({kind})."
    if d.get("options"):
        text += " Options: " + ", ".join(d["options"]) + "."
    if d.get("tag"):
        text += f" Personalize messages with {d['tag']}."
    return text


COMPOSERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "scores": scores,
    "score_ranking": score_ranking,
    "contact_score": contact_score,
    "deal_score": deal_score,
    "score": score,
    "field": field,
}
