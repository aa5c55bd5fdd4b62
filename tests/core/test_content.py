"""Brand kits, saved responses, forms with submissions, and business goals."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.contacts.models import Contact, MailingList, Tag
from core.content import service as content
from core.content.models import BrandKit, BusinessGoal, Form, FormSubmission, SavedResponse
from core.errors import Conflict, InvalidRequest, LimitExceeded, NotFound
from core.tracking import service as tracking


def _account(session: Session, plan: str = "plus", name: str = "Acme") -> int:
    return accounts.create_account(session, name=name, plan=plan).id


def _count(session: Session, model: Any, aid: int) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.account_id == aid)) or 0


# ---------------------------------------------------------------- brand kits


def test_first_brand_kit_is_primary_and_primary_moves(session: Session, now: datetime) -> None:
    aid = _account(session)
    first = content.create_brand_kit(
        session,
        account_id=aid,
        name="Acme",
        now=now,
        website="acme.com",
        colors=["#1a73e8", "#FFF", "#1A73E8"],
        fonts=["Inter", "Inter"],
        tone="Warm",
    )
    assert first.is_primary and first.website == "https://acme.com"
    assert first.colors == ["#1A73E8", "#FFF"] and first.fonts == ["Inter"]
    second = content.create_brand_kit(
        session, account_id=aid, name="Acme Kids", now=now + timedelta(minutes=1)
    )
    third = content.create_brand_kit(session, account_id=aid, name="Acme Pro", now=now + timedelta(minutes=2))
    assert not second.is_primary
    content.set_primary_brand_kit(session, account_id=aid, brand_kit_id=third.id)
    kits = content.list_brand_kits(session, account_id=aid)
    assert [k.name for k in kits if k.is_primary] == ["Acme Pro"] and kits[0].name == "Acme Pro"
    remaining = content.delete_brand_kit(session, account_id=aid, brand_kit_id=third.id)
    # Deleting the primary promotes the oldest remaining kit, so there is always exactly one.
    assert [k.name for k in remaining if k.is_primary] == ["Acme"]
    assert content.get_primary_brand_kit(session, account_id=aid).id == first.id  # type: ignore[union-attr]
    content.delete_brand_kit(session, account_id=aid, brand_kit_id=first.id)
    content.delete_brand_kit(session, account_id=aid, brand_kit_id=second.id)
    assert content.get_primary_brand_kit(session, account_id=aid) is None


def test_brand_kit_limits_by_plan(session: Session, now: datetime) -> None:
    starter = _account(session, plan="starter", name="Small")
    content.create_brand_kit(session, account_id=starter, name="Only", now=now)
    with pytest.raises(LimitExceeded, match="Starter plan includes 1 brand kit") as err:
        content.create_brand_kit(session, account_id=starter, name="Second", now=now)
    assert err.value.field == "brand_kit_limit" and "Plus" in str(err.value)
    plus = _account(session)
    for i in range(5):
        content.create_brand_kit(session, account_id=plus, name=f"Brand {i}", now=now)
    with pytest.raises(LimitExceeded, match="brand kit limit: 5"):
        content.create_brand_kit(session, account_id=plus, name="Brand 6", now=now)
    assert _count(session, BrandKit, plus) == 5 and _count(session, BrandKit, starter) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"name": " "}, InvalidRequest, "empty"),
        ({"colors": ["blue"]}, InvalidRequest, "HEX code"),
        ({"website": "not a site"}, InvalidRequest, "acme.com"),
        ({"logo_url": "ftp://acme.com/logo.png"}, InvalidRequest, "web address"),
        ({"fonts": ["x" * 61]}, InvalidRequest, "60 characters"),
    ],
    ids=["name", "color", "website", "logo", "font"],
)
def test_bad_brand_kit_input(
    session: Session, now: datetime, kwargs: dict[str, Any], error: type[Exception], fragment: str
) -> None:
    aid = _account(session)
    args: dict[str, Any] = {"name": "Acme", **kwargs}
    with pytest.raises(error, match=fragment):
        content.create_brand_kit(session, account_id=aid, now=now, **args)
    assert _count(session, BrandKit, aid) == 0


def test_brand_kit_update_and_names(session: Session, now: datetime) -> None:
    aid = _account(session)
    kit = content.create_brand_kit(session, account_id=aid, name="Acme", now=now, tone="Warm")
    content.create_brand_kit(session, account_id=aid, name="Other", now=now)
    with pytest.raises(Conflict, match="already exists"):
        content.update_brand_kit(session, account_id=aid, brand_kit_id=kit.id, name="OTHER")
    out = content.update_brand_kit(
        session, account_id=aid, brand_kit_id=kit.id, tone=None, colors=["#000000"]
    )
    assert out.tone is None and out.colors == ["#000000"] and out.name == "Acme"
    with pytest.raises(InvalidRequest):
        content.update_brand_kit(session, account_id=aid, brand_kit_id=kit.id, colors=["#00"], tone="Bold")
    assert content.get_brand_kit(session, account_id=aid, brand_kit_id=kit.id).tone is None
    assert content.find_brand_kit(session, account_id=aid, name="acme").id == kit.id


# ---------------------------------------------------------------- saved responses


def test_saved_responses_with_categories_and_search(session: Session, now: datetime) -> None:
    aid = _account(session)
    sales = content.create_saved_response_category(session, account_id=aid, name="Sales")
    content.create_saved_response_category(session, account_id=aid, name="Support")
    with pytest.raises(Conflict):
        content.create_saved_response_category(session, account_id=aid, name="sales")
    demo = content.create_saved_response(
        session,
        account_id=aid,
        title="Demo follow-up",
        now=now,
        subject="Thanks, %FIRSTNAME%",
        body="Great talking today.",
        category="sales",
    )
    assert demo.category == "Sales" and demo.category_id == sales.id
    content.create_saved_response(
        session,
        account_id=aid,
        title="Refund",
        body="Your 100% refund is on its way.",
        now=now,
        category="Support",
    )
    content.create_saved_response(session, account_id=aid, title="Hello", body="Hi there", now=now)
    assert [r.title for r in content.list_saved_responses(session, account_id=aid, category="Sales")] == [
        "Demo follow-up"
    ]
    assert len(content.list_saved_responses(session, account_id=aid)) == 3
    assert [r.title for r in content.search_saved_responses(session, account_id=aid, text="TALKING")] == [
        "Demo follow-up"
    ]
    # '%' is matched literally, not as a wildcard.
    assert [r.title for r in content.search_saved_responses(session, account_id=aid, text="100%")] == [
        "Refund"
    ]
    assert content.search_saved_responses(session, account_id=aid, text="thanks")[0].title == "Demo follow-up"
    moved = content.update_saved_response(session, account_id=aid, saved_response_id=demo.id, category=None)
    assert moved.category is None
    with pytest.raises(NotFound, match="Did you mean 'Sales'"):
        content.list_saved_responses(session, account_id=aid, category="Sale")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"body": '<p>Hi</p><img src="https://acme.com/a.png">'}, "cannot include images"),
        ({"body": "See ![logo](https://acme.com/a.png)"}, "cannot include images"),
        ({"body": "   "}, "no message"),
        ({"title": ""}, "empty"),
    ],
    ids=["html-image", "markdown-image", "empty-body", "empty-title"],
)
def test_bad_saved_response(session: Session, now: datetime, kwargs: dict[str, Any], fragment: str) -> None:
    aid = _account(session)
    args: dict[str, Any] = {"title": "T", "body": "B", **kwargs}
    with pytest.raises(InvalidRequest, match=fragment):
        content.create_saved_response(session, account_id=aid, now=now, **args)
    assert _count(session, SavedResponse, aid) == 0


# ---------------------------------------------------------------- forms

FIELDS: list[dict[str, Any]] = [
    {"name": "email", "type": "email", "required": True},
    {"name": "First name", "required": True},
    {"name": "size", "type": "dropdown", "options": ["Small", "Large"]},
    {"name": "consent", "type": "checkbox", "required": True},
    {"name": "phone", "type": "phone"},
]


def _form(session: Session, aid: int, now: datetime, **kwargs: Any) -> Any:
    session.add_all([MailingList(account_id=aid, name="Newsletter"), Tag(account_id=aid, name="webinar")])
    session.flush()
    return content.create_form(
        session,
        account_id=aid,
        name="Webinar signup",
        fields=FIELDS,
        now=now,
        list="newsletter",
        tag="Webinar",
        **kwargs,
    )


def test_create_form_and_record_submissions(session: Session, now: datetime) -> None:
    aid = _account(session)
    form = _form(session, aid, now)
    assert [f.name for f in form.fields] == ["email", "first_name", "size", "consent", "phone"]
    assert (
        form.fields[1].label == "First name" and form.list_name == "Newsletter" and form.tag_name == "webinar"
    )
    jane = Contact(account_id=aid, email="jane@example.com")
    session.add(jane)
    session.flush()
    sub = content.record_submission(
        session,
        account_id=aid,
        form_id=form.id,
        now=now,
        data={
            "Email": "Jane@Example.com",
            "first_name": "Jane",
            "size": "large",
            "consent": "yes",
            "phone": "+1 415 555 0123",
        },
    )
    assert sub.contact_id == jane.id and sub.data["size"] == "Large" and sub.data["phone"] == "+14155550123"
    assert sub.data["consent"] == "true" and sub.list_id == form.list_id and sub.tag_id == form.tag_id
    anon = content.record_submission(
        session,
        account_id=aid,
        form_id=form.id,
        now=now,
        data={"email": "new@example.com", "first_name": "Neo", "consent": True},
    )
    assert anon.contact_id is None
    content.record_form_view(session, account_id=aid, form_id=form.id)
    out = content.get_form(session, account_id=aid, form_id=form.id)
    assert out.views == 1 and out.submissions == 2


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"first_name": "Jane", "consent": True}, "Required field 'email' is empty"),
        ({"email": "jane@example.com", "consent": True}, "'first_name'"),
        ({"email": "jane@example.com", "first_name": "J", "consent": "no"}, "must be checked"),
        ({"email": "jane@", "first_name": "J", "consent": True}, "not a valid address"),
        (
            {"email": "jane@example.com", "first_name": "J", "consent": True, "size": "Huge"},
            "'Small', 'Large'",
        ),
        ({"email": "jane@example.com", "first_name": "J", "consent": True, "age": 3}, "its fields are"),
        ({"email": "jane@example.com", "first_name": "J", "consent": "maybe"}, "true or false"),
    ],
    ids=["no-email", "no-name", "unchecked", "bad-email", "bad-option", "unknown-field", "bad-checkbox"],
)
def test_bad_submissions_are_refused(
    session: Session, now: datetime, data: dict[str, Any], fragment: str
) -> None:
    aid = _account(session)
    form = _form(session, aid, now)
    with pytest.raises(InvalidRequest, match=fragment):
        content.record_submission(session, account_id=aid, form_id=form.id, data=data, now=now)
    assert _count(session, FormSubmission, aid) == 0


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ([{"name": "first_name"}], "required field named 'email'"),
        ([{"name": "email", "type": "email"}], "required field named 'email'"),
        ([*FIELDS[:1], {"name": "size", "type": "dropdown"}], "needs options"),
        ([*FIELDS[:1], {"name": "age", "options": ["1"]}], "Only dropdown"),
        ([*FIELDS[:1], {"name": "9lives"}], "field 2 name"),
        ([*FIELDS[:1], {"name": "x", "type": "signature"}], "field 2 type"),
        ([*FIELDS[:1], {"name": "Email", "type": "email"}], "appears twice"),
    ],
    ids=["no-email", "email-optional", "dropdown", "options", "name", "type", "duplicate"],
)
def test_bad_forms(session: Session, now: datetime, fields: list[dict[str, Any]], fragment: str) -> None:
    aid = _account(session)
    with pytest.raises(InvalidRequest, match=fragment):
        content.create_form(session, account_id=aid, name="F", fields=fields, now=now)
    with pytest.raises(NotFound, match="No list named 'Nope'"):
        content.create_form(session, account_id=aid, name="F", fields=FIELDS, now=now, list="Nope")
    assert _count(session, Form, aid) == 0


def test_submission_identifies_the_visitor(session: Session, now: datetime) -> None:
    aid = _account(session)
    form = _form(session, aid, now)
    tracking.add_tracked_domain(session, account_id=aid, domain="acme.com", now=now)
    tracking.record_page_visit(
        session,
        account_id=aid,
        url="https://acme.com/pricing",
        visitor_id="v-1",
        visited_at=now - timedelta(days=2),
    )
    jane = Contact(account_id=aid, email="jane@example.com")
    session.add(jane)
    session.flush()
    sub = content.record_submission(
        session,
        account_id=aid,
        form_id=form.id,
        now=now,
        visitor_id="v-1",
        data={"email": "jane@example.com", "first_name": "Jane", "consent": "on"},
    )
    assert sub.visits_identified == 1
    assert (
        tracking.list_page_visits(session, account_id=aid, contact_id=jane.id)[0].url
        == "https://acme.com/pricing"
    )


# ---------------------------------------------------------------- business goals


def test_business_goals(session: Session, now: datetime) -> None:
    aid = _account(session)
    goal = content.create_business_goal(
        session,
        account_id=aid,
        name="Q3 revenue",
        metric="Revenue",
        target="50,000",
        period="quarter",
        now=now,
    )
    assert goal.metric == "revenue" and goal.target == Decimal("50000") and goal.period == "quarter"
    content.create_business_goal(
        session, account_id=aid, name="Opens", metric="open_rate", target=25, now=now
    )
    assert [g.name for g in content.list_business_goals(session, account_id=aid)] == ["Q3 revenue", "Opens"]
    content.delete_business_goal(session, account_id=aid, goal_id=goal.id)
    assert [g.name for g in content.list_business_goals(session, account_id=aid)] == ["Opens"]


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"metric": "happiness"}, InvalidRequest, "'revenue'"),
        ({"period": "decade"}, InvalidRequest, "'quarter'"),
        ({"target": 0}, InvalidRequest, "greater than 0"),
        ({"target": -5}, InvalidRequest, "greater than 0"),
        ({"target": "lots"}, InvalidRequest, "not a number"),
        ({"metric": "click_rate", "target": 150}, InvalidRequest, "at most 100"),
        ({"name": "Existing"}, Conflict, "already exists"),
    ],
    ids=["metric", "period", "zero", "negative", "text", "rate", "duplicate"],
)
def test_bad_business_goals(
    session: Session, now: datetime, kwargs: dict[str, Any], error: type[Exception], fragment: str
) -> None:
    aid = _account(session)
    content.create_business_goal(
        session, account_id=aid, name="Existing", metric="orders", target=10, now=now
    )
    args: dict[str, Any] = {"name": "G", "metric": "orders", "target": 100, **kwargs}
    with pytest.raises(error, match=fragment):
        content.create_business_goal(session, account_id=aid, now=now, **args)
    assert _count(session, BusinessGoal, aid) == 1


# ---------------------------------------------------------------- tenant isolation


def test_tenant_isolation(session: Session, now: datetime) -> None:
    a = _account(session, name="A")
    b = _account(session, name="B")
    kit = content.create_brand_kit(session, account_id=a, name="Acme", now=now)
    category = content.create_saved_response_category(session, account_id=a, name="Sales")
    response = content.create_saved_response(session, account_id=a, title="Hi", body="Hello", now=now)
    form = _form(session, a, now)
    goal = content.create_business_goal(session, account_id=a, name="G", metric="orders", target=5, now=now)
    calls = [
        lambda: content.get_brand_kit(session, account_id=b, brand_kit_id=kit.id),
        lambda: content.update_brand_kit(session, account_id=b, brand_kit_id=kit.id, name="Mine"),
        lambda: content.set_primary_brand_kit(session, account_id=b, brand_kit_id=kit.id),
        lambda: content.delete_brand_kit(session, account_id=b, brand_kit_id=kit.id),
        lambda: content.update_saved_response(session, account_id=b, saved_response_id=response.id, body="x"),
        lambda: content.delete_saved_response(session, account_id=b, saved_response_id=response.id),
        lambda: content.create_saved_response(
            session, account_id=b, title="T", body="B", now=now, category=category.id
        ),
        lambda: content.get_form(session, account_id=b, form_id=form.id),
        lambda: content.record_submission(
            session, account_id=b, form_id=form.id, now=now, data={"email": "x@example.com"}
        ),
        lambda: content.record_form_view(session, account_id=b, form_id=form.id),
        lambda: content.get_business_goal(session, account_id=b, goal_id=goal.id),
        lambda: content.delete_business_goal(session, account_id=b, goal_id=goal.id),
        lambda: content.create_form(
            session, account_id=b, name="F", fields=FIELDS, now=now, list=form.list_id
        ),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert content.list_brand_kits(session, account_id=b) == []
    assert content.list_saved_responses(session, account_id=b) == []
    assert content.search_saved_responses(session, account_id=b, text="hello") == []
    assert (
        content.list_forms(session, account_id=b) == []
        and content.list_business_goals(session, account_id=b) == []
    )
    # B's first kit is B's primary; A's primary is untouched.
    assert content.create_brand_kit(session, account_id=b, name="Acme", now=now).is_primary
    assert content.get_brand_kit(session, account_id=a, brand_kit_id=kit.id).is_primary
