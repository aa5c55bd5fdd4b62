"""Building whole email automations: draft emails, trigger, steps, descriptions, validation, tenancy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.automations import builder
from core.automations import service as automations
from core.automations.builder import build_automation, describe_automation, describe_saved_automation
from core.automations.models import Automation
from core.campaigns import service as campaigns
from core.campaigns.models import Campaign
from core.contacts import service as contacts
from core.content import service as content
from core.content.spam_check import spam_check
from core.enums import AutomationStatus, CampaignStatus, FieldType
from core.errors import Conflict, FeatureUnavailable, InvalidRequest, NotFound


def _account(session: Session, name: str = "Acme", plan: str = "plus") -> int:
    return accounts.create_account(session, name=name, plan=plan).id


def _count(session: Session, model: Any, aid: int) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.account_id == aid)) or 0


def _nothing_written(session: Session, aid: int) -> None:
    assert _count(session, Campaign, aid) == 0 and _count(session, Automation, aid) == 0


def _types(steps: list[Any]) -> list[str]:
    return [st.type for st in steps]


def test_welcome_series_with_the_only_list(session: Session, now: datetime) -> None:
    aid = _account(session)
    newsletter = contacts.create_list(session, account_id=aid, name="Newsletter").id
    content.create_brand_kit(
        session, account_id=aid, name="Acme", now=now, website="https://acme.example.com"
    )
    built = build_automation(session, account_id=aid, spec={"kind": "welcome"}, now=now)

    auto = built.automation
    assert auto.name == "Welcome series" and auto.status is AutomationStatus.INACTIVE
    assert auto.trigger.type == "subscribes_to_list" and auto.trigger.list == newsletter  # type: ignore[union-attr]
    assert _types(auto.steps) == ["send_email", "wait", "send_email", "wait", "send_email"]
    waits = [st for st in auto.steps if st.type == "wait"]
    assert all(w.amount == 2 and w.unit == "days" for w in waits)  # type: ignore[union-attr]
    assert [c.name for c in built.campaigns] == [f"Welcome series — Email {k}" for k in (1, 2, 3)]
    sends = [st.campaign for st in auto.steps if st.type == "send_email"]  # type: ignore[union-attr]
    assert sends == [c.id for c in built.campaigns]
    for c in built.campaigns:
        assert c.status is CampaignStatus.DRAFT and c.subject and c.preheader and c.blocks and c.layout
        assert c.brand_kit_id is not None and c.from_name == "Acme"
        assert spam_check(c.subject, c.preheader, c.blocks).verdict == "good"
        button = next(b for b in c.blocks if b.type == "button")
        assert button.url == "https://acme.example.com"  # type: ignore[union-attr]
    # The emails make sense in order: a welcome, then tips, then an offer.
    headings = [next(b.text for b in c.blocks if b.type == "heading").lower() for c in built.campaigns]  # type: ignore[union-attr]
    assert any(w in headings[0] for w in ("welcome", "glad", "you're in"))
    assert built.campaigns[0].subject != built.campaigns[1].subject != built.campaigns[2].subject
    assert built.description == (
        "When someone subscribes to 'Newsletter': send 'Welcome series — Email 1', wait 2 days, "
        "send 'Welcome series — Email 2', wait 2 days, send 'Welcome series — Email 3'."
    )
    assert describe_automation(built) == "Welcome series (inactive). " + built.description
    assert auto.description == built.description
    assert describe_saved_automation(session, account_id=aid, automation_id=auto.id) == describe_automation(
        built
    )


def test_count_delay_trigger_and_copy_settings_are_honoured(session: Session, now: datetime) -> None:
    aid = _account(session)
    contacts.create_list(session, account_id=aid, name="Newsletter")
    contacts.create_list(session, account_id=aid, name="Customers")
    spec = {
        "kind": "lead_nurture",
        "name": "Trial nurture",
        "emails": 4,
        "delay_amount": 1,
        "delay_unit": "week",
        "trigger": {"list": "customers"},
        "topic": "our project planning app",
        "tone": "Professional",
        "length": "short",
        "offer": "30% off",
        "cta_url": "https://app.example.com/start",
    }
    built = build_automation(session, account_id=aid, spec=spec, now=now)
    auto = built.automation
    assert _types(auto.steps) == ["send_email", "wait"] * 3 + ["send_email"]
    assert {(st.amount, st.unit) for st in auto.steps if st.type == "wait"} == {(1, "weeks")}  # type: ignore[union-attr]
    assert "subscribes to 'Customers'" in built.description and len(built.campaigns) == 4
    texts = [" ".join(getattr(b, "text", "") or "" for b in c.blocks) for c in built.campaigns]
    assert all("project planning app" in t for t in texts[:3])
    assert any("30% off" in t for t in texts)  # the offer goes to the offer email
    assert all(
        next(b for b in c.blocks if b.type == "button").url == spec["cta_url"] for c in built.campaigns
    )  # type: ignore[union-attr]


def test_win_back_branches_on_opens_and_uses_the_lapsed_tag(session: Session, now: datetime) -> None:
    aid = _account(session)
    contacts.create_tag(session, account_id=aid, name="VIP")
    contacts.create_tag(session, account_id=aid, name="Lapsed customer")
    built = build_automation(session, account_id=aid, spec={"kind": "win-back"}, now=now)
    auto = built.automation
    assert auto.trigger.type == "tag_added" and auto.trigger.tag == "Lapsed customer"  # type: ignore[union-attr]
    ids = [c.id for c in built.campaigns]
    assert _types(auto.steps) == ["send_email", "wait", "if_else"]
    first_branch = auto.steps[2]
    assert first_branch.yes == [] and _types(first_branch.no) == ["send_email", "wait", "if_else"]  # type: ignore[union-attr]
    assert first_branch.condition["root"]["conditions"][0]["campaign"] == ids[0]  # type: ignore[union-attr]
    last = first_branch.no[2]  # type: ignore[union-attr]
    assert _types(last.no) == ["send_email"] and last.no[0].campaign == ids[2]
    assert all(w.amount == 5 for w in (auto.steps[1], first_branch.no[1]))  # type: ignore[union-attr]
    assert built.description.startswith(
        "When tag 'Lapsed customer' is added to a contact: send 'Win-back series"
    )
    assert (
        "then if they opened 'Win-back series — Email 1': stop; otherwise: send 'Win-back series — Email 2'"
        in (built.description)
    )


def test_abandoned_cart_waits_an_hour_first(session: Session, now: datetime) -> None:
    aid = _account(session)
    built = build_automation(
        session, account_id=aid, spec={"kind": "abandoned_cart", "emails": 2, "offer": "10% off"}, now=now
    )
    auto = built.automation
    assert auto.trigger.type == "abandons_cart" and auto.trigger.runs == "multiple"
    assert _types(auto.steps) == ["wait", "send_email", "wait", "send_email"]
    assert (auto.steps[0].amount, auto.steps[0].unit) == (1, "hours")  # type: ignore[union-attr]
    assert built.description.startswith("When someone abandons their cart: wait 1 hour, send ")


def test_birthday_needs_a_date_field_and_the_plus_plan(session: Session, now: datetime) -> None:
    starter = _account(session, name="Small", plan="starter")
    contacts.create_custom_field(session, account_id=starter, name="Birthday", field_type=FieldType.DATE)
    with pytest.raises(FeatureUnavailable, match="Date based"):
        build_automation(session, account_id=starter, spec={"kind": "birthday"}, now=now)
    _nothing_written(session, starter)

    aid = _account(session)
    with pytest.raises(InvalidRequest, match="no date fields"):
        build_automation(session, account_id=aid, spec={"kind": "birthday"}, now=now)
    contacts.create_custom_field(session, account_id=aid, name="Signup date", field_type=FieldType.DATE)
    contacts.create_custom_field(session, account_id=aid, name="Date of birth", field_type=FieldType.DATE)
    built = build_automation(
        session, account_id=aid, spec={"kind": "birthday", "offer": "a free gift"}, now=now
    )
    assert built.automation.trigger.type == "date_based" and built.automation.trigger.field == "Date of birth"  # type: ignore[union-attr]
    assert _types(built.automation.steps) == ["send_email"] and len(built.campaigns) == 1
    assert "Date of birth" in built.description


def test_trigger_from_a_form_or_a_named_tag(session: Session, now: datetime) -> None:
    aid = _account(session)
    content.create_form(
        session,
        account_id=aid,
        name="Demo request",
        fields=[{"name": "email", "type": "email", "required": True}],
        now=now,
    )
    contacts.create_tag(session, account_id=aid, name="Attended webinar")
    by_form = build_automation(
        session, account_id=aid, spec={"kind": "lead_nurture", "trigger": {"form": "demo REQUEST"}}, now=now
    )
    assert by_form.automation.trigger.type == "submits_form"
    assert by_form.description.startswith("When someone submits the form 'Demo request':")
    any_form = build_automation(session, account_id=aid, spec={"kind": "lead_nurture", "emails": 1}, now=now)
    assert any_form.automation.name == "Lead nurture series (2)"
    assert any_form.description.startswith("When someone submits any form:")
    by_tag = build_automation(
        session, account_id=aid, spec={"kind": "event_follow_up", "topic": "our SEO webinar"}, now=now
    )
    assert by_tag.automation.trigger.tag == "Attended webinar"  # type: ignore[union-attr]
    first = by_tag.campaigns[0]
    assert "SEO webinar" in " ".join(getattr(b, "text", "") or "" for b in first.blocks)


def test_list_is_asked_for_when_it_is_ambiguous_or_missing(session: Session, now: datetime) -> None:
    aid = _account(session)
    with pytest.raises(InvalidRequest, match="no lists yet"):
        build_automation(session, account_id=aid, spec={"kind": "welcome"}, now=now)
    contacts.create_list(session, account_id=aid, name="Newsletter")
    contacts.create_list(session, account_id=aid, name="Customers")
    with pytest.raises(InvalidRequest, match="Which list") as err:
        build_automation(session, account_id=aid, spec={"kind": "welcome"}, now=now)
    assert "'Newsletter'" in str(err.value) and "'Customers'" in str(err.value)
    with pytest.raises(InvalidRequest, match="no tags yet"):
        build_automation(session, account_id=aid, spec={"kind": "re_engagement"}, now=now)
    contacts.create_tag(session, account_id=aid, name="Inactive 90 days")
    contacts.create_tag(session, account_id=aid, name="Inactive 180 days")
    with pytest.raises(InvalidRequest, match="Which tag") as err:
        build_automation(session, account_id=aid, spec={"kind": "re_engagement"}, now=now)
    assert "'Inactive 90 days'" in str(err.value) and "'Inactive 180 days'" in str(err.value)
    _nothing_written(session, aid)


def test_unknown_names_get_suggestions_and_nothing_is_written(session: Session, now: datetime) -> None:
    aid = _account(session)
    contacts.create_list(session, account_id=aid, name="Newsletter")
    contacts.create_tag(session, account_id=aid, name="Lapsed customer")
    with pytest.raises(NotFound, match="Did you mean 'Newsletter'"):
        build_automation(
            session, account_id=aid, spec={"kind": "welcome", "trigger": {"list": "Newsleter"}}, now=now
        )
    with pytest.raises(NotFound, match="Did you mean 'Lapsed customer'"):
        build_automation(
            session, account_id=aid, spec={"kind": "win_back", "trigger": {"tag": "lapsed custmer"}}, now=now
        )
    with pytest.raises(NotFound, match="brand kit"):
        build_automation(session, account_id=aid, spec={"kind": "welcome", "brand_kit": "Nope"}, now=now)
    _nothing_written(session, aid)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"kind": "welcome", "emails": 11}, "emails"),
        ({"kind": "welcome", "emails": 0}, "emails"),
        ({"kind": "drip"}, "kind"),
        ({"kind": "welcome", "trigger": {"list": "A", "tag": "B"}}, "one trigger"),
        ({"kind": "welcome", "delay_unit": "fortnights"}, "delay_unit"),
        ({"kind": "welcome", "tone": "sarcastic"}, "tone"),
        ({"kind": "welcome", "cta_url": "nope"}, "cta_url"),
    ],
)
def test_bad_specs_are_invalid_requests(
    session: Session, now: datetime, spec: dict[str, Any], match: str
) -> None:
    aid = _account(session)
    contacts.create_list(session, account_id=aid, name="Newsletter")
    with pytest.raises(InvalidRequest, match=match):
        build_automation(session, account_id=aid, spec=spec, now=now)
    _nothing_written(session, aid)


def test_name_clashes(session: Session, now: datetime) -> None:
    aid = _account(session)
    contacts.create_list(session, account_id=aid, name="Newsletter")
    build_automation(session, account_id=aid, spec={"kind": "welcome", "name": "Onboarding"}, now=now)
    with pytest.raises(Conflict, match="already exists"):
        build_automation(session, account_id=aid, spec={"kind": "welcome", "name": "onboarding"}, now=now)
    campaigns.create_campaign(session, account_id=aid, name="Hello — Email 2", now=now)
    with pytest.raises(Conflict, match="Hello — Email 2"):
        build_automation(session, account_id=aid, spec={"kind": "welcome", "name": "Hello"}, now=now)
    assert _count(session, Automation, aid) == 1 and _count(session, Campaign, aid) == 4


def test_a_failure_after_the_emails_leaves_nothing_behind(
    session: Session, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    aid = _account(session)
    contacts.create_list(session, account_id=aid, name="Newsletter")

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise Conflict("Simulated failure while saving the automation.")

    monkeypatch.setattr(builder.automations, "create_automation", fail)
    with pytest.raises(Conflict, match="Simulated"):
        build_automation(session, account_id=aid, spec={"kind": "welcome"}, now=now)
    _nothing_written(session, aid)
    monkeypatch.undo()
    built = build_automation(session, account_id=aid, spec={"kind": "welcome"}, now=now)
    assert built.automation.name == "Welcome series" and _count(session, Campaign, aid) == 3


def test_built_automation_can_be_activated(session: Session, now: datetime) -> None:
    aid = _account(session)
    contacts.create_list(session, account_id=aid, name="Newsletter")
    built = build_automation(
        session, account_id=aid, spec={"kind": "win_back", "trigger": {"list": "Newsletter"}}, now=now
    )
    active = automations.activate_automation(
        session, account_id=aid, automation_id=built.automation.id, now=now
    )
    assert active.status is AutomationStatus.ACTIVE
    assert describe_automation(active, names=built.names).startswith(
        "Win-back series. When someone subscribes"
    )


def test_tenant_isolation(session: Session, now: datetime) -> None:
    a = _account(session, name="A Co")
    b = _account(session, name="B Co")
    a_list = contacts.create_list(session, account_id=a, name="Newsletter").id
    contacts.create_tag(session, account_id=a, name="Lapsed customer")
    content.create_brand_kit(session, account_id=a, name="A brand", now=now)
    a_built = build_automation(session, account_id=a, spec={"kind": "welcome"}, now=now)

    with pytest.raises(NotFound):
        build_automation(
            session, account_id=b, spec={"kind": "welcome", "trigger": {"list": "Newsletter"}}, now=now
        )
    with pytest.raises(NotFound):
        build_automation(
            session, account_id=b, spec={"kind": "welcome", "trigger": {"list": a_list}}, now=now
        )
    with pytest.raises(NotFound):
        build_automation(
            session, account_id=b, spec={"kind": "win_back", "trigger": {"tag": "Lapsed customer"}}, now=now
        )
    with pytest.raises(InvalidRequest, match="no lists yet"):  # A's only list is not B's to pick
        build_automation(session, account_id=b, spec={"kind": "welcome"}, now=now)
    with pytest.raises(NotFound):
        describe_saved_automation(session, account_id=b, automation_id=a_built.automation.id)
    contacts.create_list(session, account_id=b, name="Members")
    with pytest.raises(NotFound):
        build_automation(session, account_id=b, spec={"kind": "welcome", "brand_kit": "A brand"}, now=now)
    with pytest.raises(NotFound):
        build_automation(
            session,
            account_id=b,
            spec={"kind": "welcome", "brand_kit": a_built.campaigns[0].brand_kit_id},
            now=now,
        )
    _nothing_written(session, b)

    # B's own automation of the same kind uses B's names, and A's default name does not leak into B's.
    b_built = build_automation(session, account_id=b, spec={"kind": "welcome"}, now=now)
    assert b_built.automation.name == "Welcome series" and "'Members'" in b_built.description
    assert all(c.account_id == b for c in b_built.campaigns) and b_built.campaigns[0].brand_kit_id is None
