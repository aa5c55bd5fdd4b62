"""The offline NLU: held-out accuracy floors, slot extraction, segment conditions, multi-step splitting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.nlu.classifier import IntentModel
from agent.nlu.conditions import parse_conditions
from agent.nlu.data import HELDOUT_FILE, OUT_OF_SCOPE, TRAINING_FILE, Dataset, load_dataset
from agent.nlu.evaluate import evaluate
from agent.nlu.parse import DialogueContext, parse, split_steps
from agent.nlu.periods import period_object
from agent.nlu.slots import Catalog, extract_slots
from agent.nlu.text import clean

# Measured on heldout.yaml (see benchmarks/nlu_accuracy.py); the floors leave a margin for small data edits.
HELDOUT_ACCURACY_FLOOR = 0.80
HELDOUT_MACRO_F1_FLOOR = 0.80
HELDOUT_OOS_RECALL_FLOOR = 0.75
HELDOUT_SLOT_ACCURACY_FLOOR = 0.90

CATALOG = Catalog.of(
    campaign=["May Newsletter", "Black Friday", "Spring Sale"],
    segment=["VIP", "Lapsed Customers"],
    list=["Newsletter", "Customers", "Leads"],
    tag=["VIP", "hot-lead", "customer"],
    automation=["Welcome Series"],
    pipeline=["Sales"],
    stage=["Proposal", "Negotiation"],
    deal=["Acme", "Globex"],
    score=["Lead Score"],
)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> IntentModel:
    return IntentModel.train(TRAINING_FILE, cache_dir=tmp_path_factory.mktemp("nlu-cache"))


# ----------------------------------------------------------------------------------------------------------
# Data


def test_every_intent_has_enough_training_and_heldout_examples() -> None:
    train = load_dataset(TRAINING_FILE)
    heldout = load_dataset(HELDOUT_FILE)
    counts: dict[str, int] = {}
    for ex in train.examples:
        if not ex.augmented:
            counts[ex.intent] = counts.get(ex.intent, 0) + 1
    assert set(counts) == {e.intent for e in heldout.examples}
    assert min(n for i, n in counts.items() if i != OUT_OF_SCOPE) >= 20
    assert counts[OUT_OF_SCOPE] >= 150
    held: dict[str, int] = {}
    for ex in heldout.examples:
        held[ex.intent] = held.get(ex.intent, 0) + 1
    assert min(held.values()) >= 8


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w@ ]+", " ", clean(text)).split())


def test_heldout_phrasings_never_appear_in_training() -> None:
    train = {_words(e.text) for e in load_dataset(TRAINING_FILE).examples}
    leaked = [e.text for e in load_dataset(HELDOUT_FILE).examples if _words(e.text) in train]
    assert leaked == []


def test_annotations_are_stripped_and_kept() -> None:
    ds = load_dataset(TRAINING_FILE)
    ex = next(e for e in ds.examples if e.text == "write a thrilled announcement of our series A")
    assert ("tone", "excited") in {(a.slot, a.value) for a in ex.annotations}
    assert "[" not in ex.text and "](" not in ex.text


# ----------------------------------------------------------------------------------------------------------
# Classifier


def test_heldout_accuracy_floors(model: IntentModel) -> None:
    report = evaluate(model, load_dataset(HELDOUT_FILE))
    assert report.accuracy >= HELDOUT_ACCURACY_FLOOR
    assert report.macro_f1 >= HELDOUT_MACRO_F1_FLOOR
    assert report.oos_recall >= HELDOUT_OOS_RECALL_FLOOR
    assert report.slot_accuracy_gold_intent >= HELDOUT_SLOT_ACCURACY_FLOOR


def test_thresholds_come_from_validation_and_model_records_provenance(model: IntentModel) -> None:
    train = load_dataset(TRAINING_FILE)
    assert model.data_sha256 == train.sha256 and model.data_version == train.version
    assert 0.0 <= model.tau <= 0.6 and 0.0 <= model.delta <= 0.3
    assert model.validation["accuracy"] > 0.8


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("how did my May newsletter do?", "get_campaign_performance"),
        ("why did my open rate drop last week?", "explain_performance_change"),
        ("write a win-back email for lapsed customers, friendly tone", "draft_campaign"),
        ("make it shorter", "edit_campaign"),
        ("yes, go ahead", "confirm"),
        ("no, cancel", "deny"),
        ("the second one", "select"),
        ("what's the weather like in Lisbon tomorrow?", OUT_OF_SCOPE),
    ],
)
def test_key_intents(model: IntentModel, text: str, intent: str) -> None:
    assert model.predict(text).intent == intent


def test_nonsense_is_out_of_scope_with_alternatives(model: IntentModel) -> None:
    pred = model.predict("purple elephants dancing on the moonlight keyboard")
    assert pred.intent == OUT_OF_SCOPE
    assert pred.alternatives


def test_training_is_deterministic() -> None:
    full = load_dataset(TRAINING_FILE)
    # A slice keeps this fast; determinism does not depend on the size.
    small = Dataset(full.version, full.sha256, tuple(e for i, e in enumerate(full.examples) if i % 8 == 0))
    texts = ["how did my last newsletter do", "tag jane as vip", "tell me a joke", "make it more playful"]
    a, b = IntentModel.fit(small), IntentModel.fit(small)
    assert (a.tau, a.delta, a.temperature) == (b.tau, b.delta, b.temperature)
    assert [p.alternatives for p in a.predict_many(texts)] == [p.alternatives for p in b.predict_many(texts)]


TINY_DATA = """version: 1
intents:
  list_lists: |
    show my lists
    what lists do I have
    list all lists
    which mailing lists exist
    my lists please
    show me every list
    display the lists
    lists
  list_tags: |
    show my tags
    what tags do I have
    list all tags
    which tags exist
    my tags please
    show me every tag
    display the tags
    tags
  out_of_scope: |
    tell me a joke
    what is the weather
    write a poem
    who won the game
    play some music
    book a flight
    order a pizza
    how tall is everest
"""


def test_cache_is_keyed_by_file_content(tmp_path: Path) -> None:
    data = tmp_path / "utterances.yaml"
    data.write_text(TINY_DATA)
    cache = tmp_path / "cache"
    IntentModel.train(data, cache_dir=cache)
    first = sorted(p.name for p in cache.iterdir())
    loaded = IntentModel.train(data, cache_dir=cache)
    assert sorted(p.name for p in cache.iterdir()) == first and len(first) == 1
    assert loaded.predict("show me my lists").intent == "list_lists"
    data.write_text(TINY_DATA.replace("version: 1", "version: 2"))
    assert IntentModel.train(data, cache_dir=cache).data_version == 2
    assert len(list(cache.iterdir())) == 2


# ----------------------------------------------------------------------------------------------------------
# Normalisation and slots


def test_normalisation_turns_number_words_into_digits_and_expands_contractions() -> None:
    assert clean("Why didn't my three-email series send?") == "why did not my 3 email series send?"
    assert clean("twenty five contacts, a hundred and five") == "25 contacts, 105"


def _slots(text: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for s in extract_slots(text, CATALOG):
        out.setdefault(s.name, s.value)
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how did the black frday email do last week", {"campaign": "Black Friday", "period": "last week"}),
        ("a 3-email welcome series with 2 days between", {"count": 3, "duration": "P2D"}),
        ("a three email series, one week apart", {"count": 3, "duration": "P1W"}),
        ("make it sound thrilled", {"tone": "excited"}),
        ("email jane.doe@acme.com about 20% off", {"email": "jane.doe@acme.com", "percent": 20.0}),
        ("create a $5,000 deal", {"money": {"amount": 5000, "currency": "USD"}}),
        ("use the two column layout", {"layout": "2 Column"}),
        ("stats since March 3", {"period": "since march 3"}),
        ("opens this quarter", {"period": "this quarter"}),
        ("schedule it for Tuesday at 9am", {"when": "tuesday at 9am"}),
        ("send it to the newsletter list by sms", {"list": "Newsletter", "channel": "sms"}),
    ],
)
def test_slot_extraction(text: str, expected: dict[str, object]) -> None:
    found = _slots(text)
    for key, value in expected.items():
        assert found.get(key) == value, (key, found)


def test_ordinal_and_quoted_names() -> None:
    assert _slots("the second one")["ordinal"] == 2
    assert _slots("pick number 3")["ordinal"] == 3
    assert _slots('create a list called "Spring Buyers"')["quoted"] == "Spring Buyers"
    assert "ordinal" not in _slots("what was my open rate last week")


def test_lowercase_common_word_names_are_weak() -> None:
    weak = {
        s.name: s.weak
        for s in extract_slots("email my customers about the sale", CATALOG)
        if s.name == "list"
    }
    assert weak == {"list": True}
    strong = {
        s.name: s.weak for s in extract_slots("send it to the customers list", CATALOG) if s.name == "list"
    }
    assert strong == {"list": False}


def test_period_objects() -> None:
    assert period_object("in the last 90 days") == {"last_days": 90}
    assert period_object("past 3 months") == {"last": "3 months"}
    assert period_object("since March 3") == {"words": "since march 3"}


# ----------------------------------------------------------------------------------------------------------
# Segment conditions


def test_condition_grammar_builds_the_tree() -> None:
    tree = parse_conditions("people who opened in the last 90 days but never bought", CATALOG)
    assert tree == {
        "version": 1,
        "root": {
            "type": "group",
            "match": "all",
            "conditions": [
                {"type": "engagement", "action": "open", "op": "has", "period": {"last_days": 90}},
                {"type": "purchase", "op": "has_not"},
            ],
        },
    }


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("has tag VIP", {"type": "tag", "tag": "VIP", "op": "has"}),
        ("without the customer tag", {"type": "tag", "tag": "customer", "op": "has_not"}),
        (
            "clicked the pricing link",
            {"type": "engagement", "action": "click", "op": "has", "url": "*pricing*"},
        ),
        ("visited /pricing*", {"type": "page_visit", "url": "*/pricing*", "op": "has"}),
        ("lives in Berlin", {"type": "field", "field": "city", "op": "eq", "value": "Berlin"}),
        ("contacts from Germany", {"type": "field", "field": "country", "op": "eq", "value": "DE"}),
        ("on the Newsletter list", {"type": "list", "list": "Newsletter", "op": "subscribed"}),
        ("with a lead score above 50", {"type": "score", "score": "Lead Score", "op": "gt", "value": 50}),
        ("spent over $500", {"type": "purchase", "op": "has", "min_total": 500}),
        (
            "opened the Black Friday email",
            {"type": "engagement", "action": "open", "op": "has", "campaign": "Black Friday"},
        ),
    ],
)
def test_condition_clauses(text: str, condition: dict[str, object]) -> None:
    tree = parse_conditions(text, CATALOG)
    assert tree is not None
    assert tree["root"]["conditions"] == [condition]


def test_or_binds_tighter_than_and() -> None:
    tree = parse_conditions("tagged VIP or spent more than $1000, and lives in Paris", CATALOG)
    assert tree is not None
    root = tree["root"]
    assert root["match"] == "all"
    assert root["conditions"][0]["match"] == "any" and len(root["conditions"][0]["conditions"]) == 2
    assert root["conditions"][1] == {"type": "field", "field": "city", "op": "eq", "value": "Paris"}


def test_conditions_validate_against_the_engine_schema() -> None:
    tree_module = pytest.importorskip("core.segments.tree")
    for text in (
        "people who opened in the last 90 days but never bought",
        "clicked the pricing link in the last 30 days",
        "tagged VIP or visited /pricing*",
        "signed up since March and live in Berlin",
    ):
        tree = parse_conditions(text, CATALOG)
        assert tree is not None
        tree_module.SegmentTree.model_validate(tree)


# ----------------------------------------------------------------------------------------------------------
# parse(): steps, slots per intent, references


def test_multi_step_request_splits_and_links_the_reference(model: IntentModel) -> None:
    result = parse(
        "create a segment of people who opened in the last 90 days but never bought, "
        "then draft a win-back email for them",
        CATALOG,
        model=model,
    )
    assert [s.intent for s in result.steps] == ["create_segment", "draft_campaign"]
    assert result.steps[0].slots["conditions"]["root"]["conditions"][1] == {
        "type": "purchase",
        "op": "has_not",
    }
    assert result.steps[1].slots["topic"] == "win-back"
    ref = result.steps[1].references[0]
    assert (ref.text, ref.kind, ref.step) == ("them", "segment", 0)


def test_and_splits_only_before_a_new_command() -> None:
    assert len(split_steps("add jane@acme.com to the Newsletter list and tag her VIP")) == 2
    assert len(split_steps("people who opened and clicked last week")) == 1


def test_parse_picks_slots_for_the_intent(model: IntentModel) -> None:
    step = parse("send the May Newsletter to the VIP segment", CATALOG, model=model).steps[0]
    assert step.intent == "send_campaign"
    assert step.slots == {"campaign": "May Newsletter", "segment": "VIP"}
    step = parse("tag jane@globex.com as VIP", CATALOG, model=model).steps[0]
    assert step.intent == "add_tag"
    assert (
        step.slots["tag"] == "VIP"
        and step.slots["email"] == "jane@globex.com"
        and "segment" not in step.slots
    )
    step = parse("change the subject to Last chance: 20% off", CATALOG, model=model).steps[0]
    assert step.slots["subject"] == "Last chance: 20% off" and "tone" not in step.slots


def test_references_are_reported_unresolved(model: IntentModel) -> None:
    step = parse("how did the last campaign do?", CATALOG, model=model).steps[0]
    assert [(r.kind, r.which) for r in step.references] == [("campaign", "latest")]
    step = parse("send that segment the spring sale", CATALOG, model=model).steps[0]
    assert ("segment", None) in [(r.kind, r.step) for r in step.references]
    step = parse("make it shorter", CATALOG, model=model).steps[0]
    assert [r.text for r in step.references] == ["it"]


def test_dialogue_context_reads_short_answers(model: IntentModel) -> None:
    ctx = DialogueContext(awaiting="slot", slot="list", last_intent="subscribe_contact")
    step = parse("the Leads one", CATALOG, model=model, context=ctx).steps[0]
    assert (step.intent, step.slots.get("list"), step.continuation) == ("subscribe_contact", "Leads", True)
    step = parse("number 2", CATALOG, model=model, context=DialogueContext(awaiting="selection")).steps[0]
    assert (step.intent, step.slots["ordinal"]) == ("select", 2)
