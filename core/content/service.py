"""Brand kits, saved responses (with categories), forms with submissions, and business goals."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.accounts.features import brand_kit_limit, plan_label
from core.accounts.models import Account
from core.campaigns.schemas import UNSET, Unset, invalid_from_validation
from core.contacts.fields import parse_date, parse_email, parse_number, parse_phone
from core.contacts.models import Contact, MailingList, Tag
from core.content.models import (
    MAX_BRAND_KITS,
    BrandKit,
    BusinessGoal,
    Form,
    FormSubmission,
    SavedResponse,
    SavedResponseCategory,
)
from core.content.schemas import (
    GOAL_METRICS,
    GOAL_PERIODS,
    BrandKitOut,
    BusinessGoalOut,
    FormField,
    FormOut,
    FormSubmissionOut,
    SavedResponseCategoryOut,
    SavedResponseOut,
)
from core.enums import Plan
from core.errors import Conflict, InvalidRequest, LimitExceeded, NotFound, invalid_choice
from core.scope import get_by_name, get_owned, resolve

Ref = int | str
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_IMAGE_IN_BODY = re.compile(r"<img\b|!\[[^\]]*\]\(", re.IGNORECASE)
_FIELDS = TypeAdapter(list[FormField])
MAX_FORM_FIELDS = 50
RATE_METRICS = ("open_rate", "click_rate")


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    return account


def _name(value: str, *, kind: str, max_len: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidRequest(f"The {kind} name is empty; give it a name.", field="name")
    if len(text) > max_len:
        raise InvalidRequest(
            f"The {kind} name is {len(text)} characters; the limit is {max_len}.", field="name"
        )
    return text


def _unique(
    session: Session,
    model: Any,
    account_id: int,
    value: str,
    *,
    kind: str,
    attr: str = "name",
    exclude_id: int | None = None,
) -> None:
    column = getattr(model, attr)
    clash = session.scalars(
        select(model).where(model.account_id == account_id, func.lower(column) == value.lower())
    ).first()
    if clash is not None and clash.id != exclude_id:
        raise Conflict(
            f"A {kind} named {getattr(clash, attr)!r} already exists; choose another name.", field=attr
        )


def _optional_text(value: str | None, *, field: str, max_len: int) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) > max_len:
        raise InvalidRequest(f"{field} is {len(text):,} characters; the limit is {max_len:,}.", field=field)
    return text


# ---------------------------------------------------------------- brand kits


def _website(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or "." not in (parts.hostname or "") or " " in text:
        raise InvalidRequest(
            f"Website {value!r} is not a web address; use your business URL, like 'acme.com'.",
            field="website",
        )
    return text[:255]


def _image_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or "." not in (parts.hostname or ""):
        raise InvalidRequest(
            f"Logo {value!r} is not a web address; use a URL like 'https://acme.com/logo.png'.",
            field="logo_url",
        )
    return value.strip()[:500]


def _colors(values: Sequence[str] | None) -> list[str]:
    out: list[str] = []
    for raw in values or []:
        color = str(raw).strip()
        if not _HEX.match(color):
            raise InvalidRequest(
                f"Color {raw!r} is not a HEX code; use the form '#1A73E8' (or '#FFF').", field="colors"
            )
        if color.upper() not in out:
            out.append(color.upper())
    if len(out) > 20:
        raise InvalidRequest(f"A brand kit holds at most 20 colors; {len(out)} were given.", field="colors")
    return out


def _fonts(values: Sequence[str] | None) -> list[str]:
    out = [str(v).strip() for v in values or [] if str(v).strip()]
    if any(len(f) > 60 for f in out) or len(out) > 10:
        raise InvalidRequest("Give at most 10 fonts, each name under 60 characters.", field="fonts")
    return list(dict.fromkeys(out))


def _kit(session: Session, account_id: int, brand_kit_id: int) -> BrandKit:
    return get_owned(session, BrandKit, account_id=account_id, id=brand_kit_id, kind="brand kit")


def _kits(session: Session, account_id: int) -> list[BrandKit]:
    return list(
        session.scalars(
            select(BrandKit)
            .where(BrandKit.account_id == account_id)
            .order_by(BrandKit.created_at, BrandKit.id)
        ).all()
    )


def create_brand_kit(
    session: Session,
    *,
    account_id: int,
    name: str,
    now: datetime,
    website: str | None = None,
    logo_url: str | None = None,
    colors: Sequence[str] | None = None,
    fonts: Sequence[str] | None = None,
    tone: str | None = None,
    description: str | None = None,
) -> BrandKitOut:
    """Create a brand kit; the account's first kit becomes its primary one."""
    account = _account(session, account_id)
    clean = _name(name, kind="brand kit", max_len=120)
    existing = _kits(session, account_id)
    limit = brand_kit_limit(account.plan)
    if len(existing) >= limit:
        if account.plan == Plan.STARTER:
            raise LimitExceeded(
                f"The Starter plan includes 1 brand kit and this account has one ({existing[0].name!r}). "
                f"Multiple AI Brand Kits (up to {MAX_BRAND_KITS}) need the Plus, Pro or Enterprise plan; "
                "upgrade, or edit the existing kit instead.",
                field="brand_kit_limit",
            )
        raise LimitExceeded(
            f"This account already has {len(existing)} brand kits, the most the {plan_label(account.plan)} "
            "plan "
            f"allows (brand kit limit: {limit}). Delete one before adding another.",
            field="brand_kit_limit",
        )
    _unique(session, BrandKit, account_id, clean, kind="brand kit")
    kit = BrandKit(
        account_id=account_id,
        name=clean,
        is_primary=not existing,
        website=_website(website),
        logo_url=_image_url(logo_url),
        colors=_colors(colors),
        fonts=_fonts(fonts),
        tone=_optional_text(tone, field="tone", max_len=200),
        description=_optional_text(description, field="description", max_len=5_000),
        created_at=now,
    )
    session.add(kit)
    session.flush()
    return BrandKitOut.model_validate(kit)


def update_brand_kit(
    session: Session,
    *,
    account_id: int,
    brand_kit_id: int,
    name: str | Unset = UNSET,
    website: str | None | Unset = UNSET,
    logo_url: str | None | Unset = UNSET,
    colors: Sequence[str] | Unset = UNSET,
    fonts: Sequence[str] | Unset = UNSET,
    tone: str | None | Unset = UNSET,
    description: str | None | Unset = UNSET,
) -> BrandKitOut:
    """Change the given fields of a brand kit (None clears an optional field)."""
    kit = _kit(session, account_id, brand_kit_id)
    changes: dict[str, Any] = {}
    if not isinstance(name, Unset):
        changes["name"] = _name(name, kind="brand kit", max_len=120)
        _unique(session, BrandKit, account_id, changes["name"], kind="brand kit", exclude_id=kit.id)
    if not isinstance(website, Unset):
        changes["website"] = _website(website)
    if not isinstance(logo_url, Unset):
        changes["logo_url"] = _image_url(logo_url)
    if not isinstance(colors, Unset):
        changes["colors"] = _colors(colors)
    if not isinstance(fonts, Unset):
        changes["fonts"] = _fonts(fonts)
    if not isinstance(tone, Unset):
        changes["tone"] = _optional_text(tone, field="tone", max_len=200)
    if not isinstance(description, Unset):
        changes["description"] = _optional_text(description, field="description", max_len=5_000)
    for key, value in changes.items():
        setattr(kit, key, value)
    session.flush()
    return BrandKitOut.model_validate(kit)


def list_brand_kits(session: Session, *, account_id: int) -> list[BrandKitOut]:
    """Return the account's brand kits, the primary one first."""
    kits = sorted(_kits(session, account_id), key=lambda k: not k.is_primary)
    return [BrandKitOut.model_validate(k) for k in kits]


def get_brand_kit(session: Session, *, account_id: int, brand_kit_id: int) -> BrandKitOut:
    """Return one brand kit."""
    return BrandKitOut.model_validate(_kit(session, account_id, brand_kit_id))


def find_brand_kit(session: Session, *, account_id: int, name: str) -> BrandKitOut:
    """Find a brand kit by name (case-insensitive), suggesting near names."""
    return BrandKitOut.model_validate(
        get_by_name(session, BrandKit, account_id=account_id, name=name, kind="brand kit")
    )


def get_primary_brand_kit(session: Session, *, account_id: int) -> BrandKitOut | None:
    """Return the primary brand kit, or None when the account has none."""
    kit = session.scalars(
        select(BrandKit).where(BrandKit.account_id == account_id, BrandKit.is_primary.is_(True))
    ).first()
    return BrandKitOut.model_validate(kit) if kit else None


def set_primary_brand_kit(session: Session, *, account_id: int, brand_kit_id: int) -> BrandKitOut:
    """Make a brand kit the primary one (the previous primary stops being primary)."""
    kit = _kit(session, account_id, brand_kit_id)
    for other in _kits(session, account_id):
        other.is_primary = other.id == kit.id
    session.flush()
    return BrandKitOut.model_validate(kit)


def delete_brand_kit(session: Session, *, account_id: int, brand_kit_id: int) -> list[BrandKitOut]:
    """Delete a brand kit (the oldest remaining kit becomes primary if needed); return the remaining kits."""
    kit = _kit(session, account_id, brand_kit_id)
    was_primary = kit.is_primary
    session.delete(kit)
    session.flush()
    remaining = _kits(session, account_id)
    if was_primary and remaining:
        remaining[0].is_primary = True
        session.flush()
    return list_brand_kits(session, account_id=account_id)


# ---------------------------------------------------------------- saved responses


def create_saved_response_category(
    session: Session, *, account_id: int, name: str
) -> SavedResponseCategoryOut:
    """Create a category to group saved responses."""
    _account(session, account_id)
    clean = _name(name, kind="saved response category", max_len=100)
    _unique(session, SavedResponseCategory, account_id, clean, kind="saved response category")
    row = SavedResponseCategory(account_id=account_id, name=clean)
    session.add(row)
    session.flush()
    return SavedResponseCategoryOut.model_validate(row)


def list_saved_response_categories(session: Session, *, account_id: int) -> list[SavedResponseCategoryOut]:
    """Return the saved response categories by name."""
    rows = session.scalars(
        select(SavedResponseCategory)
        .where(SavedResponseCategory.account_id == account_id)
        .order_by(func.lower(SavedResponseCategory.name))
    ).all()
    return [SavedResponseCategoryOut.model_validate(r) for r in rows]


def _category(session: Session, account_id: int, ref: Ref) -> SavedResponseCategory:
    return resolve(
        session, SavedResponseCategory, account_id=account_id, ref=ref, kind="saved response category"
    )


def _body(value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidRequest("The saved response has no message; write the text to reuse.", field="body")
    if len(text) > 20_000:
        raise InvalidRequest(f"The message is {len(text):,} characters; the limit is 20,000.", field="body")
    if _IMAGE_IN_BODY.search(text):
        raise InvalidRequest(
            "Saved responses cannot include images; remove the image (you can link to it instead).",
            field="body",
        )
    return text


def _response_outs(session: Session, rows: Sequence[SavedResponse]) -> list[SavedResponseOut]:
    ids = {r.category_id for r in rows if r.category_id is not None}
    names: dict[int, str] = {}
    if ids:
        result = session.execute(
            select(SavedResponseCategory.id, SavedResponseCategory.name).where(
                SavedResponseCategory.id.in_(ids)
            )
        )
        names = {i: n for i, n in result}
    return [
        SavedResponseOut(
            id=r.id,
            account_id=r.account_id,
            title=r.title,
            subject=r.subject,
            body=r.body,
            category_id=r.category_id,
            category=names.get(r.category_id) if r.category_id else None,
            created_at=r.created_at,
        )
        for r in rows
    ]


def create_saved_response(
    session: Session,
    *,
    account_id: int,
    title: str,
    body: str,
    now: datetime,
    subject: str | None = None,
    category: Ref | None = None,
) -> SavedResponseOut:
    """Save a reusable message for 1:1 emails and conversations, optionally in a category."""
    _account(session, account_id)
    clean = _name(title, kind="saved response", max_len=200)
    _unique(session, SavedResponse, account_id, clean, kind="saved response", attr="title")
    cat_id = None if category is None else _category(session, account_id, category).id
    row = SavedResponse(
        account_id=account_id,
        title=clean,
        body=_body(body),
        category_id=cat_id,
        subject=_optional_text(subject, field="subject", max_len=255),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _response_outs(session, [row])[0]


def update_saved_response(
    session: Session,
    *,
    account_id: int,
    saved_response_id: int,
    title: str | Unset = UNSET,
    body: str | Unset = UNSET,
    subject: str | None | Unset = UNSET,
    category: Ref | None | Unset = UNSET,
) -> SavedResponseOut:
    """Change the given fields of a saved response (category None removes it from its category)."""
    row = get_owned(
        session, SavedResponse, account_id=account_id, id=saved_response_id, kind="saved response"
    )
    changes: dict[str, Any] = {}
    if not isinstance(title, Unset):
        changes["title"] = _name(title, kind="saved response", max_len=200)
        _unique(
            session,
            SavedResponse,
            account_id,
            changes["title"],
            kind="saved response",
            attr="title",
            exclude_id=row.id,
        )
    if not isinstance(body, Unset):
        changes["body"] = _body(body)
    if not isinstance(subject, Unset):
        changes["subject"] = _optional_text(subject, field="subject", max_len=255)
    if not isinstance(category, Unset):
        changes["category_id"] = None if category is None else _category(session, account_id, category).id
    for key, value in changes.items():
        setattr(row, key, value)
    session.flush()
    return _response_outs(session, [row])[0]


def list_saved_responses(
    session: Session, *, account_id: int, category: Ref | None = None
) -> list[SavedResponseOut]:
    """Return saved responses by title, optionally only those in one category."""
    query = select(SavedResponse).where(SavedResponse.account_id == account_id)
    if category is not None:
        query = query.where(SavedResponse.category_id == _category(session, account_id, category).id)
    rows = session.scalars(query.order_by(func.lower(SavedResponse.title))).all()
    return _response_outs(session, rows)


def search_saved_responses(session: Session, *, account_id: int, text: str) -> list[SavedResponseOut]:
    """Find saved responses whose title, subject or message contains ``text`` (case-insensitive)."""
    needle = (text or "").strip().lower()
    if not needle:
        raise InvalidRequest("Give some words to search saved responses for.", field="text")
    cols = (SavedResponse.title, SavedResponse.subject, SavedResponse.body)
    rows = session.scalars(
        select(SavedResponse)
        .where(
            SavedResponse.account_id == account_id,
            or_(*(func.lower(c).contains(needle, autoescape=True) for c in cols)),
        )
        .order_by(func.lower(SavedResponse.title))
    ).all()
    return _response_outs(session, rows)


def delete_saved_response(session: Session, *, account_id: int, saved_response_id: int) -> None:
    """Delete a saved response."""
    row = get_owned(
        session, SavedResponse, account_id=account_id, id=saved_response_id, kind="saved response"
    )
    session.delete(row)
    session.flush()


# ---------------------------------------------------------------- forms


def _form_fields(raw: Sequence[Any]) -> list[FormField]:
    items = [f.model_dump() if hasattr(f, "model_dump") else f for f in raw]
    try:
        fields = _FIELDS.validate_python(items)
    except ValidationError as err:
        raise invalid_from_validation(err, what="form fields", field="fields", item="field") from None
    if len(fields) > MAX_FORM_FIELDS:
        raise InvalidRequest(f"A form holds at most {MAX_FORM_FIELDS} fields.", field="fields")
    seen: set[str] = set()
    for f in fields:
        if f.name in seen:
            raise InvalidRequest(
                f"Form field {f.name!r} appears twice; field names must be unique.", field="fields"
            )
        seen.add(f.name)
        if f.type == "dropdown" and not f.options:
            raise InvalidRequest(
                f"Dropdown field {f.name!r} needs options, e.g. ['Small', 'Large'].", field="fields"
            )
        if f.type != "dropdown" and f.options:
            raise InvalidRequest(
                f"Only dropdown fields take options; {f.name!r} is {f.type}.", field="fields"
            )
        if not f.label:
            f.label = f.name.replace("_", " ").capitalize()
    email = next((f for f in fields if f.name == "email"), None)
    if email is None or email.type != "email" or not email.required:
        raise InvalidRequest(
            "A form needs a required field named 'email' of type 'email', so each submission can be matched "
            "to a contact. Add {'name': 'email', 'type': 'email', 'required': True}.",
            field="fields",
        )
    return fields


def _form_outs(session: Session, forms: Sequence[Form]) -> list[FormOut]:
    ids = [f.id for f in forms]
    counts: dict[int, int] = {}
    if ids:
        result = session.execute(
            select(FormSubmission.form_id, func.count())
            .where(FormSubmission.form_id.in_(ids))
            .group_by(FormSubmission.form_id)
        )
        counts = {i: n for i, n in result}
    out = []
    for f in forms:
        list_row = session.get(MailingList, f.list_id) if f.list_id else None
        tag_row = session.get(Tag, f.tag_id) if f.tag_id else None
        out.append(
            FormOut(
                id=f.id,
                account_id=f.account_id,
                name=f.name,
                fields=_FIELDS.validate_python(f.fields),
                list_id=f.list_id,
                list_name=list_row.name if list_row else None,
                tag_id=f.tag_id,
                tag_name=tag_row.name if tag_row else None,
                views=f.views,
                submissions=counts.get(f.id, 0),
                created_at=f.created_at,
            )
        )
    return out


def create_form(
    session: Session,
    *,
    account_id: int,
    name: str,
    fields: Sequence[Any],
    now: datetime,
    list: Ref | None = None,  # noqa: A002  (the user-facing word)
    tag: Ref | None = None,
) -> FormOut:
    """Create a form; submitters can be subscribed to ``list`` and tagged with ``tag`` (both optional)."""
    _account(session, account_id)
    clean = _name(name, kind="form", max_len=150)
    _unique(session, Form, account_id, clean, kind="form")
    parsed = _form_fields(fields)
    list_id = (
        None
        if list is None
        else resolve(session, MailingList, account_id=account_id, ref=list, kind="list").id
    )
    tag_id = None if tag is None else resolve(session, Tag, account_id=account_id, ref=tag, kind="tag").id
    form = Form(
        account_id=account_id,
        name=clean,
        fields=[f.model_dump() for f in parsed],
        list_id=list_id,
        tag_id=tag_id,
        views=0,
        created_at=now,
    )
    session.add(form)
    session.flush()
    return _form_outs(session, [form])[0]


def get_form(session: Session, *, account_id: int, form_id: int) -> FormOut:
    """Return one form with its view and submission counts."""
    return _form_outs(session, [get_owned(session, Form, account_id=account_id, id=form_id, kind="form")])[0]


def find_form(session: Session, *, account_id: int, name: str) -> FormOut:
    """Find a form by name (case-insensitive), suggesting near names."""
    return _form_outs(session, [get_by_name(session, Form, account_id=account_id, name=name, kind="form")])[0]


def list_forms(session: Session, *, account_id: int) -> list[FormOut]:
    """Return the account's forms by name."""
    rows = session.scalars(
        select(Form).where(Form.account_id == account_id).order_by(func.lower(Form.name))
    ).all()
    return _form_outs(session, rows)


def record_form_view(session: Session, *, account_id: int, form_id: int) -> FormOut:
    """Count one view of a form (the denominator of its conversion rate)."""
    form = get_owned(session, Form, account_id=account_id, id=form_id, kind="form")
    form.views = (form.views or 0) + 1
    session.flush()
    return _form_outs(session, [form])[0]


_TRUE = ("true", "yes", "1", "on", "checked")
_FALSE = ("false", "no", "0", "off", "")


def _submitted_value(field: FormField, raw: object) -> str:
    label = f"Field {field.name!r}"
    if field.type == "email":
        return parse_email(str(raw))
    if field.type == "phone":
        return parse_phone(str(raw))
    if field.type == "number":
        return str(parse_number(raw, field=label))
    if field.type == "date":
        return parse_date(raw, field=label).isoformat()
    if field.type == "dropdown":
        match = next((o for o in field.options if o.lower() == str(raw).strip().lower()), None)
        if match is None:
            raise invalid_choice(label, raw, field.options)
        return match
    if field.type == "checkbox":
        text = str(raw).strip().lower()
        if text not in _TRUE + _FALSE:
            raise InvalidRequest(f"{label} is a checkbox; send true or false, not {raw!r}.", field=field.name)
        return "true" if text in _TRUE else "false"
    limit = 255 if field.type == "text" else 65_535
    text = str(raw).strip()
    if len(text) > limit:
        raise InvalidRequest(
            f"{label} is {len(text):,} characters; the limit is {limit:,}.", field=field.name
        )
    return text


def record_submission(
    session: Session,
    *,
    account_id: int,
    form_id: int,
    data: Mapping[str, object],
    now: datetime,
    visitor_id: str | None = None,
) -> FormSubmissionOut:
    """Store a form submission after checking its fields; link the contact whose email matches, if any.

    With ``visitor_id``, the contact's earlier anonymous site visits are attached to it (site tracking).
    """
    form = get_owned(session, Form, account_id=account_id, id=form_id, kind="form")
    fields = [FormField.model_validate(f) for f in form.fields]
    by_name = {f.name: f for f in fields}
    given = {str(k).strip().lower(): v for k, v in data.items()}
    unknown = sorted(k for k in given if k not in by_name)
    if unknown:
        raise InvalidRequest(
            f"Form {form.name!r} has no field{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))}; "
            f"its fields are: {', '.join(by_name)}.",
            field="data",
        )
    blank = [
        f.name for f in fields if f.required and (given.get(f.name) is None or not str(given[f.name]).strip())
    ]
    if blank:
        raise InvalidRequest(
            f"Required field{'s' if len(blank) > 1 else ''} {', '.join(map(repr, blank))} "
            f"{'are' if len(blank) > 1 else 'is'} empty; fill {'them' if len(blank) > 1 else 'it'} in.",
            field="data",
        )
    clean = {
        name: _submitted_value(by_name[name], raw)
        for name, raw in given.items()
        if raw is not None and (str(raw).strip() or by_name[name].type == "checkbox")
    }
    unchecked = [
        f.name for f in fields if f.type == "checkbox" and f.required and clean.get(f.name) != "true"
    ]
    if unchecked:
        raise InvalidRequest(f"Checkbox {unchecked[0]!r} is required and must be checked.", field="data")
    contact = session.scalars(
        select(Contact).where(Contact.account_id == account_id, func.lower(Contact.email) == clean["email"])
    ).first()
    identified = 0
    if visitor_id is not None and contact is not None:
        from core.tracking.service import identify_visitor

        identified = identify_visitor(
            session, account_id=account_id, visitor_id=visitor_id, contact_id=contact.id, now=now
        ).visits_attached
    row = FormSubmission(
        account_id=account_id,
        form_id=form.id,
        contact_id=contact.id if contact else None,
        data=clean,
        submitted_at=now,
    )
    session.add(row)
    session.flush()
    out = FormSubmissionOut.model_validate(row)
    return out.model_copy(
        update={"list_id": form.list_id, "tag_id": form.tag_id, "visits_identified": identified}
    )


# ---------------------------------------------------------------- business goals


def _target(value: Decimal | int | float | str, metric: str) -> Decimal:
    try:
        target = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise InvalidRequest(
            f"Target {value!r} is not a number; use digits like 50000.", field="target"
        ) from None
    if not target.is_finite() or target <= 0:
        raise InvalidRequest(f"Target {value!r} must be greater than 0.", field="target")
    if metric in RATE_METRICS and target > 100:
        raise InvalidRequest(
            f"Target {value!r} is a rate in percent and must be at most 100 (e.g. 25 for 25%).",
            field="target",
        )
    if target.as_tuple().exponent < -4:  # type: ignore[operator]  # finite Decimals have an int exponent
        raise InvalidRequest(f"Target {value!r} has more than 4 decimal places; round it.", field="target")
    return target


def create_business_goal(
    session: Session,
    *,
    account_id: int,
    name: str,
    metric: str,
    target: Decimal | int | float | str,
    now: datetime,
    period: str = "month",
    description: str | None = None,
) -> BusinessGoalOut:
    """Create a business goal: a metric, a target and the period it is measured over."""
    _account(session, account_id)
    clean = _name(name, kind="business goal", max_len=150)
    metric_key = str(metric).strip().lower().replace(" ", "_")
    if metric_key not in GOAL_METRICS:
        raise invalid_choice("metric", metric, GOAL_METRICS)
    period_key = str(period).strip().lower()
    if period_key not in GOAL_PERIODS:
        raise invalid_choice("period", period, GOAL_PERIODS)
    value = _target(target, metric_key)
    _unique(session, BusinessGoal, account_id, clean, kind="business goal")
    goal = BusinessGoal(
        account_id=account_id,
        name=clean,
        metric=metric_key,
        target=value,
        period=period_key,
        description=_optional_text(description, field="description", max_len=2_000),
        created_at=now,
    )
    session.add(goal)
    session.flush()
    return BusinessGoalOut.model_validate(goal)


def list_business_goals(session: Session, *, account_id: int) -> list[BusinessGoalOut]:
    """Return the account's business goals, oldest first."""
    rows = session.scalars(
        select(BusinessGoal).where(BusinessGoal.account_id == account_id).order_by(BusinessGoal.id)
    ).all()
    return [BusinessGoalOut.model_validate(g) for g in rows]


def get_business_goal(session: Session, *, account_id: int, goal_id: int) -> BusinessGoalOut:
    """Return one business goal."""
    return BusinessGoalOut.model_validate(
        get_owned(session, BusinessGoal, account_id=account_id, id=goal_id, kind="business goal")
    )


def delete_business_goal(session: Session, *, account_id: int, goal_id: int) -> None:
    """Delete a business goal."""
    goal = get_owned(session, BusinessGoal, account_id=account_id, id=goal_id, kind="business goal")
    session.delete(goal)
    session.flush()
