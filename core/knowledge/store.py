"""The Chroma store: embedded (a folder in the data directory) by default, a Chroma server when configured.

Collections: ``help-pages`` holds the product's own help pages (shared, not account data); each account's
data lives in its own ``acct-<account_id>-<kind>`` collections. Account collections are only reachable
through ``KnowledgeStore.account_collection(account_id, ...)``, whose name is built from the id, so a
caller cannot name another tenant's collection.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError

from core.config import Settings
from core.errors import InvalidRequest, invalid_choice
from core.knowledge.embeddings import EmbeddingMode, make_embedding_function

HELP_COLLECTION = "help-pages"
ACCOUNT_KINDS: tuple[str, ...] = ("campaigns",)
DEFAULT_CHROMA_PORT = 8000
# Where the help pages live in a source checkout: <repo>/docs/help.
DEFAULT_HELP_DIR = Path(__file__).resolve().parents[2] / "docs" / "help"


@dataclass(frozen=True)
class ClientTarget:
    """Which Chroma client to build: an embedded folder or a server address."""

    kind: Literal["persistent", "http"]
    path: Path | None = None
    host: str | None = None
    port: int | None = None
    ssl: bool = False


def client_target(*, data_dir: Path, chroma_url: str | None = None) -> ClientTarget:
    """Choose the client: a Chroma server when ``chroma_url`` is set, else ``<data_dir>/chroma``."""
    if chroma_url is None or not chroma_url.strip():
        return ClientTarget(kind="persistent", path=Path(data_dir) / "chroma")
    url = chroma_url.strip()
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise InvalidRequest(f"Chroma URL {chroma_url!r} has a bad port; use e.g. 'http://chroma:8000'.",
                             field="chroma_url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise InvalidRequest(
            f"Chroma URL {chroma_url!r} is not a server address; use e.g. 'http://chroma:8000' "
            "(http or https, a host, an optional port, no path).",
            field="chroma_url",
        )
    ssl = parts.scheme == "https"
    return ClientTarget(kind="http", host=parts.hostname, port=port or (443 if ssl else DEFAULT_CHROMA_PORT),
                        ssl=ssl)


def chroma_settings() -> ChromaSettings:
    """Chroma settings for every client we build: no telemetry, no reset endpoint."""
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def make_client(target: ClientTarget) -> ClientAPI:
    """Build the Chroma client for ``target`` (an HTTP client contacts the server right away)."""
    if target.kind == "http":
        assert target.host is not None and target.port is not None
        return chromadb.HttpClient(
            host=target.host, port=target.port, ssl=target.ssl, settings=chroma_settings()
        )
    assert target.path is not None
    target.path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(target.path), settings=chroma_settings())


def account_collection_name(account_id: int, kind: str = "campaigns") -> str:
    """Return the collection name of one account's data of one kind, e.g. ``acct-42-campaigns``."""
    # bool is an int subclass; True must not become account 1.
    if isinstance(account_id, bool) or not isinstance(account_id, int) or account_id <= 0:
        raise InvalidRequest(f"account_id {account_id!r} is not an account id; pass a positive integer.",
                             field="account_id")
    if kind not in ACCOUNT_KINDS:
        raise invalid_choice("kind", kind, ACCOUNT_KINDS)
    return f"acct-{account_id}-{kind}"


class KnowledgeStore:
    """A Chroma client plus the embedding function used for every collection it opens."""

    def __init__(
        self,
        *,
        data_dir: Path,
        chroma_url: str | None = None,
        embedding_function: EmbeddingFunction[Documents] | None = None,
        help_dir: Path | None = None,
        client: ClientAPI | None = None,
    ) -> None:
        self.target = client_target(data_dir=data_dir, chroma_url=chroma_url)
        self.embedding_function = embedding_function or make_embedding_function("hashing")
        self.help_dir = help_dir or DEFAULT_HELP_DIR
        self.client = client or make_client(self.target)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        chroma_url: str | None = None,
        embeddings: EmbeddingMode | str | None = None,
        help_dir: Path | None = None,
    ) -> KnowledgeStore:
        """Build the store from the settings (data_dir, CHROMA_URL, ACTIVEINTEL_EMBEDDINGS, OpenAI key and URL)."""
        ef = make_embedding_function(
            embeddings or settings.embeddings,
            openai_api_key=settings.openai_api_key,
            openai_base_url=settings.openai_base_url,
        )
        return cls(
            data_dir=settings.data_dir, chroma_url=chroma_url or settings.chroma_url, embedding_function=ef,
            help_dir=help_dir,
        )

    def _get_or_create(self, name: str, *, fresh: bool = False) -> Collection:
        make = self.client.create_collection if fresh else self.client.get_or_create_collection
        return make(
            name, embedding_function=self.embedding_function, configuration={"hnsw": {"space": "cosine"}}
        )

    def _same_embeddings(self, collection: Collection) -> bool:
        stored = (collection.configuration or {}).get("embedding_function")
        ours = self.embedding_function
        if stored is None:
            return False
        return bool(stored.name() == ours.name() and stored.get_config() == ours.get_config())

    def _open(self, name: str) -> Collection:
        try:
            collection: Collection | None = self._get_or_create(name)
        except ValueError as exc:
            if "embedding function" not in str(exc).lower():
                raise
            collection = None
        if collection is None or not self._same_embeddings(collection):
            # Built with another embedding function or settings (the mode changed): vectors of two models
            # cannot be compared, and the index is derived data, so start it afresh; the caller re-indexes.
            self.client.delete_collection(name)
            collection = self._get_or_create(name, fresh=True)
        return collection

    def _existing(self, name: str) -> Collection | None:
        try:
            self.client.get_collection(name)
        except NotFoundError:
            return None
        except ValueError:
            pass  # it exists, with an embedding function this process cannot rebuild: _open replaces it
        return self._open(name)

    def help_collection(self) -> Collection:
        """Open (creating if needed) the shared help-pages collection."""
        return self._open(HELP_COLLECTION)

    def account_collection(
        self, account_id: int, kind: str = "campaigns", *, create: bool = False
    ) -> Collection | None:
        """Open one account's collection; None when it does not exist and ``create`` is False."""
        name = account_collection_name(account_id, kind)
        return self._open(name) if create else self._existing(name)

    def drop_account(self, account_id: int) -> list[str]:
        """Delete every collection of one account; return the names that existed."""
        dropped: list[str] = []
        for kind in ACCOUNT_KINDS:
            name = account_collection_name(account_id, kind)
            try:
                self.client.delete_collection(name)
            except NotFoundError:
                continue
            dropped.append(name)
        return dropped


def sync_documents(
    collection: Collection, documents: dict[str, tuple[str, dict[str, Any]]]
) -> tuple[int, int]:
    """Make ``collection`` hold exactly ``documents`` (id -> (text, metadata)); return (upserted, removed).

    A fingerprint of text and metadata is stored with each document, so unchanged documents are not
    embedded again (which costs money with a paid embedding API) and re-running is a no-op.
    """
    existing = collection.get(include=["metadatas"])
    known = {
        doc_id: (meta or {}).get("fingerprint")
        for doc_id, meta in zip(existing["ids"], existing["metadatas"] or [], strict=True)
    }
    ids: list[str] = []
    texts: list[str] = []
    metadatas: list[dict[str, Any]] = []
    for doc_id, (text, meta) in documents.items():
        raw = text + json.dumps(meta, sort_keys=True)
        fingerprint = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]
        if known.get(doc_id) != fingerprint:
            ids.append(doc_id)
            texts.append(text)
            metadatas.append({**meta, "fingerprint": fingerprint})
    if ids:
        collection.upsert(ids=ids, documents=texts, metadatas=metadatas)  # type: ignore[arg-type]
    stale = [doc_id for doc_id in known if doc_id not in documents]
    if stale:
        collection.delete(ids=stale)
    return len(ids), len(stale)
