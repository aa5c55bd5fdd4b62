"""Build the chat model named by ACTIVEINTEL_MODEL: ``offline`` (default) or ``openai:<model>``."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel

from core.config import Settings
from core.errors import InvalidRequest


def make_model(settings: Settings, **overrides: Any) -> BaseChatModel:
    """Return the configured chat model; ``overrides`` reach the constructor (tests pass an HTTP client)."""
    name = settings.model.strip()
    if name == "offline":
        from agent.offline.model import OfflineChatModel

        # The trained intent model is cached in the data folder, so only the first start pays for training.
        return OfflineChatModel(**({"cache_dir": str(settings.data_dir / "cache" / "nlu")} | overrides))
    if name.startswith("openai:"):
        from langchain_openai import ChatOpenAI

        model_name = name.split(":", 1)[1]
        # OPENAI_BASE_URL points at any OpenAI-compatible server (vLLM, llama.cpp, Ollama, a gateway); those
        # often need no key, but the client insists on one.
        base_url = settings.openai_base_url
        api_key = settings.openai_api_key or ("not-needed" if base_url else None)
        if api_key is None:
            raise InvalidRequest(
                f"ACTIVEINTEL_MODEL={name} needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server).",
                field="ACTIVEINTEL_MODEL",
            )
        defaults: dict[str, Any] = {
            "model": model_name, "base_url": base_url, "api_key": api_key, "stream_usage": True,
            "max_retries": 2, "timeout": 60,
        }
        return ChatOpenAI(**(defaults | overrides))
    raise InvalidRequest(
        f"ACTIVEINTEL_MODEL={name!r} is not supported; use 'offline' or 'openai:<model name>'.", field="ACTIVEINTEL_MODEL"
    )
