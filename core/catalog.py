"""The names a user can refer to in this account (lists, segments, campaigns...), for language understanding."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, literal, select, union_all
from sqlalchemy.orm import Session

from core.automations.models import Automation, ScoreDefinition
from core.campaigns.models import Campaign
from core.contacts.models import CustomField, MailingList, Tag
from core.content.models import BrandKit, Form
from core.crm.models import Pipeline, Stage
from core.segments.models import Segment

_SOURCES: dict[str, tuple[Any, Any, Any]] = {
    # kind: (name column, account column, recency column)
    "lists": (MailingList.name, MailingList.account_id, MailingList.id),
    "segments": (Segment.name, Segment.account_id, Segment.updated_at),
    "tags": (Tag.name, Tag.account_id, Tag.id),
    "campaigns": (Campaign.name, Campaign.account_id, Campaign.created_at),
    "automations": (Automation.name, Automation.account_id, Automation.updated_at),
    "pipelines": (Pipeline.name, Pipeline.account_id, Pipeline.id),
    "stages": (Stage.name, Stage.account_id, Stage.id),
    "fields": (CustomField.name, CustomField.account_id, CustomField.id),
    "scores": (ScoreDefinition.name, ScoreDefinition.account_id, ScoreDefinition.id),
    "brand_kits": (BrandKit.name, BrandKit.account_id, BrandKit.id),
    "forms": (Form.name, Form.account_id, Form.id),
}


def _catalog_statement() -> Any:
    parts = []
    for kind, (name_col, account_col, recency) in _SOURCES.items():
        ranked = (
            select(name_col.label("name"), func.row_number().over(order_by=(recency.desc(), name_col)).label("pos"))
            .where(account_col == bindparam("account_id"))
            .subquery()
        )
        parts.append(select(literal(kind).label("kind"), ranked.c.name, ranked.c.pos).where(ranked.c.pos <= bindparam("limit")))
    return union_all(*parts)


# Built once: every model call reads the catalog, and building eleven subqueries costs more than running them.
_CATALOG = _catalog_statement()


def account_catalog(session: Session, *, account_id: int, limit: int = 60) -> dict[str, list[str]]:
    """Return up to ``limit`` names per kind, most recent first (big accounts keep the prompt small), in one query."""
    catalog: dict[str, list[str]] = {kind: [] for kind in _SOURCES}
    rows = session.execute(_CATALOG, {"account_id": account_id, "limit": limit}).all()
    # UNION ALL keeps no order across parts: order by each name's rank within its kind.
    for row in sorted(rows, key=lambda r: r.pos):
        catalog[row.kind].append(row.name)
    return {kind: list(dict.fromkeys(names)) for kind, names in catalog.items()}
