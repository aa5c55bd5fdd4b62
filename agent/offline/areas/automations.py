"""Automations by follow-up: "make the waits 2 days", "add another email", "rename it to Onboarding", "start it
when someone joins the VIP Club list", "pause it".

The automation is the one named, the one "it"/"that automation" points at, the one just built or shown in this
chat, or the one open on the page. What to change is read from the words (``read_edit``) and handed to the
edit_automation tool, which checks everything against the account.

``REROUTE`` fixes two readings that only the dialogue can settle: right after an automation was built or shown,
"make it 4 emails" or "change the subject of the second email ..." edit the automation, not a campaign; and
"turn it on" names the automation in play.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from agent.dialogue import DialogueState
from agent.nlu.parse import Step
from agent.nlu.slots import Catalog, Slot, extract_slots, to_int
from agent.nlu.text import ORDINALS
from agent.offline.planner import DONE, Env, Outcome, Say, _call
from agent.offline.reading import CATALOG_KINDS, Conversation

_EMAIL = r"(?:e-?mails?|messages?|mails?)"
_ORD = r"(?:" + "|".join(sorted(ORDINALS, key=len, reverse=True)) + r"|\d{1,2}(?:st|nd|rd|th)|last|final)"
_NUMBER = r"(?:\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|twenty)"
_DURATION = re.compile(rf"\b(?P<n>{_NUMBER}|\d{{1,4}})[\s-]*(?P<unit>minutes?|mins?|hours?|hrs?|days?|weeks?)\b")
_PAUSE = re.compile(
    r"\b(?:pause|deactivate|disable|halt|stop|turn (?:it |this |that |the \w+ )?off|switch (?:it |this |that )?off|"
    r"switch off|turn off|off for now)\b"
)
_SHOW = re.compile(
    r"^\s*(?:please\s+|can you\s+|could you\s+)?(?:show|open|view|display|describe|what does|what's in|what is in|"
    r"walk me|let me see|pull up|bring up)\b"
)
_RENAME = re.compile(r"\b(?:rename|re-name|call (?:it|this|that)|name (?:it|this)|new name|automation name|name to)\b")
_SUBJECT = re.compile(r"\bsubject\b|\bretitle\b")
_TRIGGER = re.compile(
    r"\b(?:trigger\w*|start(?:s|ed)?|kicks? off|begins?|fires?|when|once|joins?|subscribes?|signs? up|tagged|"
    r"submits?|fills? (?:in|out))\b"
)
# Adding needs an email that is new: "add an email", "add 2 (more) emails", "another email", "one more email",
# "add a fourth email"; "put 2 days between each email" or "add a wait before the last email" are waits.
_ADD_OBJECT = re.compile(
    rf"\b(?:a|an|another|one more|an extra|extra|additional|new|more|{_NUMBER}(?:\s+more|\s+new|\s+extra)?)\s+"
    rf"(?:{_ORD}\s+)?(?:new\s+|extra\s+|more\s+)?(?:follow-up\s+)?{_EMAIL}\b"
)
_ADD_VERB = re.compile(r"\b(?:add|append|insert|include|tack on|throw in|put|slot in)\b|\b(?:another|one more|extra|additional)\b")
_REMOVE = re.compile(
    rf"\b(?:remove|delete|drop|take out|get rid of|cut|scrap|lose|skip)\b.*\b{_EMAIL}\b|"
    rf"\btake (?:the )?(?:{_ORD} )?{_EMAIL}\b.*\bout\b"
)
_COUNT = re.compile(rf"\b(?P<n>(?!an?\b){_NUMBER})[\s-]+(?:more\s+|new\s+|extra\s+)?(?:-?\s*part\s+|step\s+)?{_EMAIL}\b")
_TOTAL_CUES = re.compile(
    r"\b(?:make|change|turn|cut|trim|bump|reduce|shorten|increase|set|have|want|do|be|just|only|instead|rather|"
    r"sequence|series|long|total|down to|up to)\b"
)
_WAIT = re.compile(r"\b(?:waits?|waiting|delays?|gaps?|apart|between|spac\w+|spread)\b")
# Words that say the message is about the automation in play, not a campaign (used by REROUTE).
_AUTOMATION_EDIT_CUES = re.compile(
    rf"\b(?:waits?|delays?|gaps?|apart|trigger\w*|start (?:it|this|that)? ?when|rename|"
    rf"(?:another|one more|an extra|extra|additional|more) {_EMAIL}|{_ORD} (?:{_EMAIL}|wait|delay)|"
    rf"e-?mail\s*(?:#\s*|number\s*)?\d|\d+[\s-]+{_EMAIL}|{_NUMBER} {_EMAIL})\b"
)
_CREATE = re.compile(
    r"\b(?:build|create|set up|draft|write|compose|new (?:automation|series|flow|sequence|workflow|drip)|"
    r"another (?:automation|series|flow|sequence|workflow|drip))\b"
)


# ---------------------------------------------------------------- reading the edit


def _ordinal(word: str) -> int | None:
    word = word.lower()
    if word in ("last", "final"):
        return -1
    if word in ORDINALS:
        return ORDINALS[word]
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", word)
    return int(m.group(1)) if m else to_int(word)


def _email_number(low: str) -> int | None:
    """The email a phrase points at: "the second email", "email 3", "email #2", "the last one"."""
    m = re.search(rf"\b(?P<o>{_ORD})\s+(?:{_EMAIL}|one)\b", low) or re.search(
        rf"\b{_EMAIL}\s*(?:#\s*|number\s*|no\.?\s*)?(?P<o>\d{{1,2}})\b", low
    )
    return _ordinal(m.group("o")) if m else None


def _after_number(low: str) -> int | None:
    m = re.search(rf"\bafter\s+(?:the\s+)?(?P<o>{_ORD})(?:\s+(?:{_EMAIL}|one))?\b", low) or re.search(
        rf"\bafter\s+{_EMAIL}\s*(?:#\s*|number\s*)?(?P<o>\d{{1,2}})\b", low
    )
    if m:
        return _ordinal(m.group("o"))
    between = re.search(rf"\bbetween\s+(?:the\s+)?(?P<o>{_ORD}|{_EMAIL}\s*\d{{1,2}})\s+and\b", low)
    if between:
        return _ordinal(re.sub(rf"^{_EMAIL}\s*", "", between.group("o")))
    return None


def _duration(low: str, spans: Sequence[Slot]) -> tuple[int, str] | None:
    """A length of time as (amount, "days" | "hours"): the NLU's duration, else any "<n> <unit>" in the text."""
    iso = next((s.value for s in spans if s.name == "duration" and isinstance(s.value, str)), None)
    if iso:
        m = re.fullmatch(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?", iso)
        if m:
            weeks, days, hours, minutes = (int(x) if x else 0 for x in m.groups())
            if weeks or days:
                return weeks * 7 + days, "days"
            if hours or minutes:
                return max(1, hours + round(minutes / 60)), "hours"
    m = _DURATION.search(low)
    if not m:
        return None
    amount = 1 if m.group("n") in ("a", "an") else to_int(m.group("n")) if not m.group("n").isdigit() else int(m.group("n"))
    if not amount:
        return None
    unit = m.group("unit")
    if unit.startswith("week"):
        return amount * 7, "days"
    if unit.startswith(("hour", "hr")):
        return amount, "hours"
    if unit.startswith("min"):
        return max(1, round(amount / 60)), "hours"
    return amount, "days"


def _count(low: str, spans: Sequence[Slot]) -> int | None:
    found = next((s.value for s in spans if s.name == "count" and isinstance(s.value, int)), None)
    if found:
        return int(found)
    m = _COUNT.search(low)
    if not m:
        return None
    return 1 if m.group("n") in ("a", "an") else int(m.group("n")) if m.group("n").isdigit() else to_int(m.group("n"))


def _catalog_name(name: str, names: Sequence[str]) -> str:
    """The catalog's spelling of a name, or the only name that starts with it ("VIP" -> "VIP Club")."""
    key = name.strip().lower()
    exact = [n for n in names if n.lower() == key]
    if exact:
        return exact[0]
    starts = [n for n in names if n.lower().startswith(key + " ") or n.lower().startswith(key)]
    return starts[0] if len(starts) == 1 else name.strip()


def _trigger(text: str, low: str, spans: Sequence[Slot], catalog: Mapping[str, list[str]]) -> dict[str, str]:
    """trigger_list / trigger_tag / trigger_form from "when someone joins the X list", "when tagged X"."""
    named_list = re.search(r"\b(?:the\s+)?['\"]?(?P<n>[\w' &-]{2,40}?)['\"]?\s+(?:mailing\s+)?list\b", text)
    lists = catalog.get("lists") or []
    if named_list:
        words = re.split(r"\b(?:the|to|joins?|subscribes? to|signs? up (?:to|for)|on|of|from)\b", named_list.group("n"))
        candidate = words[-1].strip(" '\"")
        if len(candidate) >= 2 and candidate.lower() not in ("a", "any", "my", "our", "that", "this", "instead"):
            return {"trigger_list": _catalog_name(candidate, lists)}
    span_list = next((s for s in spans if s.name == "list"), None)
    if span_list is not None and re.search(r"\b(?:list|joins?|subscribes?|signs? up)\b", low):
        return {"trigger_list": str(span_list.value)}
    form = re.search(r"\b(?:submits?|fills? (?:in|out)|completes?)\s+(?:the\s+|a\s+|our\s+)?(?P<f>[\w' -]{2,40}?)\s+form\b", low)
    if form:
        forms = catalog.get("forms") or []
        return {"trigger_form": _catalog_name(form.group("f"), forms)}
    span_tag = next((s for s in spans if s.name == "tag"), None)
    if span_tag is not None and re.search(r"\btag", low):
        return {"trigger_tag": _catalog_name(str(span_tag.value), catalog.get("tags") or [])}
    tag = re.search(r"\btag(?:ged)?\s+(?:with\s+|as\s+)?(?:the\s+)?['\"]?(?P<t>[\w-]{2,40})['\"]?", text, re.IGNORECASE)
    if tag and tag.group("t").lower() not in ("is", "gets", "added"):
        return {"trigger_tag": _catalog_name(tag.group("t"), catalog.get("tags") or [])}
    return {}


def _new_name(text: str, slots: Mapping[str, Any]) -> str | None:
    m = re.search(
        r"\b(?:rename(?:\s+(?:it|this|that|the\s+[\w' -]+?|[\w' -]+?))?\s+(?:to|as)|rename (?:it|this|that|"
        r"this automation|the automation|the flow)|call (?:it|this|that)|name (?:it|this)|new name:?|name to)\s+"
        r"['\"]?(?P<n>[^'\"]+?)['\"]?(?:\s+instead)?\s*[.!]?$",
        text,
        re.IGNORECASE,
    )
    if m:
        return m.group("n").strip()
    named = slots.get("name")
    return str(named).strip() if named else None


def _subject(text: str, spans: Sequence[Slot]) -> str | None:
    found = next((s.value for s in spans if s.name == "subject"), None)
    if found:
        return str(found)
    quoted = next((s.value for s in spans if s.name == "quoted"), None)
    if quoted:
        return str(quoted)
    m = re.search(
        r"\b(?:subject(?: line)?(?: of [\w' ]+?)?|retitle [\w ]+?)\s+(?:to|should be|as|:)\s+['\"]?(?P<s>[^'\"]+?)['\"]?\s*$",
        text,
        re.IGNORECASE,
    )
    return m.group("s").strip() if m else None


def read_edit(
    text: str, spans: Sequence[Slot], catalog: Mapping[str, list[str]], slots: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], str | None]:
    """The edit_automation arguments a message asks for, or a question when something needed is missing."""
    slots = slots or {}
    low = text.lower()
    args: dict[str, Any] = {}
    if _SUBJECT.search(low):
        subject = _subject(text, spans)
        if not subject:
            return {}, "What should the new subject line say? For example: change the subject of email 2 to 'Your first tips'."
        args["subject"] = subject
        number = _email_number(re.sub(r"\bto\s+.*$", "", low))
        if number is not None:
            args["email_number"] = number
        return args, None
    if _RENAME.search(low):
        name = _new_name(text, slots)
        if not name:
            return {}, "What should the new name be? For example: rename it to Onboarding."
        return {"rename_to": name}, None
    trigger = _trigger(text, low, spans, catalog) if _TRIGGER.search(low) else {}
    if trigger:
        return trigger, None
    if re.search(r"\btrigger\b|\bstart (?:it|this|that)? ?when\b", low):
        return {}, ("What should start it? A list, a tag or a form, e.g. 'start it when someone joins the Newsletter "
                    "list' or 'when tagged VIP'.")
    count = _count(low, spans)
    wait = _duration(low, spans)
    adding = bool(_ADD_OBJECT.search(low)) and bool(_ADD_VERB.search(low)) and not _REMOVE.search(low)
    if adding:
        args["add_emails"] = count or 1
        after = _after_number(low)
        if after is not None:
            args["add_after_email"] = after
        if wait:
            args["wait_days" if wait[1] == "days" else "wait_hours"] = wait[0]
        about = re.search(r"\babout\s+(?P<t>.{3,200}?)\s*[.!]?$", text, re.IGNORECASE)
        if about:
            args["topic"] = about.group("t")
        return args, None
    number = _email_number(low)
    if _REMOVE.search(low) and number is not None:
        return {"remove_email": number}, None
    if count and _TOTAL_CUES.search(low) and not wait:
        return {"emails": count}, None
    if _REMOVE.search(low):
        return {}, "Which email should I take out? Say e.g. 'remove the second email' or 'drop the last email'."
    if wait and (_WAIT.search(low) or re.search(r"\bmake (?:it|them)\b", low)):
        args["wait_days" if wait[1] == "days" else "wait_hours"] = wait[0]
        which = re.search(rf"\b(?P<o>{_ORD})\s+(?:wait|delay|gap|pause)\b", low)
        before = re.search(rf"\bbefore\s+(?:the\s+)?(?P<o>{_ORD})\s+(?:{_EMAIL}|one)\b", low) or re.search(
            rf"\bbefore\s+{_EMAIL}\s*(?:#\s*|number\s*)?(?P<o>\d{{1,2}})\b", low
        )
        between = re.search(
            rf"\bbetween\s+(?:the\s+)?(?:{_EMAIL}\s*)?(?:{_ORD}|\d{{1,2}})\s+and\s+(?:the\s+)?(?:{_EMAIL}\s*)?"
            rf"(?P<o>{_ORD}|\d{{1,2}})\b",
            low,
        )
        after = _after_number(low)
        if which:
            args["which_wait"] = _ordinal(which.group("o"))
        elif after is not None and after > 0 and not between:
            # "a 2 day wait after the second email" is the wait before the third.
            args["wait_before_email"] = after + 1
        elif before:
            args["wait_before_email"] = _ordinal(before.group("o"))
        elif between:
            args["wait_before_email"] = _ordinal(between.group("o"))
        return args, None
    if _WAIT.search(low) and not wait:
        return {}, "How long should the wait be? For example: make the waits 2 days."
    return {}, None


# ---------------------------------------------------------------- which automation


def _name_of(hit: Mapping[str, Any] | None) -> str | None:
    if not hit:
        return None
    value = hit.get("name") or hit.get("id")
    return str(value) if value not in (None, "") else None


def automation_in_play(
    step: Step, state: DialogueState, conv: Conversation, earlier: Mapping[int, Any] | None = None
) -> str | None:
    """The automation a message is about: "" means the page's automation (the tool reads the page).

    Named > "it" pointing at an earlier step > "the second one" of a listed set of automations > the last
    object of this chat when it is an automation > the page's automation > the last automation of this chat.
    """
    named = step.slots.get("automation") or next((s.value for s in step.spans if s.name == "automation"), None)
    if named:
        return str(named)
    low = step.text.lower()
    for ref in step.references:
        if ref.step is not None and earlier and isinstance(earlier.get(ref.step), dict):
            data = earlier[ref.step]
            if data.get("object") == "automation":
                return _name_of(data)
        if ref.ordinal is not None and state.listed_kind == "automation" and not re.search(
            rf"\b(?:{_EMAIL}|wait|delay)\b", low
        ):
            return _name_of(state.resolve(None, ref.ordinal))
    last = state.last_object
    if last and last.get("object") == "automation":
        return _name_of(last)
    page = conv.page
    if page and page.get("object_type") == "automation" and page.get("object_id"):
        return ""
    return _name_of(state.resolve("automation"))


# ---------------------------------------------------------------- handler


def edit_automation(env: Env) -> Outcome:
    if env.done:
        _name, _args, data, status = env.done[-1]
        if status == "success" and isinstance(data, dict) and data.get("changes"):
            return Say(" ".join(data["changes"]))
        return DONE
    step = env.step
    if not step.spans:
        # A step rebuilt from a pending question carries no spans; read the reply's own.
        catalog = Catalog.of(**{CATALOG_KINDS[k]: v for k, v in env.conv.catalog.items() if k in CATALOG_KINDS})
        step = dataclasses.replace(step, spans=tuple(extract_slots(step.text, catalog)))
    given = env.slot("edit")
    if isinstance(given, dict):
        # A reply to "Which automation?": a name of the account, or else a new request read afresh.
        known = _known_automation(str(step.slots.get("automation") or step.text), env.conv.catalog)
        low = step.text.lower()
        if known:
            step = dataclasses.replace(step, slots={**step.slots, "automation": known})
        elif read_edit(step.text, step.spans, env.conv.catalog, step.slots) != ({}, None) or _SHOW.search(
            low
        ) or _PAUSE.search(low):
            given = None
            step = dataclasses.replace(
                step, slots={k: v for k, v in step.slots.items() if k not in ("automation", "edit")}
            )
    target = automation_in_play(step, env.state, env.conv, env.earlier)
    if target and target not in (env.conv.catalog.get("automations") or []):
        # A short answer to "Which automation?" often starts with "the".
        target = re.sub(r"^(?:the|my|our)\s+", "", target, flags=re.IGNORECASE)
    low = step.text.lower()
    if isinstance(given, dict):
        args, question = dict(given), None
    else:
        args, question = read_edit(step.text, step.spans, env.conv.catalog, step.slots)
    tool = args.pop("_do", None)
    if not args and not question and _PAUSE.search(low) and not _WAIT.search(low.replace("pause", "")):
        tool = "deactivate_automation"
    elif not args and not question and _SHOW.search(low):
        tool = "get_automation"
    if tool:
        # "pause it" and "show me that automation" are read as about the automation too (no intent of their own).
        if target is None:
            return _which(env, {"_do": tool})
        return _call(env, tool, {"automation": target or None})
    if question:
        return Say(question)
    if not args:
        return Say(
            "What should I change? I can rename it, change the waits ('make the waits 2 days'), add or remove an "
            "email, set the number of emails, change what starts it ('start it when someone joins the Newsletter "
            "list') or change an email's subject."
        )
    if target is None:
        return _which(env, args)
    return _call(env, "edit_automation", {"automation": target or None, **args})


def _known_automation(text: str, catalog: Mapping[str, list[str]]) -> str | None:
    """The account's automation a short reply names ("the Welcome series"), if any."""
    key = re.sub(r"^(?:the|my|our)\s+", "", text.strip().strip(".!?\"'"), flags=re.IGNORECASE).lower()
    names = catalog.get("automations") or []
    exact = [n for n in names if n.lower() == key]
    if exact:
        return exact[0]
    inside = sorted((n for n in names if re.search(rf"\b{re.escape(n.lower())}\b", key)), key=len, reverse=True)
    return inside[0] if inside else None


def _which(env: Env, args: dict[str, Any]) -> Say:
    slots = {k: v for k, v in env.step.slots.items() if k != "edit"} | ({"edit": args} if args else {})
    return Say(
        "Which automation should I change? Give its name, or build one first (e.g. 'build a 3-email welcome "
        "series').",
        pending={"intent": "edit_automation", "slots": slots, "missing": "automation"},
    )


# ---------------------------------------------------------------- re-reading in the light of the dialogue


def reroute(step: Step, state: DialogueState, conv: Conversation) -> Step:
    """Settle what only the dialogue can: edits right after an automation, and "turn it on"."""
    if step.intent == "activate_automation" and not step.slots.get("automation"):
        page = conv.page or {}
        if not (page.get("object_type") == "automation" and page.get("object_id")):
            name = _name_of(state.resolve("automation"))
            if name:
                return dataclasses.replace(step, slots={**step.slots, "automation": name})
        return step
    if _SHOW.search(step.text.lower()) and (step.rejected or step.intent in (
        "list_automations", "search_help", "edit_automation", "get_campaign"
    )):
        # "show the Welcome series automation", "what does it do?", "show me that automation": one automation,
        # not the whole list nor a help page (there is no intent of its own for reading one automation).
        named = any(s.name == "automation" for s in step.spans)
        pointed = any(
            r.kind in (None, "automation") and r.ordinal is None and r.which is None for r in step.references
        )
        last = state.last_object
        about_automation = named or (pointed and (
            (last is not None and last.get("object") == "automation") or step.intent == "list_automations"
        ))
        if about_automation and automation_in_play(step, state, conv) is not None:
            return dataclasses.replace(step, intent="edit_automation", rejected=False,
                                       confidence=max(step.confidence, 0.6))
        return step
    guess = step.alternatives[0][0] if step.rejected and step.alternatives else step.intent
    if guess not in ("edit_campaign", "draft_campaign", "create_automation", "edit_automation"):
        return step
    if guess == "edit_automation" and not step.rejected:
        return step
    last = state.last_object
    page = conv.page or {}
    in_play = (last is not None and last.get("object") == "automation") or (
        last is None and page.get("object_type") == "automation" and bool(page.get("object_id"))
    )
    low = step.text.lower()
    if not in_play or not _AUTOMATION_EDIT_CUES.search(low):
        return step
    if guess in ("draft_campaign", "create_automation") and _CREATE.search(low):
        return step
    return dataclasses.replace(step, intent="edit_automation", confidence=max(step.confidence, 0.6), rejected=False)


HANDLERS = {"edit_automation": edit_automation}
# Results are "automation" objects, which the shared composer already words; the changes are said by the handler.
COMPOSERS: dict[str, Any] = {}
REROUTE = reroute
