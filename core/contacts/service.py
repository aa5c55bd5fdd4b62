"""Contacts, custom field values, tags, lists and subscriptions, and who a send may reach."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from core.contacts import fields as fv
from core.contacts.models import (
    Contact,
    ContactFieldValue,
    ContactTag,
    CustomField,
    ListSubscription,
    MailingList,
    Tag,
)
from core.contacts.schemas import (
    UNSET,
    BulkTagOut,
    ContactBase,
    ContactOut,
    ContactPage,
    CustomFieldOut,
    ExclusionCounts,
    ListOut,
    NotGiven,
    SubscriptionOut,
    TagOut,
)
from core.db import utcnow
from core.enums import Channel, ContactStatus, FieldType, SubscriptionStatus
from core.errors import Conflict, InvalidRequest, NotFound, invalid_choice, not_found
from core.scope import get_owned, resolve

NAME_MAX = 100
LIST_NAME_MAX = 150
MAX_PAGE = 100
MAX_BULK = 10_000
# Field names that are standard contact columns: a custom field with the same name would be ambiguous.
STANDARD_FIELDS = {
    "email": "email", "phone": "phone", "first name": "first_name", "last name": "last_name",
    "preferred language": "preferred_language", "language": "preferred_language", "time zone": "timezone",
    "timezone": "timezone", "country": "country", "city": "city", "status": "status",
}


# ---------------------------------------------------------------- shared lookups


def _contact(session: Session, account_id: int, contact_id: int) -> Contact:
    return get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")


def _list(session: Session, account_id: int, ref: int | str) -> MailingList:
    return resolve(session, MailingList, account_id=account_id, ref=ref, kind="list")


def _field(session: Session, account_id: int, ref: int | str) -> CustomField:
    return resolve(session, CustomField, account_id=account_id, ref=ref, kind="custom field")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name(raw: str | None, *, field: str, max_len: int = NAME_MAX) -> str | None:
    if fv.is_blank(raw):
        return None
    assert raw is not None
    return fv.parse_text(raw, field=field, max_len=max_len)


def _required_name(raw: str, *, kind: str, max_len: int) -> str:
    text = (raw or "").strip()
    if not text:
        raise InvalidRequest(f"The {kind} name is empty; give the {kind} a name.", field="name")
    if len(text) > max_len:
        raise InvalidRequest(
            f"The {kind} name {text[:40]!r}... is {len(text)} characters; the limit is {max_len}.",
            field="name",
        )
    return text


def _outs(session: Session, contacts: Sequence[Contact]) -> list[ContactOut]:
    """Build ContactOuts with three batched queries (fields, tags, lists) instead of one per contact."""
    ids = [c.id for c in contacts]
    if not ids:
        return []
    values: dict[int, dict[str, Any]] = defaultdict(dict)
    for cfv, name, ftype in session.execute(
        select(ContactFieldValue, CustomField.name, CustomField.type)
        .join(CustomField, CustomField.id == ContactFieldValue.field_id)
        .where(ContactFieldValue.contact_id.in_(ids))
        .order_by(CustomField.name)
    ):
        column = fv.value_column(ftype)
        raw = getattr(cfv, column)
        if raw is not None:
            values[cfv.contact_id][name] = fv.number_out(raw) if column == "value_number" else raw
    tags: dict[int, list[str]] = defaultdict(list)
    for contact_id, tag_name in session.execute(
        select(ContactTag.contact_id, Tag.name)
        .join(Tag, Tag.id == ContactTag.tag_id)
        .where(ContactTag.contact_id.in_(ids))
        .order_by(Tag.name)
    ):
        tags[contact_id].append(tag_name)
    subs: dict[int, list[SubscriptionOut]] = defaultdict(list)
    for sub, list_name in session.execute(
        select(ListSubscription, MailingList.name)
        .join(MailingList, MailingList.id == ListSubscription.list_id)
        .where(ListSubscription.contact_id.in_(ids))
        .order_by(MailingList.name)
    ):
        subs[sub.contact_id].append(_sub_out(sub, list_name))
    return [
        ContactOut(
            **ContactBase.model_validate(c).model_dump(),
            custom_fields=values[c.id],
            tags=tags[c.id],
            lists=subs[c.id],
        )
        for c in contacts
    ]


def _out(session: Session, contact: Contact) -> ContactOut:
    return _outs(session, [contact])[0]


def _sub_out(sub: ListSubscription, list_name: str) -> SubscriptionOut:
    return SubscriptionOut(
        contact_id=sub.contact_id,
        list_id=sub.list_id,
        list_name=list_name,
        email_status=sub.email_status,
        sms_consent=sub.sms_consent,
        sms_consent_source=sub.sms_consent_source,
        sms_consent_at=sub.sms_consent_at,
        subscribed_at=sub.subscribed_at,
        unsubscribed_at=sub.unsubscribed_at,
        unsubscribe_reason=sub.unsubscribe_reason,
    )


# ---------------------------------------------------------------- contacts


def _check_email_free(session: Session, account_id: int, email: str, *, except_id: int | None = None) -> None:
    other = session.scalar(
        select(Contact.id).where(Contact.account_id == account_id, func.lower(Contact.email) == email)
    )
    if other is not None and other != except_id:
        raise Conflict(
            f"A contact with email {email!r} already exists (id {other}); update that contact instead.",
            field="email",
        )


def _standard_values(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the standard fields present in ``changes``; blank optional values become None."""
    parsers = {
        "phone": fv.parse_phone,
        "preferred_language": fv.parse_language,
        "timezone": fv.parse_timezone,
        "country": fv.parse_country,
    }
    labels = {"first_name": "First name", "last_name": "Last name", "city": "City"}
    clean: dict[str, Any] = {}
    for key, raw in changes.items():
        if key == "email":
            clean[key] = fv.parse_email(raw)
        elif key in parsers:
            clean[key] = None if fv.is_blank(raw) else parsers[key](raw)
        else:
            clean[key] = _name(raw, field=labels[key])
    return clean


def _prepare_values(
    session: Session, account_id: int, values: Mapping[str, object] | None
) -> list[tuple[CustomField, fv.FieldValue | None]]:
    """Resolve and parse every custom field value before anything is written (None means clear)."""
    prepared: list[tuple[CustomField, fv.FieldValue | None]] = []
    seen: dict[int, str] = {}
    for ref, raw in (values or {}).items():
        key = str(ref).strip().lower()
        if key in STANDARD_FIELDS:
            raise InvalidRequest(
                f"{ref!r} is a standard contact field, not a custom field; "
                f"pass it as {STANDARD_FIELDS[key]}=... instead.",
                field=str(ref),
            )
        field = _field(session, account_id, ref)
        if field.id in seen:
            raise InvalidRequest(
                f"Custom field {field.name!r} is given twice ({seen[field.id]!r} and {ref!r}); give it once.",
                field=field.name,
            )
        seen[field.id] = str(ref)
        if fv.is_blank(raw):
            prepared.append((field, None))
        else:
            prepared.append((field, fv.parse_field_value(field.type, raw, field.options, field=field.name)))
    return prepared


Prepared = list[tuple[CustomField, fv.FieldValue | None]]


def _write_values(session: Session, account_id: int, contact_id: int, prepared: Prepared) -> None:
    for field, value in prepared:
        row = session.get(ContactFieldValue, (contact_id, field.id))
        if value is None:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = ContactFieldValue(contact_id=contact_id, field_id=field.id, account_id=account_id)
            session.add(row)
        row.value_text, row.value_number, row.value_date = None, None, None
        setattr(row, fv.value_column(field.type), value)


def create_contact(
    session: Session,
    *,
    account_id: int,
    email: str,
    phone: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    preferred_language: str | None = None,
    timezone: str | None = None,
    country: str | None = None,
    city: str | None = None,
    custom_fields: Mapping[str, object] | None = None,
    now: datetime | None = None,
) -> ContactOut:
    """Create a contact; custom field values are given by field name."""
    clean = _standard_values(
        {
            "email": email, "phone": phone, "first_name": first_name, "last_name": last_name,
            "preferred_language": preferred_language, "timezone": timezone, "country": country, "city": city,
        }
    )
    _check_email_free(session, account_id, clean["email"])
    prepared = _prepare_values(session, account_id, custom_fields)
    at = now or utcnow()
    contact = Contact(
        account_id=account_id, status=ContactStatus.ACTIVE, created_at=at, updated_at=at, **clean
    )
    session.add(contact)
    session.flush()
    _write_values(session, account_id, contact.id, prepared)
    session.flush()
    return _out(session, contact)


def get_contact(session: Session, *, account_id: int, contact_id: int) -> ContactOut:
    """Return one contact with its fields, tags and lists."""
    return _out(session, _contact(session, account_id, contact_id))


def find_contact(session: Session, *, account_id: int, ref: int | str) -> ContactOut:
    """Find a contact by id or email address (case-insensitive)."""
    if isinstance(ref, int) or ref.strip().isdigit():
        return get_contact(session, account_id=account_id, contact_id=int(ref))
    text = ref.strip().lower()
    if "@" not in text:
        raise InvalidRequest(
            f"{ref!r} is neither a contact id nor an email address; search by name with search_contacts.",
            field="contact",
        )
    contact = session.scalars(
        select(Contact).where(Contact.account_id == account_id, func.lower(Contact.email) == text)
    ).first()
    if contact is not None:
        return _out(session, contact)
    local, _, domain = text.partition("@")
    # Only near-looking addresses are candidates, so a large account does not load every email.
    candidates = session.scalars(
        select(Contact.email)
        .where(
            Contact.account_id == account_id,
            or_(
                Contact.email.like(_escape_like(local[:3]) + "%", escape="\\"),
                Contact.email.like("%@" + _escape_like(domain), escape="\\"),
            ),
        )
        .limit(200)
    ).all()
    if not candidates:
        # The pool above is only look-alikes, so an empty one must not read as "this account has no contacts".
        raise NotFound(
            f"No contact named {text!r} in this account; check the spelling or search by name.", field="contact"
        )
    raise not_found("contact", text, candidates)


def update_contact(
    session: Session,
    *,
    account_id: int,
    contact_id: int,
    email: str | NotGiven = UNSET,
    phone: str | None | NotGiven = UNSET,
    first_name: str | None | NotGiven = UNSET,
    last_name: str | None | NotGiven = UNSET,
    preferred_language: str | None | NotGiven = UNSET,
    timezone: str | None | NotGiven = UNSET,
    country: str | None | NotGiven = UNSET,
    city: str | None | NotGiven = UNSET,
    custom_fields: Mapping[str, object] | None = None,
    now: datetime | None = None,
) -> ContactOut:
    """Change the given fields only; None (or blank) clears an optional field."""
    contact = _contact(session, account_id, contact_id)
    given = {
        k: v
        for k, v in {
            "email": email, "phone": phone, "first_name": first_name, "last_name": last_name,
            "preferred_language": preferred_language, "timezone": timezone, "country": country, "city": city,
        }.items()
        if v is not UNSET
    }
    if not given and not custom_fields:
        raise InvalidRequest(
            "Nothing to change; give at least one field (email, phone, first_name, ...) or custom_fields.",
        )
    clean = _standard_values(given)
    if "email" in clean:
        _check_email_free(session, account_id, clean["email"], except_id=contact.id)
    prepared = _prepare_values(session, account_id, custom_fields)
    for key, value in clean.items():
        setattr(contact, key, value)
    _write_values(session, account_id, contact.id, prepared)
    contact.updated_at = now or utcnow()
    session.flush()
    return _out(session, contact)


def delete_contact(session: Session, *, account_id: int, contact_id: int) -> ContactOut:
    """Delete a contact with its values, tags and memberships; returns what was deleted."""
    contact = _contact(session, account_id, contact_id)
    snapshot = _out(session, contact)
    # Values, tags, memberships and activity go with it through the ON DELETE CASCADE foreign keys.
    session.delete(contact)
    session.flush()
    return snapshot


def _page_bounds(offset: int, limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit {limit} is out of range; use 1 to {MAX_PAGE}.", field="limit")
    if offset < 0:
        raise InvalidRequest(f"offset {offset} is negative; use 0 or more.", field="offset")


def search_contacts(
    session: Session,
    *,
    account_id: int,
    query: str = "",
    status: ContactStatus | str | None = None,
    offset: int = 0,
    limit: int = 25,
) -> ContactPage:
    """Find contacts whose email or name contains ``query`` (case-insensitive), a page at a time."""
    _page_bounds(offset, limit)
    conditions: list[Any] = [Contact.account_id == account_id]
    text = query.strip().lower()
    if text:
        pattern = "%" + _escape_like(text) + "%"
        first, last = func.coalesce(Contact.first_name, ""), func.coalesce(Contact.last_name, "")
        full_name = func.lower(first + " " + last)
        conditions.append(
            or_(
                func.lower(Contact.email).like(pattern, escape="\\"),
                full_name.like(pattern, escape="\\"),
            )
        )
    if status is not None:
        try:
            conditions.append(Contact.status == ContactStatus(status))
        except ValueError:
            raise invalid_choice("status", status, [s.value for s in ContactStatus]) from None
    total = session.scalar(select(func.count()).select_from(Contact).where(*conditions)) or 0
    rows = session.scalars(
        select(Contact).where(*conditions).order_by(Contact.id).offset(offset).limit(limit)
    ).all()
    return ContactPage(items=_outs(session, rows), total=total, offset=offset, limit=limit)


def mark_bounced(session: Session, *, account_id: int, contact_id: int, now: datetime) -> ContactOut:
    """Mark the contact's address as bounced: no list will email them again."""
    contact = _contact(session, account_id, contact_id)
    if contact.status != ContactStatus.BOUNCED:
        contact.status = ContactStatus.BOUNCED
        contact.updated_at = now
        session.flush()
    return _out(session, contact)


# ---------------------------------------------------------------- custom fields


def create_custom_field(
    session: Session,
    *,
    account_id: int,
    name: str,
    field_type: FieldType | str,
    options: list[str] | None = None,
    now: datetime | None = None,
) -> CustomFieldOut:
    """Create a custom contact field; its personalization tag is derived from the name."""
    clean = _required_name(name, kind="field", max_len=NAME_MAX)
    kind = fv.field_type_of(field_type)
    if clean.lower() in STANDARD_FIELDS:
        raise Conflict(
            f"{clean!r} is a standard contact field already; set it with update_contact"
            f"({STANDARD_FIELDS[clean.lower()]}=...).",
            field="name",
        )
    tag = fv.personalization_tag(clean)
    # %FULL_NAME% would be read as the standard %FULLNAME%, so compare without underscores.
    clash = next((r for r in fv.RESERVED_TAGS if r.replace("_", "") == tag.replace("_", "")), None)
    if clash is not None:
        raise Conflict(
            f"Field {clean!r} would get tag {tag}, which clashes with the standard tag {clash}; "
            "choose another name.",
            field="name",
        )
    opts = fv.parse_options(kind, options, field=clean)
    for other_name, other_tag in session.execute(
        select(CustomField.name, CustomField.tag).where(CustomField.account_id == account_id)
    ):
        if other_name.lower() == clean.lower():
            raise Conflict(f"A custom field named {other_name!r} already exists.", field="name")
        if other_tag == tag:
            raise Conflict(
                f"Field {clean!r} would get tag {tag}, which field {other_name!r} already uses; "
                "choose another name.",
                field="name",
            )
    field = CustomField(
        account_id=account_id, name=clean, tag=tag, type=kind, options=opts, created_at=now or utcnow()
    )
    session.add(field)
    session.flush()
    return CustomFieldOut.model_validate(field)


def get_custom_field(session: Session, *, account_id: int, field: int | str) -> CustomFieldOut:
    """Return one custom field by id or name."""
    return CustomFieldOut.model_validate(_field(session, account_id, field))


def list_custom_fields(session: Session, *, account_id: int) -> list[CustomFieldOut]:
    """Return the account's custom fields, by name."""
    rows = session.scalars(
        select(CustomField).where(CustomField.account_id == account_id).order_by(func.lower(CustomField.name))
    ).all()
    return [CustomFieldOut.model_validate(f) for f in rows]


def set_field_values(
    session: Session,
    *,
    account_id: int,
    contact_id: int,
    values: Mapping[str, object],
    now: datetime | None = None,
) -> ContactOut:
    """Set several custom field values by field name; one bad value rejects them all. None clears a value."""
    if not values:
        raise InvalidRequest("No field values given; pass {field name: value}.", field="values")
    return update_contact(
        session, account_id=account_id, contact_id=contact_id, custom_fields=values, now=now
    )


def set_field_value(
    session: Session,
    *,
    account_id: int,
    contact_id: int,
    field: str,
    value: object,
    now: datetime | None = None,
) -> ContactOut:
    """Set one custom field value by field name (None clears it)."""
    return set_field_values(
        session, account_id=account_id, contact_id=contact_id, values={field: value}, now=now
    )


# ---------------------------------------------------------------- tags


def _tag_named(session: Session, account_id: int, name: str) -> Tag | None:
    return session.scalars(
        select(Tag).where(Tag.account_id == account_id, func.lower(Tag.name) == name.strip().lower())
    ).first()


def _existing_tag(session: Session, account_id: int, name: str) -> Tag:
    tag = _tag_named(session, account_id, name)
    if tag is None:
        names = session.scalars(select(Tag.name).where(Tag.account_id == account_id).limit(500)).all()
        raise not_found("tag", name.strip(), names)
    return tag


def _get_or_create_tag(session: Session, account_id: int, name: str) -> Tag:
    clean = _required_name(name, kind="tag", max_len=NAME_MAX)
    tag = _tag_named(session, account_id, clean)
    if tag is None:
        tag = Tag(account_id=account_id, name=clean)
        session.add(tag)
        session.flush()
    return tag


def create_tag(session: Session, *, account_id: int, name: str) -> TagOut:
    """Create a tag (names are unique, case-insensitively)."""
    clean = _required_name(name, kind="tag", max_len=NAME_MAX)
    existing = _tag_named(session, account_id, clean)
    if existing is not None:
        raise Conflict(f"A tag named {existing.name!r} already exists.", field="name")
    tag = Tag(account_id=account_id, name=clean)
    session.add(tag)
    session.flush()
    return TagOut(id=tag.id, name=tag.name, contact_count=0)


def add_tag(session: Session, *, account_id: int, contact_id: int, tag: str) -> ContactOut:
    """Tag a contact, creating the tag if the account does not have it yet."""
    contact = _contact(session, account_id, contact_id)
    row = _get_or_create_tag(session, account_id, tag)
    if session.get(ContactTag, (contact.id, row.id)) is None:
        session.add(ContactTag(contact_id=contact.id, tag_id=row.id, account_id=account_id))
        session.flush()
    return _out(session, contact)


def remove_tag(session: Session, *, account_id: int, contact_id: int, tag: str) -> ContactOut:
    """Remove a tag from a contact."""
    contact = _contact(session, account_id, contact_id)
    row = _existing_tag(session, account_id, tag)
    link = session.get(ContactTag, (contact.id, row.id))
    if link is None:
        raise NotFound(f"Contact {contact.email!r} does not have tag {row.name!r}.", field="tag")
    session.delete(link)
    session.flush()
    return _out(session, contact)


def bulk_add_tag(session: Session, *, account_id: int, contact_ids: Sequence[int], tag: str) -> BulkTagOut:
    """Tag many contacts at once; every id is checked first, so an unknown id tags nobody."""
    ids = list(dict.fromkeys(contact_ids))
    if not ids:
        raise InvalidRequest("No contact ids given; pass the ids of the contacts to tag.", field="contacts")
    if len(ids) > MAX_BULK:
        raise InvalidRequest(f"{len(ids):,} contacts is too many for one call; tag at most {MAX_BULK:,}.")
    found = set(
        session.scalars(select(Contact.id).where(Contact.account_id == account_id, Contact.id.in_(ids)))
    )
    missing = [i for i in ids if i not in found]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise NotFound(
            f"No contacts with ids {shown} in this account; nothing was tagged.", field="contact_ids"
        )
    row = _get_or_create_tag(session, account_id, tag)
    have = set(
        session.scalars(
            select(ContactTag.contact_id).where(ContactTag.tag_id == row.id, ContactTag.contact_id.in_(ids))
        )
    )
    session.add_all(
        ContactTag(contact_id=i, tag_id=row.id, account_id=account_id) for i in ids if i not in have
    )
    session.flush()
    return BulkTagOut(tag=row.name, tagged=len(ids) - len(have), already_tagged=len(have))


def list_tags(session: Session, *, account_id: int) -> list[TagOut]:
    """Return the account's tags with how many contacts carry each."""
    rows = session.execute(
        select(Tag.id, Tag.name, func.count(ContactTag.contact_id))
        .outerjoin(ContactTag, ContactTag.tag_id == Tag.id)
        .where(Tag.account_id == account_id)
        .group_by(Tag.id, Tag.name)
        .order_by(func.lower(Tag.name))
    ).all()
    return [TagOut(id=i, name=n, contact_count=c) for i, n, c in rows]


# ---------------------------------------------------------------- lists and subscriptions


def _list_outs(session: Session, account_id: int, lists: Sequence[MailingList]) -> list[ListOut]:
    ids = [m.id for m in lists]
    subscribed = ListSubscription.email_status == SubscriptionStatus.SUBSCRIBED
    counts = {
        list_id: (subs, unsubs, sms)
        for list_id, subs, unsubs, sms in session.execute(
            select(
                ListSubscription.list_id,
                func.sum(case((subscribed, 1), else_=0)),
                func.sum(case((subscribed, 0), else_=1)),
                func.sum(case((and_(subscribed, ListSubscription.sms_consent.is_(True)), 1), else_=0)),
            )
            .where(ListSubscription.account_id == account_id, ListSubscription.list_id.in_(ids))
            .group_by(ListSubscription.list_id)
        )
    }
    return [
        ListOut(
            id=m.id,
            name=m.name,
            description=m.description,
            allows_sms=m.allows_sms,
            subscriber_count=int(counts.get(m.id, (0, 0, 0))[0]),
            unsubscribed_count=int(counts.get(m.id, (0, 0, 0))[1]),
            sms_consent_count=int(counts.get(m.id, (0, 0, 0))[2]),
            created_at=m.created_at,
        )
        for m in lists
    ]


def create_list(
    session: Session,
    *,
    account_id: int,
    name: str,
    description: str | None = None,
    allows_sms: bool = False,
    now: datetime | None = None,
) -> ListOut:
    """Create a mailing list; ``allows_sms`` lets subscribers give SMS consent on it."""
    clean = _required_name(name, kind="list", max_len=LIST_NAME_MAX)
    existing = session.scalar(
        select(MailingList.name).where(
            MailingList.account_id == account_id, func.lower(MailingList.name) == clean.lower()
        )
    )
    if existing is not None:
        raise Conflict(f"A list named {existing!r} already exists.", field="name")
    row = MailingList(
        account_id=account_id,
        name=clean,
        description=None if fv.is_blank(description) else (description or "").strip(),
        allows_sms=allows_sms,
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return _list_outs(session, account_id, [row])[0]


def get_list(session: Session, *, account_id: int, list_ref: int | str) -> ListOut:
    """Return one list by id or name, with its counts."""
    return _list_outs(session, account_id, [_list(session, account_id, list_ref)])[0]


def list_lists(session: Session, *, account_id: int) -> list[ListOut]:
    """Return the account's lists with subscriber, unsubscribed and SMS-consent counts."""
    rows = session.scalars(
        select(MailingList).where(MailingList.account_id == account_id).order_by(func.lower(MailingList.name))
    ).all()
    return _list_outs(session, account_id, rows)


def subscribe(
    session: Session,
    *,
    account_id: int,
    contact_id: int,
    list_ref: int | str,
    now: datetime,
    sms_consent: bool = False,
    sms_consent_source: str | None = None,
) -> SubscriptionOut:
    """Subscribe a contact to a list, optionally with SMS consent (which needs a source and an SMS list).

    A contact who unsubscribed from the list is not re-added here; that takes resubscribe_contact.
    """
    contact = _contact(session, account_id, contact_id)
    target = _list(session, account_id, list_ref)
    source = None if fv.is_blank(sms_consent_source) else (sms_consent_source or "").strip()
    if sms_consent:
        if source is None:
            raise InvalidRequest(
                "SMS consent needs a source: say where the contact agreed "
                "(e.g. 'signup form', 'keyword JOIN').",
                field="sms_consent_source",
            )
        if len(source) > 100:
            raise InvalidRequest("The SMS consent source is longer than 100 characters; shorten it.")
        if not target.allows_sms:
            raise InvalidRequest(
                f"List {target.name!r} is not enabled for SMS, so it cannot record SMS consent; "
                "use an SMS-enabled list.",
                field="sms_consent",
            )
        if not contact.phone:
            raise InvalidRequest(
                f"Contact {contact.email!r} has no phone number; add one before recording SMS consent.",
                field="phone",
            )
    elif source is not None:
        raise InvalidRequest("sms_consent_source is only used together with sms_consent=True.")
    if contact.status == ContactStatus.BOUNCED:
        raise Conflict(
            f"Contact {contact.email!r} has bounced; a bounced address cannot be subscribed. "
            "Update the email address first.",
            field="contact",
        )
    sub = session.get(ListSubscription, (contact.id, target.id))
    if sub is not None and sub.email_status == SubscriptionStatus.UNSUBSCRIBED:
        raise Conflict(
            f"Contact {contact.email!r} unsubscribed from {target.name!r}"
            + (f" on {sub.unsubscribed_at:%Y-%m-%d}" if sub.unsubscribed_at else "")
            + "; "
            "only resubscribe_contact can add them back, and only at their own request.",
            field="list",
        )
    if sub is None:
        sub = ListSubscription(
            contact_id=contact.id, list_id=target.id, account_id=account_id,
            email_status=SubscriptionStatus.SUBSCRIBED, subscribed_at=now, sms_consent=False,
        )
        session.add(sub)
    if sms_consent and not sub.sms_consent:
        sub.sms_consent, sub.sms_consent_source, sub.sms_consent_at = True, source, now
    session.flush()
    return _sub_out(sub, target.name)


def _membership(session: Session, contact: Contact, target: MailingList) -> ListSubscription:
    sub = session.get(ListSubscription, (contact.id, target.id))
    if sub is None:
        raise NotFound(f"Contact {contact.email!r} is not on list {target.name!r}.", field="list")
    return sub


def unsubscribe(
    session: Session,
    *,
    account_id: int,
    contact_id: int,
    list_ref: int | str,
    now: datetime,
    reason: str | None = None,
    channel: Channel | str = Channel.EMAIL,
) -> SubscriptionOut:
    """Unsubscribe a contact from a list (stops email and SMS); channel='sms' only withdraws SMS consent."""
    try:
        chan = Channel(channel)
    except ValueError:
        raise invalid_choice("channel", channel, [c.value for c in Channel]) from None
    contact = _contact(session, account_id, contact_id)
    target = _list(session, account_id, list_ref)
    sub = _membership(session, contact, target)
    if chan == Channel.SMS:
        sub.sms_consent, sub.sms_consent_at = False, None
    elif sub.email_status != SubscriptionStatus.UNSUBSCRIBED:
        sub.email_status = SubscriptionStatus.UNSUBSCRIBED
        sub.unsubscribed_at = now
        sub.unsubscribe_reason = None if fv.is_blank(reason) else (reason or "").strip()[:200]
        # Consent does not survive an unsubscribe: a resubscribe must collect it again.
        sub.sms_consent, sub.sms_consent_at = False, None
    session.flush()
    return _sub_out(sub, target.name)


def resubscribe_contact(
    session: Session, *, account_id: int, contact_id: int, list_ref: int | str, now: datetime
) -> SubscriptionOut:
    """Put an unsubscribed contact back on a list, at their explicit request; bounced contacts are refused."""
    contact = _contact(session, account_id, contact_id)
    target = _list(session, account_id, list_ref)
    if contact.status == ContactStatus.BOUNCED:
        raise Conflict(
            f"Contact {contact.email!r} has bounced and cannot be resubscribed; "
            "update the email address first.",
            field="contact",
        )
    sub = _membership(session, contact, target)
    if sub.email_status == SubscriptionStatus.SUBSCRIBED:
        raise Conflict(f"Contact {contact.email!r} is already subscribed to {target.name!r}.", field="list")
    sub.email_status = SubscriptionStatus.SUBSCRIBED
    sub.subscribed_at = now
    sub.unsubscribed_at = None
    sub.unsubscribe_reason = None
    if contact.status == ContactStatus.UNSUBSCRIBED:
        contact.status = ContactStatus.ACTIVE
        contact.updated_at = now
    session.flush()
    return _sub_out(sub, target.name)


# ---------------------------------------------------------------- deliverability


def _owned_list_ids(session: Session, account_id: int, list_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(list_ids))
    if not ids:
        raise InvalidRequest("No lists given; choose at least one list to send to.", field="list_ids")
    found = set(
        session.scalars(
            select(MailingList.id).where(MailingList.account_id == account_id, MailingList.id.in_(ids))
        )
    )
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"No list with id {missing[0]} in this account.", field="list")
    return ids


def sendable_email_contact_ids(session: Session, *, account_id: int, list_ids: Sequence[int]) -> Select[int]:
    """Select the ids of contacts an email to ``list_ids`` may reach.

    A contact qualifies through any list it is still subscribed to (an unsubscribe is per list), and never
    when bounced or unsubscribed account-wide.
    """
    ids = _owned_list_ids(session, account_id, list_ids)
    return select(Contact.id).where(
        Contact.account_id == account_id,
        Contact.status == ContactStatus.ACTIVE,
        exists().where(
            ListSubscription.contact_id == Contact.id,
            ListSubscription.account_id == account_id,
            ListSubscription.list_id.in_(ids),
            ListSubscription.email_status == SubscriptionStatus.SUBSCRIBED,
        ),
    )


def sendable_sms_contact_ids(session: Session, *, account_id: int, list_ids: Sequence[int]) -> Select[int]:
    """Select the ids of contacts an SMS to ``list_ids`` may reach: subscribed, SMS consent, a phone."""
    ids = _owned_list_ids(session, account_id, list_ids)
    return select(Contact.id).where(
        Contact.account_id == account_id,
        Contact.status == ContactStatus.ACTIVE,
        Contact.phone.is_not(None),
        exists().where(
            ListSubscription.contact_id == Contact.id,
            ListSubscription.account_id == account_id,
            ListSubscription.list_id.in_(ids),
            ListSubscription.email_status == SubscriptionStatus.SUBSCRIBED,
            ListSubscription.sms_consent.is_(True),
        ),
    )


def exclusion_counts(
    session: Session, *, account_id: int, list_ids: Sequence[int], channel: Channel | str = Channel.EMAIL
) -> ExclusionCounts:
    """Count the members of ``list_ids`` a send on ``channel`` reaches, and why the others are excluded."""
    try:
        chan = Channel(channel)
    except ValueError:
        raise invalid_choice("channel", channel, [c.value for c in Channel]) from None
    ids = _owned_list_ids(session, account_id, list_ids)
    subscribed = ListSubscription.email_status == SubscriptionStatus.SUBSCRIBED
    per_contact = (
        select(
            ListSubscription.contact_id.label("contact_id"),
            func.max(case((subscribed, 1), else_=0)).label("subscribed"),
            func.max(case((and_(subscribed, ListSubscription.sms_consent.is_(True)), 1), else_=0)).label(
                "sms"
            ),
        )
        .where(ListSubscription.account_id == account_id, ListSubscription.list_id.in_(ids))
        .group_by(ListSubscription.contact_id)
        .subquery()
    )
    shaped = (
        select(
            Contact.status.label("status"),
            per_contact.c.subscribed,
            per_contact.c.sms,
            case((Contact.phone.is_(None), 0), else_=1).label("has_phone"),
        )
        .join(per_contact, per_contact.c.contact_id == Contact.id)
        .where(Contact.account_id == account_id)
        .subquery()
    )
    tally = {"members": 0, "sendable": 0, "bounced": 0, "unsubscribed": 0, "no_sms_consent": 0, "no_phone": 0}
    for status, is_subscribed, sms, has_phone, n in session.execute(
        select(shaped.c.status, shaped.c.subscribed, shaped.c.sms, shaped.c.has_phone, func.count()).group_by(
            shaped.c.status, shaped.c.subscribed, shaped.c.sms, shaped.c.has_phone
        )
    ):
        tally["members"] += n
        if ContactStatus(status) == ContactStatus.BOUNCED:
            tally["bounced"] += n
        elif ContactStatus(status) == ContactStatus.UNSUBSCRIBED or not is_subscribed:
            tally["unsubscribed"] += n
        elif chan == Channel.SMS and not sms:
            tally["no_sms_consent"] += n
        elif chan == Channel.SMS and not has_phone:
            tally["no_phone"] += n
        else:
            tally["sendable"] += n
    return ExclusionCounts(channel=chan, list_ids=ids, **tally)
