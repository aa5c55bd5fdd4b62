"""CRM accounts, pipelines, deals, tasks and notes, and the 'deals' feature gate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.service import create_user
from core.contacts.service import get_contact
from core.crm import service as crm
from core.crm.models import Deal, Pipeline, Stage
from core.enums import DealStatus, TaskStatus
from core.errors import Conflict, FeatureUnavailable, InvalidRequest, NotFound
from tests.core.factories_contacts import make_account, make_contact


@pytest.fixture
def acct(session: Session) -> int:
    return make_account(session).id


@pytest.fixture
def sales(session: Session, acct: int) -> int:
    return crm.create_pipeline(
        session, account_id=acct, name="Sales", stages=["Lead", "Qualified", "Proposal"], currency="usd"
    ).id


def _deal_count(session: Session, account_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Deal).where(Deal.account_id == account_id)) or 0


# ---------------------------------------------------------------- feature gate


@pytest.mark.parametrize(
    ("plan", "addons", "expected"),
    [
        ("starter", [], "can be bought on the Plus, Pro, Enterprise plans; this account is on Starter"),
        ("plus", [], "needs the Pipelines or Sales Engagement add-on. Add it from Billing & Upgrade"),
        ("pro", ["sms"], "needs the Pipelines or Sales Engagement add-on"),
    ],
    ids=["starter", "plus-without-addon", "pro-with-other-addon"],
)
def test_deal_writes_need_the_deals_feature(
    session: Session, plan: str, addons: list[str], expected: str
) -> None:
    account_id = make_account(session, plan=plan, addons=addons).id
    with pytest.raises(FeatureUnavailable) as err:
        crm.create_pipeline(session, account_id=account_id, name="Sales", stages=["Lead"])
    assert "Deals and pipelines" in str(err.value) and expected in str(err.value)
    assert (
        session.scalar(select(func.count()).select_from(Pipeline).where(Pipeline.account_id == account_id))
        == 0
    )


@pytest.mark.parametrize(
    ("plan", "addons"),
    [("plus", ["pipelines"]), ("plus", ["sales_engagement"]), ("enterprise", [])],
    ids=["plus-pipelines", "plus-sales-engagement", "enterprise"],
)
def test_deal_writes_allowed_with_the_feature(session: Session, plan: str, addons: list[str]) -> None:
    account_id = make_account(session, plan=plan, addons=addons).id
    crm.create_pipeline(session, account_id=account_id, name="Sales", stages=["Lead"])
    assert (
        crm.create_deal(session, account_id=account_id, title="T", value=1, pipeline="Sales").stage == "Lead"
    )


def test_every_deal_write_checks_the_gate(session: Session, acct: int, sales: int, now: datetime) -> None:
    deal = crm.create_deal(session, account_id=acct, title="Big", value=10, pipeline="Sales")
    downgraded = crm.get_deal(session, account_id=acct, deal_id=deal.id)
    from core.accounts.models import Account

    account = session.get(Account, acct)
    assert account is not None
    account.addons = []
    session.flush()
    writes: list[Callable[[], Any]] = [
        lambda: crm.create_deal(session, account_id=acct, title="X", value=1, pipeline="Sales"),
        lambda: crm.update_deal(session, account_id=acct, deal_id=deal.id, stage="Qualified"),
        lambda: crm.mark_won(session, account_id=acct, deal_id=deal.id, now=now),
        lambda: crm.mark_lost(session, account_id=acct, deal_id=deal.id, now=now),
        lambda: crm.add_stage(session, account_id=acct, pipeline="Sales", name="Won"),
        lambda: crm.create_task(session, account_id=acct, title="Call", deal_id=deal.id),
        lambda: crm.add_note(session, account_id=acct, body="Hi", deal_id=deal.id),
    ]
    for write in writes:
        with pytest.raises(FeatureUnavailable):
            write()
    # Reads stay open so a downgraded account keeps its history.
    assert crm.get_deal(session, account_id=acct, deal_id=deal.id) == downgraded
    assert crm.list_deals(session, account_id=acct).total == 1


# ---------------------------------------------------------------- pipelines


def test_create_pipeline_keeps_stage_order(session: Session, acct: int, sales: int) -> None:
    out = crm.get_pipeline(session, account_id=acct, pipeline="sales")
    assert out.id == sales and out.currency == "USD"
    assert [(s.name, s.position) for s in out.stages] == [("Lead", 1), ("Qualified", 2), ("Proposal", 3)]


@pytest.mark.parametrize(
    ("kwargs", "error", "expected"),
    [
        ({"name": "Other", "stages": []}, InvalidRequest, "at least one stage"),
        ({"name": "Other", "stages": ["A", "a"]}, InvalidRequest, "listed twice"),
        ({"name": "Other", "stages": ["A", " "]}, InvalidRequest, "empty"),
        ({"name": "Other", "stages": "A,B"}, InvalidRequest, "list of stage names"),
        ({"name": "Other", "stages": ["A"], "currency": "USDD"}, InvalidRequest, "ISO 4217"),
        ({"name": "Other", "stages": ["A"], "currency": "EUO"}, InvalidRequest, "Did you mean 'EUR'"),
        ({"name": "SALES", "stages": ["A"]}, Conflict, "already exists"),
    ],
    ids=[
        "no-stages",
        "duplicate-stage",
        "blank-stage",
        "stages-string",
        "currency-format",
        "currency-typo",
        "duplicate-name",
    ],
)
def test_create_pipeline_validation(
    session: Session, acct: int, sales: int, kwargs: dict[str, Any], error: type[Exception], expected: str
) -> None:
    with pytest.raises(error, match=expected):
        crm.create_pipeline(session, account_id=acct, **kwargs)
    assert [p.name for p in crm.list_pipelines(session, account_id=acct)] == ["Sales"]


def test_add_stage_at_a_position_shifts_the_rest(session: Session, acct: int, sales: int) -> None:
    out = crm.add_stage(session, account_id=acct, pipeline="Sales", name="Demo", position=2)
    assert [(s.name, s.position) for s in out.stages] == [
        ("Lead", 1),
        ("Demo", 2),
        ("Qualified", 3),
        ("Proposal", 4),
    ]
    out = crm.add_stage(session, account_id=acct, pipeline=sales, name="Negotiation")
    assert out.stages[-1].name == "Negotiation" and out.stages[-1].position == 5
    with pytest.raises(Conflict, match="already has a stage named 'demo'"):
        crm.add_stage(session, account_id=acct, pipeline="Sales", name="demo")
    with pytest.raises(InvalidRequest, match="use 1 to 6"):
        crm.add_stage(session, account_id=acct, pipeline="Sales", name="Won", position=9)
    with pytest.raises(NotFound, match="Did you mean 'Sales'"):
        crm.add_stage(session, account_id=acct, pipeline="Sale", name="Won")


# ---------------------------------------------------------------- deals


def test_create_deal_stores_minor_units_and_resolves_names(session: Session, acct: int, sales: int) -> None:
    owner = create_user(session, account_id=acct, email="rep@example.com", name="Rita Rep")
    contact = make_contact(session, account_id=acct, email="buyer@client.com")
    company = crm.create_crm_account(session, account_id=acct, name="Client Co")
    deal = crm.create_deal(
        session,
        account_id=acct,
        title="Annual plan",
        value="12,500.50",
        pipeline="sales",
        stage="qualified",
        contact="Buyer@client.com",
        crm_account="client co",
        owner="rep@example.com",
        source="Webinar",
        forecast_close_date="2026-07-31",
        currency="usd",
    )
    assert (deal.value_cents, deal.value, deal.currency) == (1250050, Decimal("12500.50"), "USD")
    assert (deal.pipeline, deal.stage, deal.status) == ("Sales", "Qualified", DealStatus.OPEN)
    assert (deal.contact_id, deal.crm_account_id, deal.owner_id) == (contact.id, company.id, owner.id)
    assert deal.forecast_close_date == date(2026, 7, 31) and deal.source == "Webinar"
    assert crm.create_deal(session, account_id=acct, title="Small", value=5, pipeline=sales).stage == "Lead"


def test_zero_decimal_currencies(session: Session, acct: int) -> None:
    crm.create_pipeline(session, account_id=acct, name="Tokyo", stages=["Lead"], currency="JPY")
    deal = crm.create_deal(session, account_id=acct, title="T", value=150000, pipeline="Tokyo")
    assert (deal.value_cents, deal.value) == (150000, Decimal(150000))
    with pytest.raises(InvalidRequest, match="more decimal places than JPY allows"):
        crm.create_deal(session, account_id=acct, title="T", value="10.5", pipeline="Tokyo")


@pytest.mark.parametrize(
    ("kwargs", "error", "expected"),
    [
        ({"value": "lots"}, InvalidRequest, "not an amount"),
        ({"value": -5}, InvalidRequest, "zero or a positive"),
        ({"value": "19.999"}, InvalidRequest, "more decimal places than USD allows (2)"),
        ({"value": 1, "currency": "EUR"}, InvalidRequest, "Pipeline 'Sales' is in USD"),
        ({"value": 1, "currency": "XYZ"}, InvalidRequest, "ISO 4217"),
        ({"value": 1, "stage": "Qualifed"}, NotFound, "in pipeline 'Sales'. Did you mean 'Qualified'"),
        ({"value": 1, "pipeline": "Sails"}, NotFound, "Did you mean 'Sales'"),
        ({"value": 1, "owner": "nobody@example.com"}, NotFound, "No user named"),
        ({"value": 1, "contact": "ghost@example.com"}, NotFound, "No contact named"),
        ({"value": 1, "forecast_close_date": "next week"}, InvalidRequest, "YYYY-MM-DD"),
        ({"value": 1, "title": " "}, InvalidRequest, "Deal title is empty"),
    ],
    ids=[
        "value-text",
        "value-negative",
        "value-precision",
        "currency-mismatch",
        "currency-unknown",
        "stage-typo",
        "pipeline-typo",
        "owner-unknown",
        "contact-unknown",
        "date-format",
        "title-blank",
    ],
)
def test_create_deal_rejects_bad_input_without_writing(
    session: Session, acct: int, sales: int, kwargs: dict[str, Any], error: type[Exception], expected: str
) -> None:
    params: dict[str, Any] = {"title": "Deal", "pipeline": "Sales"}
    params.update(kwargs)
    with pytest.raises(error) as err:
        crm.create_deal(session, account_id=acct, **params)
    assert expected in str(err.value)
    assert _deal_count(session, acct) == 0


def test_update_deal_moves_stage_and_changes_value_owner_and_date(
    session: Session, acct: int, sales: int, now: datetime
) -> None:
    rep = create_user(session, account_id=acct, email="rep@example.com", name="Rita Rep")
    deal = crm.create_deal(
        session, account_id=acct, title="D", value=100, pipeline="Sales", owner=rep.id, now=now
    )
    later = now + timedelta(days=2)
    out = crm.update_deal(
        session,
        account_id=acct,
        deal_id=deal.id,
        stage="Proposal",
        value="250.75",
        owner=None,
        forecast_close_date=date(2026, 8, 1),
        now=later,
    )
    assert (out.stage, out.value_cents, out.owner_id) == ("Proposal", 25075, None)
    assert out.forecast_close_date == date(2026, 8, 1) and out.updated_at == later
    out = crm.update_deal(
        session, account_id=acct, deal_id=deal.id, owner="Rita Rep", forecast_close_date=None
    )
    assert out.owner_id == rep.id and out.forecast_close_date is None


def test_update_deal_is_all_or_nothing(session: Session, acct: int, sales: int, now: datetime) -> None:
    deal = crm.create_deal(session, account_id=acct, title="D", value=100, pipeline="Sales", now=now)
    with pytest.raises(NotFound, match="No user"):
        crm.update_deal(session, account_id=acct, deal_id=deal.id, stage="Proposal", value=999, owner="ghost")
    assert crm.get_deal(session, account_id=acct, deal_id=deal.id) == deal
    with pytest.raises(InvalidRequest, match="Nothing to change"):
        crm.update_deal(session, account_id=acct, deal_id=deal.id)


def test_stage_of_another_pipeline_is_refused(session: Session, acct: int, sales: int) -> None:
    crm.create_pipeline(session, account_id=acct, name="Partners", stages=["Intro", "Signed"])
    deal = crm.create_deal(session, account_id=acct, title="D", value=1, pipeline="Sales")
    signed = session.scalar(select(Stage.id).where(Stage.name == "Signed", Stage.account_id == acct))
    assert signed is not None
    with pytest.raises(NotFound, match="in pipeline 'Sales'"):
        crm.update_deal(session, account_id=acct, deal_id=deal.id, stage=signed)
    with pytest.raises(NotFound, match="'Lead', 'Qualified', 'Proposal'"):
        crm.update_deal(session, account_id=acct, deal_id=deal.id, stage="Signed")


def test_mark_won_and_lost_set_status_and_closed_at(
    session: Session, acct: int, sales: int, now: datetime
) -> None:
    deal = crm.create_deal(session, account_id=acct, title="D", value=1, pipeline="Sales")
    won = crm.mark_won(session, account_id=acct, deal_id=deal.id, now=now)
    assert (won.status, won.closed_at) == (DealStatus.WON, now)
    with pytest.raises(Conflict, match="already marked won on 2026-06-15"):
        crm.mark_won(session, account_id=acct, deal_id=deal.id, now=now)
    lost = crm.mark_lost(session, account_id=acct, deal_id=deal.id, now=now + timedelta(days=1))
    assert (lost.status, lost.closed_at) == (DealStatus.LOST, now + timedelta(days=1))


def test_list_deals_filters_and_pages(session: Session, acct: int, sales: int, now: datetime) -> None:
    rep = create_user(session, account_id=acct, email="rep@example.com", name="Rita Rep")
    crm.create_pipeline(session, account_id=acct, name="Partners", stages=["Lead", "Signed"])
    ids = [
        crm.create_deal(
            session,
            account_id=acct,
            title=f"S{i}",
            value=i,
            pipeline="Sales",
            stage="Qualified" if i % 2 else "Lead",
            owner=rep.id if i < 2 else None,
        ).id
        for i in range(5)
    ]
    partner = crm.create_deal(session, account_id=acct, title="P", value=1, pipeline="Partners")
    crm.mark_won(session, account_id=acct, deal_id=ids[0], now=now)
    assert crm.list_deals(session, account_id=acct).total == 6
    page = crm.list_deals(session, account_id=acct, pipeline="Sales", limit=2, offset=2)
    assert page.total == 5 and [d.id for d in page.items] == ids[2:4]
    assert [
        d.id for d in crm.list_deals(session, account_id=acct, pipeline="Sales", stage="qualified").items
    ] == [
        ids[1],
        ids[3],
    ]
    # Without a pipeline, a stage name matches that stage in every pipeline.
    lead = {d.id for d in crm.list_deals(session, account_id=acct, stage="Lead").items}
    assert lead == {ids[0], ids[2], ids[4], partner.id}
    assert [d.id for d in crm.list_deals(session, account_id=acct, status="won").items] == [ids[0]]
    assert [d.id for d in crm.list_deals(session, account_id=acct, owner="rep@example.com").items] == ids[:2]
    with pytest.raises(InvalidRequest, match="'open', 'won', 'lost'"):
        crm.list_deals(session, account_id=acct, status="pending")
    with pytest.raises(NotFound, match="Did you mean 'Signed'"):
        crm.list_deals(session, account_id=acct, stage="Signd")


# ---------------------------------------------------------------- CRM accounts, tasks, notes


def test_crm_accounts_and_contact_links(session: Session, acct: int) -> None:
    company = crm.create_crm_account(
        session,
        account_id=acct,
        name="Acme Inc",
        website="https://acme.com",
        industry="Software",
        employees=50,
    )
    contact = make_contact(session, account_id=acct)
    linked = crm.link_contact_to_crm_account(
        session, account_id=acct, contact_id=contact.id, crm_account="acme inc"
    )
    assert linked.crm_account_id == company.id
    assert crm.get_crm_account(session, account_id=acct, crm_account=company.id).contact_count == 1
    assert [(c.name, c.contact_count) for c in crm.list_crm_accounts(session, account_id=acct)] == [
        ("Acme Inc", 1)
    ]
    unlinked = crm.link_contact_to_crm_account(
        session, account_id=acct, contact_id=contact.id, crm_account=None
    )
    assert unlinked.crm_account_id is None
    with pytest.raises(Conflict):
        crm.create_crm_account(session, account_id=acct, name="ACME INC")
    with pytest.raises(InvalidRequest, match="not a web address"):
        crm.create_crm_account(session, account_id=acct, name="Bad", website="not a site")
    with pytest.raises(InvalidRequest, match="whole number"):
        crm.create_crm_account(session, account_id=acct, name="Bad", employees=-3)
    with pytest.raises(NotFound, match="Did you mean 'Acme Inc'"):
        crm.get_crm_account(session, account_id=acct, crm_account="Acme")


def test_tasks_on_deals_and_contacts(session: Session, acct: int, sales: int, now: datetime) -> None:
    deal = crm.create_deal(session, account_id=acct, title="D", value=1, pipeline="Sales")
    contact = make_contact(session, account_id=acct)
    call = crm.create_task(
        session,
        account_id=acct,
        title="Call back",
        deal_id=deal.id,
        kind="Call",
        due_at=now + timedelta(days=1),
        now=now,
    )
    todo = crm.create_task(session, account_id=acct, title="Send deck", contact_id=contact.id)
    assert (call.kind, call.status, call.deal_id) == ("call", TaskStatus.OPEN, deal.id)
    done = crm.complete_task(session, account_id=acct, task_id=call.id, now=now)
    assert (done.status, done.completed_at) == (TaskStatus.DONE, now)
    with pytest.raises(Conflict, match="already done"):
        crm.complete_task(session, account_id=acct, task_id=call.id, now=now)
    assert [t.id for t in crm.list_tasks(session, account_id=acct, status="open")] == [todo.id]
    assert [t.id for t in crm.list_tasks(session, account_id=acct, deal_id=deal.id)] == [call.id]
    with pytest.raises(InvalidRequest, match="'call', 'email', 'todo'"):
        crm.create_task(session, account_id=acct, title="X", contact_id=contact.id, kind="fax")
    with pytest.raises(InvalidRequest, match="deal_id or a contact_id"):
        crm.create_task(session, account_id=acct, title="X")


def test_notes_newest_first(session: Session, acct: int, sales: int, now: datetime) -> None:
    deal = crm.create_deal(session, account_id=acct, title="D", value=1, pipeline="Sales")
    contact = make_contact(session, account_id=acct)
    rep = create_user(session, account_id=acct, email="rep@example.com", name="Rita Rep")
    first = crm.add_note(
        session, account_id=acct, body="Intro call went well", deal_id=deal.id, author=rep.id, now=now
    )
    second = crm.add_note(
        session, account_id=acct, body="Sent pricing", deal_id=deal.id, now=now + timedelta(hours=1)
    )
    crm.add_note(session, account_id=acct, body="Met at expo", contact_id=contact.id, now=now)
    assert [n.id for n in crm.list_notes(session, account_id=acct, deal_id=deal.id)] == [second.id, first.id]
    assert first.author_id == rep.id
    assert [n.body for n in crm.list_notes(session, account_id=acct, contact_id=contact.id)] == [
        "Met at expo"
    ]
    with pytest.raises(InvalidRequest, match="Note is empty"):
        crm.add_note(session, account_id=acct, body="  ", contact_id=contact.id)


# ---------------------------------------------------------------- tenant isolation


def test_account_b_cannot_read_or_change_account_a_crm(session: Session, now: datetime) -> None:
    a = make_account(session).id
    b = make_account(session).id
    crm.create_pipeline(session, account_id=a, name="Sales", stages=["Lead", "Won"])
    crm.create_pipeline(session, account_id=b, name="Mine", stages=["Lead"])
    rep_a = create_user(session, account_id=a, email="rep@a.com", name="Rep A")
    contact_a = make_contact(session, account_id=a, email="buyer@a.com")
    company_a = crm.create_crm_account(session, account_id=a, name="Acme")
    contact_b = make_contact(session, account_id=b)
    deal = crm.create_deal(session, account_id=a, title="Secret", value=1000, pipeline="Sales")
    task = crm.create_task(session, account_id=a, title="Call", deal_id=deal.id)
    pipeline_a = crm.get_pipeline(session, account_id=a, pipeline="Sales")
    attempts: list[Callable[[], Any]] = [
        lambda: crm.get_deal(session, account_id=b, deal_id=deal.id),
        lambda: crm.update_deal(session, account_id=b, deal_id=deal.id, value=1),
        lambda: crm.mark_won(session, account_id=b, deal_id=deal.id, now=now),
        lambda: crm.mark_lost(session, account_id=b, deal_id=deal.id, now=now),
        lambda: crm.get_pipeline(session, account_id=b, pipeline="Sales"),
        lambda: crm.get_pipeline(session, account_id=b, pipeline=pipeline_a.id),
        lambda: crm.add_stage(session, account_id=b, pipeline=pipeline_a.id, name="X"),
        lambda: crm.create_deal(session, account_id=b, title="X", value=1, pipeline="Sales"),
        lambda: crm.create_deal(
            session, account_id=b, title="X", value=1, pipeline="Mine", contact=contact_a.id
        ),
        lambda: crm.create_deal(
            session, account_id=b, title="X", value=1, pipeline="Mine", contact="buyer@a.com"
        ),
        lambda: crm.create_deal(session, account_id=b, title="X", value=1, pipeline="Mine", owner=rep_a.id),
        lambda: crm.create_deal(
            session, account_id=b, title="X", value=1, pipeline="Mine", crm_account="Acme"
        ),
        lambda: crm.list_deals(session, account_id=b, pipeline=pipeline_a.id),
        lambda: crm.list_deals(session, account_id=b, stage=pipeline_a.stages[0].id),
        lambda: crm.get_crm_account(session, account_id=b, crm_account=company_a.id),
        lambda: crm.link_contact_to_crm_account(
            session, account_id=b, contact_id=contact_a.id, crm_account=None
        ),
        lambda: crm.link_contact_to_crm_account(
            session, account_id=b, contact_id=contact_b.id, crm_account=company_a.id
        ),
        lambda: crm.create_task(session, account_id=b, title="X", deal_id=deal.id),
        lambda: crm.create_task(session, account_id=b, title="X", contact_id=contact_a.id),
        lambda: crm.complete_task(session, account_id=b, task_id=task.id, now=now),
        lambda: crm.list_tasks(session, account_id=b, deal_id=deal.id),
        lambda: crm.add_note(session, account_id=b, body="X", deal_id=deal.id),
        lambda: crm.list_notes(session, account_id=b, contact_id=contact_a.id),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
    assert crm.list_deals(session, account_id=b).total == 0
    assert [p.name for p in crm.list_pipelines(session, account_id=b)] == ["Mine"]
    assert crm.list_crm_accounts(session, account_id=b) == []
    assert crm.list_tasks(session, account_id=b) == []
    assert crm.get_deal(session, account_id=a, deal_id=deal.id) == deal
    assert get_contact(session, account_id=a, contact_id=contact_a.id).crm_account_id is None
    assert crm.list_tasks(session, account_id=a)[0].status == TaskStatus.OPEN
