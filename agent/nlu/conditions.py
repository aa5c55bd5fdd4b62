"""A small clause grammar that turns audience descriptions into segment condition trees.

"people who opened in the last 90 days but never bought" becomes::

    {"version": 1, "root": {"type": "group", "match": "all", "conditions": [
        {"type": "engagement", "action": "open", "op": "has", "period": {"last_days": 90}},
        {"type": "purchase", "op": "has_not"}]}}

The text is split into clauses on "and", "but", "or", commas, "who", "with", "without"...; each clause is
matched against one pattern per condition type (engagement, purchase, tag, list, page visit, field, score,
sign-up date). Clauses that match nothing are ignored, so the command words around the description do not
matter. "or" binds tighter than "and": "A or B and C" is any(A, B) and C.
"""

from __future__ import annotations

import re
from typing import Any

from agent.nlu.periods import find_periods, period_object
from agent.nlu.slots import Catalog, match_catalog, to_int
from core.periods import MONTHS

NEG = (
    r"(?:never|not|no longer|did not|didn't|didnt|does not|doesn't|do not|don't|has not|hasn't|have not|"
    r"haven't|havent|hasnt|had not|without|no|non|zero|nothing)"
)
_NEG_RE = re.compile(r"(?<![\w])" + NEG + r"(?![\w])|\bnon-|\bun(?=opened|clicked)")
ACTIONS: list[tuple[str, str]] = [
    # "opened a link", "followed a link", "tapped the button": a click, not an open of the email.
    (
        "click",
        r"(?:open(?:ed|s|ing)?|follow(?:ed|s|ing)?|press(?:ed|es|ing)?|tap(?:ped|s|ping)?|hit|us(?:ed|es|ing)|"
        r"visit(?:ed|s|ing)?)\s+(?:on\s+)?(?:a|an|any|the|one of the|one of our|one of my|our|my|some)?\s*"
        r"(?:[\w-]+\s+)?(?:links?|urls?|buttons?|ctas?)(?![\w])",
    ),
    ("open", r"open(?:ed|s|ing|ers?)?|read|viewed (?:an |any |my |the )?emails?"),
    ("click", r"click(?:ed|s|ing|ers?)?|tapped"),
    ("reply", r"repl(?:ied|y|ies|ying)|responded"),
    ("forward", r"forward(?:ed|s|ing)?"),
    ("share", r"shared?|shares|sharing"),
    ("unsubscribe", r"unsubscribed?|opted out|unsubs"),
    ("bounce", r"bounced?|bounces"),
]
_PURCHASE = re.compile(
    r"\b(?:bought|buy|buys|buying|purchased?|purchases|purchasing|ordered|orders?|spent|spend|spends|"
    r"buyers?|customers? who (?:buy|bought)|made (?:a |any )?purchases?|placed (?:an |any )?orders?|"
    r"shopped|converted)\b"
)
_VISIT = re.compile(
    r"\b(?:visited|visit|visits|viewed|view|browsed|went to|been to|landed on|looked at|hit)\b"
)
_TAG = re.compile(
    r"\b(?:tagged|has (?:the )?tag|have (?:the )?tag|with (?:the )?tag|tag|labelled|"
    r"labeled)\s+['\"]?(?P<t>[\w][\w&.-]*)"
    r"|\b(?:the|a)\s+['\"]?(?P<t2>[\w][\w&.-]*)['\"]?\s+tag\b"
)
_LIST = re.compile(
    r"\b(?:(?P<unsub>unsubscribed from)|subscribed to|on|in|members of|member of|part of|from)\s+(?:the\s+)?"
    r"['\"]?(?P<l>[\w][\w &.-]*?)['\"]?\s+(?:mailing\s+)?list\b"
    r"|\b(?:subscribed to|members? of|on the list)\s+['\"]?(?P<l2>[\w][\w &.-]*?)['\"]?(?=$|[,;]|"
    r"\s+(?:and|but|or|who)\b)"
    r"|\b(?P<l3>[\w][\w&.-]*)\s+list members\b"
)
_SCORE = re.compile(
    r"(?:(?P<name>[a-z][\w ]{0,30}?)\s+)?score\s*(?:of\s+)?(?:is\s+)?(?P<op>above|over|greater than|"
    r"more than|higher than|"
    r">=|>|at least|below|under|less than|lower than|<=|<|at most|of at least|equal to|=|"
    r"exactly)\s*(?P<v>-?\d+)"
)
_SCORE_OPS = {
    "above": "gt",
    "over": "gt",
    "greater than": "gt",
    "more than": "gt",
    "higher than": "gt",
    ">": "gt",
    ">=": "gte",
    "at least": "gte",
    "of at least": "gte",
    "below": "lt",
    "under": "lt",
    "less than": "lt",
    "lower than": "lt",
    "<": "lt",
    "<=": "lte",
    "at most": "lte",
    "equal to": "eq",
    "=": "eq",
    "exactly": "eq",
}
_LIVES = re.compile(
    r"\b(?:lives?|living|based|located|who are|are|is|from|"
    r"in)\s+(?:in\s+)?(?P<place>[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)"
)
_FIELD_IS = re.compile(
    r"\b(?:whose|where|with(?: a| an| the)?|their|has(?: a| an)?)\s+(?P<f>[a-z][\w ]{1,30}?)\s+"
    r"(?:is|=|equals|of|is set to|contains)\s+['\"]?(?P<v>[\w][\w .@'-]*?)['\"]?(?=$|[,;]|\s+(?:and|but|"
    r"or)\b)"
)
_SIGNUP = re.compile(r"\b(?:signed up|joined|subscribed|was added|were added|added|created|registered)\b")
_CAMPAIGN_REF = re.compile(
    r"\b(?:the|my|our)\s+(?P<c>[\w' -]{2,40}?)\s+(?:email|newsletter|campaign|blast|send)\b"
)
_LINK = re.compile(
    r"\b(?:the|a|on|our)\s+(?P<u>[\w-]{2,30}(?: [\w-]{2,30})?)\s+(?:link|button|url|page|cta)\b"
)
_PAGE = re.compile(r"(?P<p>/[\w\-./*]*[\w*/])")
_MIN_COUNT = re.compile(
    r"\b(?:at least|more than|over|(?P<n0>\w+) or more)\s*(?P<n>\w+)?\s*(?:times|emails|campaigns|"
    r"orders|purchases)?\b"
    r"|\b(?P<tw>twice|three times|(?P<n2>\d+) times)\b"
)
COUNTRIES = {
    "germany": "DE",
    "france": "FR",
    "spain": "ES",
    "italy": "IT",
    "netherlands": "NL",
    "the netherlands": "NL",
    "holland": "NL",
    "belgium": "BE",
    "austria": "AT",
    "switzerland": "CH",
    "portugal": "PT",
    "ireland": "IE",
    "uk": "GB",
    "united kingdom": "GB",
    "england": "GB",
    "britain": "GB",
    "great britain": "GB",
    "scotland": "GB",
    "us": "US",
    "usa": "US",
    "united states": "US",
    "america": "US",
    "canada": "CA",
    "mexico": "MX",
    "brazil": "BR",
    "argentina": "AR",
    "australia": "AU",
    "new zealand": "NZ",
    "japan": "JP",
    "china": "CN",
    "india": "IN",
    "singapore": "SG",
    "south africa": "ZA",
    "sweden": "SE",
    "norway": "NO",
    "denmark": "DK",
    "finland": "FI",
    "poland": "PL",
    "czechia": "CZ",
    "czech republic": "CZ",
    "greece": "GR",
    "turkey": "TR",
    "israel": "IL",
    "korea": "KR",
    "south korea": "KR",
    "colombia": "CO",
    "chile": "CL",
    "peru": "PE",
}
_SPLIT = re.compile(
    r"\s*(?:,|;|\band\b|\bbut\b|\bor\b|\bwho\b|\bwhose\b|\bthat\b|\bwhich\b|\bwhile\b|\bwith\b(?!\s+(?:the\s+)?tag\b)"
    r"|(?=\bwithout\b)|(?=\bexcept\b)|\bplus\b|:"
    # "openers in the last 90 days have no purchase": a second, negated predicate starts a clause of its own.
    r"|(?<=\S\s)(?=(?:have|has|had)\s+(?:no|not|never|zero)\b)|(?<=\S\s)(?=(?:haven't|hasn't|hadn't|havent|hasnt)\b))\s*"
)
_FIELD_ALIASES = {
    "city": "city",
    "town": "city",
    "country": "country",
    "job title": "job_title",
    "title": "job_title",
    "first name": "first_name",
    "last name": "last_name",
    "email": "email",
    "phone": "phone",
    "language": "preferred_language",
    "preferred language": "preferred_language",
    "time zone": "timezone",
    "timezone": "timezone",
    "status": "status",
    "company": "company",
}
_NOT_FIELDS = {"score", "lead score", "tag", "the tag", "list", "segment"}


def _negated(clause: str) -> bool:
    return bool(_NEG_RE.search(clause))


def _period(clause: str) -> dict[str, Any] | None:
    spans = find_periods(clause)
    if not spans:
        return None
    # A "last week"-style period is the most specific one; take the last mentioned.
    return period_object(spans[-1].text)


def _min_count(clause: str) -> int | None:
    m = _MIN_COUNT.search(clause)
    if not m:
        return None
    if m.group("tw"):
        word = m.group("tw")
        return 2 if word == "twice" else 3 if word == "three times" else int(m.group("n2"))
    text = m.group(0)
    n = to_int(m.group("n") or "") if m.group("n") else None
    if m.group("n0"):
        n0 = to_int(m.group("n0"))
        return n0 if n0 else None
    if n is None:
        if "twice" in clause:
            return 3 if re.search(r"more than twice", clause) else 2
        return None
    return n + 1 if text.startswith(("more than", "over")) else n


def _url_pattern(fragment: str) -> str:
    frag = fragment.strip().strip("*")
    return f"*{frag}*"


def _engagement(clause: str, low: str, catalog: Catalog) -> dict[str, Any] | None:
    for action, rx in ACTIONS:
        m = re.search(r"(?<![\w-])(?:" + rx + r")(?![\w])", low)
        if not m:
            continue
        if action == "unsubscribe" and re.search(r"\bfrom\b.*\blist\b", low):
            return None  # that is a list condition
        cond: dict[str, Any] = {
            "type": "engagement",
            "action": action,
            "op": "has_not" if _negated(low) else "has",
        }
        if m.group(0).startswith("non") or low[max(0, m.start() - 4) : m.start()].endswith("non-"):
            cond["op"] = "has_not"
        campaigns = [s for s in match_catalog(clause, catalog, ["campaign"]) if not s.weak]
        by_month = None if campaigns else _campaign_by_month(clause, catalog)
        if campaigns:
            cond["campaign"] = campaigns[0].value
            # A campaign's own name ("May 2026 - Newsletter") is no time window either.
            clause = clause[: campaigns[0].start] + clause[campaigns[0].end :]
        elif by_month:
            cond["campaign"] = by_month[0]
            # "in the May newsletter": the month names the campaign, it is no time window.
            clause = clause[: by_month[1]] + clause[by_month[2] :]
        if action == "click":
            page = _PAGE.search(clause)
            link = _LINK.search(low)
            if page:
                cond["url"] = _url_pattern(page.group("p"))
            elif (
                link
                and not campaigns
                and not by_month
                and link.group("u") not in ("any", "a", "an", "my", "one")
            ):
                cond["url"] = _url_pattern(link.group("u").replace(" ", "*"))
        if re.search(r"\b(?:sms|texts?|text messages?)\b", low):
            cond["channel"] = "sms"
        period = _period(clause)
        if period:
            cond["period"] = period
        n = _min_count(low)
        if n and n > 1:
            cond["min_count"] = n
        return cond
    if re.search(r"\b(?:inactive|unengaged|disengaged|dormant|cold)\b", low) and re.search(
        r"\b(?:subscribers?|contacts?|people|users|readers|customers)\b|^\s*(?:inactive|unengaged)\s*$", low
    ):
        cond = {"type": "engagement", "action": "open", "op": "has_not"}
        period = _period(clause)
        cond["period"] = period or {"last_days": 90}
        return cond
    if re.search(r"\b(?:engaged|active)\b", low) and re.search(
        r"\b(?:subscribers?|contacts?|people|users)\b", low
    ):
        return {
            "type": "engagement",
            "action": "open",
            "op": "has",
            "period": _period(clause) or {"last_days": 90},
        }
    return None


_MONTH_CAMPAIGN = re.compile(
    r"\b(?:(?:the|my|our|that)\s+)?(?P<m>"
    + "|".join(MONTHS)
    + r")(?:\s+20\d\d)?(?:'s)?\s+(?P<rest>(?:[\w&-]+\s+){0,3}?)"
    r"(?P<n>newsletter|campaign|email|e-mail|promo(?:tion)?|blast|sms|send|announcement)s?\b",
    re.IGNORECASE,
)


def _campaign_by_month(clause: str, catalog: Catalog) -> tuple[str, int, int] | None:
    """ "the May newsletter" -> the most recent catalog campaign of May whose name has the other words, with
    the span of the words that named it."""
    m = _MONTH_CAMPAIGN.search(clause)
    if not m:
        return None
    month = m.group("m").lower()[:3]
    words = [w.lower() for w in m.group("rest").split()]
    noun = m.group("n").lower()
    if noun not in ("campaign", "email", "e-mail", "send", "blast"):
        words.append(noun[:5])
    for name in catalog.get("campaign"):
        low = name.lower()
        if re.match(rf"(?:draft - )?{month}\w*\b", low) and all(w.rstrip("s") in low for w in words):
            return name, m.start(), m.end()
    return None


def _purchase(clause: str, low: str) -> dict[str, Any] | None:
    if not _PURCHASE.search(low):
        return None
    cond: dict[str, Any] = {"type": "purchase", "op": "has_not" if _negated(low) else "has"}
    if re.search(r"\bnon[- ]?(?:buyers|purchasers|customers)\b", low):
        cond["op"] = "has_not"
    money = re.search(
        r"(?:[$€£]\s?(\d[\d,]*(?:\.\d+)?)(k)?|(\d[\d,]*(?:\.\d+)?)(k)?\s?(?:dollars|euros|usd|eur))", low
    )
    if money and re.search(r"\b(?:spent|spend|spends|worth|total|more than|over|at least)\b", low):
        amount = float((money.group(1) or money.group(3)).replace(",", ""))
        if money.group(2) or money.group(4):
            amount *= 1000
        cond["min_total"] = int(amount) if amount.is_integer() else amount
    else:
        n = _min_count(low)
        if n and n > 1:
            cond["min_count"] = n
    period = _period(clause)
    if period:
        cond["period"] = period
    return cond


def _tag(clause: str, low: str, catalog: Catalog) -> dict[str, Any] | None:
    names = [s for s in match_catalog(clause, catalog, ["tag"])]
    m = _TAG.search(low)
    # "VIPs in the US", "how many VIPs": a tag's plural names the people who have it.
    plural = next(
        (t for t in catalog.get("tag") if len(t) >= 3 and re.search(rf"(?<![\w-]){re.escape(t)}s\b", clause)),
        None,
    )
    if plural and not m and not names:
        return {"type": "tag", "tag": plural, "op": "has_not" if _negated(low) else "has"}
    if not m and not (names and re.search(r"\btag", low)):
        return None
    if names:
        tag = names[0].value
    else:
        assert m is not None
        tag_low = m.group("t") or m.group("t2")
        start = m.start("t") if m.group("t") else m.start("t2")
        tag = clause[start : start + len(tag_low)]
        if tag_low in ("a", "an", "the", "any", "with", "as"):
            return None
    return {"type": "tag", "tag": tag, "op": "has_not" if _negated(low) else "has"}


def _list(clause: str, low: str, catalog: Catalog) -> dict[str, Any] | None:
    names = [s for s in match_catalog(clause, catalog, ["list"]) if not s.weak or "list" in low]
    m = _LIST.search(low)
    cue = names and (
        re.search(r"\b(?:list|subscribed to|members? of)\b", low)
        or any(re.search(r"\b(?:on|in|from|to)\s+(?:the\s+)?$", low[: n.start]) for n in names)
    )
    if not m and not cue:
        return None
    if names:
        name = names[0].value
    else:
        assert m is not None
        key = "l" if m.group("l") else "l2" if m.group("l2") else "l3"
        start, end = m.start(key), m.end(key)
        name = clause[start:end].strip()
        if name.lower() in ("the", "a", "my", "our", "any", "mailing", "email"):
            return None
    unsub = bool(m and m.group("unsub")) or bool(re.search(r"\bunsubscribed from\b", low))
    if unsub:
        op = "unsubscribed"
    elif _negated(low):
        op = "not_subscribed"
    else:
        op = "subscribed"
    return {"type": "list", "list": name, "op": op}


def _page_visit(clause: str, low: str) -> dict[str, Any] | None:
    if not _VISIT.search(low):
        return None
    page = _PAGE.search(clause)
    if page:
        url = page.group("p")
        url = ("*" + url) if not url.startswith("*") else url
        url = url if url.endswith("*") else url + "*"
    else:
        named = re.search(r"\b(?:the|our|my)\s+(?P<n>[\w-]+(?: [\w-]+)?)\s+page\b", low)
        if not named:
            return None
        url = f"*{named.group('n').replace(' ', '-')}*"
    cond: dict[str, Any] = {"type": "page_visit", "url": url, "op": "has_not" if _negated(low) else "has"}
    period = _period(clause)
    if period:
        cond["period"] = period
    return cond


def _score(clause: str, low: str, catalog: Catalog) -> dict[str, Any] | None:
    m = _SCORE.search(low)
    if not m:
        return None
    scores = match_catalog(clause, catalog, ["score"])
    words = (m.group("name") or "").strip()
    words = re.sub(r"^(?:with|has|have|a|an|the|their|whose|and)\s+", "", words)
    words = re.sub(r"^(?:with|has|have|a|an|the|their|whose)\s+", "", words)
    if scores:
        name = scores[0].value
    elif words and words not in ("a", "the"):
        name = words.title()
    elif catalog.get("score"):
        name = catalog.get("score")[0]
    else:
        name = "Lead Score"
    return {"type": "score", "score": name, "op": _SCORE_OPS[m.group("op")], "value": int(m.group("v"))}


def _place(clause: str, low: str) -> dict[str, Any] | None:
    named = re.search(r"\bcountry\s*(?:is|=|:|of)?\s+(?P<c>[a-z]{2,}(?: [a-z]+)?)\s*$", low)
    if named and (named.group("c") in COUNTRIES or len(named.group("c")) == 2):
        code = COUNTRIES.get(named.group("c"), named.group("c").upper())
        return {"type": "field", "field": "country", "op": "neq" if _negated(low) else "eq", "value": code}
    for country, code in sorted(COUNTRIES.items(), key=lambda kv: -len(kv[0])):
        if re.search(
            r"\b(?:in|from|based in|located in|lives? in|living in)\s+(?:the\s+)?"
            + re.escape(country)
            + r"\b",
            low,
        ):
            return {
                "type": "field",
                "field": "country",
                "op": "neq" if _negated(low) else "eq",
                "value": code,
            }
    m = re.search(
        r"\b(?:lives?|living|based|located|residing)\s+in\s+(?P<c>[a-z][\w-]*(?:\s+[a-z][\w-]*)?)", low
    ) or re.search(
        r"\b(?:contacts|people|subscribers|customers|leads|users)\s+(?:in|from)\s+(?P<c>[a-z][\w-]*)", low
    )
    if m:
        start, end = m.start("c"), m.end("c")
        city = clause[start:end].strip()
        city = re.split(r"\s+(?:who|and|but|with|that)\b", city)[0]
        if city.lower() in ("the", "a", "my", "our", "last", "this", "past") or find_periods(city):
            return None
        return {
            "type": "field",
            "field": "city",
            "op": "neq" if _negated(low) else "eq",
            "value": city if not city.islower() else city.title(),
        }
    return None


def _field(clause: str, low: str, catalog: Catalog) -> dict[str, Any] | None:
    m = _FIELD_IS.search(low)
    if not m:
        known = sorted(set(_FIELD_ALIASES) | {f.lower() for f in catalog.get("field")}, key=len, reverse=True)
        m = re.match(
            r"\s*(?:their\s+|the\s+)?(?P<f>" + "|".join(re.escape(k) for k in known) + r")\s+"
            r"(?:is|=|equals|is set to|contains)\s+['\"]?(?P<v>[\w][\w .@'-]*?)['\"]?\s*$",
            low,
        )
    if not m:
        return None
    field_words = m.group("f").strip()
    if field_words in _NOT_FIELDS or "score" in field_words or "tag" in field_words:
        return None
    custom = match_catalog(field_words, catalog, ["field"])
    field = custom[0].value if custom else _FIELD_ALIASES.get(field_words, field_words)
    value = clause[m.start("v") : m.end("v")].strip()
    if field == "country":
        value = COUNTRIES.get(value.lower(), value.upper() if len(value) == 2 else value)
    return {
        "type": "field",
        "field": field,
        "op": "contains" if " contains " in m.group(0) else "eq",
        "value": value,
    }


def _signup(clause: str, low: str) -> dict[str, Any] | None:
    if not _SIGNUP.search(low) or re.search(r"\bsubscribed to\b|\bunsubscribed\b", low):
        return None
    spans = find_periods(clause)
    if not spans:
        return None
    obj = period_object(spans[-1].text)
    if "last_days" in obj:
        value = f"{obj['last_days']} days ago"
    elif "last" in obj:
        value = f"{obj['last']} ago"
    else:
        words = obj["words"]
        value = re.sub(r"^since ", "", words)
        if re.fullmatch(r"[a-z]+\.?", value) and value not in ("today", "yesterday"):
            value = f"{value} 1"
    return {"type": "field", "field": "created_at", "op": "gte", "value": value}


def parse_clause(clause: str, catalog: Catalog) -> dict[str, Any] | None:
    """Map one clause to a condition dict, or None when it describes no condition."""
    low = clause.lower().strip()
    if not low:
        return None
    for matcher in (
        lambda: _score(clause, low, catalog),
        lambda: _page_visit(clause, low) if _PAGE.search(clause) or " page" in low else None,
        lambda: _signup(clause, low),
        lambda: _list(clause, low, catalog),
        lambda: _tag(clause, low, catalog),
        lambda: _purchase(clause, low),
        lambda: _engagement(clause, low, catalog),
        lambda: _place(clause, low),
        lambda: _field(clause, low, catalog),
    ):
        cond = matcher()
        if cond:
            return cond
    return None


def _protect(text: str) -> tuple[str, dict[str, str]]:
    """Hide spans whose inner "and"/"or" must not split clauses (periods, quoted names, catalogue names)."""
    holes: dict[str, str] = {}
    out = text
    spans = [(p.start, p.end) for p in find_periods(text)]
    spans += [(m.start(), m.end()) for m in re.finditer(r"\"[^\"]+\"|'[^']+'", text)]
    for i, (a, b) in enumerate(sorted(spans, key=lambda s: -s[0])):
        key = f"\x00{i}\x00"
        holes[key] = out[a:b]
        out = out[:a] + key + out[b:]
    return out, holes


def _restore(text: str, holes: dict[str, str]) -> str:
    for key, value in holes.items():
        text = text.replace(key, value)
    return text


def parse_conditions(text: str, catalog: Catalog | None = None) -> dict[str, Any] | None:
    """Turn an audience description into ``{"version": 1, "root": {group}}``, or None if not understood."""
    catalog = catalog or Catalog()
    protected, holes = _protect(text)
    pieces: list[tuple[str, str]] = []  # (connector before the clause, clause)
    last = 0
    connector = "and"
    for m in _SPLIT.finditer(protected):
        if m.start() == m.end() and m.start() == last:
            continue
        pieces.append((connector, protected[last : m.start()]))
        word = m.group(0).strip().lower()
        connector = "or" if word == "or" else "and"
        last = m.end()
    pieces.append((connector, protected[last:]))
    groups: list[list[dict[str, Any]]] = []
    previous: dict[str, Any] | None = None
    pending_verb: dict[str, Any] | None = None
    for conn, raw in pieces:
        clause = _restore(raw, holes).strip()
        cond = parse_clause(clause, catalog)
        bare = re.search(r"\b(?:last|past|previous|prior)\s+(\d+)\s*$", clause.lower())
        if (
            (cond is None or cond["type"] == "engagement")
            and bare
            and previous is not None
            and "last_days" in (previous.get("period") or {})
            and not find_periods(clause)
        ):
            # The unit of the period just named: "180 days ... the past 60" is 60 days.
            clause = f"{clause} days"
            cond = parse_clause(clause, catalog)
        if cond is None and previous is not None and _negated(clause.lower()) and find_periods(clause):
            # Ellipsis: "bought last year but not this year".
            cond = {
                **{k: v for k, v in previous.items() if k not in ("period", "op")},
                "op": "has" if previous.get("op") == "has_not" else "has_not",
                "period": _period(clause),
            }
        if cond is None:
            continue
        if pending_verb is not None and "period" in cond and "period" not in pending_verb:
            pending_verb["period"] = cond["period"]
        pending_verb = (
            cond if cond["type"] == "engagement" and "period" not in cond and conn == "and" else None
        )
        if conn == "or" and groups:
            groups[-1].append(cond)
        else:
            groups.append([cond])
        previous = cond
        # "VIPs in Germany", "openers from France": a place rides along with another condition in one clause.
        place = (
            _place(clause, clause.lower())
            if cond["type"] in ("tag", "engagement", "purchase", "list", "score")
            else None
        )
        if place and place["value"] not in (cond.get("tag"), cond.get("list")):
            groups.append([place])
    if not groups:
        return None
    conditions: list[dict[str, Any]] = []
    for g in groups:
        if len(g) == 1:
            conditions.append(g[0])
        else:
            conditions.append({"type": "group", "match": "any", "conditions": g})
    if len(conditions) == 1 and conditions[0]["type"] == "group":
        root = conditions[0]
    else:
        root = {"type": "group", "match": "all", "conditions": conditions}
    return {"version": 1, "root": root}
