"""Retrieval tools: how-to answers from our help pages, and similar past campaigns."""

from __future__ import annotations

from langgraph.prebuilt import ToolRuntime

from core.errors import InvalidRequest
from core.knowledge import service as knowledge
from core.knowledge.store import KnowledgeStore
from tools.base import Risk, ai_tool, dump_list, unit_of_work
from tools.context import TurnContext

AREA = "Help and ideas"


def _store(ctx: TurnContext) -> KnowledgeStore:
    if ctx.knowledge is None:
        raise InvalidRequest("Search is not set up on this server; ask an administrator to enable retrieval.")
    return ctx.knowledge


@ai_tool(risk=Risk.READ, area=AREA, examples=("How do I set up site tracking?", "What does BotSense do?"))
def search_help(question: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Answer a how-to question about the product from its help pages; cite the page in the answer.

    Args:
        question: the user's question in their words.
    """
    with unit_of_work(runtime) as (_session, ctx):
        hits = knowledge.search_help(_store(ctx), query=question, k=3)
        return dump_list("help_page", hits)


@ai_tool(
    risk=Risk.READ, area=AREA,
    examples=("Find past campaigns like our spring sale email", "Which of my emails were similar to this one?"),
)
def find_similar_campaigns(text: str, limit: int = 5, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """Find this account's past campaigns whose content resembles a topic or text, with their results.

    Args:
        text: a topic, subject line or email text.
        limit: how many to return (1-10).
    """
    with unit_of_work(runtime) as (session, ctx):
        store = _store(ctx)
        # Index lazily: a no-op when nothing changed since the last call.
        knowledge.index_campaigns(store, session, account_id=ctx.account_id)
        hits = knowledge.find_similar_campaigns(
            store, account_id=ctx.account_id, text=text, k=max(1, min(limit, 10)), sent_only=True
        )
        return dump_list("campaign", hits)
