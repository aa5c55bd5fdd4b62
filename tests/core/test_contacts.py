"""Contacts, custom fields, tags, lists, subscriptions and the deliverability helpers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.contacts import fields as fv
from core.contacts import service as svc
from core.contacts.models import Contact, ContactFieldValue, ContactTag, ListSubscription
from core.enums import Channel, ContactStatus, FieldType, SubscriptionStatus
from core.errors import Conflict, InvalidRequest, NotFound
from tests.core.factories_contacts import make_account, make_contact


@pytest.fixture
def acct(session: Session) -> int:
    return make_account(session).id


def _count(session: Session, model: type, **where: object) -> int:
    stmt = select(func.count()).select_from(model)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    return session.scalar(stmt) or 0


# ---------------------------------------------------------------- contacts


def test_create_contact_normalises_standard_fields(session: Session, acct: int, now: datetime) -> None:
    out = svc.create_contact(
        session,
        account_id=acct,
        email="  Jane.Doe@Example.COM ",
        phone="+1 (415) 555-0123",
        first_name=" Jane ",
        last_name="Doe",
        preferred_language="French",
        timezone="europe/paris",
        country="fr",
        city="Lyon",
        now=now,
    )
    assert out.email == "jane.doe@example.com"
    assert out.phone == "+14155550123"
    assert out.first_name == "Jane"
    assert out.preferred_language == "fr"
    assert out.timezone == "Europe/Paris"
    assert out.country == "FR"
    assert out.status == ContactStatus.ACTIVE
    assert out.created_at == now
    assert out.custom_fields == {} and out.tags == [] and out.lists == []


def test_preferred_language_accepts_codes_with_region(session: Session, acct: int) -> None:
    out = make_contact(session, account_id=acct, preferred_language="pt-BR")
    assert out.preferred_language == "pt"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("email", "jane.example.com", "name@example.com"),
        ("email", "", "Email is required"),
        ("phone", "415 555 0123", "country code"),
        ("phone", "+1 555", "8 to 15 digits"),
        ("preferred_language", "xx", "ISO 639-1"),
        ("preferred_language", "Frensh", "'French' (fr)"),
        ("timezone", "Europe/Pariss", "'Europe/Paris'"),
        ("timezone", "Mars/Olympus", "IANA"),
        ("country", "ZZ", "ISO 3166-1"),
        ("first_name", "x" * 101, "limit is 100"),
    ],
    ids=[
        "email-no-at",
        "email-empty",
        "phone-no-country",
        "phone-too-short",
        "language-unknown",
        "language-typo",
        "timezone-typo",
        "timezone-unknown",
        "country",
        "name-too-long",
    ],
)
def test_create_contact_rejects_bad_standard_values(
    session: Session, acct: int, field: str, value: str, expected: str
) -> None:
    params = {"email": "ok@example.com", field: value}
    with pytest.raises(InvalidRequest) as err:
        svc.create_contact(session, account_id=acct, **params)
    assert expected in str(err.value)
    assert _count(session, Contact, account_id=acct) == 0


def test_duplicate_email_is_a_conflict_whatever_the_case(session: Session, acct: int) -> None:
    first = make_contact(session, account_id=acct, email="sam@example.com")
    with pytest.raises(Conflict, match=rf"already exists \(id {first.id}\)"):
        make_contact(session, account_id=acct, email="SAM@example.com")


def test_find_contact_by_id_or_email_and_suggests_near_emails(session: Session, acct: int) -> None:
    c = make_contact(session, account_id=acct, email="maria@shop.io")
    assert svc.find_contact(session, account_id=acct, ref=c.id).id == c.id
    assert svc.find_contact(session, account_id=acct, ref=str(c.id)).id == c.id
    assert svc.find_contact(session, account_id=acct, ref="MARIA@shop.io").id == c.id
    with pytest.raises(NotFound, match="Did you mean 'maria@shop.io'"):
        svc.find_contact(session, account_id=acct, ref="mariaa@shop.io")
    with pytest.raises(InvalidRequest, match="search_contacts"):
        svc.find_contact(session, account_id=acct, ref="Maria")


def test_update_contact_changes_only_given_fields(session: Session, acct: int, now: datetime) -> None:
    c = make_contact(session, account_id=acct, phone="+442079460958", city="London")
    later = now + timedelta(days=1)
    out = svc.update_contact(
        session, account_id=acct, contact_id=c.id, phone=None, first_name="Ann", now=later
    )
    assert out.phone is None
    assert out.first_name == "Ann"
    assert out.city == "London"
    assert out.updated_at == later


def test_update_contact_refuses_an_email_taken_by_another_contact(session: Session, acct: int) -> None:
    a = make_contact(session, account_id=acct, email="a@example.com")
    make_contact(session, account_id=acct, email="b@example.com")
    with pytest.raises(Conflict):
        svc.update_contact(session, account_id=acct, contact_id=a.id, email="B@example.com")
    # Re-saving a contact's own address is not a clash.
    assert (
        svc.update_contact(session, account_id=acct, contact_id=a.id, email="A@example.com").email
        == "a@example.com"
    )


def test_search_contacts_matches_email_and_full_name_with_paging(session: Session, acct: int) -> None:
    for i in range(5):
        make_contact(
            session, account_id=acct, email=f"lead{i}@acme.com", first_name="Lee", last_name=f"Smith{i}"
        )
    make_contact(session, account_id=acct, email="other@zeta.com", first_name="Olga", last_name="Ivanova")
    page = svc.search_contacts(session, account_id=acct, query="ACME", limit=2, offset=2)
    assert page.total == 5
    assert [c.email for c in page.items] == ["lead2@acme.com", "lead3@acme.com"]
    assert svc.search_contacts(session, account_id=acct, query="lee smith3").total == 1
    assert svc.search_contacts(session, account_id=acct, query="ivanova").items[0].email == "other@zeta.com"
    # LIKE wildcards in the query are literal characters.
    assert svc.search_contacts(session, account_id=acct, query="%").total == 0
    with pytest.raises(InvalidRequest, match="limit 500"):
        svc.search_contacts(session, account_id=acct, limit=500)


def test_mark_bounced_and_status_filter(session: Session, acct: int, now: datetime) -> None:
    c = make_contact(session, account_id=acct)
    make_contact(session, account_id=acct)
    out = svc.mark_bounced(session, account_id=acct, contact_id=c.id, now=now)
    assert out.status == ContactStatus.BOUNCED
    page = svc.search_contacts(session, account_id=acct, status="bounced")
    assert [x.id for x in page.items] == [c.id]


def test_delete_contact_removes_values_tags_and_memberships(
    session: Session, acct: int, now: datetime
) -> None:
    svc.create_custom_field(session, account_id=acct, name="Score", field_type="number")
    svc.create_list(session, account_id=acct, name="News")
    c = make_contact(session, account_id=acct, custom_fields={"Score": 3})
    svc.add_tag(session, account_id=acct, contact_id=c.id, tag="VIP")
    svc.subscribe(session, account_id=acct, contact_id=c.id, list_ref="News", now=now)
    deleted = svc.delete_contact(session, account_id=acct, contact_id=c.id)
    assert deleted.email == c.email and deleted.tags == ["VIP"]
    session.expire_all()
    for model in (Contact, ContactFieldValue, ContactTag, ListSubscription):
        assert _count(session, model, account_id=acct) == 0, model.__name__
    with pytest.raises(NotFound):
        svc.get_contact(session, account_id=acct, contact_id=c.id)


# ---------------------------------------------------------------- custom fields


@pytest.fixture
def typed_fields(session: Session, acct: int) -> None:
    svc.create_custom_field(
        session,
        account_id=acct,
        name="Favorite color",
        field_type="dropdown",
        options=["Red", "Green", "Blue"],
    )
    svc.create_custom_field(session, account_id=acct, name="Lifetime value", field_type=FieldType.NUMBER)
    svc.create_custom_field(session, account_id=acct, name="Birthday", field_type="date")
    svc.create_custom_field(session, account_id=acct, name="Nickname", field_type="text")
    svc.create_custom_field(session, account_id=acct, name="Bio", field_type="Text area")
    svc.create_custom_field(session, account_id=acct, name="Spoken language", field_type="language")


def test_custom_field_tags_and_listing(session: Session, acct: int, typed_fields: None) -> None:
    fields = {f.name: f for f in svc.list_custom_fields(session, account_id=acct)}
    assert fields["Favorite color"].tag == "%FAVORITE_COLOR%"
    assert fields["Favorite color"].options == ["Red", "Green", "Blue"]
    assert fields["Bio"].type == FieldType.TEXTAREA
    assert fields["Lifetime value"].options == []
    assert (
        svc.get_custom_field(session, account_id=acct, field="favorite COLOR").id
        == fields["Favorite color"].id
    )


def test_typed_values_are_stored_in_typed_columns(session: Session, acct: int, typed_fields: None) -> None:
    c = make_contact(session, account_id=acct)
    out = svc.set_field_values(
        session,
        account_id=acct,
        contact_id=c.id,
        values={
            "favorite color": "blue",
            "Lifetime value": "1,250.50",
            "Birthday": "1990-04-01",
            "Nickname": " JD ",
            "Bio": "long " * 100,
            "Spoken language": "German",
        },
    )
    assert out.custom_fields["Favorite color"] == "Blue"
    assert out.custom_fields["Lifetime value"] == Decimal("1250.5")
    assert isinstance(out.custom_fields["Lifetime value"], Decimal)
    assert out.custom_fields["Birthday"] == date(1990, 4, 1)
    assert out.custom_fields["Nickname"] == "JD"
    assert out.custom_fields["Spoken language"] == "de"
    rows = {
        r.field_id: r
        for r in session.scalars(select(ContactFieldValue).where(ContactFieldValue.contact_id == c.id))
    }
    ltv = svc.get_custom_field(session, account_id=acct, field="Lifetime value")
    bday = svc.get_custom_field(session, account_id=acct, field="Birthday")
    assert rows[ltv.id].value_number == Decimal("1250.5") and rows[ltv.id].value_text is None
    assert rows[bday.id].value_date == date(1990, 4, 1) and rows[bday.id].value_text is None


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("Lifetime value", "lots", "not a number"),
        ("Lifetime value", "3.14159", "more than 4 decimal places; round it, e.g. 3.1416"),
        ("Lifetime value", "1e20", "out of range"),
        ("Lifetime value", True, "must be a number"),
        ("Birthday", "15/06/2026", "YYYY-MM-DD"),
        ("Favorite color", "Purple", "choose one of: 'Red', 'Green', 'Blue'"),
        ("Spoken language", "Klingon", "ISO 639-1"),
        ("Nickname", "n" * 256, "limit is 255"),
        ("Bio", "b" * 70_000, "limit is 65,535"),
    ],
    ids=[
        "number-text",
        "number-precision",
        "number-range",
        "number-bool",
        "date-format",
        "dropdown-option",
        "language",
        "text-length",
        "textarea-length",
    ],
)
def test_bad_field_values_name_the_field_value_and_what_is_allowed(
    session: Session, acct: int, typed_fields: None, field: str, value: object, expected: str
) -> None:
    c = make_contact(session, account_id=acct)
    with pytest.raises(InvalidRequest) as err:
        svc.set_field_value(session, account_id=acct, contact_id=c.id, field=field, value=value)
    assert expected in str(err.value)
    assert field in str(err.value)
    assert _count(session, ContactFieldValue, contact_id=c.id) == 0


def test_one_bad_value_leaves_every_value_unchanged(
    session: Session, acct: int, typed_fields: None, now: datetime
) -> None:
    c = make_contact(
        session, account_id=acct, custom_fields={"Nickname": "Old", "Lifetime value": 10}, now=now
    )
    with pytest.raises(InvalidRequest, match="Purple"):
        svc.set_field_values(
            session,
            account_id=acct,
            contact_id=c.id,
            now=now + timedelta(hours=1),
            values={"Nickname": "New", "Lifetime value": None, "Favorite color": "Purple"},
        )
    after = svc.get_contact(session, account_id=acct, contact_id=c.id)
    assert after.custom_fields == {"Lifetime value": Decimal(10), "Nickname": "Old"}
    assert after.updated_at == now


def test_unknown_field_name_suggests_the_nearest(session: Session, acct: int, typed_fields: None) -> None:
    c = make_contact(session, account_id=acct)
    with pytest.raises(NotFound, match="Did you mean 'Favorite color'"):
        svc.set_field_value(session, account_id=acct, contact_id=c.id, field="Favourite colour", value="Red")
    with pytest.raises(NotFound):
        svc.create_contact(
            session, account_id=acct, email="x@example.com", custom_fields={"Nick name x": "a"}
        )
    assert _count(session, Contact, account_id=acct) == 1


def test_standard_field_names_are_not_custom_fields(session: Session, acct: int) -> None:
    c = make_contact(session, account_id=acct)
    with pytest.raises(InvalidRequest, match="first_name="):
        svc.set_field_value(session, account_id=acct, contact_id=c.id, field="First name", value="Al")
    with pytest.raises(Conflict, match="standard contact field"):
        svc.create_custom_field(session, account_id=acct, name="Preferred Language", field_type="language")


def test_none_clears_a_value(session: Session, acct: int, typed_fields: None) -> None:
    c = make_contact(session, account_id=acct, custom_fields={"Nickname": "JD", "Birthday": date(2000, 1, 2)})
    out = svc.set_field_value(session, account_id=acct, contact_id=c.id, field="Nickname", value=None)
    assert out.custom_fields == {"Birthday": date(2000, 1, 2)}


@pytest.mark.parametrize(
    ("kwargs", "error", "expected"),
    [
        ({"name": "Size", "field_type": "dropdown"}, InvalidRequest, "at least one option"),
        ({"name": "Size", "field_type": "dropdown", "options": ["S", "s"]}, InvalidRequest, "twice"),
        ({"name": "Size", "field_type": "text", "options": ["S"]}, InvalidRequest, "only dropdown"),
        ({"name": "Size", "field_type": "color"}, InvalidRequest, "'textarea'"),
        ({"name": "  ", "field_type": "text"}, InvalidRequest, "empty"),
        ({"name": "%%", "field_type": "text"}, InvalidRequest, "personalization tag"),
        ({"name": "favorite color", "field_type": "text"}, Conflict, "already exists"),
        ({"name": "Favorite-Color", "field_type": "text"}, Conflict, "%FAVORITE_COLOR%"),
        ({"name": "Full name", "field_type": "text"}, Conflict, "%FULLNAME%"),
    ],
    ids=[
        "dropdown-no-options",
        "duplicate-option",
        "options-on-text",
        "unknown-type",
        "blank-name",
        "no-tag-chars",
        "duplicate-name",
        "tag-clash",
        "reserved-tag",
    ],
)
def test_create_custom_field_validation(
    session: Session, acct: int, kwargs: dict[str, object], error: type[Exception], expected: str
) -> None:
    svc.create_custom_field(session, account_id=acct, name="Favorite color", field_type="text")
    with pytest.raises(error) as err:
        svc.create_custom_field(session, account_id=acct, **kwargs)  # type: ignore[arg-type]
    assert expected in str(err.value)
    assert len(svc.list_custom_fields(session, account_id=acct)) == 1


def test_parse_field_value_is_reusable_for_segments() -> None:
    assert fv.parse_field_value("number", "42", field="Score") == Decimal(42)
    assert fv.parse_field_value(FieldType.DROPDOWN, "red", ["Red"], field="Color") == "Red"
    with pytest.raises(InvalidRequest, match="Color 'Pink' is not allowed; choose one of: 'Red'"):
        fv.parse_field_value("dropdown", "Pink", ["Red"], field="Color")
    with pytest.raises(InvalidRequest, match="empty"):
        fv.parse_field_value("text", "  ", field="Nickname")
    assert fv.parse_field_value("text", 90210, field="Zip") == "90210"
    assert fv.value_column("number") == "value_number" and fv.value_column("dropdown") == "value_text"
    assert fv.personalization_tag("Città natale") == "%CITTA_NATALE%"


def test_update_contact_with_nothing_to_change_is_refused(session: Session, acct: int) -> None:
    c = make_contact(session, account_id=acct)
    with pytest.raises(InvalidRequest, match="Nothing to change"):
        svc.update_contact(session, account_id=acct, contact_id=c.id)
    with pytest.raises(InvalidRequest, match="No field values"):
        svc.set_field_values(session, account_id=acct, contact_id=c.id, values={})


# ---------------------------------------------------------------- tags


def test_add_tag_creates_it_once_and_list_tags_counts(session: Session, acct: int) -> None:
    a = make_contact(session, account_id=acct)
    b = make_contact(session, account_id=acct)
    svc.add_tag(session, account_id=acct, contact_id=a.id, tag="VIP")
    out = svc.add_tag(session, account_id=acct, contact_id=b.id, tag="vip")
    assert out.tags == ["VIP"]
    svc.add_tag(session, account_id=acct, contact_id=b.id, tag="VIP")
    svc.create_tag(session, account_id=acct, name="Cold")
    assert [(t.name, t.contact_count) for t in svc.list_tags(session, account_id=acct)] == [
        ("Cold", 0),
        ("VIP", 2),
    ]
    with pytest.raises(Conflict):
        svc.create_tag(session, account_id=acct, name="cold")


def test_remove_tag(session: Session, acct: int) -> None:
    a = make_contact(session, account_id=acct)
    svc.add_tag(session, account_id=acct, contact_id=a.id, tag="Customer")
    svc.create_tag(session, account_id=acct, name="Lead")
    with pytest.raises(NotFound, match="Did you mean 'Customer'"):
        svc.remove_tag(session, account_id=acct, contact_id=a.id, tag="Custmer")
    with pytest.raises(NotFound, match="does not have tag 'Lead'"):
        svc.remove_tag(session, account_id=acct, contact_id=a.id, tag="lead")
    assert svc.remove_tag(session, account_id=acct, contact_id=a.id, tag="customer").tags == []


def test_bulk_tag_checks_every_id_first(session: Session, acct: int) -> None:
    ids = [make_contact(session, account_id=acct).id for _ in range(3)]
    svc.add_tag(session, account_id=acct, contact_id=ids[0], tag="Webinar")
    with pytest.raises(NotFound, match="999999.*nothing was tagged"):
        svc.bulk_add_tag(session, account_id=acct, contact_ids=[*ids, 999999], tag="Webinar")
    assert _count(session, ContactTag, account_id=acct) == 1
    out = svc.bulk_add_tag(session, account_id=acct, contact_ids=[*ids, ids[1]], tag="webinar")
    assert (out.tag, out.tagged, out.already_tagged) == ("Webinar", 2, 1)
    assert _count(session, ContactTag, account_id=acct) == 3


# ---------------------------------------------------------------- lists and subscriptions


def test_subscribe_unsubscribe_and_explicit_resubscribe(session: Session, acct: int, now: datetime) -> None:
    svc.create_list(session, account_id=acct, name="Newsletter")
    c = make_contact(session, account_id=acct)
    sub = svc.subscribe(session, account_id=acct, contact_id=c.id, list_ref="newsletter", now=now)
    assert sub.email_status == SubscriptionStatus.SUBSCRIBED and sub.subscribed_at == now
    # Subscribing again is harmless.
    svc.subscribe(session, account_id=acct, contact_id=c.id, list_ref="Newsletter", now=now)
    later = now + timedelta(days=3)
    out = svc.unsubscribe(
        session, account_id=acct, contact_id=c.id, list_ref="Newsletter", reason="Too many", now=later
    )
    assert (out.email_status, out.unsubscribed_at, out.unsubscribe_reason) == (
        SubscriptionStatus.UNSUBSCRIBED,
        later,
        "Too many",
    )
    with pytest.raises(Conflict, match="resubscribe_contact"):
        svc.subscribe(session, account_id=acct, contact_id=c.id, list_ref="Newsletter", now=later)
    back = svc.resubscribe_contact(
        session, account_id=acct, contact_id=c.id, list_ref="Newsletter", now=later
    )
    assert back.email_status == SubscriptionStatus.SUBSCRIBED and back.unsubscribed_at is None
    with pytest.raises(Conflict, match="already subscribed"):
        svc.resubscribe_contact(session, account_id=acct, contact_id=c.id, list_ref="Newsletter", now=later)
    assert [m.list_name for m in svc.get_contact(session, account_id=acct, contact_id=c.id).lists] == [
        "Newsletter"
    ]


def test_resubscribe_and_subscribe_refuse_bounced_contacts(
    session: Session, acct: int, now: datetime
) -> None:
    svc.create_list(session, account_id=acct, name="News")
    svc.create_list(session, account_id=acct, name="Offers")
    c = make_contact(session, account_id=acct)
    svc.subscribe(session, account_id=acct, contact_id=c.id, list_ref="News", now=now)
    svc.unsubscribe(session, account_id=acct, contact_id=c.id, list_ref="News", now=now)
    svc.mark_bounced(session, account_id=acct, contact_id=c.id, now=now)
    with pytest.raises(Conflict, match="bounced"):
        svc.resubscribe_contact(session, account_id=acct, contact_id=c.id, list_ref="News", now=now)
    with pytest.raises(Conflict, match="bounced"):
        svc.subscribe(session, account_id=acct, contact_id=c.id, list_ref="Offers", now=now)


def test_unknown_list_suggests_nearest(session: Session, acct: int, now: datetime) -> None:
    svc.create_list(session, account_id=acct, name="Newsletter")
    c = make_contact(session, account_id=acct)
    with pytest.raises(NotFound, match="No list named 'Newsleter'. Did you mean 'Newsletter'"):
        svc.subscribe(session, account_id=acct, contact_id=c.id, list_ref="Newsleter", now=now)
    with pytest.raises(NotFound, match="is not on list"):
        svc.unsubscribe(session, account_id=acct, contact_id=c.id, list_ref="Newsletter", now=now)


def test_sms_consent_needs_source_sms_list_and_phone(session: Session, acct: int, now: datetime) -> None:
    svc.create_list(session, account_id=acct, name="Email only")
    svc.create_list(session, account_id=acct, name="Texts", allows_sms=True)
    with_phone = make_contact(session, account_id=acct, phone="+14155550100")
    no_phone = make_contact(session, account_id=acct)
    cases = [
        (with_phone.id, "Texts", None, "needs a source"),
        (with_phone.id, "Email only", "web form", "not enabled for SMS"),
        (no_phone.id, "Texts", "web form", "no phone number"),
    ]
    for contact_id, name, source, expected in cases:
        with pytest.raises(InvalidRequest, match=expected):
            svc.subscribe(
                session,
                account_id=acct,
                contact_id=contact_id,
                list_ref=name,
                now=now,
                sms_consent=True,
                sms_consent_source=source,
            )
    assert _count(session, ListSubscription, account_id=acct) == 0
    sub = svc.subscribe(
        session,
        account_id=acct,
        contact_id=with_phone.id,
        list_ref="Texts",
        now=now,
        sms_consent=True,
        sms_consent_source="keyword JOIN",
    )
    assert (sub.sms_consent, sub.sms_consent_source, sub.sms_consent_at) == (True, "keyword JOIN", now)
    stop = svc.unsubscribe(
        session, account_id=acct, contact_id=with_phone.id, list_ref="Texts", now=now, channel="sms"
    )
    assert stop.sms_consent is False and stop.email_status == SubscriptionStatus.SUBSCRIBED


def test_list_lists_counts(session: Session, acct: int, now: datetime) -> None:
    svc.create_list(session, account_id=acct, name="Texts", allows_sms=True)
    svc.create_list(session, account_id=acct, name="Empty")
    a = make_contact(session, account_id=acct, phone="+14155550101")
    b = make_contact(session, account_id=acct)
    c = make_contact(session, account_id=acct)
    svc.subscribe(
        session,
        account_id=acct,
        contact_id=a.id,
        list_ref="Texts",
        now=now,
        sms_consent=True,
        sms_consent_source="form",
    )
    svc.subscribe(session, account_id=acct, contact_id=b.id, list_ref="Texts", now=now)
    svc.subscribe(session, account_id=acct, contact_id=c.id, list_ref="Texts", now=now)
    svc.unsubscribe(session, account_id=acct, contact_id=c.id, list_ref="Texts", now=now)
    got = {
        x.name: (x.subscriber_count, x.unsubscribed_count, x.sms_consent_count, x.allows_sms)
        for x in svc.list_lists(session, account_id=acct)
    }
    assert got == {"Empty": (0, 0, 0, False), "Texts": (2, 1, 1, True)}
    with pytest.raises(Conflict):
        svc.create_list(session, account_id=acct, name="texts")


# ---------------------------------------------------------------- deliverability


@pytest.fixture
def audience(session: Session, acct: int, now: datetime) -> dict[str, int]:
    """Two lists and contacts in every situation a send has to handle."""
    svc.create_list(session, account_id=acct, name="A", allows_sms=True)
    svc.create_list(session, account_id=acct, name="B")
    svc.create_list(session, account_id=acct, name="Elsewhere")
    people: dict[str, int] = {}
    for key in ("active", "unsub", "bounced", "split", "sms", "no_phone_sms", "outsider"):
        people[key] = make_contact(
            session, account_id=acct, email=f"{key}@example.com", phone="+14155550199"
        ).id

    def sub(key: str, name: str, **kw: object) -> None:
        svc.subscribe(session, account_id=acct, contact_id=people[key], list_ref=name, now=now, **kw)  # type: ignore[arg-type]

    sub("active", "A")
    sub("active", "B")
    sub("unsub", "A")
    svc.unsubscribe(session, account_id=acct, contact_id=people["unsub"], list_ref="A", now=now)
    sub("bounced", "B")
    svc.mark_bounced(session, account_id=acct, contact_id=people["bounced"], now=now)
    sub("split", "A")
    sub("split", "B")
    svc.unsubscribe(session, account_id=acct, contact_id=people["split"], list_ref="B", now=now)
    sub("sms", "A", sms_consent=True, sms_consent_source="form")
    sub("no_phone_sms", "A", sms_consent=True, sms_consent_source="form")
    svc.update_contact(session, account_id=acct, contact_id=people["no_phone_sms"], phone=None)
    sub("outsider", "Elsewhere")
    people.update({f"list_{x.name}": x.id for x in svc.list_lists(session, account_id=acct)})
    return people


def test_sendable_email_excludes_unsubscribed_and_bounced(
    session: Session, acct: int, audience: dict[str, int]
) -> None:
    lists = [audience["list_A"], audience["list_B"]]
    ids = set(session.scalars(svc.sendable_email_contact_ids(session, account_id=acct, list_ids=lists)))
    assert ids == {audience[k] for k in ("active", "split", "sms", "no_phone_sms")}
    only_b = set(
        session.scalars(
            svc.sendable_email_contact_ids(session, account_id=acct, list_ids=[audience["list_B"]])
        )
    )
    assert only_b == {audience["active"]}


def test_sendable_sms_needs_consent_and_phone(session: Session, acct: int, audience: dict[str, int]) -> None:
    stmt = svc.sendable_sms_contact_ids(
        session, account_id=acct, list_ids=[audience["list_A"], audience["list_B"]]
    )
    assert set(session.scalars(stmt)) == {audience["sms"]}


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        (
            "email",
            {
                "members": 6,
                "sendable": 4,
                "bounced": 1,
                "unsubscribed": 1,
                "no_sms_consent": 0,
                "no_phone": 0,
            },
        ),
        (
            "sms",
            {
                "members": 6,
                "sendable": 1,
                "bounced": 1,
                "unsubscribed": 1,
                "no_sms_consent": 2,
                "no_phone": 1,
            },
        ),
    ],
    ids=["email", "sms"],
)
def test_exclusion_counts_explain_who_is_left_out(
    session: Session, acct: int, audience: dict[str, int], channel: str, expected: dict[str, int]
) -> None:
    lists = [audience["list_A"], audience["list_B"]]
    counts = svc.exclusion_counts(session, account_id=acct, list_ids=lists, channel=channel)
    assert counts.model_dump(exclude={"channel", "list_ids"}) == expected
    assert counts.channel == Channel(channel)
    builder = svc.sendable_email_contact_ids if channel == "email" else svc.sendable_sms_contact_ids
    sendable = session.scalar(
        select(func.count()).select_from(builder(session, account_id=acct, list_ids=lists).subquery())
    )
    assert counts.sendable == sendable


def test_deliverability_helpers_validate_lists(session: Session, acct: int) -> None:
    with pytest.raises(InvalidRequest, match="at least one list"):
        svc.exclusion_counts(session, account_id=acct, list_ids=[])
    with pytest.raises(NotFound, match="No list with id 424242"):
        svc.sendable_email_contact_ids(session, account_id=acct, list_ids=[424242])
    with pytest.raises(InvalidRequest, match="'email', 'sms'"):
        svc.exclusion_counts(session, account_id=acct, list_ids=[1], channel="fax")


# ---------------------------------------------------------------- tenant isolation


def test_account_b_cannot_read_or_change_account_a(session: Session, now: datetime) -> None:
    a = make_account(session).id
    b = make_account(session).id
    svc.create_custom_field(session, account_id=a, name="Score", field_type="number")
    svc.create_list(session, account_id=a, name="Newsletter")
    svc.create_tag(session, account_id=a, name="VIP")
    contact = make_contact(session, account_id=a, email="secret@a.com", custom_fields={"Score": 5})
    svc.subscribe(session, account_id=a, contact_id=contact.id, list_ref="Newsletter", now=now)
    svc.add_tag(session, account_id=a, contact_id=contact.id, tag="VIP")
    list_id = svc.list_lists(session, account_id=a)[0].id
    field_id = svc.list_custom_fields(session, account_id=a)[0].id
    b_contact = make_contact(session, account_id=b, email="secret@a.com")  # same address, another tenant

    cid = contact.id
    attempts = [
        lambda: svc.get_contact(session, account_id=b, contact_id=cid),
        lambda: svc.find_contact(session, account_id=b, ref=cid),
        lambda: svc.update_contact(session, account_id=b, contact_id=cid, first_name="Hacked"),
        lambda: svc.delete_contact(session, account_id=b, contact_id=cid),
        lambda: svc.mark_bounced(session, account_id=b, contact_id=cid, now=now),
        lambda: svc.set_field_value(session, account_id=b, contact_id=cid, field="Score", value=1),
        lambda: svc.set_field_value(session, account_id=b, contact_id=b_contact.id, field="Score", value=1),
        lambda: svc.get_custom_field(session, account_id=b, field=field_id),
        lambda: svc.add_tag(session, account_id=b, contact_id=cid, tag="VIP"),
        lambda: svc.remove_tag(session, account_id=b, contact_id=cid, tag="VIP"),
        lambda: svc.remove_tag(session, account_id=b, contact_id=b_contact.id, tag="VIP"),
        lambda: svc.bulk_add_tag(session, account_id=b, contact_ids=[cid], tag="X"),
        lambda: svc.subscribe(session, account_id=b, contact_id=b_contact.id, list_ref="Newsletter", now=now),
        lambda: svc.subscribe(session, account_id=b, contact_id=b_contact.id, list_ref=list_id, now=now),
        lambda: svc.unsubscribe(session, account_id=b, contact_id=cid, list_ref=list_id, now=now),
        lambda: svc.resubscribe_contact(session, account_id=b, contact_id=cid, list_ref=list_id, now=now),
        lambda: svc.get_list(session, account_id=b, list_ref=list_id),
        lambda: svc.sendable_email_contact_ids(session, account_id=b, list_ids=[list_id]),
        lambda: svc.exclusion_counts(session, account_id=b, list_ids=[list_id]),
    ]
    for i, attempt in enumerate(attempts):
        with pytest.raises(NotFound):
            attempt()
        assert i >= 0
    assert svc.find_contact(session, account_id=b, ref="secret@a.com").id == b_contact.id
    assert svc.search_contacts(session, account_id=b, query="secret").total == 1
    assert svc.list_lists(session, account_id=b) == []
    assert svc.list_tags(session, account_id=b) == []
    assert svc.list_custom_fields(session, account_id=b) == []
    untouched = svc.get_contact(session, account_id=a, contact_id=cid)
    assert untouched.first_name != "Hacked" and untouched.status == ContactStatus.ACTIVE
    assert untouched.custom_fields == {"Score": Decimal(5)} and untouched.tags == ["VIP"]
    assert untouched.lists[0].email_status == SubscriptionStatus.SUBSCRIBED
