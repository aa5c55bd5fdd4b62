"""Server settings (limits, timeouts, the demo account), read from ACTIVEINTEL_* environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServerSettings(BaseSettings):
    """What the server allows and how long it waits; built once and kept on ``app.state.server_settings``."""

    model_config = SettingsConfigDict(env_prefix="ACTIVEINTEL_", extra="ignore")

    # The demo account created on first start when the database has no account (0: none).
    demo_contacts: int = Field(default=2000, ge=0)
    # Index the help pages for retrieval at start (a second or so; tests switch it off).
    knowledge: bool = True
    # Per-account token bucket over HTTP requests and WebSocket commands (0 per minute: no limit).
    rate_limit_per_minute: float = Field(default=600, ge=0)
    rate_limit_burst: int = Field(default=120, ge=1)
    # WebSocket: protocol pings (uvicorn), idle and auth timeouts, inbound size, outbound queue.
    ws_ping_interval: float = Field(default=20.0, gt=0)
    ws_ping_timeout: float = Field(default=20.0, gt=0)
    ws_idle_timeout: float = Field(default=300.0, gt=0)
    ws_auth_timeout: float = Field(default=10.0, gt=0)
    ws_max_message_bytes: int = Field(default=64 * 1024, ge=1024)
    ws_send_queue: int = Field(default=256, ge=1)
    ws_send_timeout: float = Field(default=10.0, gt=0)
    # Runs: the replay buffer per run and how long a finished run stays resumable.
    run_buffer_events: int = Field(default=4096, ge=16)
    run_buffer_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024)
    run_keep_seconds: float = Field(default=900.0, ge=0)
    run_keep_max: int = Field(default=2000, ge=1)
    run_keep_bytes: int = Field(default=256 * 1024 * 1024, ge=1024 * 1024)
    # On shutdown, runs in progress get this long to finish before they are cancelled.
    shutdown_grace: float = Field(default=10.0, ge=0)
    # Browser origins allowed to call the API from another site (agent-chat-ui); none by default.
    cors_origins: list[str] = Field(default_factory=list)
