"""The names a user can refer to in this account (lists, segments, campaigns...), for language understanding."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
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


def account_catalog(session: Session, *, account_id: int, limit: int = 60) -> dict[str, list[str]]:
    """Return up to ``limit`` names per kind, most recent first (big accounts keep the prompt small)."""
    catalog: dict[str, list[str]] = {}
    for kind, (name_col, account_col, recency) in _SOURCES.items():
        rows = session.scalars(
            select(name_col).where(account_col == account_id).order_by(recency.desc()).limit(limit)
        ).all()
        catalog[kind] = list(dict.fromkeys(rows))
    return catalog
