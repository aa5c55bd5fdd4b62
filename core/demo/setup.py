"""The small, hand-made part of the demo account: settings, users, lists, fields, tags, content, CRM."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy.orm import Session

from core.accounts.service import create_account, create_user
from core.automations.builder import build_automation
from core.automations.models import Automation, ScoreDefinition
from core.contacts.fields import personalization_tag
from core.contacts.models import CustomField, MailingList, Tag
from core.content.models import BrandKit, BusinessGoal, Form, SavedResponse, SavedResponseCategory
from core.crm.models import CrmAccount, Pipeline, Stage
from core.demo import content
from core.enums import AddOn, AutomationStatus, FieldType, Plan, ScoreTarget
from core.tracking.models import TrackedDomain

# (key, name, description, allows_sms)
LISTS = [
    ("newsletter", "Newsletter", "Monthly stories, tips and new arrivals.", False),
    ("promotions", "Promotions", "Sales, discounts and limited offers.", False),
    ("arrivals", "New Arrivals", "First look at new products.", False),
    ("vip", "VIP Club", "Early access and perks for our best customers.", False),
    ("sms", "SMS Subscribers", "Text alerts for flash sales (SMS consent required).", True),
]
LIST_KEYS = [key for key, *_ in LISTS]

# (name, type, options)
FIELDS = [
    ("Favorite Product", FieldType.TEXT, []),
    ("Notes", FieldType.TEXTAREA, []),
    ("Birthday", FieldType.DATE, []),
    ("Clothing Size", FieldType.DROPDOWN, ["XS", "S", "M", "L", "XL"]),
    ("Loyalty Points", FieldType.NUMBER, []),
    ("Support Language", FieldType.LANGUAGE, []),
]
BASE_TAGS = ["VIP", "Customer", "Lead", "Wholesale Prospect", "Newsletter Signup"]

PIPELINES = [
    ("Wholesale", ["Lead", "Qualified", "Demo/Meeting", "Proposal", "Negotiation"]),
    ("Corporate Gifts", ["Inquiry", "Qualified", "Sample Sent", "Proposal", "Negotiation"]),
]


@dataclass
class Setup:
    """Ids of the rows the bulk phases refer to."""

    account_id: int
    domain: str
    store: str
    admin_id: int
    sales_user_ids: list[int]
    list_ids: dict[str, int]
    field_ids: dict[str, int]
    tag_ids: dict[str, int]
    form_id: int
    engagement_score_id: int
    deal_score_id: int
    pipeline_ids: list[int]
    stage_ids: list[list[int]]
    company_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    company_names: list[str] = field(default_factory=list)


def store_domain(name: str) -> str:
    """Derive the store's (reserved, never routable) web domain from the account name."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "store"
    return f"{slug[:40]}.example"


def _engagement_tree(action: str, days: int) -> dict[str, object]:
    cond = {"type": "engagement", "action": action, "op": "has", "period": {"last_days": days}}
    return {"version": 1, "root": {"type": "group", "match": "all", "conditions": [cond]}}


def build_setup(session: Session, *, name: str, now: datetime, start: datetime) -> Setup:
    """Create the account and every small table; flush only (the caller owns the transaction)."""
    account = create_account(
        session,
        name=name,
        plan=Plan.PRO,
        addons=[AddOn.PIPELINES.value, AddOn.SALES_ENGAGEMENT.value, AddOn.SMS.value],
        industry="E-Commerce/Retail",
        timezone="America/New_York",
        botsense_enabled=True,
        monthly_activity_limit=10_000,
    )
    aid = account.id
    domain = store_domain(name)
    opened = start - timedelta(days=760)
    users = []
    for full, handle, role, billing in content.USERS:
        users.append(
            create_user(
                session,
                account_id=aid,
                email=f"{handle}@{domain}",
                name=full,
                role=role,
                can_manage_billing=billing,
            )
        )

    lists = {}
    for key, lname, desc, sms in LISTS:
        row = MailingList(account_id=aid, name=lname, description=desc, allows_sms=sms, created_at=opened)
        session.add(row)
        lists[key] = row
    fields = {}
    for fname, ftype, options in FIELDS:
        row = CustomField(
            account_id=aid,
            name=fname,
            tag=personalization_tag(fname),
            type=ftype,
            options=options,
            created_at=opened,
        )
        session.add(row)
        fields[fname] = row
    tags = {}
    for tname in BASE_TAGS + content.INTERESTS:
        row = Tag(account_id=aid, name=tname, created_at=opened)
        session.add(row)
        tags[tname] = row
    session.add(TrackedDomain(account_id=aid, domain=domain, created_at=opened))
    session.add(
        BrandKit(
            account_id=aid,
            name=f"{name} brand",
            is_primary=True,
            website=f"https://{domain}",
            logo_url=f"https://{domain}/assets/logo.png",
            colors=["#1F3A5F", "#F2A541", "#FFFFFF"],
            fonts=["Poppins", "Lora"],
            tone="warm, upbeat, concise",
            description=f"{name} sells thoughtfully made gear for active, cosy lives. We sound like a friend "
            "who knows the products: helpful, never pushy.",
            created_at=opened,
        )
    )
    session.flush()

    for category, responses in content.SAVED_RESPONSES.items():
        cat = SavedResponseCategory(account_id=aid, name=category)
        session.add(cat)
        session.flush()
        for title, subject, body in responses:
            session.add(
                SavedResponse(
                    account_id=aid,
                    category_id=cat.id,
                    title=title,
                    subject=subject,
                    body=body.replace("Demo Store", name),
                    created_at=opened,
                )
            )
    form = Form(
        account_id=aid,
        name="Newsletter signup",
        fields=[
            {"name": "email", "label": "Email", "required": True},
            {"name": "first_name", "label": "First name", "required": False},
            {"name": "interest", "label": "What are you into?", "required": False},
        ],
        list_id=lists["newsletter"].id,
        tag_id=tags["Newsletter Signup"].id,
        created_at=opened,
    )
    session.add(form)
    session.add(
        BusinessGoal(
            account_id=aid,
            name="Monthly email revenue",
            metric="revenue",
            target=Decimal("25000"),
            period="month",
            description="Revenue attributed to email campaigns each month.",
            created_at=start,
        )
    )
    session.add(
        BusinessGoal(
            account_id=aid,
            name="Open rate",
            metric="open_rate",
            target=Decimal("0.40"),
            period="month",
            description="Keep the monthly open rate at or above 40%.",
            created_at=start,
        )
    )
    # Automations go through the builder, so their triggers and steps are valid and their emails are real
    # (inactive) drafts; the welcome series has been running for months, the cart reminder is still off.
    session.flush()
    welcome = build_automation(
        session,
        account_id=aid,
        now=opened,
        spec={
            "kind": "welcome",
            "name": "Welcome series",
            "emails": 2,
            "delay_amount": 3,
            "delay_unit": "days",
            "trigger": {"list": lists["newsletter"].id},
        },
    )
    running = session.get(Automation, welcome.automation.id)
    assert running is not None
    running.status = AutomationStatus.ACTIVE
    build_automation(
        session,
        account_id=aid,
        now=start,
        spec={"kind": "abandoned_cart", "name": "Abandoned cart reminder", "emails": 1},
    )
    engagement = ScoreDefinition(
        account_id=aid,
        name="Engagement",
        target=ScoreTarget.CONTACT,
        rules=[
            {"condition": _engagement_tree("open", 30), "points": 5, "expires_days": 30},
            {"condition": _engagement_tree("click", 30), "points": 10, "expires_days": 30},
            {
                "condition": {
                    "version": 1,
                    "root": {
                        "type": "group",
                        "match": "all",
                        "conditions": [{"type": "purchase", "op": "has", "period": {"last_days": 90}}],
                    },
                },
                "points": 20,
                "expires_days": 90,
            },
        ],
        created_at=start,
    )
    session.add(engagement)

    pipelines, stages = [], []
    for pname, stage_names in PIPELINES:
        pipe = Pipeline(account_id=aid, name=pname, currency="USD", created_at=opened)
        session.add(pipe)
        session.flush()
        rows = [
            Stage(account_id=aid, pipeline_id=pipe.id, name=s, position=i) for i, s in enumerate(stage_names)
        ]
        session.add_all(rows)
        session.flush()
        pipelines.append(pipe.id)
        stages.append([r.id for r in rows])
    deal_score = ScoreDefinition(
        account_id=aid,
        name="Deal health",
        target=ScoreTarget.DEAL,
        pipeline_id=pipelines[0],
        rules=[
            {
                "condition": {
                    "version": 1,
                    "root": {
                        "type": "group",
                        "match": "all",
                        "conditions": [{"type": "deal", "field": "value", "op": "gte", "value": 10000}],
                    },
                },
                "points": 15,
                "expires_days": None,
            },
            {
                "condition": {
                    "version": 1,
                    "root": {
                        "type": "group",
                        "match": "all",
                        "conditions": [{"type": "deal", "field": "source", "op": "is", "value": "referral"}],
                    },
                },
                "points": 10,
                "expires_days": None,
            },
        ],
        created_at=start,
    )
    session.add(deal_score)
    session.flush()
    return Setup(
        account_id=aid,
        domain=domain,
        store=name,
        admin_id=users[0].id,
        sales_user_ids=[u.id for u in users[1:]],
        list_ids={k: v.id for k, v in lists.items()},
        field_ids={k: v.id for k, v in fields.items()},
        tag_ids={k: v.id for k, v in tags.items()},
        form_id=form.id,
        engagement_score_id=engagement.id,
        deal_score_id=deal_score.id,
        pipeline_ids=pipelines,
        stage_ids=stages,
    )


def add_companies(
    session: Session, setup: Setup, rng: np.random.Generator, *, count: int, created: list[datetime]
) -> None:
    """Create ``count`` CRM companies with unique names."""
    names: list[str] = []
    seen: set[str] = set()
    a, b = content.COMPANY_WORDS_A, content.COMPANY_WORDS_B
    while len(names) < count:
        base = f"{a[rng.integers(len(a))]} {b[rng.integers(len(b))]}"
        cand = base
        k = 2
        while cand.lower() in seen:
            cand = f"{base} {['North', 'South', 'East', 'West', 'Central'][k % 5]}"
            cand = cand if cand.lower() not in seen else f"{base} {k}"
            k += 1
        seen.add(cand.lower())
        names.append(cand)
    rows = []
    for i, cname in enumerate(names):
        slug = re.sub(r"[^a-z0-9]+", "", cname.lower())
        rows.append(
            CrmAccount(
                account_id=setup.account_id,
                name=cname,
                website=f"https://{slug}.example",
                industry=content.COMPANY_INDUSTRIES[int(rng.integers(len(content.COMPANY_INDUSTRIES)))],
                employees=int(rng.lognormal(3.2, 1.0)) + 2,
                created_at=created[i],
            )
        )
    session.add_all(rows)
    session.flush()
    setup.company_ids = np.array([r.id for r in rows], dtype=np.int64)
    setup.company_names = names
