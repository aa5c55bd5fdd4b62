"""The offline copywriter: deterministic drafts, tone, length, brand, revisions, locked blocks, SMS."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.campaigns import service as campaigns
from core.campaigns import sms
from core.content import phrasebank as pb
from core.content import service as content
from core.content.copywriter import (
    MAX_PREHEADER,
    MAX_SUBJECT,
    WORD_BUDGET,
    EmailDraft,
    draft_email,
    draft_sms,
    gsm_length,
    infer_purpose,
    revise_email,
    subject_lines,
    word_count,
)
from core.content.schemas import BrandKitOut
from core.enums import Layout
from core.errors import Conflict, InvalidRequest, NotFound

BRAND = BrandKitOut(
    id=1,
    account_id=1,
    name="Trailhead",
    is_primary=True,
    website="https://trailhead.example.com",
    logo_url="https://trailhead.example.com/logo.png",
    colors=["#0B6E4F", "#F4A259"],
    fonts=["Georgia", "Helvetica"],
    tone="Warm, caring and a little playful",
    description="We make durable hiking gear for weekend adventurers.",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)
TOPICS = [
    "win-back offer for lapsed customers",
    "20% off summer dresses this weekend",
    "webinar on SEO basics on June 30 at 2pm",
    "monthly newsletter about composting tips",
    "abandoned cart reminder",
    "launching our new trail shoe",
]


def _text(draft: EmailDraft) -> str:
    parts = [draft.subject, draft.preheader]
    parts += [str(b.get("text") or b.get("label") or "") for b in draft.blocks]
    return "\n".join(parts)


def _copy_text(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(str(b.get("text") or b.get("label") or "") for b in blocks)


# ---------------------------------------------------------------- drafting


def test_same_input_gives_the_same_draft_and_another_seed_changes_it() -> None:
    brief = {"topic": "spring sale on running shoes", "offer": "20% off", "length": "medium"}
    first = draft_email(brief, BRAND, seed=7)
    assert draft_email(brief, BRAND, seed=7) == first
    others = [draft_email(brief, BRAND, seed=s) for s in range(8, 14)]
    assert any(o.blocks != first.blocks or o.subject != first.subject for o in others)


@pytest.mark.parametrize("topic", TOPICS)
def test_draft_has_parseable_blocks_greeting_cta_and_footer(topic: str) -> None:
    draft = draft_email({"topic": topic}, BRAND)
    assert campaigns.parse_blocks(draft.blocks) == draft.blocks
    kinds = [b["type"] for b in draft.blocks]
    assert kinds[0] == "image" and draft.blocks[0]["url"] == BRAND.logo_url  # the brand logo leads
    assert "heading" in kinds and kinds.count("button") == 1 and "divider" in kinds
    assert "%FIRSTNAME%" in next(b["text"] for b in draft.blocks if b["type"] == "text")
    assert "%UNSUBSCRIBELINK%" in draft.blocks[-1]["text"]
    assert len(draft.subject_alternatives) == 3 and draft.subject not in draft.subject_alternatives
    assert draft.summary and str(draft.word_count) in draft.summary


@pytest.mark.parametrize(
    ("topic", "purpose"),
    [
        ("win-back offer for lapsed customers", "win_back"),
        ("20% off summer dresses this weekend", "promotion"),
        ("webinar on SEO basics on June 30", "event"),
        ("monthly newsletter about composting tips", "newsletter"),
        ("abandoned cart reminder", "abandoned_cart"),
        ("launching our new trail shoe", "product_launch"),
        ("welcome email for new subscribers", "welcome"),
        ("thank you for your order", "thank_you"),
        ("follow up after the webinar", "follow_up"),
        ("re-engage inactive subscribers", "re_engagement"),
        ("our new opening hours", "announcement"),
    ],
)
def test_purpose_is_inferred_from_topic_words(topic: str, purpose: str) -> None:
    assert infer_purpose(topic) == purpose
    assert draft_email({"topic": topic}).brief.purpose == purpose


def test_topic_details_reach_the_copy() -> None:
    draft = draft_email(
        {"topic": "20% off summer dresses this weekend", "tone": "friendly", "length": "long"}
    )
    text = _text(draft)
    assert "summer dresses" in text and "20% off" in text and "this weekend" in text
    assert "summer dresses" in draft.subject.lower()
    event = draft_email({"topic": "webinar on SEO basics on June 30 at 2pm", "length": "long"})
    assert "on June 30 at 2pm" in _text(event) and "webinar on SEO basics" in _text(event)


@pytest.mark.parametrize("tone", pb.TONES)
def test_tone_vocabulary_shows_in_the_copy(tone: str) -> None:
    for topic in TOPICS:
        for length in ("short", "long"):
            text = _text(draft_email({"topic": topic, "tone": tone, "length": length})).lower()
            assert any(m in text for m in pb.TONE_VOCAB[tone]["markers"]), (topic, length)


def test_tones_read_differently_and_formal_drops_contractions() -> None:
    texts = {t: _copy_text(draft_email({"topic": TOPICS[1], "tone": t}).blocks) for t in pb.TONES}
    assert len(set(texts.values())) == len(pb.TONES)
    assert not re.search(r"\b(?:we're|you'll|it's|don't|we've|you're)\b", texts["formal"], re.I)
    assert re.search(r"\b(?:we're|you'll|it's|don't|we've|you're)\b", texts["friendly"], re.I)


def test_brand_tone_is_the_default_tone() -> None:
    assert draft_email({"topic": TOPICS[0]}, BRAND).brief.tone == "warm"
    assert draft_email({"topic": TOPICS[0]}).brief.tone == "friendly"
    assert draft_email({"topic": TOPICS[0], "tone": "formal"}, BRAND).brief.tone == "formal"


@pytest.mark.parametrize("layout", [None, *[layout.value for layout in Layout]])
def test_lengths_differ_measurably(layout: str | None) -> None:
    for topic in TOPICS:
        counts = [
            draft_email({"topic": topic, "length": length, "layout": layout}, BRAND).word_count
            for length in ("short", "medium", "long")
        ]
        assert counts[0] < counts[1] < counts[2], (topic, counts)
        assert counts[2] >= counts[0] * 2


def test_subject_and_preheader_stay_short_and_unspammy() -> None:
    for topic in [*TOPICS, "announcing the completely redesigned ultralight carbon trekking pole collection"]:
        for tone in pb.TONES:
            draft = draft_email({"topic": topic, "tone": tone, "offer": "15% off"}, BRAND)
            for subject in [draft.subject, *draft.subject_alternatives]:
                assert len(subject) <= MAX_SUBJECT, subject
                assert subject.count("!") <= 1 and not ("!" in subject and "?" in subject)
            assert len(draft.preheader) <= MAX_PREHEADER
            text = _text(draft)
            caps = set(re.findall(r"\b[A-Z]{4,}\b", re.sub(r"%[A-Z]+%", "", text)))
            assert caps <= {"RSVP"} and not re.search(
                r"\b[A-Z]{4,}\b", draft.subject.replace("%FIRSTNAME%", "")
            )
            assert "!!" not in text and "$$" not in text and "FREE" not in text


def test_layouts_shape_the_blocks() -> None:
    grid = draft_email({"topic": TOPICS[1], "layout": "image grid"})
    assert grid.layout == Layout.IMAGE_GRID
    assert sum(b["type"] == "image" for b in grid.blocks) == 4
    callouts = draft_email({"topic": TOPICS[1], "layout": "Callouts", "length": "long"})
    assert sum(b["type"] == "heading" and b["level"] == 3 for b in callouts.blocks) == 3
    editorial = draft_email({"topic": TOPICS[1], "layout": "Editorial", "length": "long"})
    assert editorial.blocks[0]["type"] == "image"
    assert sum(b["type"] == "heading" and b["level"] == 2 for b in editorial.blocks) >= 2
    two = draft_email({"topic": TOPICS[1], "layout": "2 column", "length": "long"})
    assert sum(b["type"] == "image" for b in two.blocks) == 2
    assert draft_email({"topic": "monthly newsletter about composting"}).layout == Layout.EDITORIAL


def test_brand_kit_shapes_copy_link_and_style() -> None:
    draft = draft_email({"topic": TOPICS[2], "length": "long"}, BRAND)
    text = _text(draft)
    assert "The Trailhead team" in text
    assert "At Trailhead, we make durable hiking gear" in text
    button = next(b for b in draft.blocks if b["type"] == "button")
    assert button["url"] == BRAND.website
    assert draft.style.button_color == "#0B6E4F" and draft.style.heading_font == "Georgia"
    assert draft.brand == BRAND


def test_without_a_link_the_button_is_left_for_scheduling_to_flag() -> None:
    draft = draft_email({"topic": TOPICS[1]})
    button = next(b for b in draft.blocks if b["type"] == "button")
    assert button["url"] is None
    assert "no link yet" in draft.summary
    given = draft_email(
        {"topic": TOPICS[1], "cta_text": "Shop dresses", "cta_url": "https://shop.example.com/d"}
    )
    button = next(b for b in given.blocks if b["type"] == "button")
    assert button == {
        "type": "button",
        "label": "Shop dresses",
        "url": "https://shop.example.com/d",
        "locked": False,
    }


def test_bad_brief_values_are_invalid_requests() -> None:
    with pytest.raises(InvalidRequest, match="tone"):
        draft_email({"topic": "spring sale", "tone": "sarcastic"})
    with pytest.raises(InvalidRequest, match="layout"):
        draft_email({"topic": "spring sale", "layout": "Three column"})
    with pytest.raises(InvalidRequest, match="cta_url"):
        draft_email({"topic": "spring sale", "cta_url": "not a link"})
    with pytest.raises(InvalidRequest, match="topic"):
        draft_email({"topic": ""})


def test_other_languages_fall_back_to_english_with_a_note() -> None:
    draft = draft_email({"topic": TOPICS[0], "language": "fr"})
    assert any("English" in n for n in draft.notes) and "English" in draft.summary


# ---------------------------------------------------------------- revisions


def _locked(draft: EmailDraft, *positions: int) -> EmailDraft:
    blocks = [dict(b) for b in draft.blocks]
    for p in positions:
        blocks[p]["locked"] = True
    return draft.model_copy(update={"blocks": blocks})


REVISIONS: list[dict[str, Any]] = [
    {"action": "shorter"},
    {"action": "longer"},
    {"action": "tone", "tone": "playful"},
    {"action": "layout", "layout": "Simple"},
    {"action": "layout", "layout": "Image grid"},
    {"action": "feedback", "feedback": "mention free shipping and add a sense of urgency"},
    {"action": "regenerate"},
    {"action": "cta", "cta_text": "Go now"},
]


@pytest.mark.parametrize("revision", REVISIONS, ids=lambda r: "-".join(str(v) for v in r.values()))
def test_locked_blocks_are_never_changed(revision: dict[str, Any]) -> None:
    draft = draft_email({"topic": TOPICS[1], "layout": "Callouts", "length": "medium"}, BRAND)
    heading = next(i for i, b in enumerate(draft.blocks) if b["type"] == "heading")
    intro = heading + 1
    locked = _locked(draft, heading, intro)
    out = revise_email(locked, revision)
    kept = [b for b in out.blocks if b.get("locked")]
    assert kept == [locked.blocks[heading], locked.blocks[intro]]
    # The campaign service's own rule: locked blocks keep their order.
    campaigns._check_locked(locked.blocks, out.blocks)
    assert campaigns.parse_blocks(out.blocks) == out.blocks


def test_a_locked_button_refuses_a_new_cta() -> None:
    draft = draft_email({"topic": TOPICS[1]})
    button = next(i for i, b in enumerate(draft.blocks) if b["type"] == "button")
    with pytest.raises(Conflict, match="locked"):
        revise_email(_locked(draft, button), {"action": "cta", "cta_url": "https://example.com/x"})


@pytest.mark.parametrize("topic", TOPICS)
@pytest.mark.parametrize("length", ["medium", "long"])
def test_shorter_and_longer_change_the_length_by_a_quarter(topic: str, length: str) -> None:
    draft = draft_email({"topic": topic, "length": length}, BRAND)
    shorter = revise_email(draft, {"action": "shorter"})
    longer = revise_email(draft, {"action": "longer"})
    assert shorter.word_count <= draft.word_count * 0.75
    assert longer.word_count >= draft.word_count * 1.25
    assert shorter.brief == draft.brief and shorter.subject == draft.subject


def test_shorter_and_longer_count_only_unlocked_words() -> None:
    draft = draft_email({"topic": TOPICS[1], "length": "medium"})
    intro = next(i for i, b in enumerate(draft.blocks) if b["type"] == "text")
    locked = _locked(draft, intro)
    before = word_count(locked.blocks, include_locked=False)
    assert (
        word_count(revise_email(locked, {"action": "shorter"}).blocks, include_locked=False) <= before * 0.75
    )
    assert (
        word_count(revise_email(locked, {"action": "longer"}).blocks, include_locked=False) >= before * 1.25
    )


def test_shorter_refuses_when_nothing_can_be_cut() -> None:
    draft = draft_email({"topic": TOPICS[1], "length": "short"})
    everything = _locked(draft, *range(len(draft.blocks)))
    with pytest.raises(Conflict, match="locked"):
        revise_email(everything, {"action": "shorter"})


def test_tone_revision_rewrites_in_the_new_tone() -> None:
    draft = draft_email({"topic": TOPICS[0], "tone": "friendly"})
    formal = revise_email(draft, {"action": "tone", "tone": "formal"})
    assert formal.brief.tone == "formal"
    text = _text(formal).lower()
    assert any(m in text for m in pb.TONE_VOCAB["formal"]["markers"])
    assert abs(formal.word_count - draft.word_count) <= draft.word_count * 0.3


def test_subject_revisions() -> None:
    draft = draft_email({"topic": TOPICS[1], "tone": "friendly"})
    given = revise_email(draft, {"action": "subject", "subject": "Dresses for the heatwave"})
    assert given.subject == "Dresses for the heatwave" and given.blocks == draft.blocks
    urgent = revise_email(draft, {"action": "subject", "subject_style": "more urgent"})
    assert urgent.subject != draft.subject
    assert any(w in urgent.subject.lower() for w in ("ending soon", "don't wait", "last call"))
    question = revise_email(draft, {"action": "subject", "subject_style": "a question"})
    assert question.subject.endswith("?")
    personal = revise_email(draft, {"action": "subject", "subject_style": "personal"})
    assert personal.subject.startswith("%FIRSTNAME%")
    shorter = revise_email(draft, {"action": "subject", "subject_style": "shorter"})
    assert len(shorter.subject) < len(draft.subject)
    for out in (urgent, question, personal, shorter):
        assert len(out.subject) <= MAX_SUBJECT
    with pytest.raises(InvalidRequest, match="subject style"):
        revise_email(draft, {"action": "subject", "subject_style": "more purple"})
    locked = draft.model_copy(update={"subject_locked": True})
    with pytest.raises(Conflict, match="locked"):
        revise_email(locked, {"action": "subject", "subject": "New"})
    assert revise_email(locked, {"action": "regenerate"}).subject == draft.subject


def test_cta_revision_sets_label_and_link() -> None:
    draft = draft_email({"topic": TOPICS[1]})
    out = revise_email(
        draft, {"action": "cta", "cta_text": "Shop now", "cta_url": "https://shop.example.com"}
    )
    button = next(b for b in out.blocks if b["type"] == "button")
    assert button["label"] == "Shop now" and button["url"] == "https://shop.example.com"
    assert out.brief.cta_url == "https://shop.example.com" and "no link yet" not in out.summary
    # A later regeneration keeps the new call to action.
    again = revise_email(out, {"action": "regenerate"})
    assert next(b for b in again.blocks if b["type"] == "button")["url"] == "https://shop.example.com"


def test_feedback_is_applied_and_remembered() -> None:
    draft = draft_email({"topic": TOPICS[1], "tone": "friendly", "length": "long"})
    assert "returns are easy" in _text(draft).lower()
    out = revise_email(
        draft, {"action": "feedback", "feedback": "Mention free shipping. Don't mention returns"}
    )
    text = _text(out).lower()
    assert "shipping is free" in text and "returns" not in text
    assert out.variant == draft.variant + 1
    again = revise_email(out, {"action": "regenerate"})
    assert "shipping is free" in _text(again).lower() and "returns" not in _text(again).lower()
    urgent = revise_email(draft, {"action": "feedback", "feedback": "Add a sense of urgency"})
    button = next(b for b in urgent.blocks if b["type"] == "button")
    assert button["label"] in pb.CTA_URGENT
    code = revise_email(draft, {"action": "feedback", "feedback": "include code SUMMER20"})
    assert "Use code SUMMER20 at checkout." in _text(code)
    playful = revise_email(draft, {"action": "feedback", "feedback": "make it more playful"})
    assert playful.brief.tone == "playful"
    shorter = revise_email(draft, {"action": "feedback", "feedback": "make it shorter"})
    assert shorter.word_count < draft.word_count * 0.8
    odd = revise_email(draft, {"action": "feedback", "feedback": "less salesy"})
    assert any("less salesy" in n for n in odd.notes)


def test_regenerate_is_deterministic_and_new() -> None:
    draft = draft_email({"topic": TOPICS[0]}, BRAND)
    first = revise_email(draft, {"action": "regenerate"})
    assert revise_email(draft, {"action": "regenerate"}) == first
    assert first.variant == 1 and (first.blocks != draft.blocks or first.subject != draft.subject)


def test_layout_revision_changes_the_layout() -> None:
    draft = draft_email({"topic": TOPICS[1], "layout": "Simple"})
    out = revise_email(draft, {"action": "layout", "layout": "Callouts"})
    assert out.layout == Layout.CALLOUTS and any(
        b["type"] == "heading" and b["level"] == 3 for b in out.blocks
    )
    with pytest.raises(InvalidRequest):
        revise_email(draft, {"action": "layout", "layout": "Carousel"})


# ---------------------------------------------------------------- SMS and subject lines


@pytest.mark.parametrize("tone", [None, *pb.TONES])
def test_sms_fits_one_gsm_segment_with_opt_out(tone: str | None) -> None:
    long_topic = "launching our new trail shoe with a carbon plate, extra cushioning and a grippy outsole"
    for topic in [*TOPICS, long_topic]:
        for brand in (BRAND, None):
            text = draft_sms(
                topic, tone, brand=brand, offer="15% off", link="https://trailhead.example.com/s/1"
            )
            assert text.endswith("Reply STOP to opt out")
            assert gsm_length(text) is not None and gsm_length(text) <= 160  # type: ignore[operator]
            assert sms.count_characters(text) <= 160 and sms.sms_segments(sms.count_characters(text)) == 1
            assert sms.check_body(text) == text
            assert "https://trailhead.example.com/s/1" in text


def test_sms_uses_the_topic_offer_and_brand() -> None:
    text = draft_sms("20% off summer dresses this weekend", "friendly", brand=BRAND)
    assert text.startswith("Trailhead: ") and "20% off summer dresses" in text and "this weekend" in text
    assert BRAND.website in text  # the brand site is the default link
    assert draft_sms("spring sale", None, offer="15% off") == draft_sms("spring sale", None, offer="15% off")


def test_sms_with_a_link_too_long_to_fit_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="link"):
        draft_sms("spring sale", "friendly", link="https://example.com/" + "a" * 150)
    with pytest.raises(InvalidRequest, match="link"):
        draft_sms("spring sale", "friendly", link="not a link")


def test_sms_replaces_characters_gsm_cannot_carry() -> None:
    text = draft_sms("launch of the “Summit” jacket — now 🎉", "excited", brand=BRAND)
    assert gsm_length(text) is not None and "🎉" not in text and "“" not in text


def test_subject_lines_are_distinct_and_short() -> None:
    lines = subject_lines("20% off summer dresses this weekend", "playful", 8)
    assert len(lines) == 8 and len({s.lower() for s in lines}) == 8
    assert all(len(s) <= MAX_SUBJECT for s in lines)
    assert subject_lines("20% off summer dresses this weekend", "playful", 8) == lines
    with pytest.raises(InvalidRequest):
        subject_lines("spring sale", None, 0)


# ---------------------------------------------------------------- with the database


def test_draft_from_the_accounts_brand_kit_becomes_a_campaign(session: Session, now: datetime) -> None:
    aid = accounts.create_account(session, name="Trail Co", plan="plus").id
    content.create_brand_kit(
        session,
        account_id=aid,
        name="Trail Co",
        now=now,
        website="https://trail.example.com",
        colors=["#112233"],
        tone="playful",
        description="Trail Co makes tents.",
    )
    brand = content.get_primary_brand_kit(session, account_id=aid)
    assert brand is not None
    draft = draft_email({"topic": "spring sale on tents", "offer": "10% off", "length": "long"}, brand)
    assert draft.brief.tone == "playful" and "Trail Co makes tents." in _text(draft)
    made = campaigns.create_campaign(
        session,
        account_id=aid,
        name="Spring tents",
        now=now,
        subject=draft.subject,
        preheader=draft.preheader,
        layout=draft.layout,
        blocks=draft.blocks,
        brand_kit=brand.id,
    )
    assert [b.model_dump(mode="json") for b in made.blocks] == draft.blocks
    assert made.layout == draft.layout and made.subject == draft.subject
    missing = campaigns.missing_for_sending(session, account_id=aid, campaign_id=made.id)
    assert not any("link for button" in m for m in missing)  # the brand website filled the button

    bare = draft_email({"topic": "spring sale on tents"})
    other = campaigns.create_campaign(session, account_id=aid, name="No link", now=now, blocks=bare.blocks)
    missing = campaigns.missing_for_sending(session, account_id=aid, campaign_id=other.id)
    assert any("link for button" in m for m in missing)


def test_another_accounts_brand_kit_is_not_found(session: Session, now: datetime) -> None:
    a = accounts.create_account(session, name="A Co", plan="plus").id
    b = accounts.create_account(session, name="B Co", plan="plus").id
    content.create_brand_kit(session, account_id=a, name="A brand", now=now, tone="formal")
    assert content.get_primary_brand_kit(session, account_id=b) is None
    with pytest.raises(NotFound):
        content.find_brand_kit(session, account_id=b, name="A brand")
    assert draft_email(
        {"topic": "spring sale"}, content.get_primary_brand_kit(session, account_id=b)
    ).brief.tone == ("friendly")


def test_budgets_are_ordered() -> None:
    assert WORD_BUDGET["short"] < WORD_BUDGET["medium"] < WORD_BUDGET["long"]


def test_copy_names_the_business_not_the_brand_kit() -> None:
    from datetime import UTC, datetime

    from core.content.copywriter import brand_name
    from core.content.schemas import BrandKitOut

    def kit(name: str) -> BrandKitOut:
        return BrandKitOut(
            id=1, account_id=1, name=name, is_primary=True, website=None, logo_url=None, colors=[], fonts=[],
            tone=None, description=None, created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )

    assert brand_name(kit("Demo Store brand")) == "Demo Store"
    assert brand_name(kit("Acme's Brand Kit")) == "Acme"
    assert brand_name(kit("Nike")) == "Nike"
    assert brand_name(kit("Brand")) == "Brand"  # nothing left: keep the name as it is
