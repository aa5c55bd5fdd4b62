"""The rule-based spam check: each rule fires on a crafted bad email, and drafted emails pass cleanly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.campaigns import service as campaigns
from core.content import phrasebank as pb
from core.content.copywriter import draft_email, revise_email
from core.content.spam_check import RULES, THRESHOLD, spam_check, spam_rules
from core.enums import Layout

FOOTER: dict[str, Any] = {"type": "text", "text": "Not for you? Unsubscribe: %UNSUBSCRIBELINK%"}
BODY = (
    "Hi %FIRSTNAME%, our autumn collection is here. We picked warm layers, sturdy boots and a few cosy "
    "extras for the cooler days ahead. Have a look and tell us what you think."
)


def _clean(**over: Any) -> dict[str, Any]:
    email: dict[str, Any] = {
        "subject": "Our autumn collection is here",
        "preheader": "Warm layers and sturdy boots for cooler days.",
        "blocks": [
            {"type": "heading", "text": "Autumn is here"},
            {"type": "text", "text": BODY},
            {"type": "button", "label": "See the collection", "url": "https://shop.example.com/autumn"},
            FOOTER,
        ],
    }
    email.update(over)
    return email


def _rules(email: dict[str, Any], **kw: Any) -> set[str]:
    return {h.rule for h in spam_check(email["subject"], email["preheader"], email["blocks"], **kw).hits}


def _body(*blocks: dict[str, Any]) -> list[dict[str, Any]]:
    return [*blocks, FOOTER]


CASES: list[tuple[str, dict[str, Any]]] = [
    ("SUBJ_ALL_CAPS", _clean(subject="HUGE AUTUMN SALE STARTS NOW")),
    ("SUBJ_EXCLAMATION", _clean(subject="Autumn is here!!")),
    ("SUBJ_EXCL_QUES", _clean(subject="Ready for autumn?!")),
    ("BODY_EXCLAMATION", _clean(blocks=_body({"type": "text", "text": BODY + " Hurry!!! Now!"}))),
    (
        "BODY_ALL_CAPS",
        _clean(
            blocks=_body({"type": "text", "text": BODY + " BEST PRICES EVER, ORDER TODAY WHILE STOCKS LAST"})
        ),
    ),
    ("MONEY_SYMBOLS", _clean(subject="Win $$$ this autumn")),
    ("MONEY_SYMBOLS", _clean(blocks=_body({"type": "text", "text": BODY + " Earn $1,000,000 a year."}))),
    ("FREE_IN_CAPS", _clean(subject="FREE boots for autumn")),
    ("MISSING_UNSUBSCRIBE", _clean(blocks=[{"type": "text", "text": BODY}])),
    (
        "UNSUB_HERE",
        _clean(
            blocks=[
                {"type": "text", "text": BODY},
                {"type": "text", "text": "Unsubscribe here: %UNSUBSCRIBELINK%"},
            ]
        ),
    ),
    (
        "IMAGE_ONLY",
        _clean(
            blocks=_body({"type": "image", "url": "https://cdn.example.com/big-banner.png", "alt": "Sale"})
        ),
    ),
    (
        "LOW_TEXT_IMAGE_RATIO",
        _clean(
            blocks=_body(
                {"type": "text", "text": BODY},
                *[{"type": "image", "url": f"https://cdn.example.com/{i}.png"} for i in range(6)],
            )
        ),
    ),
    ("SHORT_BODY", _clean(blocks=_body({"type": "text", "text": "New boots are in."}))),
    (
        "URL_SHORTENER",
        _clean(
            blocks=_body(
                {"type": "text", "text": BODY},
                {"type": "button", "label": "Shop", "url": "https://bit.ly/3xYz"},
            )
        ),
    ),
    (
        "MISMATCHED_LINK_TEXT",
        _clean(
            blocks=_body(
                {"type": "text", "text": BODY},
                {"type": "button", "label": "www.mybank.com", "url": "https://login.example-phish.ru/x"},
            )
        ),
    ),
    (
        "MISMATCHED_LINK_TEXT",
        _clean(
            blocks=_body(
                {"type": "text", "text": BODY + ' <a href="https://evil.example.net">https://paypal.com</a>'}
            )
        ),
    ),
    (
        "SUBJ_TOO_LONG",
        _clean(subject="Our brand new autumn collection is finally here with warm layers, boots and more"),
    ),
    ("MISSING_SUBJECT", _clean(subject="")),
    ("MISSING_PREHEADER", _clean(preheader=None)),
    ("FAKE_REPLY", _clean(subject="Re: your autumn order")),
    ("FAKE_REPLY", _clean(subject="Fwd: autumn boots")),
    ("DEAR_NO_NAME", _clean(blocks=_body({"type": "text", "text": "Dear %FIRSTNAME%, " + BODY}))),
    ("DEAR_NO_NAME", _clean(blocks=_body({"type": "text", "text": "Dear valued customer, " + BODY}))),
    ("SUBJ_LOSE_WEIGHT", _clean(subject="Lose 10 pounds before winter")),
    ("SUBJ_YOUR_FAMILY", _clean(subject="Boots for your family")),
    (
        "TRACKING_ID",
        _clean(blocks=_body({"type": "text", "text": BODY + " Bestimmungs-Kraft-Session-2-Aufzeichnung"})),
    ),
    (
        "HEX_HOSTNAME",
        _clean(
            blocks=_body(
                {"type": "text", "text": BODY},
                {"type": "button", "label": "Go", "url": "https://1857105312.example.com/x"},
            )
        ),
    ),
    (
        "BLOCKLISTED_IMAGE_HOST",
        _clean(
            blocks=_body(
                {"type": "text", "text": BODY},
                {"type": "image", "url": "https://lh3.googleusercontent.com/abc.png", "alt": "Boots"},
            )
        ),
    ),
    ("EXCESS_PUNCTUATION", _clean(subject="Ready for autumn???")),
    ("SPAM_PHRASE", _clean(blocks=_body({"type": "text", "text": BODY + " Click here to earn money fast."}))),
    (
        "SPAM_PHRASE",
        _clean(blocks=_body({"type": "text", "text": BODY + " A lucrative and risk-free deal."})),
    ),
]


@pytest.mark.parametrize(("rule", "email"), CASES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(CASES)])
def test_each_rule_fires_on_a_crafted_bad_email(rule: str, email: dict[str, Any]) -> None:
    assert rule in _rules(email)
    report = spam_check(email["subject"], email["preheader"], email["blocks"])
    hit = next(h for h in report.hits if h.rule == rule)
    assert hit.points > 0 and hit.explanation and hit.fix
    assert report.score == round(sum(h.points for h in report.hits), 1)


def test_the_clean_email_has_no_hits() -> None:
    report = spam_check(**_clean())
    assert report.hits == [] and report.score == 0 and report.verdict == "good" and report.passed
    assert report.threshold == THRESHOLD == 5.0


def test_every_rule_has_a_crafted_case() -> None:
    covered = {rule for rule, _ in CASES}
    assert {r.name for r in RULES} - {"FREEMAIL_FROM"} <= covered
    assert {r["rule"] for r in spam_rules()} >= covered


def test_freemail_sender_is_flagged() -> None:
    assert "FREEMAIL_FROM" in _rules(_clean(), from_email="deals@gmail.com")
    assert "FREEMAIL_FROM" not in _rules(_clean(), from_email="news@shop.example.com")


def test_a_very_spammy_email_is_likely_spam() -> None:
    report = spam_check(
        "Re: FREE $$$ WINNER!!!",
        None,
        [
            {
                "type": "text",
                "text": "Dear friend, you have been selected! Click here to make money, 100% free!!!",
            },
            {"type": "button", "label": "www.yourbank.com", "url": "https://bit.ly/abc"},
        ],
    )
    assert report.verdict == "likely spam" and report.score >= THRESHOLD and not report.passed
    assert [h.points for h in report.hits] == sorted((h.points for h in report.hits), reverse=True)
    assert sum(h.points for h in report.hits if h.rule == "SPAM_PHRASE") <= 3.0


def test_a_few_small_issues_need_work() -> None:
    email = _clean(subject="Re: autumn boots", preheader="")
    email["blocks"] = [*email["blocks"], {"type": "text", "text": "Unsubscribe here"}]
    report = spam_check(**email)
    assert report.verdict == "needs work" and 2.0 <= report.score < THRESHOLD


TOPICS = [
    "win-back offer for lapsed customers",
    "20% off summer dresses this weekend",
    "webinar on SEO basics on June 30 at 2pm",
    "abandoned cart reminder",
    "launching our new trail shoe",
    "monthly newsletter about composting tips",
]


@pytest.mark.parametrize("tone", pb.TONES)
def test_drafted_emails_pass_cleanly(tone: str) -> None:
    for topic in TOPICS:
        for layout in Layout:
            for length in ("short", "medium", "long"):
                draft = draft_email({"topic": topic, "tone": tone, "layout": layout.value, "length": length})
                report = spam_check(draft.subject, draft.preheader, draft.blocks)
                assert report.verdict == "good" and report.hits == [], (topic, layout, length, report.hits)
        longer = revise_email(
            draft_email({"topic": topic, "tone": tone, "length": "long"}), {"action": "longer"}
        )
        assert spam_check(longer.subject, longer.preheader, longer.blocks).hits == []


def test_checks_a_stored_campaign(session: Session, now: datetime) -> None:
    aid = accounts.create_account(session, name="Spammy", plan="plus").id
    bad = campaigns.create_campaign(
        session,
        account_id=aid,
        name="Bad",
        now=now,
        subject="FREE MONEY FOR YOU!!",
        blocks=[
            {"type": "image", "url": "https://cdn.example.com/banner.png"},
            {"type": "text", "text": "Act now"},
        ],
    )
    report = spam_check(bad.subject, bad.preheader, bad.blocks)
    assert {"SUBJ_ALL_CAPS", "SUBJ_EXCLAMATION", "MISSING_UNSUBSCRIBE", "IMAGE_ONLY", "SPAM_PHRASE"} <= {
        h.rule for h in report.hits
    }
    assert report.verdict == "likely spam"
    draft = draft_email({"topic": "autumn boots launch", "cta_url": "https://shop.example.com/boots"})
    good = campaigns.create_campaign(
        session,
        account_id=aid,
        name="Good",
        now=now,
        subject=draft.subject,
        preheader=draft.preheader,
        blocks=draft.blocks,
    )
    assert spam_check(good.subject, good.preheader, good.blocks).verdict == "good"
