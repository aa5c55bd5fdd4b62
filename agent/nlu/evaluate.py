"""Measure the NLU on an utterance file: intent accuracy, macro-F1, out-of-scope handling, slot accuracy."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from agent.nlu.classifier import IntentModel
from agent.nlu.data import OUT_OF_SCOPE, Dataset, Example
from agent.nlu.parse import parse, select_slots
from agent.nlu.periods import period_words
from agent.nlu.slots import CATALOG_KINDS, Catalog, extract_slots

# Annotated names of objects being created are new, so they must not be in the evaluation catalogue.
_CREATING = {
    "create_tag",
    "create_list",
    "create_segment",
    "create_brand_kit",
    "create_saved_response",
    "create_form",
    "create_goal",
    "create_score",
    "create_deal",
    "create_contact",
    "create_automation",
}


@dataclass
class Report:
    """Evaluation numbers for one dataset."""

    n: int
    accuracy: float
    macro_f1: float
    oos_recall: float
    oos_precision: float
    in_scope_accuracy: float
    in_scope_reject_rate: float
    per_intent_errors: dict[str, tuple[int, int]]
    confusions: list[tuple[tuple[str, str], int]]
    slot_accuracy_gold_intent: float
    slot_accuracy_end_to_end: float
    slot_counts: dict[str, tuple[int, int]]
    slot_misses: list[tuple[str, str, str, Any]] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)


def catalog_for(dataset: Dataset) -> Catalog:
    """Build the catalogue an account would have: every annotated existing object name, by kind."""
    names: dict[str, set[str]] = {}
    for ex in dataset.examples:
        if ex.intent in _CREATING:
            continue
        for a in ex.annotations:
            # Contacts are found by email or name pattern, not from a list of every person in the account.
            if a.slot in CATALOG_KINDS and a.slot != "contact":
                names.setdefault(a.slot, set()).add(a.value)
    return Catalog({k: tuple(sorted(v)) for k, v in names.items()})


def _norm(value: Any) -> str:
    if isinstance(value, dict):
        if "amount" in value:
            value = value["amount"]
    text = str(value).lower().strip()
    text = re.sub(r"\.0$", "", text)
    return re.sub(r"[^\w@+%#/.:-]+", " ", text).strip(" .")


def _expected(slot: str, value: str) -> str:
    if slot in ("period",):
        return _norm(period_words(value))
    if slot == "when":
        return _norm(re.sub(r"^(?:on|for|by|until|till) ", "", value.lower()))
    if slot == "phone":
        return re.sub(r"[^\d+]", "", value)
    return _norm(value)


def _found(slot: str, expected: str, slots: dict[str, Any]) -> bool:
    candidates: list[Any] = []
    keys = {
        "contact": ("contact",),
        "email": ("email", "emails", "contact"),
        "name": ("name", "company"),
        "company": ("company", "name"),
        "tag": ("tag", "tags"),
        "list": ("list", "lists"),
        "segment": ("segment", "segments"),
        "campaign": ("campaign", "campaigns"),
    }.get(slot, (slot,))
    for key in keys:
        v = slots.get(key)
        if isinstance(v, list):
            candidates.extend(v)
        elif v is not None:
            candidates.append(v)
    return any(_norm(c) == expected for c in candidates)


def _macro_f1(gold: list[str], pred: list[str]) -> float:
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def evaluate(model: IntentModel, dataset: Dataset, catalog: Catalog | None = None) -> Report:
    """Evaluate intents on every example and slots on the annotated ones."""
    examples: list[Example] = [e for e in dataset.examples if not e.augmented]
    catalog = catalog if catalog is not None else catalog_for(dataset)
    preds = model.predict_many([e.text for e in examples])
    gold = [e.intent for e in examples]
    pred = [p.intent for p in preds]
    n = len(examples)
    oos_gold = [g == OUT_OF_SCOPE for g in gold]
    oos_pred = [p == OUT_OF_SCOPE for p in pred]
    in_scope = [(g, p) for g, p in zip(gold, pred, strict=True) if g != OUT_OF_SCOPE]
    per_intent: dict[str, tuple[int, int]] = {}
    totals = Counter(gold)
    wrong = Counter(g for g, p in zip(gold, pred, strict=True) if g != p)
    for intent in sorted(totals):
        per_intent[intent] = (wrong.get(intent, 0), totals[intent])
    confusions = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p).most_common(10)

    slot_total = slot_gold = slot_e2e = 0
    slot_counts: dict[str, list[int]] = {}
    misses: list[tuple[str, str, str, Any]] = []
    for ex in examples:
        if not ex.annotations:
            continue
        spans = extract_slots(ex.text, catalog)
        gold_slots = select_slots(ex.intent, ex.text, spans, catalog)
        e2e: dict[str, Any] = {}
        for step in parse(ex.text, catalog, model=model).steps:
            for k, v in step.slots.items():
                e2e.setdefault(k, v)
        for a in ex.annotations:
            expected = _expected(a.slot, a.value)
            ok_gold = _found(a.slot, expected, gold_slots)
            ok_e2e = _found(a.slot, expected, e2e)
            slot_total += 1
            slot_gold += ok_gold
            slot_e2e += ok_e2e
            c = slot_counts.setdefault(a.slot, [0, 0])
            c[0] += ok_gold
            c[1] += 1
            if not ok_gold:
                misses.append(
                    (ex.intent, ex.text, a.slot, {"expected": a.value, "got": gold_slots.get(a.slot)})
                )
    return Report(
        n=n,
        accuracy=sum(g == p for g, p in zip(gold, pred, strict=True)) / n,
        macro_f1=_macro_f1(gold, pred),
        oos_recall=sum(g and p for g, p in zip(oos_gold, oos_pred, strict=True)) / max(1, sum(oos_gold)),
        oos_precision=sum(g and p for g, p in zip(oos_gold, oos_pred, strict=True)) / max(1, sum(oos_pred)),
        in_scope_accuracy=sum(g == p for g, p in in_scope) / max(1, len(in_scope)),
        in_scope_reject_rate=sum(p == OUT_OF_SCOPE for _, p in in_scope) / max(1, len(in_scope)),
        per_intent_errors=per_intent,
        confusions=confusions,
        slot_accuracy_gold_intent=slot_gold / max(1, slot_total),
        slot_accuracy_end_to_end=slot_e2e / max(1, slot_total),
        slot_counts={k: (v[0], v[1]) for k, v in sorted(slot_counts.items())},
        slot_misses=misses,
        errors=[(e.text, g, p) for e, g, p in zip(examples, gold, pred, strict=True) if g != p],
    )
