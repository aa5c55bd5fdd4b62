"""What a demo account contains, counted from the database itself."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, case, func, select

from core.accounts.models import Account
from core.campaigns.models import Campaign, CampaignSend, EngagementEvent
from core.commerce.models import AbandonedCart, Order
from core.contacts.models import Contact, ContactTag, ListSubscription, MailingList, Tag
from core.crm.models import Deal
from core.tracking.models import PageVisit


class EventCount(BaseModel):
    """Events of one type, with how many were bots and Apple MPP machine opens."""

    type: str
    total: int
    bot: int
    mpp: int


class DemoSummary(BaseModel):
    """Counts of a demo account, for the command's table and for tests."""

    account_id: int
    name: str
    plan: str
    addons: list[str]
    industry: str
    timezone: str
    botsense_enabled: bool
    contacts: int
    contacts_by_status: dict[str, int]
    lists: int
    subscriptions: int
    tags: int
    tagged_contacts: int
    campaigns_by_status: dict[str, int]
    sends: int
    sends_by_status: dict[str, int]
    events: list[EventCount]
    page_visits: int
    page_visits_from_campaigns: int
    orders: int
    revenue_cents: int
    abandoned_carts: int
    deals_by_status: dict[str, int]
    elapsed_seconds: float = 0.0
    ground_truth_dir: str | None = None

    @property
    def events_total(self) -> int:
        """Return the number of engagement events of every type."""
        return sum(e.total for e in self.events)


def _grouped(
    conn: Connection, column: object, table: object, account_col: object, account_id: int
) -> dict[str, int]:
    rows = conn.execute(
        select(column, func.count()).select_from(table).where(account_col == account_id).group_by(column)
    ).all()
    return {str(getattr(k, "value", k)): int(v) for k, v in rows}


def summarize_account(engine: Engine, account_id: int) -> DemoSummary:
    """Count what one account holds."""
    with engine.connect() as conn:
        acc = conn.execute(select(Account).where(Account.id == account_id)).one()
        count = lambda model: int(  # noqa: E731
            conn.execute(
                select(func.count()).select_from(model).where(model.account_id == account_id)
            ).scalar_one()
        )
        contacts_by_status = _grouped(conn, Contact.status, Contact, Contact.account_id, account_id)
        events = conn.execute(
            select(
                EngagementEvent.type,
                func.count(),
                func.sum(case((EngagementEvent.is_bot, 1), else_=0)),
                func.sum(case((EngagementEvent.is_mpp, 1), else_=0)),
            )
            .where(EngagementEvent.account_id == account_id)
            .group_by(EngagementEvent.type)
        ).all()
        orders, revenue = conn.execute(
            select(func.count(), func.coalesce(func.sum(Order.total_cents), 0)).where(
                Order.account_id == account_id, Order.status == "placed"
            )
        ).one()
        tagged = conn.execute(
            select(func.count(func.distinct(ContactTag.contact_id))).where(
                ContactTag.account_id == account_id
            )
        ).scalar_one()
        from_campaigns = conn.execute(
            select(func.count())
            .select_from(PageVisit)
            .where(PageVisit.account_id == account_id, PageVisit.campaign_id.is_not(None))
        ).scalar_one()
        sends_by_status = _grouped(
            conn, CampaignSend.status, CampaignSend, CampaignSend.account_id, account_id
        )
        return DemoSummary(
            account_id=account_id,
            name=acc.name,
            plan=str(getattr(acc.plan, "value", acc.plan)),
            addons=list(acc.addons),
            industry=acc.industry,
            timezone=acc.timezone,
            botsense_enabled=bool(acc.botsense_enabled),
            contacts=sum(contacts_by_status.values()),
            contacts_by_status=contacts_by_status,
            lists=count(MailingList),
            subscriptions=count(ListSubscription),
            tags=count(Tag),
            tagged_contacts=int(tagged),
            campaigns_by_status=_grouped(conn, Campaign.status, Campaign, Campaign.account_id, account_id),
            sends=sum(sends_by_status.values()),
            sends_by_status=sends_by_status,
            events=[
                EventCount(type=str(getattr(t, "value", t)), total=int(c), bot=int(b or 0), mpp=int(m or 0))
                for t, c, b, m in sorted(events, key=lambda r: -int(r[1]))
            ],
            page_visits=count(PageVisit),
            page_visits_from_campaigns=int(from_campaigns),
            orders=int(orders),
            revenue_cents=int(revenue),
            abandoned_carts=count(AbandonedCart),
            deals_by_status=_grouped(conn, Deal.status, Deal, Deal.account_id, account_id),
        )
