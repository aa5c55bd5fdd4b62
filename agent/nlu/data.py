"""Load the versioned utterance files: intents, inline slot annotations, template expansions and CV groups."""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
TRAINING_FILE = DATA_DIR / "utterances.yaml"
HELDOUT_FILE = DATA_DIR / "heldout.yaml"
OUT_OF_SCOPE = "out_of_scope"
# Hand-written lines next to each other are often paraphrases; keeping them in one cross-validation group
# stops validation from rewarding memorised near-duplicates.
GROUP_BLOCK = 3

_ANNOTATION_RE = re.compile(r"\[([^\]]+)\]\(([a-z_]+)(?::([^)]*))?\)")


@dataclass(frozen=True)
class Annotation:
    """One annotated slot: its name, the text as written and the normalised value."""

    slot: str
    text: str
    value: str


@dataclass(frozen=True)
class Example:
    """One training or evaluation utterance."""

    text: str
    intent: str
    annotations: tuple[Annotation, ...] = ()
    group: str = ""
    template_id: str | None = None
    augmented: bool = False


@dataclass(frozen=True)
class Dataset:
    """A loaded utterance file."""

    version: int
    sha256: str
    examples: tuple[Example, ...] = field(default_factory=tuple)

    @property
    def intents(self) -> list[str]:
        """Return the sorted intent names."""
        return sorted({e.intent for e in self.examples})


def parse_annotated(line: str) -> tuple[str, tuple[Annotation, ...]]:
    """Strip ``[text](slot)`` / ``[text](slot:value)`` marks and return the plain text and its annotations."""
    annotations: list[Annotation] = []

    def repl(m: re.Match[str]) -> str:
        text, slot, value = m.group(1), m.group(2), m.group(3)
        annotations.append(
            Annotation(slot=slot, text=text, value=(value if value is not None else text).strip())
        )
        return text

    return _ANNOTATION_RE.sub(repl, line).strip(), tuple(annotations)


def _lines(block: str) -> list[str]:
    return [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def _expand_template(tpl: dict[str, object]) -> list[Example]:
    tid = str(tpl["id"])
    intent = str(tpl["intent"])
    patterns = [str(p) for p in tpl["patterns"]]  # type: ignore[attr-defined]  # yaml list
    slots: dict[str, list[str]] = {k: [str(v) for v in vs] for k, vs in tpl.get("slots", {}).items()}  # type: ignore[attr-defined]
    names = sorted(slots)
    rendered: list[str] = []
    for pattern in patterns:
        used = [n for n in names if "{" + n + "}" in pattern]
        for combo in itertools.product(*(slots[n] for n in used)):
            rendered.append(pattern.format(**dict(zip(used, combo, strict=True))))
    limit = int(tpl.get("max", len(rendered)))  # type: ignore[call-overload]
    # Evenly spaced picks keep the expansion small but spread over patterns and values, deterministically.
    if len(rendered) > limit:
        step = len(rendered) / limit
        rendered = [rendered[int(i * step)] for i in range(limit)]
    out = []
    for line in rendered:
        text, ann = parse_annotated(line)
        out.append(Example(text=text, intent=intent, annotations=ann, group=tid, template_id=tid))
    return out


_QUESTION_START = re.compile(
    r"^(?:how|what|whats|which|who|whos|when|where|why|is|are|was|were|do|does|did|can|could|will|would|has|have)\b",
    re.IGNORECASE,
)


def _augment(examples: list[Example], spec: dict[str, object]) -> list[Example]:
    """Wrap every n-th utterance of an intent in a politeness frame ("could you ...", "... please").

    The frames are the same for every intent, out_of_scope included, so they teach the model that they carry
    no intent signal. A copy keeps its source's group, so cross-validation never splits the two.
    """
    aug_id = str(spec["id"])
    every = int(spec.get("every", 3))  # type: ignore[call-overload]
    skip = set(spec.get("skip_intents") or [])  # type: ignore[call-overload]
    frames = {k: [str(f) for f in spec.get(k) or []] for k in ("imperative", "question", "any")}  # type: ignore[attr-defined]
    out: list[Example] = []
    seen: dict[str, int] = {}
    for ex in examples:
        if ex.intent in skip or ex.template_id:
            continue
        k = seen.get(ex.intent, 0)
        seen[ex.intent] = k + 1
        if k % every:
            continue
        kind = "question" if _QUESTION_START.match(ex.text) else "imperative"
        pool = frames[kind] + frames["any"]
        if not pool:
            continue
        frame = pool[(k // every) % len(pool)]
        out.append(
            Example(
                text=frame.format(x=ex.text),
                intent=ex.intent,
                annotations=ex.annotations,
                group=ex.group,
                template_id=aug_id,
                augmented=True,
            )
        )
    return out


def extra_files(path: Path | str) -> list[Path]:
    """The files in ``<name>.d/`` next to an utterance file: more intents, merged in file-name order.

    Each area (a new tool family) keeps its lines in its own file, so lines for different intents can be written
    and reviewed apart; everything else (version, augmentation) comes from the main file.
    """
    folder = Path(path).with_suffix(".d")
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def _intent_examples(doc: dict[str, object], source: Path) -> list[Example]:
    examples: list[Example] = []
    intents = doc.get("intents") or {}
    if not isinstance(intents, dict):
        raise ValueError(f"{source}: 'intents' must map intent names to blocks of lines")
    for intent, block in intents.items():
        for i, line in enumerate(_lines(block or "")):
            text, ann = parse_annotated(line)
            examples.append(
                Example(text=text, intent=intent, annotations=ann, group=f"{source.stem}:{intent}:{i // GROUP_BLOCK}")
            )
    for tpl in doc.get("templates") or []:  # type: ignore[attr-defined]
        examples.extend(_expand_template(tpl))
    return examples


def load_dataset(path: Path | str = TRAINING_FILE) -> Dataset:
    """Load an utterance file (training or held-out format) and the files of its ``.d`` folder."""
    path = Path(path)
    raw = path.read_bytes()
    doc = yaml.safe_load(raw)
    if not isinstance(doc, dict) or "version" not in doc or "intents" not in doc:
        raise ValueError(f"{path}: expected a mapping with 'version' and 'intents'")
    digest = hashlib.sha256(raw)
    examples = _intent_examples(doc, path)
    for extra in extra_files(path):
        extra_raw = extra.read_bytes()
        extra_doc = yaml.safe_load(extra_raw)
        if not isinstance(extra_doc, dict) or "intents" not in extra_doc:
            raise ValueError(f"{extra}: expected a mapping with 'intents'")
        digest.update(extra.name.encode() + b"\0" + extra_raw)
        examples.extend(_intent_examples(extra_doc, extra))
    if doc.get("augment"):
        examples.extend(_augment(examples, doc["augment"]))
    return Dataset(version=int(doc["version"]), sha256=digest.hexdigest(), examples=tuple(examples))
