"""Contact, list, tag and custom-field tools."""

from __future__ import annotations

from langgraph.prebuilt import ToolRuntime

from core.contacts import service as contacts
from tools.base import Risk, ai_tool, dump, dump_list, dump_object, request_approval, run_once, unit_of_work
from tools.context import TurnContext

AREA = "Contacts, lists and tags"


def _contact_id(session, ctx: TurnContext, contact: str) -> int:  # type: ignore[no-untyped-def]
    return contacts.find_contact(session, account_id=ctx.account_id, ref=contact.strip()).id


@ai_tool(risk=Risk.READ, area=AREA, examples=("Find contacts named Smith", "Show me contacts at gmail.com"))
def find_contacts(query: str = "", limit: int = 10, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """Search contacts by email or name (substring); returns the matches and the total count.

    Args:
        query: part of an email or a name; empty lists the newest contacts.
        limit: how many to show (1-50).
    """
    with unit_of_work(runtime) as (session, ctx):
        page = contacts.search_contacts(session, account_id=ctx.account_id, query=query, limit=max(1, min(limit, 50)))
        brief = [
            {"id": c.id, "email": c.email, "name": " ".join(filter(None, [c.first_name, c.last_name])), "tags": c.tags}
            for c in page.items
        ]
        return dump_list("contact", brief, total=page.total)


@ai_tool(risk=Risk.READ, area=AREA, examples=("Show me jane@example.com", "What tags does contact 42 have?"))
def get_contact(contact: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Show one contact with custom fields, tags and list subscriptions.

    Args:
        contact: the contact's email address or id.
    """
    with unit_of_work(runtime) as (session, ctx):
        return dump_object("contact", contacts.find_contact(session, account_id=ctx.account_id, ref=contact.strip()))


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Add jane@example.com as a contact, first name Jane",))
def create_contact(
    email: str,
    first_name: str | None = None,
    last_name: str | None = None,
    phone: str | None = None,
    city: str | None = None,
    country: str | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Create a contact.

    Args:
        email: the contact's email address (required, unique in the account).
        phone: in international format, e.g. +14155550100.
        country: two-letter code such as US or DE.
    """
    with unit_of_work(runtime) as (session, ctx):
        out = contacts.create_contact(
            session, account_id=ctx.account_id, email=email, first_name=first_name, last_name=last_name,
            phone=phone, city=city, country=country, now=ctx.now,
        )
        return dump_object("contact", out)


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Change Jane's city to Berlin", "Set jane@example.com's Plan field to Gold"))
def update_contact(
    contact: str,
    first_name: str | None = None,
    last_name: str | None = None,
    phone: str | None = None,
    city: str | None = None,
    country: str | None = None,
    custom_fields: dict[str, str] | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Change a contact's standard fields or custom field values; only the given fields change.

    Args:
        contact: the contact's email address or id.
        custom_fields: custom field values by field name, e.g. {"Plan": "Gold"}.
    """
    changes = {
        k: v for k, v in {"first_name": first_name, "last_name": last_name, "phone": phone, "city": city,
                          "country": country}.items() if v is not None
    }
    with unit_of_work(runtime) as (session, ctx):
        out = contacts.update_contact(
            session, account_id=ctx.account_id, contact_id=_contact_id(session, ctx, contact),
            custom_fields=custom_fields, now=ctx.now, **changes,
        )
        return dump_object("contact", out)


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Tag jane@example.com as VIP",))
def add_tag(contact: str, tag: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Add a tag to one contact (the tag is created if it does not exist yet).

    Args:
        contact: the contact's email address or id.
        tag: the tag name.
    """
    with unit_of_work(runtime) as (session, ctx):
        out = contacts.add_tag(session, account_id=ctx.account_id, contact_id=_contact_id(session, ctx, contact), tag=tag)
        return dump_object("contact", out)


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Remove the Trial tag from jane@example.com",))
def remove_tag(contact: str, tag: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Remove a tag from one contact.

    Args:
        contact: the contact's email address or id.
        tag: the tag name.
    """
    with unit_of_work(runtime) as (session, ctx):
        out = contacts.remove_tag(
            session, account_id=ctx.account_id, contact_id=_contact_id(session, ctx, contact), tag=tag
        )
        return dump_object("contact", out)


@ai_tool(risk=Risk.READ, area=AREA, examples=("What tags do I have?",))
def list_tags(runtime: ToolRuntime[TurnContext]) -> str:
    """List the account's tags with how many contacts carry each."""
    with unit_of_work(runtime) as (session, ctx):
        return dump_list("tag", contacts.list_tags(session, account_id=ctx.account_id))


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Create a tag called Webinar 2026",))
def create_tag(name: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Create a tag (without adding it to anyone yet).

    Args:
        name: the tag's name.
    """
    with unit_of_work(runtime) as (session, ctx):
        return dump_object("tag", contacts.create_tag(session, account_id=ctx.account_id, name=name))


@ai_tool(risk=Risk.READ, area=AREA, examples=("Show my lists", "How many subscribers does the Newsletter list have?"))
def list_lists(runtime: ToolRuntime[TurnContext]) -> str:
    """List the account's lists with subscriber, unsubscribed and SMS-consent counts."""
    with unit_of_work(runtime) as (session, ctx):
        return dump_list("list", contacts.list_lists(session, account_id=ctx.account_id))


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Create a list called Webinar attendees",))
def create_list(name: str, description: str | None = None, runtime: ToolRuntime[TurnContext] = None) -> str:  # type: ignore[assignment]
    """Create an email list.

    Args:
        name: the list's name (unique in the account).
    """
    with unit_of_work(runtime) as (session, ctx):
        return dump_object(
            "list", contacts.create_list(session, account_id=ctx.account_id, name=name, description=description)
        )


@ai_tool(risk=Risk.READ, area=AREA, examples=("Which custom fields do I have?",))
def list_custom_fields(runtime: ToolRuntime[TurnContext]) -> str:
    """List the account's custom contact fields with their type, personalization tag and options."""
    with unit_of_work(runtime) as (session, ctx):
        return dump_list("field", contacts.list_custom_fields(session, account_id=ctx.account_id))


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Subscribe jane@example.com to the Newsletter list",))
def subscribe_contact(contact: str, list_name: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Subscribe a contact to an email list. (SMS consent can only come from the contact, never from chat.)

    Args:
        contact: the contact's email address or id.
        list_name: the list's name.
    """
    with unit_of_work(runtime) as (session, ctx):
        out = contacts.subscribe(
            session, account_id=ctx.account_id, contact_id=_contact_id(session, ctx, contact), list_ref=list_name,
            now=ctx.now,
        )
        return dump_object("subscription", out)


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Unsubscribe jane@example.com from the Newsletter",))
def unsubscribe_contact(contact: str, list_name: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Unsubscribe a contact from a list (stops email and SMS from that list).

    Args:
        contact: the contact's email address or id.
        list_name: the list's name.
    """
    with unit_of_work(runtime) as (session, ctx):
        out = contacts.unsubscribe(
            session, account_id=ctx.account_id, contact_id=_contact_id(session, ctx, contact), list_ref=list_name,
            now=ctx.now, reason="unsubscribed by a user of the account",
        )
        return dump_object("subscription", out)


@ai_tool(risk=Risk.BULK, area=AREA, examples=("Resubscribe jane@example.com to the Newsletter",))
def resubscribe_contact(contact: str, list_name: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Re-subscribe a contact who unsubscribed from a list; asks the user for approval first.

    Args:
        contact: the contact's email address or id.
        list_name: the list's name.
    """
    with unit_of_work(runtime) as (session, ctx):
        target = contacts.find_contact(session, account_id=ctx.account_id, ref=contact.strip())
        the_list = contacts.get_list(session, account_id=ctx.account_id, list_ref=list_name)
    decision = request_approval(
        runtime, action="resubscribe_contact", args={"contact": contact, "list_name": list_name},
        description=(
            f"Re-subscribe {target.email} to {the_list.name!r}. Only do this if the contact asked to come back: "
            "they unsubscribed before."
        ),
        details={"contact": target.email, "list": the_list.name, "contact_status": target.status.value},
    )
    if decision.type == "reject":
        return "Not done: the user rejected re-subscribing the contact. Nothing was changed."
    with unit_of_work(runtime) as (session, ctx):
        args = decision.args
        result = run_once(
            session, ctx, runtime, action="resubscribe_contact", args=args,
            execute=lambda: contacts.resubscribe_contact(
                session, account_id=ctx.account_id, contact_id=_contact_id(session, ctx, args["contact"]),
                list_ref=args["list_name"], now=ctx.now,
            ).model_dump(mode="json"),
        )
        return dump({"object": "subscription", **result})


@ai_tool(risk=Risk.DESTRUCTIVE, area=AREA, examples=("Delete the contact jane@example.com",))
def delete_contact(contact: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Delete a contact and all its history; asks the user for approval first.

    Args:
        contact: the contact's email address or id.
    """
    with unit_of_work(runtime) as (session, ctx):
        target = contacts.find_contact(session, account_id=ctx.account_id, ref=contact.strip())
    decision = request_approval(
        runtime, action="delete_contact", args={"contact": contact},
        description=f"Delete {target.email} permanently, with its engagement history. This cannot be undone.",
        details={"contact": target.email, "tags": target.tags, "lists": [s.list_name for s in target.lists]},
    )
    if decision.type == "reject":
        return "Not done: the user rejected deleting the contact. Nothing was changed."
    with unit_of_work(runtime) as (session, ctx):
        ref = decision.args["contact"]
        result = run_once(
            session, ctx, runtime, action="delete_contact", args=decision.args,
            execute=lambda: {"deleted": contacts.delete_contact(
                session, account_id=ctx.account_id, contact_id=_contact_id(session, ctx, ref)
            ).email},
        )
        return dump(result)


_FIELD_TYPE_WORDS = {
    "text": "text", "short text": "text", "text input": "text", "string": "text", "single line": "text",
    "text area": "textarea", "textarea": "textarea", "text box": "textarea", "long text": "textarea",
    "paragraph": "textarea", "multi-line": "textarea", "multiline": "textarea", "date": "date",
    "dropdown": "dropdown", "drop-down": "dropdown", "drop down": "dropdown", "select": "dropdown",
    "list box": "dropdown", "picklist": "dropdown", "number": "number", "numeric": "number",
    "integer": "number", "decimal": "number", "language": "language",
}


@ai_tool(
    risk=Risk.WRITE, area=AREA,
    examples=("Add a custom field called Anniversary as a date", "Create a Plan dropdown: Gold, Silver"),
)
def create_custom_field(
    name: str,
    type: str = "text",
    options: list[str] | None = None,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Create a custom contact field; its personalization tag is made from its name (e.g. %BIRTHDAY%).

    Args:
        name: the field's name (unique in the account; not a standard field such as email, phone or city).
        type: text, textarea (long text), date, dropdown, number or language.
        options: the choices of a dropdown field (required for dropdowns, not allowed for other types).
    """
    kind = _FIELD_TYPE_WORDS.get(" ".join(str(type or "text").lower().replace("_", " ").split()), type)
    with unit_of_work(runtime) as (session, ctx):
        out = contacts.create_custom_field(
            session, account_id=ctx.account_id, name=name, field_type=kind, options=options, now=ctx.now
        )
        return dump_object("field", out)
