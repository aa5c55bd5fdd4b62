"""Editing automations in plain words: rename, waits, add/remove emails, trigger, subject; active ones; tenancy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.automations import editing
from core.automations import service as automations
from core.automations.builder import build_automation, describe_saved_automation
from core.automations.models import Automation
from core.campaigns import service as campaigns
from core.campaigns.models import Campaign
from core.contacts import service as contacts
from core.content import service as content
from core.enums import AutomationStatus, CampaignStatus
from core.errors import Conflict, InvalidRequest, NotFound


def _account(session: Session, name: str = "Acme", plan: str = "plus") -> int:
    return accounts.create_account(session, name=name, plan=plan).id


def _welcome(
    session: Session, now: datetime, emails: int = 3, plan: str = "plus"
) -> tuple[int, int, list[int]]:
    aid = _account(session, plan=plan)
    contacts.create_list(session, account_id=aid, name="Newsletter")
    contacts.create_list(session, account_id=aid, name="VIP Club")
    contacts.create_tag(session, account_id=aid, name="VIP")
    content.create_brand_kit(
        session, account_id=aid, name="Acme", now=now, website="https://acme.example.com"
    )
    built = build_automation(
        session,
        account_id=aid,
        spec={"kind": "welcome", "emails": emails, "trigger": {"list": "Newsletter"}},
        now=now,
    )
    return aid, built.automation.id, [c.id for c in built.campaigns]


def _shape(out: Any) -> list[tuple[str, Any]]:
    """The steps as (type, detail): the campaign id of an email, (amount, unit) of a wait."""
    shape = []
    for st in out.automation.steps if hasattr(out, "automation") else out.steps:
        if st.type == "send_email":
            shape.append(("send", st.campaign))
        elif st.type == "wait":
            shape.append(("wait", (st.amount, st.unit)))
        else:
            shape.append((st.type, None))
    return shape


def _campaign_count(session: Session, aid: int) -> int:
    return session.scalar(select(func.count()).select_from(Campaign).where(Campaign.account_id == aid)) or 0


def test_rename_renames_the_draft_emails_and_keeps_the_description_true(
    session: Session, now: datetime
) -> None:
    aid, auto, ids = _welcome(session, now)
    out = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"rename_to": "Onboarding"}
    )
    assert out.automation.name == "Onboarding" and out.automation.status is AutomationStatus.INACTIVE
    assert out.emails == [f"Onboarding — Email {k}" for k in (1, 2, 3)]
    assert [campaigns.get_campaign(session, account_id=aid, campaign_id=c).name for c in ids] == out.emails
    assert out.description == (
        "When someone subscribes to 'Newsletter': send 'Onboarding — Email 1', wait 2 days, "
        "send 'Onboarding — Email 2', wait 2 days, send 'Onboarding — Email 3'."
    )
    assert out.automation.description == out.description
    assert describe_saved_automation(
        session, account_id=aid, automation_id=auto
    ) == "Onboarding (inactive). " + (out.description)
    assert out.changes == ["Renamed 'Welcome series' to 'Onboarding' (and its 3 draft emails)."]


def test_waits_all_the_nth_or_the_one_before_an_email(session: Session, now: datetime) -> None:
    aid, auto, ids = _welcome(session, now)
    every = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"wait_amount": 3, "wait_unit": "days"}
    )
    assert _shape(every) == [
        ("send", ids[0]),
        ("wait", (3, "days")),
        ("send", ids[1]),
        ("wait", (3, "days")),
        ("send", ids[2]),
    ]
    assert every.changes == ["Every wait between emails is now 3 days."]
    first = editing.edit_automation(
        session,
        account_id=aid,
        automation_id=auto,
        now=now,
        edit={"wait_amount": 1, "wait_unit": "week", "wait_number": 1},
    )
    assert _shape(first)[1] == ("wait", (1, "weeks")) and _shape(first)[3] == ("wait", (3, "days"))
    assert first.changes == ["The first wait is now 1 week."]
    before3 = editing.edit_automation(
        session,
        account_id=aid,
        automation_id=auto,
        now=now,
        edit={"wait_amount": 12, "wait_unit": "hours", "wait_before_email": 3},
    )
    assert _shape(before3)[3] == ("wait", (12, "hours")) and _shape(before3)[1] == ("wait", (1, "weeks"))
    assert "wait 12 hours, send 'Welcome series — Email 3'" in before3.description
    # A wait before the first email is a new step.
    lead = editing.edit_automation(
        session,
        account_id=aid,
        automation_id=auto,
        now=now,
        edit={"wait_amount": 1, "wait_unit": "hours", "wait_before_email": 1},
    )
    assert _shape(lead)[0] == ("wait", (1, "hours")) and len(lead.automation.steps) == 6
    last = editing.edit_automation(
        session,
        account_id=aid,
        automation_id=auto,
        now=now,
        edit={"wait_amount": 4, "wait_number": -1, "wait_unit": "days"},
    )
    assert _shape(last)[4] == ("wait", (4, "days"))


def test_add_emails_at_the_end_or_after_one_copies_the_gap_and_the_sender(
    session: Session, now: datetime
) -> None:
    aid, auto, ids = _welcome(session, now)
    editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"wait_amount": 5, "wait_unit": "days"}
    )
    before = _campaign_count(session, aid)
    out = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"add_emails": 1}
    )
    assert _campaign_count(session, aid) == before + 1
    new = campaigns.find_campaign(session, account_id=aid, name="Welcome series — Email 4")
    assert new.status is CampaignStatus.DRAFT and new.subject and new.blocks and new.from_name == "Acme"
    assert new.brand_kit_id is not None
    assert _shape(out)[-2:] == [("wait", (5, "days")), ("send", new.id)]
    assert out.emails[-1] == "Welcome series — Email 4" and len(out.emails) == 4
    assert out.changes[0].startswith("Added 1 draft email at the end, each 5 days after the one before:")

    middle = editing.edit_automation(
        session,
        account_id=aid,
        automation_id=auto,
        now=now,
        edit={"add_after_email": 1, "wait_amount": 1, "topic": "our summer collection", "add_emails": 1},
    )
    fifth = campaigns.find_campaign(session, account_id=aid, name="Welcome series — Email 5")
    assert _shape(middle)[:4] == [
        ("send", ids[0]),
        ("wait", (1, "days")),
        ("send", fifth.id),
        ("wait", (5, "days")),
    ]
    assert "summer collection" in " ".join(getattr(b, "text", "") or "" for b in fifth.blocks).lower()
    assert "after email 1" in middle.changes[0]
    two = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"add_emails": 2}
    )
    assert len(two.emails) == 7


def test_remove_an_email_and_its_wait(session: Session, now: datetime) -> None:
    aid, auto, ids = _welcome(session, now, emails=4)
    editing.edit_automation(
        session,
        account_id=aid,
        automation_id=auto,
        now=now,
        edit={"wait_amount": 1, "wait_number": 2, "wait_unit": "days"},
    )
    out = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"remove_email": 3}
    )
    # Email 3 and the 1-day wait before it are gone; email 4 keeps its own wait.
    assert _shape(out) == [
        ("send", ids[0]),
        ("wait", (2, "days")),
        ("send", ids[1]),
        ("wait", (2, "days")),
        ("send", ids[3]),
    ]
    assert out.changes == [
        "Removed email 3 ('Welcome series — Email 3') and the wait before it; its draft stays in your campaigns."
    ]
    assert campaigns.get_campaign(session, account_id=aid, campaign_id=ids[2]).status is CampaignStatus.DRAFT
    first = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"remove_email": 1}
    )
    assert _shape(first) == [("send", ids[1]), ("wait", (2, "days")), ("send", ids[3])]
    last = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"remove_email": -1}
    )
    assert _shape(last) == [("send", ids[1])]
    with pytest.raises(InvalidRequest, match="only email"):
        editing.edit_automation(
            session, account_id=aid, automation_id=auto, now=now, edit={"remove_email": 1}
        )


def test_set_the_number_of_emails(session: Session, now: datetime) -> None:
    aid, auto, ids = _welcome(session, now)
    more = editing.edit_automation(session, account_id=aid, automation_id=auto, now=now, edit={"emails": 4})
    assert len(more.emails) == 4 and _shape(more)[-2][0] == "wait"
    fewer = editing.edit_automation(session, account_id=aid, automation_id=auto, now=now, edit={"emails": 2})
    assert _shape(fewer) == [("send", ids[0]), ("wait", (2, "days")), ("send", ids[1])]
    same = editing.edit_automation(session, account_id=aid, automation_id=auto, now=now, edit={"emails": 2})
    assert same.changes == ["It already has 2 emails."]


def test_change_the_trigger_to_a_list_a_tag_or_a_form(session: Session, now: datetime) -> None:
    aid, auto, _ = _welcome(session, now)
    by_list = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"trigger": {"list": "vip club"}}
    )
    vip_club = contacts.list_lists(session, account_id=aid)
    club_id = next(lst.id for lst in vip_club if lst.name == "VIP Club")
    assert (
        by_list.automation.trigger.type == "subscribes_to_list" and by_list.automation.trigger.list == club_id
    )  # type: ignore[union-attr]
    assert by_list.changes == ["It now starts when someone subscribes to 'VIP Club'."]
    assert by_list.description.startswith("When someone subscribes to 'VIP Club': send")
    by_tag = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"trigger": {"tag": "vip"}}
    )
    assert by_tag.automation.trigger.type == "tag_added" and by_tag.automation.trigger.tag == "VIP"  # type: ignore[union-attr]
    assert by_tag.description.startswith("When tag 'VIP' is added to a contact:")
    with pytest.raises(NotFound, match="Did you mean 'VIP Club'"):
        editing.edit_automation(
            session, account_id=aid, automation_id=auto, now=now, edit={"trigger": {"list": "VIP Clubb"}}
        )
    with pytest.raises(InvalidRequest, match="What should start it"):
        editing.edit_automation(session, account_id=aid, automation_id=auto, now=now, edit={"trigger": {}})
    content.create_form(
        session,
        account_id=aid,
        name="Demo request",
        fields=[{"name": "email", "type": "email", "required": True}],
        now=now,
    )
    by_form = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"trigger": {"form": "Demo request"}}
    )
    assert by_form.description.startswith("When someone submits the form 'Demo request':")


def test_change_an_emails_subject(session: Session, now: datetime) -> None:
    aid, auto, ids = _welcome(session, now)
    out = editing.edit_automation(
        session,
        account_id=aid,
        automation_id=auto,
        now=now,
        edit={"email_number": 2, "subject": "Your first tips"},
    )
    assert campaigns.get_campaign(session, account_id=aid, campaign_id=ids[1]).subject == "Your first tips"
    assert out.changes == ["Email 2 ('Welcome series — Email 2') now has the subject 'Your first tips'."]
    with pytest.raises(InvalidRequest, match="Which email's subject") as err:
        editing.edit_automation(session, account_id=aid, automation_id=auto, now=now, edit={"subject": "Hi"})
    assert "from 1 to 3" in str(err.value)


@pytest.mark.parametrize(
    "edit",
    [
        {"remove_email": 4},
        {"email_number": 0, "subject": "x"},
        {"add_emails": 1, "add_after_email": 9},
        {"wait_amount": 2, "wait_before_email": -4},
    ],
    ids=["remove", "subject", "add-after", "wait-before"],
)
def test_an_email_number_out_of_range_says_the_valid_range(
    session: Session, now: datetime, edit: dict
) -> None:
    aid, auto, _ = _welcome(session, now)
    before = _campaign_count(session, aid)
    with pytest.raises(InvalidRequest, match=r"has 3 emails, so there is no .*Give a number from 1 to 3\."):
        editing.edit_automation(session, account_id=aid, automation_id=auto, now=now, edit=edit)
    assert _campaign_count(session, aid) == before


def test_wait_number_out_of_range_and_bad_combinations(session: Session, now: datetime) -> None:
    aid, auto, _ = _welcome(session, now)
    with pytest.raises(InvalidRequest, match="has 2 waits, so there is no wait 3. Give a number from 1 to 2"):
        editing.edit_automation(
            session,
            account_id=aid,
            automation_id=auto,
            now=now,
            edit={"wait_amount": 1, "wait_number": 3, "wait_unit": "days"},
        )
    for edit, message in [
        ({}, "Nothing to change"),
        ({"wait_number": 1}, "How long should that wait be"),
        ({"emails": 4, "remove_email": 1}, "not both"),
        ({"email_number": 1}, "new subject of email 1"),
        ({"wait_amount": 0}, "wait_amount"),
        ({"wait_amount": 2, "wait_unit": "fortnights"}, "wait_unit"),
        ({"emails": 11}, "emails"),
        ({"add_emails": 8}, "at most 10 emails"),
    ]:
        with pytest.raises(InvalidRequest, match=message):
            editing.edit_automation(session, account_id=aid, automation_id=auto, now=now, edit=edit)


def test_an_active_automation_only_takes_a_new_name(session: Session, now: datetime) -> None:
    aid, auto, _ = _welcome(session, now)
    automations.activate_automation(session, account_id=aid, automation_id=auto, now=now)
    before = automations.get_automation(session, account_id=aid, automation_id=auto)
    for edit in (
        {"wait_amount": 3},
        {"add_emails": 1},
        {"remove_email": 1},
        {"trigger": {"tag": "VIP"}},
        {"email_number": 1, "subject": "New"},
    ):
        with pytest.raises(Conflict, match="is active.*Pause it first.*activate it again"):
            editing.edit_automation(session, account_id=aid, automation_id=auto, now=now, edit=edit)
    assert automations.get_automation(session, account_id=aid, automation_id=auto).steps == before.steps
    renamed = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"rename_to": "Live welcome"}
    )
    assert renamed.automation.name == "Live welcome" and renamed.automation.status is AutomationStatus.ACTIVE
    assert renamed.automation.steps == before.steps
    # Paused, it can change again.
    automations.deactivate_automation(session, account_id=aid, automation_id=auto, now=now)
    assert (
        len(
            editing.edit_automation(
                session, account_id=aid, automation_id=auto, now=now, edit={"add_emails": 1}
            ).emails
        )
        == 4
    )


def test_the_win_back_branches_are_kept_when_emails_change(session: Session, now: datetime) -> None:
    aid = _account(session)
    contacts.create_tag(session, account_id=aid, name="Lapsed customer")
    built = build_automation(session, account_id=aid, spec={"kind": "win_back"}, now=now)
    auto, ids = built.automation.id, [c.id for c in built.campaigns]
    out = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"remove_email": 2}
    )
    steps = out.automation.steps
    assert [st.type for st in steps] == ["send_email", "wait", "if_else"]
    branch = steps[2]
    assert branch.yes == [] and branch.condition["root"]["conditions"][0]["campaign"] == ids[0]  # type: ignore[union-attr]
    assert [st.type for st in branch.no] == ["send_email"] and branch.no[0].campaign == ids[2]  # type: ignore[union-attr]
    added = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"add_emails": 1}
    )
    assert (
        len(added.emails) == 3
        and "then if they opened 'Win-back series — Email 3': stop" in added.description
    )
    waits = editing.edit_automation(
        session, account_id=aid, automation_id=auto, now=now, edit={"wait_amount": 2, "wait_unit": "days"}
    )
    assert waits.description.count("wait 2 days") == 2


def test_other_branches_cannot_be_numbered(session: Session, now: datetime) -> None:
    aid = _account(session)
    contacts.create_tag(session, account_id=aid, name="VIP")
    c = campaigns.create_campaign(session, account_id=aid, name="Hello", now=now, subject="Hi")
    auto = automations.create_automation(
        session,
        account_id=aid,
        name="Custom",
        now=now,
        trigger={"type": "tag_added", "tag": "VIP"},
        steps=[
            {
                "type": "if_else",
                "condition": {"conditions": [{"type": "tag", "tag": "VIP", "op": "has"}]},
                "yes": [{"type": "send_email", "campaign": c.id}],
                "no": [],
            }
        ],
    )
    with pytest.raises(InvalidRequest, match="if/else branches"):
        editing.edit_automation(
            session,
            account_id=aid,
            automation_id=auto.id,
            now=now,
            edit={"wait_amount": 2, "wait_unit": "days"},
        )
    assert (
        editing.edit_automation(
            session, account_id=aid, automation_id=auto.id, now=now, edit={"rename_to": "Custom 2"}
        ).automation.name
        == "Custom 2"
    )


def test_rename_clash_and_failed_edits_leave_nothing_behind(session: Session, now: datetime) -> None:
    aid, auto, _ = _welcome(session, now)
    contacts.create_tag(session, account_id=aid, name="Lapsed")
    other = build_automation(
        session, account_id=aid, spec={"kind": "win_back", "trigger": {"tag": "Lapsed"}}, now=now
    ).automation
    with pytest.raises(Conflict, match="already exists"):
        editing.edit_automation(
            session, account_id=aid, automation_id=auto, now=now, edit={"rename_to": other.name.upper()}
        )
    before = _campaign_count(session, aid)
    # The new email would be written before the unknown list is found: the savepoint takes it back.
    with pytest.raises(NotFound):
        editing.edit_automation(
            session,
            account_id=aid,
            automation_id=auto,
            now=now,
            edit={"add_emails": 1, "trigger": {"list": "Nope"}},
        )
    assert _campaign_count(session, aid) == before
    assert len(automations.get_automation(session, account_id=aid, automation_id=auto).steps) == 5


def test_trigger_plan_gate(session: Session, now: datetime) -> None:
    aid, auto, _ = _welcome(session, now, plan="starter")
    from core.contacts.models import CustomField  # noqa: F401  (the field type lives with contacts)
    from core.enums import FieldType

    contacts.create_custom_field(session, account_id=aid, name="Birthday", field_type=FieldType.DATE)
    from core.errors import FeatureUnavailable

    with pytest.raises(FeatureUnavailable, match="Date based"):
        editing.edit_automation(
            session, account_id=aid, automation_id=auto, now=now, edit={"trigger": {"date_field": "Birthday"}}
        )


def test_tenant_isolation(session: Session, now: datetime) -> None:
    aid, auto, ids = _welcome(session, now)
    other = _account(session, name="Other")
    contacts.create_list(session, account_id=other, name="Theirs")
    for edit in ({"rename_to": "Stolen"}, {"wait_amount": 9}, {"add_emails": 1}):
        with pytest.raises(NotFound, match="No automation with id"):
            editing.edit_automation(session, account_id=other, automation_id=auto, now=now, edit=edit)
    # Another account's list is not a trigger here, and nothing of A changed.
    with pytest.raises(NotFound, match="No list named 'Theirs'"):
        editing.edit_automation(
            session, account_id=aid, automation_id=auto, now=now, edit={"trigger": {"list": "Theirs"}}
        )
    assert automations.get_automation(session, account_id=aid, automation_id=auto).name == "Welcome series"
    assert _campaign_count(session, other) == 0
    assert (
        session.scalar(select(func.count()).select_from(Automation).where(Automation.account_id == other))
        == 0
    )
