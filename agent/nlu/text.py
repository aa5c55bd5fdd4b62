"""Text normalisation shared by the intent classifier and the slot extractors.

Two levels: ``clean`` keeps the words (lowercase, straight quotes, contractions expanded, number words turned
into digits) and is what the slot extractors read; ``features_text`` additionally masks values that carry no
intent signal (emails, URLs, phone numbers, amounts, digits), which is what the classifier sees.
"""

from __future__ import annotations

import re
import unicodedata

from agent.nlu.lexicon import concept_tokens

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}
_ORDINAL_SUFFIX = {1: "st", 2: "nd", 3: "rd"}

# Order matters: specific forms before the generic "n't" / "'s" rules.
_CONTRACTIONS = [
    (r"\bwon'?t\b", "will not"),
    (r"\bcan'?t\b", "cannot"),
    (r"\bshan'?t\b", "shall not"),
    (r"\bain'?t\b", "is not"),
    (r"\b(do|does|did|is|are|was|were|has|have|had|should|would|could|must|need)n'?t\b", r"\1 not"),
    (r"\b(what|how|who|where|when|why|that|there|here|it|he|she)'s\b", r"\1 is"),
    (r"\blet's\b", "let us"),
    (r"\bi'm\b", "i am"),
    (r"\bim\b", "i am"),
    (r"\b(i|you|we|they)'re\b", r"\1 are"),
    (r"\b(i|you|we|they)'ve\b", r"\1 have"),
    (r"\b(i|you|we|they|he|she|it)'ll\b", r"\1 will"),
    (r"\b(i|you|we|they|he|she)'d\b", r"\1 would"),
    (r"\bwhats\b", "what is"),
    (r"\bhows\b", "how is"),
    (r"\bwhens\b", "when is"),
    # Possessives carry no meaning for us ("jane's phone" == "jane phone").
    (r"(\w)'s\b", r"\1"),
]
_CONTRACTION_RES = [(re.compile(p), r) for p, r in _CONTRACTIONS]

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL_RE = re.compile(r"\bhttps?://\S+|\bwww\.\S+")
# Not an ISO date ("2026-03-01") or a range of them.
PHONE_RE = re.compile(r"(?<![\w$€£])(?!\d{4}-\d{1,2}-\d{1,2}\b)\+?\d[\d\s().-]{6,}\d\b")
_NUMBER_WORD_RE = re.compile(
    r"\b(?:(?:" + "|".join(list(UNITS) + list(TENS) + list(SCALES)) + r"|and|a)(?:[\s-]+|\b))+",
)


def ascii_fold(text: str) -> str:
    """Normalise unicode quotes, dashes and accents to plain ASCII where that is safe."""
    text = unicodedata.normalize("NFKC", text)
    return (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u2013", "-")
        .replace("\u2014", " - ")
        .replace("\u00a0", " ")
    )


def _number_groups(words: list[str]) -> list[str]:
    """Split a run of number words into numbers: "twenty five" is one; "one two", "two and three" are two."""
    out: list[str] = []
    total, current, last = 0, 0, ""

    def flush() -> None:
        nonlocal total, current
        if last:
            out.append(str(total + current))
        total, current = 0, 0

    for w in words:
        if w == "and":
            if last in SCALES:
                continue
            flush()
            last = ""
            out.append("and")
            continue
        if w in UNITS:
            if last in UNITS or (last in TENS and current % 10) or last == "and":
                flush()
            current += UNITS[w]
        elif w in TENS:
            if last in UNITS or last in TENS:
                flush()
            current += TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * SCALES[w]
            current = 0
        last = w
    flush()
    return out


def _replace_number_run(match: re.Match[str]) -> str:
    raw = match.group(0)
    words = [w for w in re.split(r"[\s-]+", raw.strip()) if w]
    # Leading "a"/"and" belong to the sentence unless followed by a scale word ("a hundred").
    lead: list[str] = []
    while words and words[0] in ("a", "and") and not (len(words) > 1 and words[1] in SCALES):
        lead.append(words.pop(0))
    trail: list[str] = []
    while words and words[-1] in ("a", "and"):
        trail.insert(0, words.pop())
    if not words:
        return raw
    if words[0] == "a":
        words[0] = "one"
    words = [w for w in words if w != "a"] if "a" in words else words
    tail = " " if raw[-1:].isspace() or raw[-1:] == "-" else ""
    return " ".join([*lead, *_number_groups(words), *trail]) + tail


def numbers_to_digits(text: str) -> str:
    """Turn number words into digits ("three emails" -> "3 emails", "twenty five" -> "25")."""
    return _NUMBER_WORD_RE.sub(_replace_number_run, text)


def ordinals_to_digits(text: str) -> str:
    """Turn ordinal words into digit form ("the second one" -> "the 2nd one")."""

    def repl(m: re.Match[str]) -> str:
        n = ORDINALS[m.group(1)]
        return f"{n}{_ORDINAL_SUFFIX.get(n if n < 20 else n % 10, 'th')}"

    return re.sub(r"\b(" + "|".join(ORDINALS) + r")\b", repl, text)


def expand_contractions(text: str) -> str:
    """Expand English contractions on lowercase text ("didn't" -> "did not")."""
    for pattern, repl in _CONTRACTION_RES:
        text = pattern.sub(repl, text)
    return text


def clean(text: str) -> str:
    """Lowercase, fold unicode, expand contractions and turn number words into digits; keeps punctuation."""
    t = ascii_fold(text).lower()
    t = expand_contractions(t)
    t = numbers_to_digits(t)
    return " ".join(t.split())


def features_text(text: str, *, concepts: bool = True) -> str:
    """Return the classifier's view of ``text``: clean words with values masked, punctuation dropped and
    domain concept tokens appended."""
    light = expand_contractions(ascii_fold(text).lower())
    extra = concept_tokens(light) if concepts else []
    t = clean(text)
    t = EMAIL_RE.sub(" zemailz ", t)
    t = URL_RE.sub(" zurlz ", t)
    t = PHONE_RE.sub(" zphonez ", t)
    t = ordinals_to_digits(t)
    t = re.sub(r"[$€£]\s?\d[\d,.]*\s?k?\b|\b\d[\d,.]*\s?(?:k|dollars?|euros?|usd|eur)\b", " zmoneyz ", t)
    t = re.sub(r"\d+(?:\.\d+)?\s?%", " zpercentz ", t)
    # Digits carry magnitude, not intent: "last 90 days" and "last 45 days" should look alike.
    t = re.sub(r"\d", "0", t)
    t = t.replace("/", " / ")
    t = re.sub(r"[^a-z0-9#/ ]+", " ", t)
    return " ".join(t.split() + extra)
