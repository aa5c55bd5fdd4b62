"""The intent classifier: TF-IDF words + characters, a linear SVM, calibrated probabilities, rejection.

Training (a few seconds on one core; ``train`` caches the result by the data file's hash):

1. Every utterance goes through ``text.features_text`` (clean words, masked values, concept tokens).
2. Grouped cross-validation (``GroupKFold`` over the file's paraphrase groups and template ids) gives
   out-of-fold SVM scores for every training utterance: a validation split that never scores a sentence
   with a model that saw its paraphrases.
3. A softmax temperature is fitted on those scores (one parameter, so a few hundred examples are plenty),
   turning one-vs-rest margins into probabilities that sum to one.
4. The rejection thresholds ``tau`` (minimum top probability) and ``delta`` (minimum gap between the top two)
   are chosen on the same out-of-fold probabilities, maximising macro-F1 with rejections counted as
   ``out_of_scope``. The held-out file is never read here.
5. The final SVM is fitted on all utterances.

Exact matches of a training utterance (after normalisation) skip the model, as Snips' lookup parser does.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sklearn
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from agent.nlu.data import OUT_OF_SCOPE, TRAINING_FILE, Dataset, extra_files, load_dataset
from agent.nlu.text import features_text

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
FOLDS = 4
TAU_GRID = tuple(round(x, 2) for x in np.arange(0.0, 0.61, 0.02))
DELTA_GRID = tuple(round(x, 2) for x in np.arange(0.0, 0.31, 0.02))


@dataclass(frozen=True)
class IntentPrediction:
    """The classifier's answer for one utterance.

    ``intent`` is ``out_of_scope`` when the model says so or when it is not confident enough
    (``rejected``); ``alternatives`` lists the best candidates with their probabilities either way, so the
    caller can ask "did you mean ...?".
    """

    intent: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...] = ()
    rejected: bool = False
    source: str = "model"

    @property
    def best_guess(self) -> str:
        """Return the top in-scope candidate even when the prediction was rejected."""
        return self.alternatives[0][0] if self.alternatives else self.intent


@dataclass(frozen=True)
class Hyperparameters:
    """Knobs of the classifier; the defaults were chosen on grouped cross-validation of the training file."""

    c: float = 2.0
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    char_weight: float = 1.0


@dataclass
class IntentModel:
    """A trained intent classifier with its calibration, thresholds and provenance."""

    vectorizer: FeatureUnion
    svm: LinearSVC
    temperature: float
    tau: float
    delta: float
    data_version: int
    data_sha256: str
    lookup: dict[str, str] = field(default_factory=dict)
    hyper: Hyperparameters = field(default_factory=Hyperparameters)
    validation: dict[str, float] = field(default_factory=dict)

    @property
    def classes(self) -> list[str]:
        """Return the intent labels."""
        return [str(c) for c in self.svm.classes_]

    # ------------------------------------------------------------------------------------------------------
    # Training

    @classmethod
    def train(
        cls,
        path: Path | str = TRAINING_FILE,
        *,
        cache_dir: Path | str | None = None,
        hyper: Hyperparameters | None = None,
    ) -> IntentModel:
        """Train on an utterance file, or load the cached model trained on exactly this file's content."""
        hyper = hyper or Hyperparameters()
        path = Path(path)
        cache_file = None
        if cache_dir is not None:
            key = hashlib.sha256(
                path.read_bytes() + repr((hyper, CACHE_FORMAT, sklearn.__version__)).encode()
            )
            # The lines in <name>.d/ are training data too: a new or edited area file must retrain.
            for extra in extra_files(path):
                key.update(extra.name.encode() + b"\0" + extra.read_bytes())
            cache_file = Path(cache_dir) / f"intent-model-{key.hexdigest()[:20]}.pkl"
            if cache_file.exists():
                try:
                    # The cache directory is ours (the app's data dir); never point it at untrusted files.
                    with cache_file.open("rb") as fh:
                        model = pickle.load(fh)
                    if isinstance(model, IntentModel):
                        return model
                except (OSError, pickle.UnpicklingError, AttributeError, EOFError) as e:
                    log.warning("ignoring unreadable intent-model cache %s: %s", cache_file, e)
        model = cls.fit(load_dataset(path), hyper=hyper)
        if cache_file is not None:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(cache_file)
        return model

    @classmethod
    def fit(cls, dataset: Dataset, *, hyper: Hyperparameters | None = None) -> IntentModel:
        """Train on a loaded dataset (see the module docstring for the steps)."""
        hyper = hyper or Hyperparameters()
        texts = [features_text(e.text) for e in dataset.examples]
        labels = np.array([e.intent for e in dataset.examples])
        groups = np.array([e.group for e in dataset.examples])
        vectorizer = _make_vectorizer(hyper)
        # One vocabulary for the validation folds too: the folds only pick thresholds, and refitting the
        # vectoriser per fold would double training time for a negligible difference in IDF weights.
        matrix = vectorizer.fit_transform(texts)
        classes = np.array(sorted(set(labels)))
        oof = np.zeros((len(labels), len(classes)))
        for train_idx, val_idx in GroupKFold(n_splits=FOLDS).split(matrix, labels, groups):
            svm = _make_svm(hyper).fit(matrix[train_idx], labels[train_idx])
            scores = svm.decision_function(matrix[val_idx])
            # A fold may miss a rare class entirely; its column stays very negative.
            cols = np.searchsorted(classes, svm.classes_)
            fold = np.full((len(val_idx), len(classes)), -10.0)
            fold[:, cols] = scores
            oof[val_idx] = fold
        # Calibration and thresholds are judged on the written utterances only, not on augmented copies.
        natural = np.array([not e.augmented for e in dataset.examples])
        y_idx = np.searchsorted(classes, labels[natural])
        temperature = _fit_temperature(oof[natural], y_idx)
        probs = _softmax(oof[natural] / temperature)
        tau, delta, metrics = _choose_thresholds(probs, labels[natural], classes)
        svm = _make_svm(hyper).fit(matrix, labels)
        lookup = _lookup_table(texts, labels)
        return cls(
            vectorizer=vectorizer,
            svm=svm,
            temperature=temperature,
            tau=tau,
            delta=delta,
            data_version=dataset.version,
            data_sha256=dataset.sha256,
            lookup=lookup,
            hyper=hyper,
            validation=metrics,
        )

    # ------------------------------------------------------------------------------------------------------
    # Prediction

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return calibrated class probabilities (columns in ``classes`` order) for raw utterances."""
        matrix = self.vectorizer.transform([features_text(t) for t in texts])
        return _softmax(self.svm.decision_function(matrix) / self.temperature)

    def predict(self, text: str) -> IntentPrediction:
        """Classify one utterance, rejecting low-confidence answers to ``out_of_scope``."""
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """Classify several utterances at once (faster than one by one)."""
        if not texts:
            return []
        probs = self.probabilities(texts)
        classes = self.classes
        out = []
        for text, row in zip(texts, probs, strict=True):
            order = np.argsort(-row)[:5]
            alternatives = tuple((classes[i], round(float(row[i]), 4)) for i in order)
            exact = self.lookup.get(features_text(text, concepts=False))
            if exact is not None:
                out.append(IntentPrediction(exact, 1.0, alternatives, source="lookup"))
                continue
            top, second = float(row[order[0]]), float(row[order[1]])
            intent = classes[order[0]]
            if intent != OUT_OF_SCOPE and (top < self.tau or top - second < self.delta):
                in_scope = tuple(a for a in alternatives if a[0] != OUT_OF_SCOPE)
                out.append(IntentPrediction(OUT_OF_SCOPE, round(top, 4), in_scope, rejected=True))
            else:
                out.append(IntentPrediction(intent, round(top, 4), alternatives))
        return out


def _make_vectorizer(hyper: Hyperparameters) -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=hyper.word_ngrams,
                    sublinear_tf=True,
                    token_pattern=r"(?u)\b\w+\b",
                ),
            ),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=hyper.char_ngrams, sublinear_tf=True)),
        ],
        transformer_weights={"words": 1.0, "chars": hyper.char_weight},
    )


def _make_svm(hyper: Hyperparameters) -> LinearSVC:
    # tol=1e-3 trains about 15% faster than the default with the same validation scores.
    return LinearSVC(C=hyper.c, class_weight="balanced", random_state=0, max_iter=5000, tol=1e-3)


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(scores: np.ndarray, y_idx: np.ndarray) -> float:
    def nll(log_t: float) -> float:
        p = _softmax(scores / np.exp(log_t))
        return float(-np.mean(np.log(p[np.arange(len(y_idx)), y_idx] + 1e-12)))

    res = minimize_scalar(nll, bounds=(-5.0, 2.0), method="bounded")
    return float(np.exp(res.x))


def _top_two(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the top class index, its probability and the runner-up's probability per row."""
    order = np.argsort(-probs, axis=1)[:, :2]
    rows = np.arange(len(probs))
    return order[:, 0], probs[rows, order[:, 0]], probs[rows, order[:, 1]]


def _decide(
    top_two: tuple[np.ndarray, np.ndarray, np.ndarray], tau: float, delta: float, oos_index: int
) -> np.ndarray:
    """Return predicted class indices, with rejections mapped to the out-of-scope class."""
    best, top, second = top_two
    pred = best.copy()
    pred[(top < tau) | (top - second < delta)] = oos_index
    return pred


def _macro_f1(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    tp = np.bincount(y[pred == y], minlength=n_classes).astype(float)
    support = np.bincount(y, minlength=n_classes).astype(float)
    predicted = np.bincount(pred, minlength=n_classes).astype(float)
    denom = support + predicted
    f1 = np.divide(2 * tp, denom, out=np.zeros(n_classes), where=denom > 0)
    present = support > 0
    return float(f1[present].mean())


def _choose_thresholds(
    probs: np.ndarray, labels: np.ndarray, classes: np.ndarray
) -> tuple[float, float, dict[str, float]]:
    y = np.searchsorted(classes, labels)
    oos_index = int(np.searchsorted(classes, OUT_OF_SCOPE))
    top_two = _top_two(probs)
    best: tuple[float, float, float] | None = None
    for tau in TAU_GRID:
        for delta in DELTA_GRID:
            score = _macro_f1(y, _decide(top_two, tau, delta, oos_index), len(classes))
            # Ties go to the smaller thresholds (the grid is ascending), so we reject no more than needed.
            if best is None or score > best[0] + 1e-9:
                best = (score, tau, delta)
    assert best is not None
    score, tau, delta = best
    pred = _decide(top_two, tau, delta, oos_index)
    raw = np.argmax(probs, axis=1)
    oos = y == oos_index
    metrics = {
        "accuracy_raw": float(np.mean(raw == y)),
        "accuracy": float(np.mean(pred == y)),
        "macro_f1": score,
        "oos_recall": float(np.mean(pred[oos] == oos_index)) if oos.any() else 0.0,
        "in_scope_reject_rate": float(np.mean(pred[~oos] == oos_index)) if (~oos).any() else 0.0,
    }
    return float(tau), float(delta), metrics


def _lookup_table(texts: list[str], labels: np.ndarray) -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        key = " ".join(w for w in text.split() if not w.startswith("zc"))
        seen.setdefault(key, set()).add(str(label))
    # Only unambiguous sentences: the same words under two intents must go through the model.
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}
