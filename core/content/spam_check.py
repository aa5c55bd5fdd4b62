"""A rule-based spam check in the spirit of SpamAssassin, following the help center's "About Spam Check".

Each rule has a name, points, an explanation and a fix. The score is the sum of the points of the rules an
email hits; 5.0 is SpamAssassin's default threshold. Like the real check, it only reads the content (it
knows nothing of the sender's reputation or the list) and never blocks a send.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel

THRESHOLD = 5.0
# Below this the email passes cleanly; between this and the threshold it could use some work.
GOOD_BELOW = 2.0

Verdict = Literal["good", "needs work", "likely spam"]


class SpamHit(BaseModel):
    rule: str
    points: float
    explanation: str
    fix: str


class SpamReport(BaseModel):
    score: float
    threshold: float
    verdict: Verdict
    passed: bool
    hits: list[SpamHit]


# Phrases SpamAssassin-style rule sets (and the help center's common errors) score; (phrase, points, why).
SPAM_PHRASES: tuple[tuple[str, float, str], ...] = (
    ("100% free", 1.0, "promises something entirely free"),
    ("act now", 0.8, "pressures the reader"),
    ("apply now", 0.5, "pressures the reader"),
    ("as seen on", 0.5, "borrows credibility"),
    ("be your own boss", 1.0, "is a work-from-home pitch"),
    ("buy direct", 0.5, "is a hard sell"),
    ("cash bonus", 1.0, "promises money"),
    ("click here", 0.6, "hides where the link goes"),
    ("dear friend", 0.8, "is a greeting spammers use"),
    ("double your", 1.0, "promises to multiply money"),
    ("earn money", 1.0, "promises income"),
    ("earn extra cash", 1.0, "promises income"),
    ("extra income", 1.0, "promises income"),
    ("free money", 1.5, "promises money"),
    ("get paid", 0.8, "promises income"),
    ("gold dust", 1.0, "is in the help center's list of flagged phrases"),
    ("guaranteed", 0.5, "makes a promise spam often makes"),
    ("lucrative", 1.0, "reads as 'make lots of money'"),
    ("make money", 1.0, "promises income"),
    ("marketing partner", 1.0, "claims to be a marketing partner of the recipient"),
    ("network partner", 1.0, "claims to be a partner of the recipient"),
    ("million dollars", 1.2, "promises large sums"),
    ("no credit check", 1.2, "is a lending pitch"),
    ("no strings attached", 0.6, "is a classic spam line"),
    ("once in a lifetime", 0.6, "overstates the offer"),
    ("one time", 0.5, "matches the 'One Time Rip Off' rule"),
    ("rip off", 0.8, "matches the 'One Time Rip Off' rule"),
    ("profitable", 0.8, "reads as 'make lots of money'"),
    ("reply to this email", 0.4, "is in the help center's list of flagged phrases"),
    ("risk-free", 0.8, "overpromises"),
    ("risk free", 0.8, "overpromises"),
    ("this is not spam", 1.5, "is what spam says"),
    ("winner", 0.8, "is a prize-scam word"),
    ("you have been selected", 1.2, "is a prize-scam line"),
    ("you've been selected", 1.2, "is a prize-scam line"),
    ("your compensation", 1.2, "is a line scammers use"),
    ("cheap meds", 1.5, "is pharmacy spam"),
    ("viagra", 2.0, "is pharmacy spam"),
    ("cyclobenzaprine", 1.5, "refers to a muscle relaxant"),
    ("flexeril", 1.5, "refers to a muscle relaxant"),
    ("skelaxin", 1.5, "refers to a muscle relaxant"),
    ("zanaflex", 1.5, "refers to a muscle relaxant"),
    ("soma", 1.0, "refers to a muscle relaxant"),
)
SPAM_PHRASE_CAP = 3.0
URL_SHORTENERS = frozenset(
    {
        "bit.ly",
        "tinyurl.com",
        "goo.gl",
        "t.co",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
        "shorturl.at",
        "tiny.cc",
        "bit.do",
        "rb.gy",
        "t.ly",
        "s.id",
        "v.gd",
        "shorte.st",
        "adf.ly",
        "bl.ink",
    }
)
FREEMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mail.com",
        "gmx.com",
        "gmx.de",
        "yandex.ru",
        "protonmail.com",
        "proton.me",
        "msn.com",
    }
)

_URL = re.compile(r"https?://[^\s\"'<>)\]]+", re.I)
_DOMAINISH = re.compile(r"^(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?:/\S*)?$", re.I)
_ANCHOR_HTML = re.compile(r"<a\s[^>]*href=[\"']([^\"']+)[\"'][^>]*>(.*?)</a>", re.I | re.S)
_ANCHOR_MD = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_TAG = re.compile(r"%[A-Za-z][A-Za-z0-9_-]+%")
_WORD = re.compile(r"[A-Za-z0-9][\w'-]*")


@dataclass(frozen=True)
class _Email:
    subject: str
    preheader: str
    blocks: list[dict[str, Any]]
    body: str
    words: int
    images: int
    links: list[tuple[str, str]]  # (visible text, href)
    from_email: str | None


@dataclass(frozen=True)
class Rule:
    """One named rule: ``check`` returns a detail string when the email hits it, else None."""

    name: str
    points: float
    explanation: str
    fix: str
    check: Callable[[_Email], str | None]


def _letters_upper_ratio(text: str) -> float:
    letters = [c for c in _TAG.sub("", text) if c.isalpha()]
    return sum(c.isupper() for c in letters) / len(letters) if letters else 0.0


def _caps_words(text: str) -> list[str]:
    return [w for w in re.findall(r"\b[A-Z]{4,}\b", _TAG.sub("", text))]


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def _subject_caps(e: _Email) -> str | None:
    letters = sum(c.isalpha() for c in _TAG.sub("", e.subject))
    if letters >= 8 and _letters_upper_ratio(e.subject) > 0.7:
        return "the subject is written in capitals"
    caps = _caps_words(e.subject)
    return f"capitalised words in the subject: {', '.join(caps)}" if len(caps) >= 2 else None


def _subject_bangs(e: _Email) -> str | None:
    n = e.subject.count("!")
    return f"{n} exclamation marks in the subject" if n >= 2 else None


def _subject_bang_question(e: _Email) -> str | None:
    return "the subject has both '!' and '?'" if "!" in e.subject and "?" in e.subject else None


def _body_bangs(e: _Email) -> str | None:
    n = e.body.count("!")
    if "!!" in e.body or n > 4:
        return f"{n} exclamation marks in the body" + (", some in a row" if "!!" in e.body else "")
    return None


def _body_caps(e: _Email) -> str | None:
    caps = _caps_words(e.body)
    if e.words >= 20 and _letters_upper_ratio(e.body) > 0.5:
        return "most of the body is in capitals"
    return f"{len(caps)} words in capitals, e.g. {', '.join(caps[:3])}" if len(caps) >= 5 else None


def _money(e: _Email) -> str | None:
    text = f"{e.subject} {e.preheader} {e.body}"
    repeated = re.findall(r"[$£€¥]{2,}", text)
    if repeated:
        return f"repeated money symbols: {', '.join(dict.fromkeys(repeated))}"
    if re.search(r"[$£€]\s?\d[\d,.]*\s*(?:million|billion|k\b)|[$£€]\s?\d{1,3}(?:,\d{3}){2,}", text, re.I):
        return "a very large sum of money"
    if len(re.findall(r"[$£€]", e.subject)) >= 2:
        return "several money amounts in the subject"
    return None


def _free_caps(e: _Email) -> str | None:
    return "'FREE' in capitals" if re.search(r"\bFREE\b", f"{e.subject} {e.body}") else None


def _unsubscribe(e: _Email) -> str | None:
    text = e.body.lower()
    if "%unsubscribelink%" in text or any(
        "unsubscribe" in label.lower() or "%unsubscribelink%" in href.lower() for label, href in e.links
    ):
        return None
    if re.search(r"unsubscribe|opt out|manage (?:your )?preferences", text):
        return "the email mentions unsubscribing but has no unsubscribe link"
    return "no unsubscribe link"


def _removal_before_link(e: _Email) -> str | None:
    return "'Unsubscribe here'" if re.search(r"unsubscribe\s+here\b", e.body, re.I) else None


def _image_only(e: _Email) -> str | None:
    return f"{e.images} image(s) and only {e.words} words" if e.images and e.words < 25 else None


def _image_ratio(e: _Email) -> str | None:
    if e.images >= 2 and e.words >= 25 and e.words / e.images < 12:
        return f"{e.images} images for {e.words} words"
    return None


def _short_body(e: _Email) -> str | None:
    return f"only {e.words} words" if not e.images and e.words < 25 else None


def _shorteners(e: _Email) -> str | None:
    hosts = sorted({_host(h) for _, h in e.links if _host(h) in URL_SHORTENERS})
    return f"links through {', '.join(hosts)}" if hosts else None


def _mismatched(e: _Email) -> str | None:
    for label, href in e.links:
        shown = _DOMAINISH.match(label.strip())
        target = _host(href)
        if shown and target and not href.startswith("%"):
            shown_host = shown.group(1).lower().removeprefix("www.")
            if shown_host != target and not target.endswith("." + shown_host):
                return f"link text {label.strip()!r} goes to {target}"
    return None


def _long_subject(e: _Email) -> str | None:
    return f"the subject is {len(e.subject)} characters" if len(e.subject) > 70 else None


def _missing_subject(e: _Email) -> str | None:
    return "no subject" if not e.subject.strip() else None


def _missing_preheader(e: _Email) -> str | None:
    return "no preheader" if not e.preheader.strip() else None


def _fake_reply(e: _Email) -> str | None:
    match = re.match(r"\s*(re|fwd?|aw|tr)\s*:", e.subject, re.I)
    return f"the subject starts with {match.group(0).strip()!r}" if match else None


def _dear_no_name(e: _Email) -> str | None:
    match = re.search(
        r"\bDear\s+(?:%[A-Z_]+%|(?:customer|valued customer|sir|madam|member|user|subscriber)\b)",
        e.body,
        re.I,
    )
    return f"'{match.group(0)}'" if match else None


def _weight_subject(e: _Email) -> str | None:
    match = re.search(r"\blos(?:e|ing)\s+(?:\d+\s+)?(?:pounds|lbs|weight|kilos|kg)\b", e.subject, re.I)
    return f"'{match.group(0)}' in the subject" if match else None


def _family_subject(e: _Email) -> str | None:
    return "'your family' in the subject" if re.search(r"\byour family\b", e.subject, re.I) else None


def _tracking_id(e: _Email) -> str | None:
    text = _URL.sub(" ", e.body)
    long = [w for w in re.findall(r"\S+", text) if w.count("-") >= 4 or (len(w) > 35 and "%" not in w)]
    return f"a very long word: {long[0][:40]!r}" if long else None


def _hex_host(e: _Email) -> str | None:
    for _, href in e.links:
        if re.search(r"[0-9a-f]{6,}", _host(href)) and re.search(r"\d", _host(href)):
            return f"link host {_host(href)!r} has a long number or hex sequence"
    return None


def _google_images(e: _Email) -> str | None:
    for b in e.blocks:
        if b.get("type") in ("image", "product"):
            url = str(b.get("url") or b.get("image_url") or "")
            if "googleusercontent.com" in url:
                return f"image served from {_host(url)}"
    return None


def _freemail(e: _Email) -> str | None:
    if not e.from_email or "@" not in e.from_email:
        return None
    domain = e.from_email.rsplit("@", 1)[1].lower()
    return f"from address at {domain}" if domain in FREEMAIL_DOMAINS else None


def _excess_punct(e: _Email) -> str | None:
    return "'???' or '?!' runs" if re.search(r"\?{2,}|\?!|!\?", f"{e.subject} {e.body}") else None


RULES: tuple[Rule, ...] = (
    Rule(
        "SUBJ_ALL_CAPS",
        1.6,
        "The subject shouts in capital letters.",
        "Write the subject in sentence case.",
        _subject_caps,
    ),
    Rule(
        "SUBJ_EXCLAMATION",
        1.0,
        "The subject has several exclamation marks.",
        "Use at most one '!' in the subject.",
        _subject_bangs,
    ),
    Rule(
        "SUBJ_EXCL_QUES",
        0.8,
        "The subject has an exclamation mark and a question mark.",
        "Remove the '!' and/or '?' from the subject line.",
        _subject_bang_question,
    ),
    Rule(
        "BODY_EXCLAMATION",
        1.0,
        "The body uses many exclamation marks.",
        "Keep exclamation marks rare, never doubled.",
        _body_bangs,
    ),
    Rule(
        "BODY_ALL_CAPS",
        1.2,
        "The body uses a lot of capital letters.",
        "Write in sentence case; use bold for emphasis.",
        _body_caps,
    ),
    Rule(
        "MONEY_SYMBOLS",
        1.5,
        "Money symbols or huge sums are a classic spam sign.",
        "State one clear price or saving, e.g. '$20 off'.",
        _money,
    ),
    Rule(
        "FREE_IN_CAPS",
        1.0,
        "'FREE' in capitals is a common spam trigger.",
        "Write 'free' in lower case, or say what is free.",
        _free_caps,
    ),
    Rule(
        "MISSING_UNSUBSCRIBE",
        2.0,
        "There is no unsubscribe link; receivers and the law expect one.",
        "Add a footer with %UNSUBSCRIBELINK%.",
        _unsubscribe,
    ),
    Rule(
        "UNSUB_HERE",
        0.5,
        "A removal phrase sits right before a link ('Unsubscribe here').",
        "Remove the word 'here' from 'Unsubscribe here' in the footer.",
        _removal_before_link,
    ),
    Rule(
        "IMAGE_ONLY",
        2.5,
        "The email is mostly images with almost no text.",
        "Add real text: at least a few sentences.",
        _image_only,
    ),
    Rule(
        "LOW_TEXT_IMAGE_RATIO",
        1.0,
        "The HTML has a low ratio of text to image area.",
        "Balance the images with more text, or use fewer images.",
        _image_ratio,
    ),
    Rule(
        "SHORT_BODY",
        0.7,
        "The message is very short.",
        "Write a few sentences so filters can read what it is about.",
        _short_body,
    ),
    Rule(
        "URL_SHORTENER",
        1.2,
        "Links go through a URL shortener, which hides their destination.",
        "Link to your own domain.",
        _shorteners,
    ),
    Rule(
        "MISMATCHED_LINK_TEXT",
        1.5,
        "A link shows one address but goes to another.",
        "Make the link text match its destination, or use words instead of an address.",
        _mismatched,
    ),
    Rule(
        "SUBJ_TOO_LONG",
        0.6,
        "The subject is very long.",
        "Keep the subject under 60 characters.",
        _long_subject,
    ),
    Rule("MISSING_SUBJECT", 2.0, "The email has no subject.", "Add a subject line.", _missing_subject),
    Rule(
        "MISSING_PREHEADER",
        0.3,
        "There is no preheader text.",
        "Add a preheader that adds to the subject.",
        _missing_preheader,
    ),
    Rule(
        "FAKE_REPLY",
        1.5,
        "The subject pretends the email is a reply or forward.",
        "Remove 'Re:' or 'Fwd:' unless it really is one.",
        _fake_reply,
    ),
    Rule(
        "DEAR_NO_NAME",
        0.5,
        "The message opens with 'Dear' but no real name.",
        "Use 'Hi %FIRSTNAME%' or a name; avoid 'Dear customer'.",
        _dear_no_name,
    ),
    Rule(
        "SUBJ_LOSE_WEIGHT",
        1.5,
        "The subject talks about losing pounds.",
        "Remove 'lose pounds/lbs/weight' from the subject.",
        _weight_subject,
    ),
    Rule(
        "SUBJ_YOUR_FAMILY",
        0.8,
        "The subject contains 'your family'.",
        "Don't use the phrase 'your family' in the subject.",
        _family_subject,
    ),
    Rule(
        "TRACKING_ID",
        0.5,
        "A very long word or hyphen chain looks like a tracking ID.",
        "Break up very long words and hyphenated chains.",
        _tracking_id,
    ),
    Rule(
        "HEX_HOSTNAME",
        0.5,
        "A link host has a long number or hex sequence, which looks suspicious.",
        "Link to a plain domain name.",
        _hex_host,
    ),
    Rule(
        "BLOCKLISTED_IMAGE_HOST",
        1.0,
        "An image is served from googleusercontent.com, which is often blocklisted.",
        "Upload the image and serve it from your own domain.",
        _google_images,
    ),
    Rule(
        "FREEMAIL_FROM",
        1.0,
        "The sender uses a free mail provider address.",
        "Send from an address at your own domain.",
        _freemail,
    ),
    Rule(
        "EXCESS_PUNCTUATION",
        0.5,
        "Runs like '???' or '?!' look like spam.",
        "Use one punctuation mark at a time.",
        _excess_punct,
    ),
)


def _block_dicts(blocks: Iterable[Any]) -> list[dict[str, Any]]:
    return [dict(b.model_dump() if hasattr(b, "model_dump") else b) for b in blocks]


def _links(blocks: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    for b in blocks:
        kind = b.get("type")
        if kind == "button" and b.get("url"):
            links.append((str(b.get("label", "")), str(b["url"])))
        elif kind == "image" and b.get("link_url"):
            links.append((str(b.get("alt", "")), str(b["link_url"])))
        elif kind == "product" and b.get("url"):
            links.append((str(b.get("name", "")), str(b["url"])))
        elif kind == "social":
            links.extend(
                (str(link.get("network", "")), str(link.get("url", ""))) for link in b.get("links", [])
            )
        elif kind == "text":
            text = str(b.get("text", ""))
            links.extend((label, href) for href, label in _ANCHOR_HTML.findall(text))
            links.extend((label, href) for label, href in _ANCHOR_MD.findall(text))
            stripped = _ANCHOR_MD.sub(" ", _ANCHOR_HTML.sub(" ", text))
            links.extend((u, u) for u in _URL.findall(stripped))
    return links


def _email(
    subject: str | None, preheader: str | None, blocks: Iterable[Any], from_email: str | None
) -> _Email:
    items = _block_dicts(blocks)
    parts = []
    for b in items:
        for key in ("text", "label", "name", "description"):
            if b.get(key):
                parts.append(re.sub(r"<[^>]+>", " ", str(b[key])))
    body = "\n".join(parts)
    return _Email(
        subject=(subject or "").strip(),
        preheader=(preheader or "").strip(),
        blocks=items,
        body=body,
        words=len(_WORD.findall(_TAG.sub(" ", body))),
        images=sum(
            1
            for b in items
            if b.get("type") == "image" or (b.get("type") == "product" and b.get("image_url"))
        ),
        links=_links(items),
        from_email=from_email,
    )


def _phrase_hits(e: _Email) -> list[SpamHit]:
    hits: list[SpamHit] = []
    total = 0.0
    text = f"{e.subject}\n{e.preheader}\n{e.body}".lower()
    for phrase, points, why in SPAM_PHRASES:
        if re.search(r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])", text):
            where = "subject" if phrase in e.subject.lower() else "content"
            pts = min(points + (0.5 if where == "subject" else 0.0), SPAM_PHRASE_CAP - total)
            if pts <= 0:
                break
            total += pts
            hits.append(
                SpamHit(
                    rule="SPAM_PHRASE",
                    points=round(pts, 2),
                    explanation=f"The {where} says {phrase!r}, which {why}.",
                    fix=f"Remove or reword {phrase!r}.",
                )
            )
    return hits


def spam_check(
    subject: str | None, preheader: str | None, blocks: Iterable[Any], *, from_email: str | None = None
) -> SpamReport:
    """Score an email's content against the spam rules; 5.0 or more is likely spam."""
    email = _email(subject, preheader, blocks, from_email)
    hits: list[SpamHit] = []
    for rule in RULES:
        detail = rule.check(email)
        if detail:
            hits.append(
                SpamHit(
                    rule=rule.name,
                    points=rule.points,
                    explanation=f"{rule.explanation} ({detail})",
                    fix=rule.fix,
                )
            )
    hits.extend(_phrase_hits(email))
    hits.sort(key=lambda h: (-h.points, h.rule))
    score = round(sum(h.points for h in hits), 1)
    verdict: Verdict = "good" if score < GOOD_BELOW else "needs work" if score < THRESHOLD else "likely spam"
    return SpamReport(score=score, threshold=THRESHOLD, verdict=verdict, passed=not hits, hits=hits)


def spam_rules() -> list[dict[str, Any]]:
    """List the rules with their points, for showing what the check looks at."""
    rules = [{"rule": r.name, "points": r.points, "explanation": r.explanation, "fix": r.fix} for r in RULES]
    rules.append(
        {
            "rule": "SPAM_PHRASE",
            "points": SPAM_PHRASE_CAP,
            "explanation": (
                f"Phrases spam often uses ({len(SPAM_PHRASES)} of them; up to {SPAM_PHRASE_CAP} points)."
            ),
            "fix": "Use normal conversational language.",
        }
    )
    return rules
