"""Settings: the one place that reads the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide configuration, built once and passed down."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    data_dir: Path = Field(default=Path("./data"), alias="ACTIVEINTEL_DATA_DIR")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    model: str = Field(default="offline", alias="ACTIVEINTEL_MODEL")
    openai_api_key: str | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    # Retrieval: a Chroma server URL (default: an embedded folder in the data dir) and the embedding mode.
    chroma_url: str | None = Field(default=None, alias="CHROMA_URL")
    embeddings: str = Field(default="hashing", alias="ACTIVEINTEL_EMBEDDINGS")
    # Outgoing mail (test emails): "smtp://user:pass@host:587?starttls=1" or "smtps://..."; unset means the
    # outbox folder in the data dir, which needs no network.
    smtp_url: str | None = Field(default=None, alias="ACTIVEINTEL_SMTP_URL")

    @property
    def effective_database_url(self) -> str:
        """Return ``DATABASE_URL`` or the embedded SQLite file in the data folder."""
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'activeintel.db').resolve()}"


def normalize_database_url(url: str) -> str:
    """Map the common ``postgres://`` and ``postgresql://`` spellings to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
