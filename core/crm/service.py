"""CRM: companies, pipelines and stages, deals, tasks and notes.

Deal and pipeline writes need the 'deals' feature (Plus or above with the Pipelines or Sales Engagement
add-on, or Enterprise); reads stay open so a downgraded account can still see its history.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.service import find_user, get_user_row, require_feature
from core.contacts import fields as fv
from core.contacts.models import Contact
from core.contacts.schemas import UNSET, ContactOut, NotGiven
from core.contacts.service import find_contact, get_contact
from core.crm.models import CrmAccount, Deal, DealTask, Note, Pipeline, Stage
from core.crm.schemas import CrmAccountOut, DealOut, DealPage, NoteOut, PipelineOut, StageOut, TaskOut
from core.db import utcnow
from core.enums import DealStatus, TaskStatus
from core.errors import (
    Conflict,
    InvalidRequest,
    LimitExceeded,
    NotFound,
    invalid_choice,
    nearest_names,
    not_found,
)
from core.scope import get_owned, resolve

# ISO 4217 currencies a deal can be priced in (no precious metals, fund or test codes).
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
    GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
    NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS
    SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST
    XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL""".split()
)
# Minor-unit exponents that differ from the usual 2 (ISO 4217 "E" column).
_EXPONENT = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}
MAX_MINOR_UNITS = 10**15
TASK_KINDS = ("call", "email", "todo", "meeting", "lunch", "deadline")
MAX_STAGES = 50
MAX_PAGE = 100
NOTE_MAX = 20_000
_WEBSITE_RE = re.compile(r"^(https?://)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(/\S*)?$")


# ---------------------------------------------------------------- small parsers


def parse_currency(raw: str) -> str:
    """Return an ISO 4217 currency code, upper-cased."""
    code = (raw or "").strip().upper()
    if code not in CURRENCIES:
        near = nearest_names(code, CURRENCIES) if len(code) == 3 else []
        hint = (" Did you mean " + ", ".join(repr(n) for n in near) + "?") if near else ""
        raise InvalidRequest(
            f"Currency {raw!r} is not an ISO 4217 code; use a three-letter code like 'USD' or 'EUR'.{hint}",
            field="currency",
        )
    return code


def currency_exponent(currency: str) -> int:
    """Return how many decimal places ``currency`` has (JPY 0, USD 2, KWD 3)."""
    return _EXPONENT.get(currency, 2)


def to_minor_units(value: object, currency: str) -> int:
    """Convert an amount in major units ('1,250.50') to integer minor units of ``currency``."""
    not_an_amount = InvalidRequest(
        f"Deal value {value!r} is not an amount; use a number like 1500 or 1500.50 (no currency symbol).",
        field="value",
    )
    if isinstance(value, bool) or value is None:
        raise not_an_amount
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise not_an_amount from None
    if not amount.is_finite() or amount < 0:
        raise InvalidRequest(f"Deal value {value!r} must be zero or a positive amount.", field="value")
    places = currency_exponent(currency)
    minor = amount.scaleb(places)
    if minor != minor.to_integral_value():
        raise InvalidRequest(
            f"Deal value {value!r} has more decimal places than {currency} allows ({places}).", field="value"
        )
    if minor >= MAX_MINOR_UNITS:
        raise InvalidRequest(f"Deal value {value!r} is too large for a deal.", field="value")
    return int(minor)


def from_minor_units(cents: int, currency: str) -> Decimal:
    """Convert minor units back to a major-unit amount of ``currency``."""
    places = currency_exponent(currency)
    return Decimal(cents).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def _text(raw: str | None, *, field: str, max_len: int, required: bool = False) -> str | None:
    if fv.is_blank(raw):
        if required:
            raise InvalidRequest(f"{field} is empty; give it a value.", field=field.lower())
        return None
    assert raw is not None
    return fv.parse_text(raw, field=field, max_len=max_len)


def _required_text(raw: str, *, field: str, max_len: int) -> str:
    text = _text(raw, field=field, max_len=max_len, required=True)
    assert text is not None
    return text


def _gate(session: Session, account_id: int) -> None:
    require_feature(session, account_id=account_id, feature="deals")


def _page_bounds(offset: int, limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit {limit} is out of range; use 1 to {MAX_PAGE}.", field="limit")
    if offset < 0:
        raise InvalidRequest(f"offset {offset} is negative; use 0 or more.", field="offset")


# ---------------------------------------------------------------- CRM accounts (companies)


def _crm_account(session: Session, account_id: int, ref: int | str) -> CrmAccount:
    return resolve(session, CrmAccount, account_id=account_id, ref=ref, kind="CRM account")


def _crm_account_outs(session: Session, rows: Sequence[CrmAccount]) -> list[CrmAccountOut]:
    ids = [r.id for r in rows]
    counts = dict(
        session.execute(
            select(Contact.crm_account_id, func.count())
            .where(Contact.crm_account_id.in_(ids))
            .group_by(Contact.crm_account_id)
        ).all()
    )
    return [
        CrmAccountOut(
            id=r.id, name=r.name, website=r.website, industry=r.industry, employees=r.employees,
            contact_count=int(counts.get(r.id, 0)), created_at=r.created_at,
        )
        for r in rows
    ]


def create_crm_account(
    session: Session,
    *,
    account_id: int,
    name: str,
    website: str | None = None,
    industry: str | None = None,
    employees: int | None = None,
    now: datetime | None = None,
) -> CrmAccountOut:
    """Create a CRM account (a company contacts and deals belong to)."""
    clean = _required_text(name, field="CRM account name", max_len=200)
    site = _text(website, field="Website", max_len=255)
    if site is not None and not _WEBSITE_RE.match(site):
        raise InvalidRequest(
            f"Website {website!r} is not a web address; use a form like 'example.com'.", field="website"
        )
    sector = _text(industry, field="Industry", max_len=80)
    if employees is not None and (type(employees) is not int or employees < 0):
        raise InvalidRequest(f"Employees {employees!r} must be a whole number, 0 or more.", field="employees")
    existing = session.scalar(
        select(CrmAccount.name).where(
            CrmAccount.account_id == account_id, func.lower(CrmAccount.name) == clean.lower()
        )
    )
    if existing is not None:
        raise Conflict(f"A CRM account named {existing!r} already exists.", field="name")
    row = CrmAccount(
        account_id=account_id, name=clean, website=site, industry=sector, employees=employees,
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return _crm_account_outs(session, [row])[0]


def get_crm_account(session: Session, *, account_id: int, crm_account: int | str) -> CrmAccountOut:
    """Return one CRM account by id or name."""
    return _crm_account_outs(session, [_crm_account(session, account_id, crm_account)])[0]


def list_crm_accounts(session: Session, *, account_id: int) -> list[CrmAccountOut]:
    """Return the account's CRM accounts with their contact counts."""
    rows = session.scalars(
        select(CrmAccount).where(CrmAccount.account_id == account_id).order_by(func.lower(CrmAccount.name))
    ).all()
    return _crm_account_outs(session, rows)


def link_contact_to_crm_account(
    session: Session,
    *,
    account_id: int,
    contact_id: int,
    crm_account: int | str | None,
    now: datetime | None = None,
) -> ContactOut:
    """Attach a contact to a CRM account (None detaches it)."""
    contact = get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")
    target = None if crm_account is None else _crm_account(session, account_id, crm_account)
    contact.crm_account_id = None if target is None else target.id
    contact.updated_at = now or utcnow()
    session.flush()
    return get_contact(session, account_id=account_id, contact_id=contact.id)


# ---------------------------------------------------------------- pipelines and stages


def _pipeline(session: Session, account_id: int, ref: int | str) -> Pipeline:
    return resolve(session, Pipeline, account_id=account_id, ref=ref, kind="pipeline")


def _stages(session: Session, pipeline_id: int) -> list[Stage]:
    stmt = select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position, Stage.id)
    return list(session.scalars(stmt))


def _stage(session: Session, pipeline: Pipeline, ref: int | str) -> Stage:
    stages = _stages(session, pipeline.id)
    if isinstance(ref, int) or ref.strip().isdigit():
        for s in stages:
            if s.id == int(ref):
                return s
        raise NotFound(f"No stage with id {ref} in pipeline {pipeline.name!r}.", field="stage")
    for s in stages:
        if s.name.lower() == ref.strip().lower():
            return s
    near = nearest_names(ref.strip(), [s.name for s in stages])
    hint = ("Did you mean " + ", ".join(repr(n) for n in near) + "?") if near else (
        "Its stages are: " + ", ".join(repr(s.name) for s in stages) + "."
    )
    raise NotFound(f"No stage named {ref.strip()!r} in pipeline {pipeline.name!r}. {hint}", field="stage")


def _pipeline_outs(session: Session, pipelines: Sequence[Pipeline]) -> list[PipelineOut]:
    ids = [p.id for p in pipelines]
    open_counts = dict(
        session.execute(
            select(Deal.pipeline_id, func.count())
            .where(Deal.pipeline_id.in_(ids), Deal.status == DealStatus.OPEN)
            .group_by(Deal.pipeline_id)
        ).all()
    )
    return [
        PipelineOut(
            id=p.id,
            name=p.name,
            currency=p.currency,
            stages=[StageOut.model_validate(s) for s in _stages(session, p.id)],
            open_deal_count=int(open_counts.get(p.id, 0)),
        )
        for p in pipelines
    ]


def _stage_names(raw: Sequence[str]) -> list[str]:
    names: list[str] = []
    for item in raw:
        name = _required_text(item, field="Stage name", max_len=150)
        if name.lower() in (n.lower() for n in names):
            raise InvalidRequest(f"Stage {name!r} is listed twice; stage names must differ.", field="stages")
        names.append(name)
    return names


def create_pipeline(
    session: Session,
    *,
    account_id: int,
    name: str,
    stages: Sequence[str],
    currency: str = "USD",
    now: datetime | None = None,
) -> PipelineOut:
    """Create a deal pipeline with its stages in order."""
    _gate(session, account_id)
    clean = _required_text(name, field="Pipeline name", max_len=150)
    if isinstance(stages, str):
        raise InvalidRequest("stages must be a list of stage names, e.g. ['Lead', 'Qualified', 'Won'].")
    names = _stage_names(stages)
    if not names:
        raise InvalidRequest(
            "A pipeline needs at least one stage, e.g. ['Lead', 'Qualified', 'Proposal'].", field="stages"
        )
    if len(names) > MAX_STAGES:
        raise InvalidRequest(
            f"{len(names)} stages is too many; a pipeline has at most {MAX_STAGES}.", field="stages"
        )
    code = parse_currency(currency)
    existing = session.scalar(
        select(Pipeline.name).where(
            Pipeline.account_id == account_id, func.lower(Pipeline.name) == clean.lower()
        )
    )
    if existing is not None:
        raise Conflict(f"A pipeline named {existing!r} already exists.", field="name")
    pipeline = Pipeline(account_id=account_id, name=clean, currency=code, created_at=now or utcnow())
    session.add(pipeline)
    session.flush()
    session.add_all(
        Stage(account_id=account_id, pipeline_id=pipeline.id, name=n, position=i)
        for i, n in enumerate(names, 1)
    )
    session.flush()
    return _pipeline_outs(session, [pipeline])[0]


def add_stage(
    session: Session, *, account_id: int, pipeline: int | str, name: str, position: int | None = None
) -> PipelineOut:
    """Add a stage to a pipeline, at the end or at 1-based ``position``."""
    _gate(session, account_id)
    row = _pipeline(session, account_id, pipeline)
    clean = _required_text(name, field="Stage name", max_len=150)
    stages = _stages(session, row.id)
    if any(s.name.lower() == clean.lower() for s in stages):
        raise Conflict(f"Pipeline {row.name!r} already has a stage named {clean!r}.", field="name")
    if len(stages) >= MAX_STAGES:
        raise LimitExceeded(f"Pipeline {row.name!r} already has {MAX_STAGES} stages, the most allowed.")
    at = len(stages) + 1 if position is None else position
    if not 1 <= at <= len(stages) + 1:
        raise InvalidRequest(
            f"Position {position} is out of range; use 1 to {len(stages) + 1} for pipeline {row.name!r}.",
            field="position",
        )
    for i, s in enumerate(stages, 1):
        s.position = i + 1 if i >= at else i
    session.add(Stage(account_id=account_id, pipeline_id=row.id, name=clean, position=at))
    session.flush()
    return _pipeline_outs(session, [row])[0]


def get_pipeline(session: Session, *, account_id: int, pipeline: int | str) -> PipelineOut:
    """Return one pipeline by id or name, with its stages."""
    return _pipeline_outs(session, [_pipeline(session, account_id, pipeline)])[0]


def list_pipelines(session: Session, *, account_id: int) -> list[PipelineOut]:
    """Return the account's pipelines with their stages and open deal counts."""
    rows = session.scalars(
        select(Pipeline).where(Pipeline.account_id == account_id).order_by(func.lower(Pipeline.name))
    ).all()
    return _pipeline_outs(session, rows)


# ---------------------------------------------------------------- deals


_DEAL_COLUMNS = tuple(name for name in DealOut.model_fields if name not in ("value", "pipeline", "stage"))


def _deal(session: Session, account_id: int, deal_id: int) -> Deal:
    return get_owned(session, Deal, account_id=account_id, id=deal_id, kind="deal")


def _deal_outs(session: Session, deals: Sequence[Deal]) -> list[DealOut]:
    pipeline_ids = {d.pipeline_id for d in deals}
    pipelines = dict(
        session.execute(select(Pipeline.id, Pipeline.name).where(Pipeline.id.in_(pipeline_ids))).all()
    )
    stage_ids = {d.stage_id for d in deals}
    stages = dict(session.execute(select(Stage.id, Stage.name).where(Stage.id.in_(stage_ids))).all())
    return [
        DealOut(
            **{name: getattr(d, name) for name in _DEAL_COLUMNS},
            value=from_minor_units(d.value_cents, d.currency),
            pipeline=pipelines[d.pipeline_id],
            stage=stages[d.stage_id],
        )
        for d in deals
    ]


def _owner_id(session: Session, account_id: int, owner: int | str | None) -> int | None:
    """Resolve a deal or task owner given as a user id, name or email."""
    if owner is None:
        return None
    if isinstance(owner, int) or owner.strip().isdigit():
        return get_user_row(session, account_id=account_id, user_id=int(owner)).id
    return find_user(session, account_id=account_id, name_or_email=owner).id


def _contact_id(session: Session, account_id: int, contact: int | str | None) -> int | None:
    if contact is None:
        return None
    if isinstance(contact, int):
        return get_owned(session, Contact, account_id=account_id, id=contact, kind="contact").id
    return find_contact(session, account_id=account_id, ref=contact).id


def _close_date(raw: date | str | None) -> date | None:
    return None if fv.is_blank(raw) else fv.parse_date(raw, field="Forecast close date")


def create_deal(
    session: Session,
    *,
    account_id: int,
    title: str,
    value: Decimal | int | float | str,
    pipeline: int | str,
    stage: int | str | None = None,
    contact: int | str | None = None,
    crm_account: int | str | None = None,
    owner: int | str | None = None,
    source: str | None = None,
    forecast_close_date: date | str | None = None,
    currency: str | None = None,
    now: datetime | None = None,
) -> DealOut:
    """Create a deal in a pipeline stage (the first by default); ``value`` is in the pipeline currency."""
    _gate(session, account_id)
    clean = _required_text(title, field="Deal title", max_len=200)
    row = _pipeline(session, account_id, pipeline)
    if currency is not None and parse_currency(currency) != row.currency:
        raise InvalidRequest(
            f"Pipeline {row.name!r} is in {row.currency}; give the value in {row.currency} "
            f"(amounts are not converted) or use a pipeline in {parse_currency(currency)}.",
            field="currency",
        )
    cents = to_minor_units(value, row.currency)
    target = _stage(session, row, stage) if stage is not None else _stages(session, row.id)[0]
    at = now or utcnow()
    deal = Deal(
        account_id=account_id,
        pipeline_id=row.id,
        stage_id=target.id,
        title=clean,
        value_cents=cents,
        currency=row.currency,
        status=DealStatus.OPEN,
        contact_id=_contact_id(session, account_id, contact),
        crm_account_id=None if crm_account is None else _crm_account(session, account_id, crm_account).id,
        owner_id=_owner_id(session, account_id, owner),
        source=_text(source, field="Source", max_len=50),
        forecast_close_date=_close_date(forecast_close_date),
        created_at=at,
        updated_at=at,
    )
    session.add(deal)
    session.flush()
    return _deal_outs(session, [deal])[0]


def get_deal(session: Session, *, account_id: int, deal_id: int) -> DealOut:
    """Return one deal."""
    return _deal_outs(session, [_deal(session, account_id, deal_id)])[0]


def update_deal(
    session: Session,
    *,
    account_id: int,
    deal_id: int,
    title: str | NotGiven = UNSET,
    value: Decimal | int | float | str | NotGiven = UNSET,
    stage: int | str | NotGiven = UNSET,
    owner: int | str | None | NotGiven = UNSET,
    forecast_close_date: date | str | None | NotGiven = UNSET,
    contact: int | str | None | NotGiven = UNSET,
    crm_account: int | str | None | NotGiven = UNSET,
    source: str | None | NotGiven = UNSET,
    now: datetime | None = None,
) -> DealOut:
    """Change the given fields of a deal (stage, value, owner, forecast date...); None clears the optional."""
    _gate(session, account_id)
    deal = _deal(session, account_id, deal_id)
    changes: dict[str, Any] = {}
    if title is not UNSET:
        changes["title"] = _required_text(title, field="Deal title", max_len=200)
    if value is not UNSET:
        changes["value_cents"] = to_minor_units(value, deal.currency)
    if stage is not UNSET:
        pipeline = session.get(Pipeline, deal.pipeline_id)
        assert pipeline is not None
        changes["stage_id"] = _stage(session, pipeline, stage).id
    if owner is not UNSET:
        changes["owner_id"] = _owner_id(session, account_id, owner)
    if forecast_close_date is not UNSET:
        changes["forecast_close_date"] = _close_date(forecast_close_date)
    if contact is not UNSET:
        changes["contact_id"] = _contact_id(session, account_id, contact)
    if crm_account is not UNSET:
        company = None if crm_account is None else _crm_account(session, account_id, crm_account)
        changes["crm_account_id"] = None if company is None else company.id
    if source is not UNSET:
        changes["source"] = _text(source, field="Source", max_len=50)
    if not changes:
        raise InvalidRequest(
            "Nothing to change; give at least one of title, value, stage, owner, forecast_close_date."
        )
    for key, new in changes.items():
        setattr(deal, key, new)
    deal.updated_at = now or utcnow()
    session.flush()
    return _deal_outs(session, [deal])[0]


def _close(session: Session, account_id: int, deal_id: int, status: DealStatus, now: datetime) -> DealOut:
    _gate(session, account_id)
    deal = _deal(session, account_id, deal_id)
    if deal.status == status:
        when = f" on {deal.closed_at:%Y-%m-%d}" if deal.closed_at else ""
        raise Conflict(f"Deal {deal.title!r} is already marked {status.value}{when}.", field="status")
    deal.status = status
    deal.closed_at = now
    deal.updated_at = now
    session.flush()
    return _deal_outs(session, [deal])[0]


def mark_won(session: Session, *, account_id: int, deal_id: int, now: datetime) -> DealOut:
    """Mark a deal won, closed at ``now``."""
    return _close(session, account_id, deal_id, DealStatus.WON, now)


def mark_lost(session: Session, *, account_id: int, deal_id: int, now: datetime) -> DealOut:
    """Mark a deal lost, closed at ``now``."""
    return _close(session, account_id, deal_id, DealStatus.LOST, now)


def list_deals(
    session: Session,
    *,
    account_id: int,
    pipeline: int | str | None = None,
    stage: int | str | None = None,
    status: DealStatus | str | None = None,
    owner: int | str | None = None,
    offset: int = 0,
    limit: int = 25,
) -> DealPage:
    """Return deals matching the filters, a page at a time, with the total count."""
    _page_bounds(offset, limit)
    conditions: list[Any] = [Deal.account_id == account_id]
    row = None if pipeline is None else _pipeline(session, account_id, pipeline)
    if row is not None:
        conditions.append(Deal.pipeline_id == row.id)
    if stage is not None:
        conditions.append(Deal.stage_id.in_(_stage_ids(session, account_id, row, stage)))
    if status is not None:
        try:
            conditions.append(Deal.status == DealStatus(str(status).strip().lower()))
        except ValueError:
            raise invalid_choice("status", status, [s.value for s in DealStatus]) from None
    if owner is not None:
        conditions.append(Deal.owner_id == _owner_id(session, account_id, owner))
    total = session.scalar(select(func.count()).select_from(Deal).where(*conditions)) or 0
    deals = session.scalars(
        select(Deal).where(*conditions).order_by(Deal.id).offset(offset).limit(limit)
    ).all()
    return DealPage(items=_deal_outs(session, deals), total=total, offset=offset, limit=limit)


def _stage_ids(session: Session, account_id: int, pipeline: Pipeline | None, stage: int | str) -> list[int]:
    """Stage ids for a filter; without a pipeline a stage name matches that stage in every pipeline."""
    if pipeline is not None:
        return [_stage(session, pipeline, stage).id]
    if isinstance(stage, int) or stage.strip().isdigit():
        return [get_owned(session, Stage, account_id=account_id, id=int(stage), kind="stage").id]
    ids = list(
        session.scalars(
            select(Stage.id).where(
                Stage.account_id == account_id, func.lower(Stage.name) == stage.strip().lower()
            )
        )
    )
    if not ids:
        names = session.scalars(select(Stage.name).where(Stage.account_id == account_id).distinct()).all()
        raise not_found("stage", stage.strip(), names)
    return ids


# ---------------------------------------------------------------- tasks and notes


def _subject(
    session: Session, account_id: int, deal_id: int | None, contact_id: int | None, *, what: str
) -> None:
    """Check a task or note is attached to something this account owns; deal work needs the deals feature."""
    if deal_id is None and contact_id is None:
        raise InvalidRequest(f"A {what} needs a deal_id or a contact_id to belong to.", field="deal_id")
    if deal_id is not None:
        _gate(session, account_id)
        _deal(session, account_id, deal_id)
    if contact_id is not None:
        get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")


def create_task(
    session: Session,
    *,
    account_id: int,
    title: str,
    deal_id: int | None = None,
    contact_id: int | None = None,
    owner: int | str | None = None,
    kind: str = "todo",
    due_at: datetime | None = None,
    now: datetime | None = None,
) -> TaskOut:
    """Create a task on a deal or a contact."""
    clean = _required_text(title, field="Task title", max_len=200)
    task_kind = kind.strip().lower()
    if task_kind not in TASK_KINDS:
        raise invalid_choice("task kind", kind, TASK_KINDS)
    _subject(session, account_id, deal_id, contact_id, what="task")
    task = DealTask(
        account_id=account_id, deal_id=deal_id, contact_id=contact_id,
        owner_id=_owner_id(session, account_id, owner), title=clean, kind=task_kind, status=TaskStatus.OPEN,
        due_at=due_at, created_at=now or utcnow(),
    )
    session.add(task)
    session.flush()
    return TaskOut.model_validate(task)


def complete_task(session: Session, *, account_id: int, task_id: int, now: datetime) -> TaskOut:
    """Mark a task done at ``now``."""
    task = get_owned(session, DealTask, account_id=account_id, id=task_id, kind="task")
    if task.status == TaskStatus.DONE:
        raise Conflict(f"Task {task.title!r} is already done.", field="status")
    task.status = TaskStatus.DONE
    task.completed_at = now
    session.flush()
    return TaskOut.model_validate(task)


def list_tasks(
    session: Session,
    *,
    account_id: int,
    deal_id: int | None = None,
    contact_id: int | None = None,
    status: TaskStatus | str | None = None,
) -> list[TaskOut]:
    """Return tasks of a deal or contact (or all of the account's), soonest due first."""
    conditions: list[Any] = [DealTask.account_id == account_id]
    if deal_id is not None:
        conditions.append(DealTask.deal_id == _deal(session, account_id, deal_id).id)
    if contact_id is not None:
        get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")
        conditions.append(DealTask.contact_id == contact_id)
    if status is not None:
        try:
            conditions.append(DealTask.status == TaskStatus(status))
        except ValueError:
            raise invalid_choice("status", status, [s.value for s in TaskStatus]) from None
    rows = session.scalars(
        select(DealTask).where(*conditions).order_by(DealTask.due_at.is_(None), DealTask.due_at, DealTask.id)
    ).all()
    return [TaskOut.model_validate(t) for t in rows]


def add_note(
    session: Session,
    *,
    account_id: int,
    body: str,
    deal_id: int | None = None,
    contact_id: int | None = None,
    author: int | str | None = None,
    now: datetime | None = None,
) -> NoteOut:
    """Add a note to a deal or a contact."""
    text = _required_text(body, field="Note", max_len=NOTE_MAX)
    _subject(session, account_id, deal_id, contact_id, what="note")
    note = Note(
        account_id=account_id, deal_id=deal_id, contact_id=contact_id,
        author_id=_owner_id(session, account_id, author), body=text, created_at=now or utcnow(),
    )
    session.add(note)
    session.flush()
    return NoteOut.model_validate(note)


def list_notes(
    session: Session,
    *,
    account_id: int,
    deal_id: int | None = None,
    contact_id: int | None = None,
    limit: int = 50,
) -> list[NoteOut]:
    """Return the newest notes of a deal or a contact (or of the whole account)."""
    _page_bounds(0, limit)
    conditions: list[Any] = [Note.account_id == account_id]
    if deal_id is not None:
        conditions.append(Note.deal_id == _deal(session, account_id, deal_id).id)
    if contact_id is not None:
        get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")
        conditions.append(Note.contact_id == contact_id)
    rows = session.scalars(
        select(Note).where(*conditions).order_by(Note.created_at.desc(), Note.id.desc()).limit(limit)
    ).all()
    return [NoteOut.model_validate(n) for n in rows]
