"""``create_app``: the FastAPI app: WebSocket chat, the Agent Protocol API, REST extras, Slack, the web UI.

The lifespan builds everything once and keeps it on ``app.state`` for the routes and for the surfaces that
mount on the app (``server.slack``, ``server.web``):

- ``app.state.deps``: ``AgentDeps`` (graph, session factory, clock, knowledge store), what ``run_turn`` takes;
- ``app.state.runs``: the ``RunManager`` (start chat turns in the background, follow, resume and cancel them);
- ``app.state.settings`` / ``app.state.server_settings``; ``app.state.engine``; ``app.state.checkpointer``;
- ``app.state.limiter``: the per-account rate limiter; ``app.state.bootstrap``: what the first start did;
- ``app.state.startup_hooks`` / ``app.state.shutdown_hooks``: async callables ``hook(app)`` a mounted surface
  appends to, run after the state above is ready and before it is torn down.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from langchain_core.language_models import BaseChatModel

from agent import artifacts
from agent.checkpoint import open_checkpointer
from agent.graph import build_graph
from agent.models import make_model
from agent.run import AgentDeps
from core.auth.ratelimit import RateLimiter
from core.mail import transport_from_settings
from core.config import Settings
from core.db import make_engine, make_session_factory, utcnow
from server import protocol, rest, ws
from server.bootstrap import prepare_database
from server.errors import install_error_handlers
from server.runs import RunManager
from server.settings import ServerSettings

log = logging.getLogger("activeintel.server")
Hook = Callable[[FastAPI], Awaitable[None]]


def _open_knowledge(settings: Settings) -> Any:
    from core.knowledge.help_pages import index_help_pages
    from core.knowledge.store import KnowledgeStore

    store = KnowledgeStore.from_settings(settings)
    index_help_pages(store)
    return store


def _chat_model(settings: Settings, model: BaseChatModel | None) -> BaseChatModel:
    """The configured model; the offline one keeps its trained NLU in the data folder and is warmed up here,
    so the first chat does not pay for training."""
    if model is None:
        overrides = {}
        if settings.model.strip() == "offline":
            overrides["cache_dir"] = str(settings.data_dir / "cache" / "nlu")
        model = make_model(settings, **overrides)
    cache_dir = getattr(model, "cache_dir", False)
    if cache_dir is not False:
        from agent.nlu.parse import default_model

        default_model(cache_dir)
    return model


def _mount_surfaces(app: FastAPI) -> None:
    """Mount the Slack bot and the web UI when their packages are present."""
    for name in ("server.slack", "server.web"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        if hasattr(module, "mount_slack"):
            module.mount_slack(app, None, lambda: app.state.deps)

            async def close_slack(app: FastAPI) -> None:
                bot = getattr(app.state, "slack_bot", None)
                if bot is not None:
                    await bot.aclose()

            app.state.shutdown_hooks.append(close_slack)
        elif hasattr(module, "mount"):
            module.mount(app)


def create_app(
    settings: Settings | None = None,
    *,
    server_settings: ServerSettings | None = None,
    model: BaseChatModel | None = None,
    checkpointer: Any = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """Build the app; tests inject a model, a checkpointer and a clock, production reads the settings."""
    settings = settings or Settings()
    server_settings = server_settings or ServerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = make_engine(settings.effective_database_url)
            stack.callback(engine.dispose)
            boot = await asyncio.to_thread(
                prepare_database,
                engine,
                data_dir=settings.data_dir,
                demo_contacts=server_settings.demo_contacts,
                now=(clock or utcnow)(),
            )
            if boot.api_key:
                log.warning(
                    "Demo account %r created; its admin's API key (shown once): %s",
                    boot.account_name,
                    boot.api_key,
                )
            saver = checkpointer
            if saver is None:
                saver = await stack.enter_async_context(open_checkpointer(settings))
            chat_model = await asyncio.to_thread(_chat_model, settings, model)
            # The chart worker process starts in the background; the first chart waits for it if it must.
            chart_warm_up = asyncio.create_task(asyncio.to_thread(artifacts.warm_up))
            graph = build_graph(model=chat_model, checkpointer=saver)
            knowledge = (
                await asyncio.to_thread(_open_knowledge, settings) if server_settings.knowledge else None
            )
            deps = AgentDeps(
                graph=graph,
                session_factory=make_session_factory(engine),
                clock=clock or utcnow,
                knowledge=knowledge,
                mail=transport_from_settings(settings),
            )
            runs = RunManager(
                deps,
                max_events=server_settings.run_buffer_events,
                max_bytes=server_settings.run_buffer_bytes,
                keep_seconds=server_settings.run_keep_seconds,
                keep_max=server_settings.run_keep_max,
                keep_bytes=server_settings.run_keep_bytes,
            )
            app.state.engine, app.state.checkpointer, app.state.deps, app.state.runs = (
                engine,
                saver,
                deps,
                runs,
            )
            app.state.bootstrap = boot
            app.state.limiter = RateLimiter(
                per_minute=server_settings.rate_limit_per_minute, burst=server_settings.rate_limit_burst
            )
            for hook in list(app.state.startup_hooks):
                await hook(app)
            try:
                yield
            finally:
                for hook in list(app.state.shutdown_hooks):
                    await hook(app)
                await runs.shutdown(server_settings.shutdown_grace)
                if not chart_warm_up.done():
                    chart_warm_up.cancel()

    app = FastAPI(
        title="ActiveIntel",
        version=protocol.SERVER_VERSION,
        lifespan=lifespan,
        description="Conversational marketing assistant: WebSocket chat, LangGraph Agent Protocol API, REST.",
    )
    app.state.settings, app.state.server_settings = settings, server_settings
    app.state.startup_hooks, app.state.shutdown_hooks = [], []
    app.state.ws_connections, app.state.ws_stats = set(), Counter()
    install_error_handlers(app)
    if server_settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=server_settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["Content-Type", "X-Api-Key", "X-Auth-Scheme", "Authorization", "Last-Event-ID"],
            expose_headers=["Content-Location", "Location", "Retry-After"],
        )
    app.include_router(rest.router)
    app.include_router(protocol.router)
    app.include_router(ws.router)
    _mount_surfaces(app)
    return app
