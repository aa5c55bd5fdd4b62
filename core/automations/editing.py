"""Edit an existing automation in plain words: rename it, change its waits, add or remove emails, change
what starts it, or change one email's subject.

Numbers are the ones a person sees in the flow: "email 2" is the second email it sends and "the first wait" the
first wait along the way (the builder's "did they open it?" branches are followed on the side that goes on to
the next email). Negative numbers count from the end (-1 is the last email). In one edit every number refers to
the flow as it was before the edit.

Each edit is checked again by ``service.update_automation`` and its writes (new draft emails, renamed emails,
the automation) share one savepoint, so a failed edit leaves nothing behind. The help center asks to set an
active automation to inactive before editing it and to set it active again afterwards; so only inactive
automations change shape here. Renaming changes nothing a contact receives and works either way.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from core.accounts.service import require_feature
from core.automations import builder
from core.automations import service as automations
from core.automations.builder import EMAIL_SEPARATOR, MAX_EMAILS, RECIPES, AutomationSpec, TriggerChoice
from core.automations.models import Automation
from core.automations.schemas import AutomationOut
from core.campaigns import service as campaigns
from core.campaigns.models import Campaign
from core.campaigns.schemas import invalid_from_validation
from core.content.copywriter import EmailBrief, draft_email
from core.content.schemas import BrandKitOut
from core.enums import AutomationStatus, CampaignStatus
from core.errors import Conflict, InvalidRequest

WaitUnit = Literal["minutes", "hours", "days", "weeks"]
Step = dict[str, Any]
# The wait before an added email when the flow has no wait between emails to copy.
DEFAULT_GAP: tuple[int, str] = (2, "days")
_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


def _unit(value: object) -> object:
    if isinstance(value, str):
        text = value.strip().lower()
        return text + "s" if text in ("minute", "hour", "day", "week") else text
    return value


class AutomationEdit(BaseModel):
    """What to change; numbers are 1-based positions in the flow before the edit (-1 = the last)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rename_to: str | None = Field(default=None, max_length=150)
    # The length of a wait. Alone: every wait between emails. With wait_number or wait_before_email: that
    # one wait. With add_emails (or a larger ``emails``): the wait before each new email.
    wait_amount: int | None = Field(default=None, ge=1, le=10_000)
    wait_unit: Annotated[WaitUnit, BeforeValidator(_unit)] = "days"
    wait_number: int | None = None
    wait_before_email: int | None = None
    # The total number of emails wanted: emails are added at the end or removed from the end.
    emails: int | None = Field(default=None, ge=1, le=MAX_EMAILS)
    add_emails: int | None = Field(default=None, ge=1, le=MAX_EMAILS)
    add_after_email: int | None = None
    remove_email: int | None = None
    trigger: TriggerChoice | None = None
    email_number: int | None = None
    subject: str | None = Field(default=None, max_length=255)
    # What added emails are about (default: more from the brand).
    topic: str | None = Field(default=None, max_length=300)


class EditedAutomation(BaseModel):
    """The automation after the edit, its flow in plain English, its emails in order and what changed."""

    automation: AutomationOut
    description: str
    emails: list[str]
    changes: list[str]
    names: dict[str, dict[int, str]]


def parse_edit(data: AutomationEdit | Mapping[str, Any]) -> AutomationEdit:
    """Validate an edit given as a mapping; bad values raise InvalidRequest naming the field."""
    if isinstance(data, AutomationEdit):
        return data
    try:
        return AutomationEdit.model_validate({k: v for k, v in dict(data).items() if v is not None})
    except ValidationError as err:
        raise invalid_from_validation(err, what="automation edit", field="edit") from None


# ---------------------------------------------------------------- the flow as a line of steps


def _opened_campaign(condition: Mapping[str, Any]) -> object:
    """The campaign of a single "opened campaign X" condition (the builder's branch), else None."""
    parts = condition.get("conditions") or condition.get("root", {}).get("conditions") or []
    if len(parts) == 1 and parts[0].get("type") == "engagement" and parts[0].get("action") == "open":
        return parts[0].get("campaign")
    return None


def _flatten(steps: Sequence[Step]) -> tuple[list[Step], bool] | None:
    """The steps as one line, and whether they were the builder's "opened? stop : go on" chain.

    None when the flow has branches of another shape (they can only be edited in the automation builder).
    """
    line: list[Step] = []
    branched = False
    current: Sequence[Step] = steps
    while True:
        nested: Sequence[Step] | None = None
        for i, st in enumerate(current):
            if st.get("type") != "if_else":
                line.append(copy.deepcopy(st))
                continue
            sent = [s["campaign"] for s in line if s.get("type") == "send_email"]
            if (
                i == len(current) - 1
                and not st.get("yes")
                and sent
                and _opened_campaign(st.get("condition") or {}) == sent[-1]
            ):
                nested = st.get("no") or []
                break
            return None
        if nested is None:
            return line, branched
        branched, current = True, nested


def _nest(line: list[Step], branched: bool) -> list[Step]:
    """Rebuild the builder's chain: after each email but the last, those who opened it leave the flow."""
    sends = [i for i, st in enumerate(line) if st.get("type") == "send_email"]
    if not branched or len(sends) < 2:
        return line
    j = sends[1]
    rest = {
        "type": "if_else",
        "condition": builder._opened(line[sends[0]]["campaign"]),
        "yes": [],
        "no": _nest(line[j:], True),
    }
    return [*line[:j], rest]


def _sends(line: Sequence[Step]) -> list[Step]:
    return [st for st in line if st.get("type") == "send_email"]


def _waits(line: Sequence[Step]) -> list[Step]:
    return [st for st in line if st.get("type") == "wait"]


def _index(line: Sequence[Step], step: Step) -> int:
    return next(i for i, st in enumerate(line) if st is step)


def _wait_before(line: Sequence[Step], send: Step) -> Step | None:
    """The wait right before an email that follows another email (the gap between them), if any."""
    i = _index(line, send)
    if i == 0 or line[i - 1].get("type") != "wait":
        return None
    return line[i - 1] if any(st.get("type") == "send_email" for st in line[: i - 1]) else None


def _ordinal(n: int) -> str:
    return _ORDINAL_WORDS.get(n, f"number {n}")


def _pick(items: Sequence[Step], n: int, *, what: str, automation: str) -> Step:
    count = len(items)
    index = count + n if n < 0 else n - 1
    if n != 0 and 0 <= index < count:
        return items[index]
    if count == 0:
        raise InvalidRequest(f"Automation {automation!r} has no {what}s yet.", field=what)
    given = "the last" if n == -1 else f"{what} {n}"
    valid = f"{what} 1 (its only {what})" if count == 1 else f"a number from 1 to {count}"
    raise InvalidRequest(
        f"Automation {automation!r} has {count} {what}{'s' if count != 1 else ''}, so there is no {given}. "
        f"Give {valid}.",
        field=what,
    )


def _campaign_row(session: Session, account_id: int, send: Step | None) -> Campaign | None:
    row = session.get(Campaign, int(send["campaign"])) if send is not None else None
    return row if row is not None and row.account_id == account_id else None


def _wait(amount: int, unit: str) -> Step:
    return {"type": "wait", "amount": amount, "unit": unit}


def _says(amount: int, unit: str) -> str:
    return builder._amount(amount, unit)


# ---------------------------------------------------------------- added emails


def _brand_of(session: Session, account_id: int, anchor: Campaign | None) -> BrandKitOut | None:
    if anchor is not None and anchor.brand_kit_id is not None:
        return builder._brand(session, account_id, anchor.brand_kit_id)
    return builder._brand(session, account_id, None)


def _free_email_names(
    session: Session, account_id: int, automation: str, start: int, count: int
) -> list[str]:
    names: list[str] = []
    k = start
    while len(names) < count and k < start + 200:
        candidate = f"{automation}{EMAIL_SEPARATOR}{k}"
        if not builder._taken(session, Campaign, account_id, [candidate]):
            names.append(candidate)
        k += 1
    if len(names) < count:
        raise Conflict(
            f"Too many campaigns are named after {automation!r}; rename the automation first.", field="name"
        )
    return names


def _recipe_of(automation: str, anchor: Campaign | None) -> builder._Recipe | None:
    """The builder recipe an automation came from, read from its name or its emails' names."""
    for candidate in (anchor.name.split(EMAIL_SEPARATOR)[0] if anchor else None, automation):
        for recipe in RECIPES.values():
            if candidate and candidate.lower().startswith(recipe.name.lower()):
                return recipe
    return None


def _draft_emails(
    session: Session,
    *,
    account_id: int,
    automation: str,
    anchor: Campaign | None,
    first_number: int,
    count: int,
    topic: str | None,
    now: datetime,
    created_by: int | None,
) -> list[campaigns.CampaignOut]:
    """Write ``count`` draft emails with the copywriter, in the brand kit (and sender) of the anchor email.

    An automation the builder made gets the emails its recipe would have had at those places; others get
    follow-ups about the brand (or about ``topic``).
    """
    require_feature(session, account_id=account_id, feature="ai_campaign_builder")
    brand = _brand_of(session, account_id, anchor)
    recipe = _recipe_of(automation, anchor)
    about = brand.name if brand else "us"
    plan = builder._steps_for(recipe, first_number + count - 1)[first_number - 1 :] if recipe else []
    made = []
    for k, name in enumerate(_free_email_names(session, account_id, automation, first_number, count)):
        if topic:
            brief = EmailBrief(topic=topic)
        elif plan:
            subject = recipe.subject.format(brand=about) if recipe else about
            brief = EmailBrief(topic=plan[k].topic.format(subject=subject), purpose=plan[k].purpose)
        else:
            brief = EmailBrief(topic=f"more from {about}", purpose="newsletter")
        d = draft_email(brief, brand, seed=first_number + k)
        made.append(
            campaigns.create_campaign(
                session,
                account_id=account_id,
                name=name,
                now=now,
                subject=d.subject,
                preheader=d.preheader,
                layout=d.layout,
                blocks=d.blocks,
                brand_kit=brand.id if brand else None,
                from_name=(anchor.from_name if anchor else None) or (brand.name if brand else None),
                from_email=anchor.from_email if anchor else None,
                created_by=created_by,
            )
        )
    return made


# ---------------------------------------------------------------- the edit


def _structural(edit: AutomationEdit) -> list[str]:
    given = edit.model_dump(exclude_none=True, exclude={"rename_to", "wait_unit", "topic"})
    return sorted(given)


def _check_combination(edit: AutomationEdit) -> None:
    if not _structural(edit) and edit.rename_to is None:
        raise InvalidRequest(
            "Nothing to change: say what to change, e.g. a new name, the wait between emails, an email to add or "
            "remove, the trigger, or an email's subject.",
            field="edit",
        )
    if edit.wait_number is not None and edit.wait_before_email is not None:
        raise InvalidRequest(
            "Give either which wait (wait_number) or the email it comes before, not both.", field="wait"
        )
    if (edit.wait_number is not None or edit.wait_before_email is not None) and edit.wait_amount is None:
        raise InvalidRequest("How long should that wait be? Give the amount, e.g. 2 days.", field="wait")
    if edit.emails is not None and (edit.add_emails is not None or edit.remove_email is not None):
        raise InvalidRequest(
            "Give either the number of emails wanted or an email to add or remove, not both.", field="emails"
        )
    if edit.add_after_email is not None and edit.add_emails is None and edit.emails is None:
        edit.add_emails = 1
    if edit.email_number is not None and edit.subject is None:
        raise InvalidRequest(f"What should the new subject of email {edit.email_number} be?", field="subject")
    adding = edit.add_emails is not None or edit.emails is not None
    if adding and (edit.wait_number is not None or edit.wait_before_email is not None):
        raise InvalidRequest("Change one wait in a separate edit from adding emails.", field="wait")
    if edit.topic is not None and not adding:
        raise InvalidRequest("A topic is for emails being added; give add_emails too.", field="topic")


def _auto_description(session: Session, account_id: int, out: AutomationOut) -> str:
    names = builder.automation_names(session, account_id=account_id, automation=out)
    return builder.describe_automation_steps(
        out.trigger.model_dump(mode="json"), [st.model_dump(mode="json") for st in out.steps], names
    )


def _all_sends(steps: Sequence[Any]) -> list[int]:
    """Every campaign an automation sends, branches included, in step order."""
    out: list[int] = []
    for st in steps:
        data = st.model_dump(mode="json") if isinstance(st, BaseModel) else st
        if data.get("type") == "send_email":
            out.append(int(data["campaign"]))
        elif data.get("type") == "if_else":
            out += _all_sends(data.get("yes", [])) + _all_sends(data.get("no", []))
    return out


def _rename_emails(
    session: Session, account_id: int, old: str, new: str, ids: Sequence[int], now: datetime
) -> int:
    """Rename the draft emails named after the automation ("Old — Email 2" -> "New — Email 2")."""
    renamed = 0
    for cid in dict.fromkeys(ids):
        row = session.get(Campaign, cid)
        if row is None or row.account_id != account_id or row.status != CampaignStatus.DRAFT:
            continue
        prefix = f"{old}{EMAIL_SEPARATOR}"
        if not row.name.lower().startswith(prefix.lower()):
            continue
        target = f"{new}{EMAIL_SEPARATOR}{row.name[len(prefix) :]}"
        if target.lower() != row.name.lower() and builder._taken(session, Campaign, account_id, [target]):
            continue
        campaigns.update_campaign(session, account_id=account_id, campaign_id=cid, now=now, name=target)
        renamed += 1
    return renamed


def edit_automation(
    session: Session,
    *,
    account_id: int,
    automation_id: int,
    edit: AutomationEdit | Mapping[str, Any],
    now: datetime,
    created_by: int | None = None,
) -> EditedAutomation:
    """Apply a plain-words edit to an automation and return it with its new flow described."""
    change = parse_edit(edit)
    _check_combination(change)
    current = automations.get_automation(session, account_id=account_id, automation_id=automation_id)
    name = current.name
    structural = _structural(change)
    if structural and current.status == AutomationStatus.ACTIVE:
        raise Conflict(
            f"Automation {name!r} is active, so its steps, trigger and emails can't change while contacts go "
            "through it. Pause it first (deactivate_automation), make the change, then activate it again (that "
            "asks for approval).",
            field="status",
        )
    old_auto = _auto_description(session, account_id, current)
    steps = [st.model_dump(mode="json") for st in current.steps]
    flat = _flatten(steps)
    reshapes = change.wait_amount is not None or any(
        k in structural for k in ("emails", "add_emails", "add_after_email", "remove_email")
    )
    needs_line = reshapes or change.subject is not None
    if needs_line and flat is None:
        raise InvalidRequest(
            f"Automation {name!r} has if/else branches, so its emails have no single order to number. Edit it in "
            "the automation builder, or build a new one.",
            field="steps",
        )
    line, branched = flat if flat is not None else ([], False)
    sends = _sends(line)
    changes: list[str] = []
    updates: dict[str, Any] = {}

    # Everything the numbers point at is picked before anything moves.
    subject_send = (
        _pick(sends, change.email_number, what="email", automation=name)
        if change.email_number is not None
        else None
    )
    if change.subject is not None and subject_send is None:
        if len(sends) != 1:
            raise InvalidRequest(
                f"Which email's subject? Automation {name!r} has {len(sends)} emails; give a number from 1 to "
                f"{len(sends)}.",
                field="email_number",
            )
        subject_send = sends[0]
    removed = (
        _pick(sends, change.remove_email, what="email", automation=name)
        if change.remove_email is not None
        else None
    )
    after = (
        _pick(sends, change.add_after_email, what="email", automation=name)
        if change.add_after_email is not None
        else None
    )
    wait_target = (
        _pick(_waits(line), change.wait_number, what="wait", automation=name)
        if change.wait_number is not None
        else None
    )
    before_send = (
        _pick(sends, change.wait_before_email, what="email", automation=name)
        if change.wait_before_email is not None
        else None
    )
    number = {id(st): k for k, st in enumerate(sends, start=1)}

    line_changed = reshapes
    with session.begin_nested():
        if removed is not None:
            if len(sends) == 1:
                raise InvalidRequest(
                    f"Email 1 is the only email in {name!r}; add another email before removing it.",
                    field="email",
                )
            i = _index(line, removed)
            gap = _wait_before(line, removed)
            drop = [removed]
            if gap is not None:
                drop.append(gap)
            elif i + 1 < len(line) and line[i + 1].get("type") == "wait" and removed is sends[0]:
                drop.append(line[i + 1])
            if wait_target is not None and any(wait_target is d for d in drop):
                raise InvalidRequest(
                    "That wait goes with the email being removed; change it separately.", field="wait"
                )
            line = [st for st in line if not any(st is d for d in drop)]
            campaign = _campaign_row(session, account_id, removed)
            label = repr(campaign.name) if campaign else f"campaign #{removed['campaign']}"
            changes.append(
                f"Removed email {number[id(removed)]} ({label})"
                + (
                    " and the wait before it"
                    if gap is not None
                    else " and the wait after it"
                    if len(drop) > 1
                    else ""
                )
                + "; its draft stays in your campaigns."
            )
        to_add = change.add_emails or 0
        trim = 0
        if change.emails is not None:
            if change.emails > len(sends):
                to_add = change.emails - len(sends)
            elif change.emails < len(sends):
                trim = len(sends) - change.emails
            else:
                changes.append(f"It already has {len(sends)} email{'s' if len(sends) != 1 else ''}.")
        if trim:
            cut = sends[-trim:]
            for send in reversed(cut):
                gap = _wait_before(line, send)
                line = [st for st in line if st is not send and st is not gap]
            changes.append(
                f"Removed the last {trim} email{'s' if trim != 1 else ''} (now {change.emails}); "
                "their drafts stay in your campaigns."
            )
        if to_add:
            current_sends = _sends(line)
            if len(current_sends) + to_add > MAX_EMAILS:
                raise InvalidRequest(
                    f"An automation built here has at most {MAX_EMAILS} emails; {name!r} has {len(current_sends)}, "
                    f"so at most {MAX_EMAILS - len(current_sends)} more can be added.",
                    field="add_emails",
                )
            anchor = after or (current_sends[-1] if current_sends else None)
            if change.wait_amount is not None:
                gap_amount, gap_unit = change.wait_amount, change.wait_unit
            else:
                model_gap = (_wait_before(line, anchor) if anchor is not None else None) or next(
                    (w for s in reversed(current_sends) if (w := _wait_before(line, s)) is not None), None
                )
                gap_amount, gap_unit = (
                    (int(model_gap["amount"]), str(model_gap["unit"])) if model_gap else DEFAULT_GAP
                )
            anchor_row = _campaign_row(session, account_id, anchor)
            made = _draft_emails(
                session,
                account_id=account_id,
                automation=name,
                anchor=anchor_row,
                first_number=len(current_sends) + 1,
                count=to_add,
                topic=change.topic,
                now=now,
                created_by=created_by,
            )
            new_steps: list[Step] = []
            for c in made:
                if anchor is not None or new_steps:
                    new_steps.append(_wait(gap_amount, gap_unit))
                new_steps.append({"type": "send_email", "campaign": c.id})
            at = (
                _index(line, after) + 1 if after is not None and after is not current_sends[-1] else len(line)
            )
            line = [*line[:at], *new_steps, *line[at:]]
            where = (
                f"after email {number[id(after)]}"
                if after is not None and after is not current_sends[-1]
                else "at the end"
            )
            listed = ", ".join(f"{c.name!r} (subject {c.subject!r})" for c in made)
            changes.append(
                f"Added {to_add} draft email{'s' if to_add != 1 else ''} {where}, each "
                f"{_says(gap_amount, gap_unit)} after the one before: {listed}."
            )
        if change.wait_amount is not None and not to_add and change.emails is None:
            amount, unit = change.wait_amount, change.wait_unit
            if wait_target is not None:
                wait_target.update(amount=amount, unit=unit)
                changes.append(f"The {_ordinal(change.wait_number or 0)} wait is now {_says(amount, unit)}.")
            elif before_send is not None:
                gap = _wait_before(line, before_send)
                i = _index(line, before_send)
                if gap is None and i > 0 and line[i - 1].get("type") == "wait":
                    gap = line[i - 1]
                if gap is None:
                    line.insert(i, _wait(amount, unit))
                else:
                    gap.update(amount=amount, unit=unit)
                changes.append(
                    f"The wait before email {number[id(before_send)]} is now {_says(amount, unit)}."
                )
            else:
                current_sends = _sends(line)
                if len(current_sends) < 2:
                    lone = _waits(line)
                    if len(lone) != 1:
                        raise InvalidRequest(
                            f"Automation {name!r} has one email, so there is no wait between emails. Add an "
                            "email first, or say which wait (e.g. the wait before email 1).",
                            field="wait",
                        )
                    lone[0].update(amount=amount, unit=unit)
                else:
                    for send in current_sends[1:]:
                        gap = _wait_before(line, send)
                        if gap is None:
                            line.insert(_index(line, send), _wait(amount, unit))
                        else:
                            gap.update(amount=amount, unit=unit)
                changes.append(f"Every wait between emails is now {_says(amount, unit)}.")
        if change.trigger is not None:
            choice = change.trigger
            if all(getattr(choice, k) in (None, "") for k in ("list", "tag", "form", "date_field")):
                raise InvalidRequest(
                    "What should start it? Give a list (someone subscribes), a tag (it is added), a form (it is "
                    "submitted) or a date field.",
                    field="trigger",
                )
            runs = choice.runs or getattr(current.trigger, "runs", "once")
            spec = AutomationSpec(kind="custom", trigger=choice.model_copy(update={"runs": runs}))
            trigger = builder._trigger(session, account_id, spec, RECIPES["custom"], name)
            builder._check_trigger_plan(session, account_id, trigger.data["type"])
            updates["trigger"] = trigger.data
            said = builder._describe_trigger(trigger.data, trigger.names)
            changes.append(f"It now starts {said[0].lower()}{said[1:]}.")
        if subject_send is not None and change.subject is not None:
            cid = int(subject_send["campaign"])
            out = campaigns.update_campaign(
                session, account_id=account_id, campaign_id=cid, now=now, subject=change.subject
            )
            changes.append(
                f"Email {number[id(subject_send)]} ({out.name!r}) now has the subject {out.subject!r}."
            )
        if line_changed:
            updates["steps"] = _nest(line, branched)
        new_name = (change.rename_to or "").strip()
        renaming = bool(new_name) and new_name != name
        if renaming and current.status == AutomationStatus.ACTIVE:
            # Renaming changes nothing contacts receive, so it needs no pause (update_automation would refuse).
            row = session.get(Automation, automation_id)
            assert row is not None  # loaded above, in this account
            row.name = automations._clean_name(
                session, Automation, account_id, new_name, "automation", exclude_id=row.id
            )
            row.updated_at = now
            session.flush()
        elif renaming:
            updates["name"] = new_name
        out = (
            automations.update_automation(
                session, account_id=account_id, automation_id=automation_id, now=now, **updates
            )
            if updates
            else automations.get_automation(session, account_id=account_id, automation_id=automation_id)
        )
        if renaming:
            renamed = _rename_emails(session, account_id, name, out.name, _all_sends(out.steps), now)
            changes.append(
                f"Renamed {name!r} to {out.name!r}"
                + (f" (and its {renamed} draft email{'s' if renamed != 1 else ''})." if renamed else ".")
            )
        new_auto = _auto_description(session, account_id, out)
        if current.description == old_auto and new_auto != old_auto:
            # The builder's description was the flow in words; keep it true. A description of one's own stays.
            if out.status == AutomationStatus.ACTIVE:
                row = session.get(Automation, automation_id)
                assert row is not None  # loaded above, in this account
                row.description = new_auto
                session.flush()
                out = automations.get_automation(session, account_id=account_id, automation_id=automation_id)
            else:
                out = automations.update_automation(
                    session, account_id=account_id, automation_id=automation_id, now=now, description=new_auto
                )
    names = builder.automation_names(session, account_id=account_id, automation=out)
    return EditedAutomation(
        automation=out,
        description=new_auto,
        emails=email_names(session, account_id=account_id, automation=out),
        changes=changes,
        names=names,
    )


def email_names(session: Session, *, account_id: int, automation: AutomationOut) -> list[str]:
    """The names of the emails an automation sends, in the order a contact gets them."""
    names = builder.automation_names(session, account_id=account_id, automation=automation)
    flat = _flatten([st.model_dump(mode="json") for st in automation.steps])
    if flat is None:
        return list(names.get("campaigns", {}).values())
    return [
        names.get("campaigns", {}).get(st["campaign"], f"campaign #{st['campaign']}")
        for st in _sends(flat[0])
    ]
