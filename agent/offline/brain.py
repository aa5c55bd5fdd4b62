"""The offline model's loop: understand the user's message, call the next tool the plan needs, then answer."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from agent.dialogue import dialogue_state
from agent.nlu.parse import DialogueContext, ParseResult, Step, default_model, parse, select_slots
from agent.nlu.slots import Catalog
from agent.offline import areas
from agent.offline.nlg import compose
from agent.offline.planner import HANDLERS, Call, Env, Say, no_tool_for, settle_in_play, settle_unsure
from agent.offline.reading import CATALOG_KINDS, PLAN_KEY, Conversation, read_conversation, result_data

areas.install()

GREETING = (
    "Hi! I can build campaigns, segments and automations, answer performance questions with numbers and charts, "
    "and explain failed sends. Try: 'How did my last newsletter do?' or 'What can you do?'"
)
OUT_OF_SCOPE = (
    "I can only help with this marketing account: campaigns, segments, automations, contacts, deals and reports. "
    "Try 'How did my emails do last month?' or ask 'What can you do?'."
)
INTENT_WORDS = {
    "get_campaign_performance": "see how a campaign did", "get_period_performance": "see performance over a period",
    "create_segment": "create a segment", "preview_segment": "count contacts matching some conditions",
    "draft_campaign": "draft a campaign", "edit_campaign": "change a campaign", "send_campaign": "send a campaign",
    "troubleshoot_campaign": "find out why a campaign did not send", "search_help": "look it up in the help pages",
    "list_campaigns": "list your campaigns", "create_automation": "build an automation",
    "edit_automation": "change an automation",
}


def _catalog(names: dict[str, list[str]]) -> Catalog:
    return Catalog.of(**{CATALOG_KINDS[k]: v for k, v in names.items() if k in CATALOG_KINDS})


@lru_cache(maxsize=512)
def _parse_cached(text: str, catalog_key: tuple[tuple[str, tuple[str, ...]], ...], awaiting: str | None,
                  slot: str | None, last_intent: str | None, cache_dir: str | None) -> ParseResult:
    catalog = Catalog.of(**{k: list(v) for k, v in catalog_key})
    context = DialogueContext(awaiting=awaiting, slot=slot, last_intent=last_intent)  # type: ignore[arg-type]
    return parse(text, catalog, model=default_model(cache_dir), context=context)


def understand(conv: Conversation, cache_dir: str | None) -> ParseResult:
    """Parse the user's message, reading short answers in the light of what was asked last."""
    catalog = _catalog(conv.catalog)
    key = tuple(sorted((k, tuple(v)) for k, v in catalog.names.items()))
    pending = conv.pending or {}
    awaiting = "slot" if pending.get("missing") else ("confirmation" if pending.get("intent") else None)
    return _parse_cached(conv.text, key, awaiting, pending.get("missing"), pending.get("intent"), cache_dir)


def _resolve_pending(result: ParseResult, conv: Conversation) -> list[Step]:
    """Turn "yes" into the proposed action, and an answer into the missing slot of the pending request."""
    steps = list(result.steps)
    pending = conv.pending
    if not pending or not steps:
        return steps
    first = steps[0]
    if first.intent == "confirm" and pending.get("intent") and not pending.get("missing"):
        return [Step(text=pending.get("text", conv.text), intent=pending["intent"], confidence=1.0,
                     slots=dict(pending.get("slots", {})))]
    if first.intent == "deny":
        return [Step(text=conv.text, intent="deny", confidence=1.0)]
    missing = pending.get("missing")
    if missing and (first.rejected or first.intent in ("out_of_scope", pending.get("intent"), "select")
                    or len(conv.text.split()) <= 6):
        value = first.slots.get(missing) or _answer_value(missing, first, conv.text)
        if value is not None:
            slots = {**pending.get("slots", {}), missing: value}
            if missing == "contact" and "@" in str(value):
                slots["email"] = value
            return [Step(text=conv.text, intent=pending["intent"], confidence=1.0, slots=slots)]
    if missing in _NAMED_KINDS and len(conv.text.split()) <= 12:
        # "Which list should start it?" -> "start it when someone joins the Newsletter list": it names one.
        span = next((s for s in first.spans if s.name == missing and not s.weak), None)
        if span is not None:
            slots = {**pending.get("slots", {}), missing: span.value}
            return [Step(text=conv.text, intent=pending["intent"], confidence=1.0, slots=slots)]
    return steps


_NAMED_KINDS = {"list", "tag", "segment", "campaign", "automation", "pipeline", "stage", "form", "brand_kit",
                "email"}

# Read-only questions that an elliptical follow-up ("and the April one?", "what about last month?", "same for
# the VIP segment") repeats about another object or period.
FOLLOW_UP_TOOLS = (
    "get_campaign_performance", "get_clicks_report", "get_campaign", "spam_check", "troubleshoot_campaign",
    "get_period_performance", "explain_performance_change", "list_campaigns", "preview_segment", "list_deals",
    "get_deal", "get_contact",
)
_FOLLOW_UP_CUE = re.compile(
    r"^\W*(?:(?P<same>(?:and\s+|now\s+|then\s+)?(?:do\s+)?(?:the\s+)?same(?:\s+thing)?\s+"
    r"(?:for|with|about))|(?:and\s+)?(?:what|how)\s+about|and(?:\s+(?:for|in|with))?|now(?:\s+for)?|"
    r"also\s+for)\b\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_MONTH_WORDS = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
                "sept", "oct", "nov", "dec"}
_ELLIPSIS_FILLER = _MONTH_WORDS | {
    "the", "a", "an", "my", "our", "one", "ones", "s", "for", "in", "on", "of", "from", "then", "too",
    "please", "that", "this", "those", "these", "same", "instead", "as", "well", "now", "and", "with", "it",
    "campaign",
    "campaigns", "email", "emails", "newsletter", "newsletters", "send", "blast", "sms", "segment", "list",
    "tag", "deal", "contact", "people", "contacts", "period", "month", "week", "year", "quarter", "what",
    "about", "how",
}
_OBJECT_SLOTS = {"campaign", "segment", "list", "tag", "automation", "pipeline", "stage", "form", "brand_kit",
                 "deal", "period", "email", "contact", "contact_name", "quoted"}


def _follow_up(steps: list[Step], conv: Conversation) -> list[Step]:
    """Read "and the April one?" as the last turn's question about another object or period."""
    if len(steps) != 1 or conv.pending:
        return steps
    step = steps[0]
    previous = dialogue_state(conv.history).last_calls
    asked = next((name for name, _args in previous if name in FOLLOW_UP_TOOLS and name in HANDLERS), None)
    if asked is None or step.intent == asked:
        return steps
    cue = _FOLLOW_UP_CUE.match(step.text)
    rest = cue.group("rest") if cue else step.text
    if cue is None and not (step.rejected or step.intent in ("select", "out_of_scope")):
        return steps
    if any(s.name == "ordinal" for s in step.spans):
        return steps  # "open the second one" picks from a list
    # Only the object (a name, month or period) may be new: "and send it" or "what about drafting one" is
    # not the same question again.
    left = rest
    for s in sorted((s for s in step.spans if s.name in _OBJECT_SLOTS), key=lambda s: -s.start):
        if s.text and s.text in left:
            left = left.replace(s.text, " ")
    words = [w for w in re.findall(r"[a-z0-9]+", left.lower()) if w not in _ELLIPSIS_FILLER]
    same = cue is not None and cue.group("same")
    if (not same and (words or len(rest.split()) > 6)) or (same and len(words) > 3):
        return steps
    slots = select_slots(asked, step.text, step.spans, _catalog(conv.catalog))
    return [Step(text=step.text, intent=asked, confidence=1.0, slots=slots, references=step.references,
                 spans=step.spans)]


def _answer_value(missing: str, step: Step, text: str) -> Any:
    if missing == "conditions":
        return step.slots.get("conditions")
    for key in (missing, "email", "contact", "name", "tag", "list", "when", "deal"):
        if step.slots.get(key):
            return step.slots[key]
    if missing in ("body", "note", "text", "message"):
        return text.strip() or None  # free text is kept as written, punctuation included
    cleaned = text.strip().strip(".!?\"'")
    return cleaned or None


def _message(text: str = "", *, calls: list[dict[str, Any]] | None = None, plan: dict[str, Any] | None = None) -> AIMessage:
    return AIMessage(content=text, tool_calls=calls or [], additional_kwargs={PLAN_KEY: plan} if plan else {})


def respond(messages: Sequence[BaseMessage], tool_names: set[str], *, cache_dir: str | None = None) -> AIMessage:
    """Return the next AI message: a tool call the plan still needs, or the answer."""
    conv = read_conversation(messages)
    if not conv.text.strip():
        return _message(GREETING)
    result = understand(conv, cache_dir)
    steps = _resolve_pending(result, conv)
    steps = _follow_up(steps, conv)
    state = dialogue_state([*conv.history, *conv.turn])

    # A tool error ends the turn: explain it in the tool's own words (they say what to do). A question back
    # ("Which list ...?") becomes a pending request, so the user's short answer completes it.
    for plan, call, msg in conv.calls:
        if msg is not None and msg.status == "error":
            reason = str(result_data(msg)).removeprefix("Error: ")
            asked = re.match(r"Which (\w+)", reason)
            step = steps[plan.get("step", 0)] if plan.get("step", 0) < len(steps) else None
            if asked and step is not None:
                pending = {"intent": step.intent, "slots": dict(step.slots), "missing": asked.group(1).lower()}
                return _message(f"One more thing: {reason}", plan={"pending": pending})
            return _message(f"I couldn't {call['name'].replace('_', ' ')}: {reason}")

    said: list[str] = []
    pending: dict[str, Any] | None = None
    earlier: dict[int, Any] = {}
    for index, step in enumerate(steps):
        done = [
            (call["name"], call["args"], result_data(msg), msg.status if msg is not None else "pending")
            for plan, call, msg in conv.calls if plan.get("step") == index
        ]
        outcome = _step_outcome(step, index, conv, state, tool_names, done, earlier)
        if isinstance(outcome, Call):
            call = {"name": outcome.name, "args": outcome.args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
            return _message(calls=[call], plan={"step": index})
        if isinstance(outcome, Say):
            said.append(outcome.text)
            pending = outcome.pending or pending
            if outcome.pending:
                break
        successes = [d for _n, _a, d, status in done if status == "success"]
        if successes:
            earlier[index] = successes[-1]
    answer = "\n\n".join([*(compose(d) for d in _shown_results(conv)), *said])
    return _message(answer.strip() or "Done.", plan={"pending": pending} if pending else None)


def _shown_results(conv: Conversation) -> list[Any]:
    """This turn's results worth reporting: a campaign shown before it was sent is superseded by the send."""
    results = [d for _p, _c, msg in conv.calls if (d := result_data(msg)) is not None]
    later_names = [
        {str(d.get("campaign_name") or d.get("campaign") or "") for d in results[i + 1:] if isinstance(d, dict)}
        for i in range(len(results))
    ]
    return [
        d for i, d in enumerate(results)
        if not (isinstance(d, dict) and d.get("object") == "campaign" and d.get("name") in later_names[i])
    ]


def _step_outcome(
    step: Step, index: int, conv: Conversation, state: Any, tools: set[str],
    done: list[tuple[str, dict[str, Any], Any, str]], earlier: dict[int, Any],
) -> Call | Say | object:
    step = areas.reroute(step, state, conv)
    step = settle_in_play(step, state, conv) or step
    intent = step.intent
    if intent == "greeting":
        return Say(GREETING)
    if intent == "thanks":
        return Say("You're welcome! Anything else?")
    if intent == "deny":
        return Say("OK, I won't do that.")
    if intent == "confirm":
        return Say("There's nothing waiting for a yes right now. What would you like to do?")
    refusal = no_tool_for(step.text)
    if refusal:
        return Say(refusal)
    if step.rejected or intent in ("out_of_scope", "create_custom_field"):
        settled = settle_unsure(step, conv)
        if settled is not None:
            step, intent = settled, settled.intent
    if step.rejected or intent == "out_of_scope":
        guess = next((alt for alt, _p in step.alternatives if alt in INTENT_WORDS), None)
        if step.rejected and guess:
            return Say(f"I'm not sure I understood. Do you want to {INTENT_WORDS[guess]}?",
                       pending={"intent": guess, "slots": dict(step.slots), "text": step.text})
        return Say(OUT_OF_SCOPE)
    handler = HANDLERS.get(intent)
    if handler is None:
        return Say(f"I understood that you want to {intent.replace('_', ' ')}, but I can't do that yet.")
    env = Env(step=step, index=index, conv=conv, state=state, tools=tools, done=done, earlier=earlier)
    return handler(env)
