"""The per-turn run context: who is asking, where, and when. Tools read scope from here, never from the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.knowledge.store import KnowledgeStore


@dataclass(frozen=True)
class PageContext:
    """Where the user is in the web app: the page and the object open there."""

    page: str
    object_type: str | None = None
    object_id: int | None = None
    # Free-form page state the sidebar sends, e.g. the contacts filter being built.
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TurnContext:
    """Static per-run context passed to the graph as ``context=``."""

    account_id: int
    user_id: int
    session_factory: sessionmaker[Session]
    now: datetime
    thread_id: str
    page: PageContext | None = None
    surface: str = "web"
    # The retrieval store (help pages, past campaigns); None where a surface runs without retrieval.
    knowledge: KnowledgeStore | None = None
    # Where test emails go (the outbox folder or SMTP), built once by the surface from its settings; None means
    # "from the environment's settings" (scripts that build a context by hand). A core.mail.MailTransport; typed
    # Any because the tool runtime's pydantic schema cannot be built for a Protocol.
    mail: Any = None
    # Per-turn memo for values every model call of the turn needs (see agent/graph.py); never shared by turns.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
