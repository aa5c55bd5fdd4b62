"""Embedding functions registered with Chroma: a download-free hashing one (default) and OpenAI's API.

Both are registered under their ``name()``, so a collection reopened in a fresh process (or by another
worker talking to the same Chroma server) rebuilds its embedding function from the stored configuration.
Import this module before opening a collection; ``core.knowledge.store`` does.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from core.errors import InvalidRequest

EmbeddingMode = Literal["hashing", "openai"]
EMBEDDING_MODES: tuple[str, ...] = ("hashing", "openai")

HASHING_DIM = 512
DEFAULT_OPENAI_MODEL = "text-embedding-3-small"

# Words that carry no topic; dropped from the word features (char n-grams are built from the kept words only).
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are aren as at be because been before being below
    between both but by can cannot could couldn did didn do does doesn doing don down during each few for from
    further had hadn has hasn have haven having he her here hers herself him himself his how i if in into is
    isn it its itself just let me more most my myself no nor not now of off on once only or other ought our
    ours ourselves out over own please same shall she should shouldn so some such than that the their theirs
    them themselves then there these they this those through to too under until up very was wasn we were
    weren what when where which while who whom why will with won would wouldn you your yours yourself
    yourselves ll ve re s t d m get got want wants need needs thing things way ways also really
    use uses used using make makes made see show shows know like work works give gives
    take takes find tell say says much many every anything something someone anyone everyone possible
    able sure still even just well yes ok okay hi hello thanks thank
    """.split()
)

_WORD_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _undouble(stem: str) -> str:
    if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in "aeioulsz":
        return stem[:-1]
    return stem


def _stem(word: str) -> str:
    """Strip common English inflections so 'visits', 'visited' and 'visiting' share one feature."""
    if word.isdigit() or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) >= 5:
        return word[:-3] + "y"
    if word.endswith("ing") and len(word) >= 6:
        return _undouble(word[:-3])
    if word.endswith("ed") and len(word) >= 5:
        return _undouble(word[:-2])
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=262_144)
def _hash(feature: str, dim: int) -> tuple[int, float]:
    """Map a feature to (bucket, sign) with a process-independent hash (Python's hash() is salted)."""
    digest = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "big")
    return digest % dim, (1.0 if (digest >> 63) & 1 else -1.0)


@lru_cache(maxsize=65_536)
def _char_ngrams(stem: str, low: int, high: int) -> tuple[str, ...]:
    padded = f"<{stem}>"
    return tuple(
        padded[i : i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)
    )


def tokenize(text: str) -> list[str]:
    """Lower-case words of ``text`` without stop words (all words if every one is a stop word)."""
    words = _WORD_RE.findall(text.lower())
    return [w for w in words if w not in STOP_WORDS] or words


def _sublinear(counts: Counter[str]) -> dict[str, float]:
    return {f: 1.0 + math.log(c) for f, c in counts.items()}


def _add(vec: np.ndarray, features: dict[str, float], prefix: str) -> None:
    for feature, value in features.items():
        bucket, sign = _hash(prefix + feature, len(vec))
        vec[bucket] += sign * value


def _unit(vec: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec


@register_embedding_function
class HashingEmbeddingFunction(EmbeddingFunction[Documents]):
    """Deterministic hashed word + character n-gram vectors: no model, no download, same result everywhere.

    Words (lower-cased, stop words removed, lightly stemmed) and their character 3-5 grams are counted
    with sublinear tf, hashed with a sign bit into ``dim`` buckets, mixed (words weigh ``word_weight``,
    n-grams the rest) and L2-normalised, so cosine similarity is a dot product. Text without any word
    gets one fixed vector, never a zero vector (cosine of a zero vector is undefined).
    """

    VERSION = 1

    def __init__(self, *, dim: int = HASHING_DIM, ngram_min: int = 3, ngram_max: int = 5,
                 word_weight: float = 0.6) -> None:
        if not 64 <= dim <= 8192:
            raise InvalidRequest(
                f"dim {dim} is out of range; use 64 to 8192 (default {HASHING_DIM}).", field="dim"
            )
        if not 1 <= ngram_min <= ngram_max <= 8:
            raise InvalidRequest(
                f"Character n-gram sizes {ngram_min}-{ngram_max} are not valid; use 1 <= min <= max <= 8.",
                field="ngram",
            )
        if not 0.0 < word_weight <= 1.0:
            raise InvalidRequest(f"word_weight {word_weight} is out of range; use a value in (0, 1].",
                                 field="word_weight")
        self.dim = dim
        self.ngram_min = ngram_min
        self.ngram_max = ngram_max
        self.word_weight = word_weight

    def embed_one(self, text: str) -> np.ndarray:
        """Return the unit vector of one text."""
        words: Counter[str] = Counter()
        grams: Counter[str] = Counter()
        tokens = tokenize(text) or ["<empty>"]
        for word in tokens:
            stem = _stem(word)
            words[stem] += 1
            grams.update(_char_ngrams(stem, self.ngram_min, self.ngram_max))
        word_vec = np.zeros(self.dim, dtype=np.float64)
        gram_vec = np.zeros(self.dim, dtype=np.float64)
        _add(word_vec, _sublinear(words), "w:")
        _add(gram_vec, _sublinear(grams), "c:")
        mixed = self.word_weight * _unit(word_vec) + (1.0 - self.word_weight) * _unit(gram_vec)
        return _unit(mixed).astype(np.float32)

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 (Chroma checks the parameter name)
        """Embed each document."""
        return [self.embed_one(text) for text in input]

    @staticmethod
    def name() -> str:
        """Return the registry name stored in each collection's configuration."""
        return "activeintel-hashing-v1"

    def get_config(self) -> dict[str, Any]:
        """Return the settings that rebuild this function."""
        return {"dim": self.dim, "ngram_min": self.ngram_min, "ngram_max": self.ngram_max,
                "word_weight": self.word_weight, "version": self.VERSION}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbeddingFunction:
        """Rebuild from a stored configuration."""
        return HashingEmbeddingFunction(
            dim=int(config.get("dim", HASHING_DIM)), ngram_min=int(config.get("ngram_min", 3)),
            ngram_max=int(config.get("ngram_max", 5)), word_weight=float(config.get("word_weight", 0.6)),
        )

    def default_space(self) -> Space:
        """Vectors are unit length, so cosine is the natural distance."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Every space works on unit vectors."""
        return ["cosine", "l2", "ip"]


def _batches(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@register_embedding_function
class OpenAIEmbeddingFunction(EmbeddingFunction[Documents]):
    """Embeddings from an OpenAI-compatible ``/embeddings`` endpoint, used only when configured.

    The stored configuration holds the model, base URL and dimensions but never the API key; a function
    rebuilt from configuration (no key given) lets the ``openai`` SDK find its key the way it normally does.
    """

    def __init__(self, *, model: str = DEFAULT_OPENAI_MODEL, api_key: str | None = None,
                 base_url: str | None = None, dimensions: int | None = None, batch_size: int = 256,
                 timeout: float = 30.0) -> None:
        if not model.strip():
            raise InvalidRequest("The OpenAI embedding model name is empty; e.g. 'text-embedding-3-small'.",
                                 field="model")
        if dimensions is not None and dimensions <= 0:
            raise InvalidRequest(f"dimensions {dimensions} must be positive.", field="dimensions")
        if not 1 <= batch_size <= 2048:
            raise InvalidRequest(
                f"batch_size {batch_size} is out of range; use 1 to 2048.", field="batch_size"
            )
        self.model = model.strip()
        self.base_url = base_url
        self.dimensions = dimensions
        self.batch_size = batch_size
        self.timeout = timeout
        self._api_key = api_key
        self._client: Any = None

    def _openai(self) -> Any:
        # Created on first use: building from config (or the is_legacy() probe) must not touch the network.
        if self._client is None:
            import openai

            self._client = openai.OpenAI(api_key=self._api_key, base_url=self.base_url, timeout=self.timeout,
                                         max_retries=2)
        return self._client

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 (Chroma checks the parameter name)
        """Embed each document through the API, in batches, keeping the input order."""
        texts = [text if text.strip() else " " for text in input]  # the API rejects empty strings
        extra: dict[str, Any] = {"dimensions": self.dimensions} if self.dimensions else {}
        out: list[np.ndarray] = []
        for batch in _batches(texts, self.batch_size):
            response = self._openai().embeddings.create(model=self.model, input=list(batch), **extra)
            for item in sorted(response.data, key=lambda d: d.index):
                out.append(np.asarray(item.embedding, dtype=np.float32))
        return out

    @staticmethod
    def name() -> str:
        """Return the registry name stored in each collection's configuration."""
        return "activeintel-openai"

    def get_config(self) -> dict[str, Any]:
        """Return the settings that rebuild this function (never the API key)."""
        return {"model": self.model, "base_url": self.base_url, "dimensions": self.dimensions,
                "batch_size": self.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAIEmbeddingFunction:
        """Rebuild from a stored configuration."""
        dims = config.get("dimensions")
        return OpenAIEmbeddingFunction(
            model=str(config.get("model", DEFAULT_OPENAI_MODEL)), base_url=config.get("base_url"),
            dimensions=int(dims) if dims else None, batch_size=int(config.get("batch_size", 256)),
        )

    def default_space(self) -> Space:
        """OpenAI embeddings are compared by cosine similarity."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """OpenAI vectors are unit length, so every space works."""
        return ["cosine", "l2", "ip"]


def make_embedding_function(
    mode: EmbeddingMode | str = "hashing",
    *,
    openai_api_key: str | None = None,
    openai_base_url: str | None = None,
    openai_model: str = DEFAULT_OPENAI_MODEL,
) -> HashingEmbeddingFunction | OpenAIEmbeddingFunction:
    """Build the embedding function for ``mode``; 'openai' needs an API key or a base URL (local servers)."""
    if mode == "hashing":
        return HashingEmbeddingFunction()
    if mode == "openai":
        if not openai_api_key and not openai_base_url:
            raise InvalidRequest(
                "OpenAI embeddings need OPENAI_API_KEY (or OPENAI_BASE_URL for a local server); "
                "set one, or use the 'hashing' embeddings that need no key.",
                field="embeddings",
            )
        # Local OpenAI-compatible servers accept any key, but the SDK insists on one.
        return OpenAIEmbeddingFunction(model=openai_model, api_key=openai_api_key or "not-needed",
                                       base_url=openai_base_url)
    from core.errors import invalid_choice

    raise invalid_choice("embeddings", mode, EMBEDDING_MODES)
