"""Held-out accuracy of the offline NLU model.

Trains on agent/nlu/data/utterances.yaml and evaluates on agent/nlu/data/heldout.yaml (never used for
training or tuning). Prints intent accuracy, macro-F1, out-of-scope recall/precision, the in-scope reject
rate, per-intent errors, the ten most frequent confusions, and slot accuracy on the annotated items.

    python benchmarks/nlu_accuracy.py            # held-out set
    python benchmarks/nlu_accuracy.py --train    # the training file itself (a sanity check, not a score)
    python benchmarks/nlu_accuracy.py --errors   # also list every misclassified utterance and missed slot
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.nlu.classifier import IntentModel  # noqa: E402
from agent.nlu.data import HELDOUT_FILE, TRAINING_FILE, load_dataset  # noqa: E402
from agent.nlu.evaluate import evaluate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true", help="evaluate on the training file instead")
    ap.add_argument("--errors", action="store_true", help="list every error")
    ap.add_argument("--cache-dir", default=None, help="reuse a trained model cached in this directory")
    ap.add_argument(
        "--heldout", type=Path, default=None,
        help="evaluate on this utterance file instead (e.g. agent/nlu/data/fresh_heldout.yaml, written by someone "
             "who never saw the training data)",
    )
    args = ap.parse_args(argv)

    started = time.perf_counter()
    model = IntentModel.train(TRAINING_FILE, cache_dir=args.cache_dir)
    trained = time.perf_counter() - started
    path = TRAINING_FILE if args.train else (args.heldout or HELDOUT_FILE)
    dataset = load_dataset(path)
    report = evaluate(model, dataset)

    print(
        f"training data v{model.data_version} ({model.data_sha256[:12]}), {len(model.classes)} intents, "
        f"trained/loaded in {trained:.1f}s"
    )
    v = model.validation
    print(
        f"thresholds (chosen on grouped cross-validation of the training file): tau={model.tau:.2f} "
        f"delta={model.delta:.2f}; validation accuracy {v['accuracy']:.3f}, macro-F1 {v['macro_f1']:.3f}, "
        f"OOS recall {v['oos_recall']:.3f}"
    )
    print(f"\nevaluated on {path.name}: {report.n} utterances")
    print(f"  intent accuracy       {report.accuracy:.3f}")
    print(f"  macro-F1              {report.macro_f1:.3f}")
    print(f"  in-scope accuracy     {report.in_scope_accuracy:.3f}")
    print(f"  in-scope reject rate  {report.in_scope_reject_rate:.3f}")
    print(f"  OOS recall            {report.oos_recall:.3f}")
    print(f"  OOS precision         {report.oos_precision:.3f}")
    print(
        f"  slot accuracy         {report.slot_accuracy_gold_intent:.3f} (given the right intent), "
        f"{report.slot_accuracy_end_to_end:.3f} (end to end)"
    )

    print("\nper-intent errors (wrong/total), worst first:")
    worst = sorted(report.per_intent_errors.items(), key=lambda kv: (-kv[1][0] / kv[1][1], kv[0]))
    for intent, (wrong, total) in worst:
        if wrong:
            print(f"  {intent:28s} {wrong}/{total}")
    print("\ntop confusions (gold -> predicted):")
    for (g, p), count in report.confusions:
        print(f"  {count:3d}  {g} -> {p}")
    print("\nslots (right/annotated):")
    for slot, (right, total) in report.slot_counts.items():
        print(f"  {slot:16s} {right}/{total}")
    if args.errors:
        print("\nmisclassified:")
        for text, g, p in report.errors:
            print(f"  {g:26s} -> {p:26s} | {text}")
        print("\nmissed slots:")
        for intent, text, slot, detail in report.slot_misses:
            print(f"  {intent:24s} {slot:12s} {detail} | {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
