"""Public shapes of the knowledge service: help sections and hits, similar campaigns, index results."""

from __future__ import annotations

from pydantic import BaseModel


class HelpSection(BaseModel):
    """One '## ' section of a help page, the unit that is embedded and returned."""

    page: str
    title: str
    section: str
    anchor: str
    order: int
    text: str


class HelpHit(BaseModel):
    """A help section that answers a question; cite it as ``page`` (and ``section``)."""

    page: str
    title: str
    section: str
    text: str
    # Cosine similarity in [-1, 1]; higher is closer.
    score: float


class HelpIndexResult(BaseModel):
    """What indexing the help pages did."""

    pages: int
    sections: int
    upserted: int
    removed: int


class SimilarCampaign(BaseModel):
    """A campaign of the same account whose content resembles the given text, with its results."""

    campaign_id: int
    name: str
    subject: str | None
    channel: str
    status: str
    sent_at: str | None
    score: float
    delivered: int
    # None until the campaign has delivered messages.
    open_rate: float | None
    click_rate: float | None


class CampaignIndexResult(BaseModel):
    """What indexing one account's campaigns did."""

    account_id: int
    campaigns: int
    upserted: int
    removed: int
