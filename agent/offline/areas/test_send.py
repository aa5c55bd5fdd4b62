"""Test emails for the offline model: "send me a test of the May newsletter", "send a proof of it to bob@x.com".

Intent send_test_email -> tool send_test_email (tools/campaigns.py). The campaign comes from a name, quotes,
"it"/"this" (an object in play), words like "my last newsletter", the campaign open on the page, or the
campaign the chat is already about; the addresses come from the text ("me" adds the user's own). The result
kind is test_send.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from agent.nlu.text import EMAIL_RE
from agent.offline.planner import Env, Outcome, Say, _ask, _call, _campaign_phrase, _quoted

# "me" next to other addresses ("send it to me and bob@x.com") means the user's own address too.
_ME = re.compile(r"\b(?:to|for)\s+(?:me|myself)\b|\bme\s+(?:and|&)\b|\b(?:and|&)\s+(?:me|myself)\b", re.IGNORECASE)
_SMS = re.compile(r"\b(?:sms|text message|texts?)\b", re.IGNORECASE)
_ABOUT_CAMPAIGNS = ("campaign", "test_send", "campaign_performance", "send_result", "not_ready", "spam_report")


def _addresses(env: Env) -> list[str]:
    found = [m.group(0).lower().rstrip(".") for m in EMAIL_RE.finditer(env.step.text)]
    if not found:
        # An answer to "which campaign?" keeps the addresses of the original request in its slots.
        many = env.slot("emails")
        found = [str(e).lower() for e in many] if isinstance(many, list) else []
        one = env.slot("email")
        found += [str(one).lower()] if one else []
    if found and _ME.search(env.step.text):
        found.append("me")
    return list(dict.fromkeys(found))


def _in_play(env: Env) -> str | None:
    """The campaign this chat is about: the latest object if it is about one, else the last campaign shown."""
    last = env.state.last_object or {}
    candidates = [last] if last.get("object") in _ABOUT_CAMPAIGNS else []
    candidates += [{"object": "campaign", **(env.state.resolve("campaign") or {})}, env.state.resolve("test_send") or {}]
    for hit in candidates:
        name = hit.get("name") if hit.get("object") == "campaign" else hit.get("campaign_name") or hit.get("campaign")
        if name:
            return str(name)
    return None


def send_test(env: Env) -> Outcome:
    """Plan a test send; an SMS request and a campaign nobody named are answered, not guessed."""
    addresses = _addresses(env)
    if not addresses and env.slot("phone") and _SMS.search(env.step.text):
        return Say("I can only send test emails; SMS campaigns can't be test-sent. Ask me to show the campaign "
                   "to read its text.")
    page = env.conv.page or {}
    on_page = page.get("object_type") == "campaign" and page.get("object_id")
    campaign = env.slot("campaign") or _quoted(env.step.text) or _campaign_phrase(env) or _in_play(env)
    if not campaign and not on_page:
        return _ask(env, "Which campaign should I send a test of? Give me its name.", "campaign")
    return _call(env, "send_test_email", {"campaign": campaign, "to": addresses or None})


def _people(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def compose_test_send(d: dict[str, Any]) -> str:
    """Compose the answer to a test send from its result."""
    text = (f"Sent a test of **{d['campaign_name']}** to {_people(d['recipients'])} "
            f"(subject \"{d['subject']}\").")
    if d.get("transport") == "outbox":
        text += " No mail server is set up, so it was saved in the outbox folder."
    if d.get("empty_tags"):
        text += (f"\nThese tags had no value for you, so they read as nothing: {', '.join(d['empty_tags'])}. "
                 "Contacts without a value will see the same.")
    if d.get("unknown_tags"):
        text += f"\nThese tags are not known and were left as written: {', '.join(d['unknown_tags'])}; fix them before sending."
    if d.get("buttons_without_link"):
        labels = ", ".join(f"'{b}'" for b in d["buttons_without_link"])
        text += f"\nThese buttons have no link yet: {labels}."
    return text


HANDLERS: dict[str, Callable[[Env], Outcome]] = {"send_test_email": send_test}
COMPOSERS: dict[str, Callable[[dict[str, Any]], str]] = {"test_send": compose_test_send}
