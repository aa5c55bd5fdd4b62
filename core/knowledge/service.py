"""Retrieval services: the help pages (shared) and each account's campaigns (one collection per account).

Every function takes the ``KnowledgeStore`` first; account data is reached only through ``account_id``.
"""

from __future__ import annotations

from core.knowledge.campaigns_index import find_similar_campaigns, index_campaigns
from core.knowledge.help_pages import index_help_pages, search_help
from core.knowledge.store import KnowledgeStore

__all__ = ["find_similar_campaigns", "index_campaigns", "index_help_pages", "remove_account", "search_help"]


def remove_account(store: KnowledgeStore, *, account_id: int) -> list[str]:
    """Delete all of one account's retrieval data; return the collection names removed."""
    return store.drop_account(account_id)
