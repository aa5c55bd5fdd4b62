"""From understood steps to tool calls: one handler per intent, fed with slots, references and results so far.

A handler is a pure function of what it is given, so the plan is recomputed from the messages on every model
call; nothing but the messages needs to survive between calls, which is what lets any worker continue a thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.dialogue import DialogueState
from agent.nlu.parse import Step
from agent.offline.reading import Conversation

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
CAMPAIGN_NOUNS = r"(?:newsletter|campaign|email|e-mail|promo(?:tion)?|sale|announcement|blast|sms|digest|update)"


@dataclass
class Call:
    name: str
    args: dict[str, Any]


@dataclass
class Say:
    text: str
    pending: dict[str, Any] | None = None


class _Done:
    pass


DONE = _Done()
Outcome = Call | Say | _Done


@dataclass
class Env:
    """What a handler sees."""

    step: Step
    index: int
    conv: Conversation
    state: DialogueState
    tools: set[str]
    # This step's calls so far: (tool name, args, result data, status)
    done: list[tuple[str, dict[str, Any], Any, str]] = field(default_factory=list)
    # Earlier steps of the same message: their last successful result data
    earlier: dict[int, Any] = field(default_factory=dict)

    def slot(self, *names: str) -> Any:
        for n in names:
            value = self.step.slots.get(n)
            if value not in (None, "", [], {}):
                return value
        return None

    def ref(self, kind: str) -> dict[str, Any] | None:
        """Resolve "it", "that <kind>", "them" (an earlier step), "the second one", or the page's object."""
        for r in self.step.references:
            # "them"/"it" pointing at an earlier step of the same message: that step's result, whatever its kind.
            if r.step is not None and isinstance(self.earlier.get(r.step), dict):
                return self.earlier[r.step]
            if r.ordinal is not None:
                hit = self.state.resolve(None, r.ordinal)
                if hit:
                    return hit
            hit = self.state.resolve(r.kind or kind) or (self.state.last_object if r.kind is None else None)
            if hit:
                return hit
        page = self.conv.page
        if page and page.get("object_type") == kind and page.get("object_id"):
            return {"id": page["object_id"], "object": kind}
        return None

    def ref_name(self, kind: str) -> str | None:
        hit = self.ref(kind)
        if not hit:
            return None
        return str(hit.get("name") or hit.get("campaign_name") or hit.get("title") or hit.get("id") or "") or None


def _campaign_phrase(env: Env) -> str | None:
    named = env.slot("campaign")
    if named:
        return str(named)
    hit = env.ref_name("campaign")
    if hit:
        return hit
    low = env.step.text.lower()
    latest = re.search(rf"\b(?:last|latest|most recent|previous)\s+({CAMPAIGN_NOUNS})?", low)
    if latest:
        return f"last {latest.group(1)}" if latest.group(1) else "last"
    m = re.search(rf"\b(?:my|the|our|this|that)\s+((?:\w+\s+){{0,3}}?{CAMPAIGN_NOUNS}s?)\b", low)
    if m:
        words = [w for w in m.group(1).split() if w not in ("last", "latest", "recent")]
        if len(words) > 1 or any(w in MONTHS for w in words):
            return " ".join(words)
    month_noun = re.search(rf"\b({'|'.join(MONTHS)})\s+((?:\w+\s+){{0,2}}?{CAMPAIGN_NOUNS})s?\b", low)
    if month_noun:
        return f"{month_noun.group(1)} {month_noun.group(2)}"
    period = str(env.slot("period") or "").lower()
    if period in MONTHS:
        noun = re.search(CAMPAIGN_NOUNS, low)
        return f"{period} {noun.group(0)}" if noun else period
    return None


def _call(env: Env, name: str, args: dict[str, Any]) -> Outcome:
    if env.done:
        return DONE
    if name not in env.tools:
        return Say(f"I can't do that here yet ({name.replace('_', ' ')} is not available).")
    return Call(name, {k: v for k, v in args.items() if v is not None})


def _simple(tool: str, **arg_slots: str | tuple[str, ...]) -> Callable[[Env], Outcome]:
    def handler(env: Env) -> Outcome:
        args = {}
        for arg, names in arg_slots.items():
            names_t = (names,) if isinstance(names, str) else names
            args[arg] = env.slot(*names_t)
        return _call(env, tool, args)

    return handler


def _ask(env: Env, question: str, missing: str) -> Say:
    return Say(question, pending={"intent": env.step.intent, "slots": dict(env.step.slots), "missing": missing})


# ---------------------------------------------------------------------------------------------- handlers


def campaign_performance(env: Env) -> Outcome:
    return _call(env, "get_campaign_performance", {"campaign": _campaign_phrase(env),
                                                    "exclude_mpp": True if _mentions_mpp(env) else None})


def _mentions_mpp(env: Env) -> bool:
    return bool(re.search(r"\b(?:without|excluding|exclude|no)\s+(?:apple\s+)?(?:mpp|machine|privacy)", env.step.text.lower()))


def period_performance(env: Env) -> Outcome:
    return _call(env, "get_period_performance", {"period": env.slot("period") or "last 30 days",
                                                  "channel": env.slot("channel")})


def compare(env: Env) -> Outcome:
    names = env.slot("campaigns") or ([env.slot("campaign")] if env.slot("campaign") else [])
    if len(names) >= 2:
        return _call(env, "compare_campaigns", {"campaigns": names})
    if not env.done:
        count = env.slot("count") or 2
        return Call("list_campaigns", {"status": "sent", "channel": env.slot("channel") or "email",
                                       "period": env.slot("period"), "limit": int(count)})
    if len(env.done) == 1 and env.done[0][3] == "success":
        items = env.done[0][2].get("items", []) if isinstance(env.done[0][2], dict) else []
        if len(items) >= 2:
            return Call("compare_campaigns", {"campaigns": [str(i["id"]) for i in items]})
        return Say("There are not enough sent campaigns in that period to compare.")
    return DONE


def explain(env: Env) -> Outcome:
    return _call(env, "explain_performance_change", {"metric": env.slot("metric") or "open_rate",
                                                     "period": env.slot("period") or "last week"})


def troubleshoot(env: Env) -> Outcome:
    phrase = env.slot("campaign") or env.ref_name("campaign")
    return _call(env, "troubleshoot_campaign", {"campaign": phrase})


def get_campaign(env: Env) -> Outcome:
    return _call(env, "get_campaign", {"campaign": _campaign_phrase(env)})


def clicks(env: Env) -> Outcome:
    return _call(env, "get_clicks_report", {"campaign": _campaign_phrase(env)})


def list_campaigns(env: Env) -> Outcome:
    return _call(env, "list_campaigns", {"status": env.slot("status"), "channel": env.slot("channel"),
                                         "period": env.slot("period"), "limit": env.slot("count")})


def _audience(env: Env, *, from_reference: bool = False) -> tuple[str | None, str | None]:
    """The segment or list the user named; with ``from_reference``, "for them" may point at a segment in play."""
    if from_reference and any(r.step is not None for r in env.step.references):
        # "... then draft an email for them": the segment the earlier step just made, by its real name.
        hit = env.ref("segment")
        if hit and hit.get("object") == "segment":
            return hit.get("name"), None
    segment = env.slot("segment")
    lst = env.slot("list")
    if not segment and not lst:
        # "the VIP segment" that is not in the catalog: pass the words on, the tool answers with suggestions.
        m = re.search(r"\b(?:the|my|our)\s+([\w' -]{2,40}?)\s+(segment|list)\b", env.step.text, re.IGNORECASE)
        if m:
            # "the audience to the Newsletter list": the name follows the last determiner.
            name = re.split(r"\b(?:the|my|our)\s+", m.group(1))[-1].strip()
            segment, lst = (name, None) if m.group(2).lower() == "segment" else (None, name)
    if from_reference and not segment and not lst:
        hit = env.ref("segment")
        if hit and hit.get("object") == "segment":
            segment = hit.get("name")
    return segment, lst


def draft(env: Env) -> Outcome:
    segment, lst = _audience(env, from_reference=True)
    topic = _topic(env)
    offer = re.search(r"\b(\d{1,2}\s?% off|free shipping|buy one,? get one(?: free)?|bogo)\b", env.step.text, re.IGNORECASE)
    return _call(env, "draft_campaign", {
        "offer": offer.group(1) if offer else None,
        "topic": topic, "channel": env.slot("channel"), "tone": env.slot("tone"), "length": env.slot("length"),
        "layout": env.slot("layout"), "segment": segment, "list_name": lst, "brand_kit": env.slot("brand_kit"),
    })


def edit_campaign(env: Env) -> Outcome:
    # An edit with no object named ("make the tone warmer") is about the campaign in play, usually the draft.
    in_play = env.state.resolve("campaign")
    campaign = env.slot("campaign") or env.ref_name("campaign") or (in_play or {}).get("name")
    if not campaign:
        return Say("Which campaign should I change? Name it, or draft one first.")
    segment, lst = _audience(env)
    return _call(env, "edit_campaign", {
        "campaign": campaign, "instruction": env.slot("instruction") or env.step.text, "tone": env.slot("tone"),
        "length": env.slot("length"), "layout": env.slot("layout"), "subject": env.slot("subject"),
        "segment": segment, "list_name": lst,
    })


def _campaign_or_ask(env: Env) -> str | None:
    """A campaign the user clearly means; "it" with nothing in play is asked about, never guessed."""
    campaign = env.slot("campaign") or _quoted(env.step.text) or env.ref_name("campaign")
    if campaign:
        return str(campaign)
    latest = re.search(rf"\b(?:last|latest|most recent)\s+({CAMPAIGN_NOUNS})?", env.step.text.lower())
    if latest:
        return f"last {latest.group(1)}" if latest.group(1) else "last"
    named = re.search(rf"\b(?:the|my|our)\s+([\w' &:-]{{2,60}}?)\s+{CAMPAIGN_NOUNS}\b", env.step.text, re.IGNORECASE)
    return named.group(1) if named else None


def _quoted(text: str) -> str | None:
    m = re.search(r"[\"“']([^\"”']{2,120})[\"”']", text)
    return m.group(1) if m else None


def _topic(env: Env) -> str:
    """What the email is about, without the audience words ("... for the VIP segment")."""
    text = env.step.text
    slot = env.slot("topic")
    if slot and not re.search(r"\b(?:segment|list)\b", str(slot), re.IGNORECASE):
        return str(slot)
    m = re.search(
        r"\b(?:draft|write|create|make|compose|build|prepare)\s+(?:me\s+)?(?:an?|the|my|our|some)?\s*"
        r"(?P<t>.+?)\s+(?:email|e-mail|newsletter|sms|text|campaign|message)\b(?P<rest>.*)",
        text, re.IGNORECASE,
    )
    if m:
        topic = m.group("t").strip()
        about = re.search(r"\b(?:about|on|for)\s+(?P<a>.+?)(?:\s+(?:for|to)\s+the\s+[\w' -]+\s+(?:segment|list))?$",
                          m.group("rest").strip(), re.IGNORECASE)
        if about and not re.search(r"\b(?:segment|list)\b", about.group("a"), re.IGNORECASE):
            topic = f"{topic} {about.group('a')}".strip()
        if topic:
            return topic
    return text


def send(env: Env) -> Outcome:
    campaign = _campaign_or_ask(env)
    if campaign is None:
        return _ask(env, "Which campaign should I send? Give me its name.", "campaign")
    segment, lst = _audience(env)
    if (segment or lst) and not env.done and campaign and "edit_campaign" in env.tools:
        return Call("edit_campaign", {"campaign": campaign, "segment": segment, "list_name": lst,
                                      "instruction": "set the audience"})
    if len(env.done) == 1 and env.done[0][0] == "edit_campaign" and env.done[0][3] == "success":
        return Call("send_campaign", {"campaign": campaign})
    return _call(env, "send_campaign", {"campaign": campaign})


def schedule(env: Env) -> Outcome:
    campaign = _campaign_or_ask(env)
    if campaign is None:
        return _ask(env, "Which campaign should I schedule? Give me its name.", "campaign")
    when = env.slot("when")
    if not when:
        return _ask(env, "When should it go out? For example 'tomorrow 9am' or '2026-12-01 10:00'.", "when")
    return _call(env, "schedule_campaign", {"campaign": campaign, "send_at": when})


def segment_conditions(env: Env) -> list[dict[str, Any]] | None:
    tree = env.slot("conditions")
    if isinstance(tree, dict) and tree.get("root", {}).get("conditions"):
        return tree["root"]["conditions"]
    tag = env.slot("tag")
    if tag:
        return [{"type": "tag", "tag": tag, "op": "has"}]
    lst = env.slot("list")
    if lst:
        return [{"type": "list", "list": lst, "op": "subscribed"}]
    return None


def _segment_name(env: Env, conditions: list[dict[str, Any]]) -> str:
    named = env.slot("name")
    if named:
        return str(named)
    low = env.conv.text.lower()
    for word, name in (("win-back", "Win-back"), ("win back", "Win-back"), ("vip", "VIPs"), ("inactive", "Inactive"),
                       ("never bought", "Engaged non-buyers"), ("lapsed", "Lapsed")):
        if word in low:
            return name
    kinds = "-".join(sorted({c.get("action") or c.get("type", "") for c in conditions}))
    return f"Segment ({kinds})"


def create_segment(env: Env) -> Outcome:
    conditions = segment_conditions(env)
    previewed = env.state.resolve("segment_preview")
    refers_back = bool(env.step.references) or not conditions
    if refers_back and previewed and previewed.get("conditions"):
        # "Save it as a segment" after a preview: the conditions the user just saw counted.
        conditions = previewed["conditions"]
    if not conditions:
        return _ask(env, "Who should be in the segment? Describe them, e.g. 'opened in the last 90 days but never "
                         "bought' or 'tagged VIP in Berlin'.", "conditions")
    match = (env.slot("conditions") or {}).get("root", {}).get("match", "all") if isinstance(env.slot("conditions"), dict) else "all"
    return _call(env, "create_segment", {"name": _segment_name(env, conditions), "conditions": conditions,
                                         "match": match, "rename_if_taken": not env.slot("name")})


def preview_segment(env: Env) -> Outcome:
    conditions = segment_conditions(env)
    if not conditions:
        named = env.slot("segment") or env.ref_name("segment")
        if named:
            return _call(env, "get_segment", {"segment": named})
        return _ask(env, "Which contacts should I count? Describe them, e.g. 'clicked in May'.", "conditions")
    match = env.slot("conditions").get("root", {}).get("match", "all") if isinstance(env.slot("conditions"), dict) else "all"
    return _call(env, "preview_segment", {"conditions": conditions, "match": match})


def automation(env: Env) -> Outcome:
    duration = env.slot("duration")
    days = _days(duration)
    return _call(env, "create_automation", {
        "kind": env.slot("kind"), "emails": env.slot("count"), "wait_days": days,
        "trigger_list": env.slot("list"), "trigger_tag": env.slot("tag"), "topic": env.slot("topic"),
    })


def _days(duration: Any) -> int | None:
    if not isinstance(duration, str):
        return None
    m = re.fullmatch(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(\d+)H)?", duration)
    if not m:
        return None
    weeks, days, hours = (int(x) if x else 0 for x in m.groups())
    total = weeks * 7 + days + (1 if hours and not (weeks or days) else 0)
    return total or None


def list_tags(env: Env) -> Outcome:
    tag = env.slot("tag")
    # "How many contacts have the tag X?" is a count of one tag, not a listing of all tags.
    if tag and re.search(r"\b(?:how many|count|number of|who has|who have)\b", env.step.text.lower()):
        return _call(env, "preview_segment", {"conditions": [{"type": "tag", "tag": tag, "op": "has"}]})
    return _call(env, "list_tags", {})


def contact_ref(env: Env) -> str | None:
    value = env.slot("contact", "email")
    if value:
        return str(value)
    hit = env.ref("contact")
    return str(hit.get("email") or hit.get("id")) if hit else None


def _need_contact(env: Env, tool: str, **extra: Any) -> Outcome:
    contact = contact_ref(env)
    if not contact:
        return _ask(env, "Which contact? Give me their email address.", "contact")
    return _call(env, tool, {"contact": contact, **extra})


def tag_handler(tool: str) -> Callable[[Env], Outcome]:
    def handler(env: Env) -> Outcome:
        tag = env.slot("tag")
        if not tag:
            return _ask(env, "Which tag?", "tag")
        return _need_contact(env, tool, tag=tag)

    return handler


def list_member_handler(tool: str) -> Callable[[Env], Outcome]:
    def handler(env: Env) -> Outcome:
        lst = env.slot("list")
        if not lst:
            return _ask(env, "Which list?", "list")
        return _need_contact(env, tool, list_name=lst)

    return handler


def create_contact(env: Env) -> Outcome:
    email = env.slot("email")
    if not email:
        return _ask(env, "What is the new contact's email address?", "email")
    return _call(env, "create_contact", {"email": email, "phone": env.slot("phone")})


def deal_ref(env: Env) -> str | None:
    value = env.slot("deal")
    if value:
        return str(value)
    return env.ref_name("deal")


def update_deal(env: Env) -> Outcome:
    deal = deal_ref(env)
    if not deal:
        return _ask(env, "Which deal? Give me its title.", "deal")
    money = env.slot("money")
    return _call(env, "update_deal", {"deal": deal, "stage": env.slot("stage"), "status": env.slot("status"),
                                      "value": _amount(money), "owner": env.slot("owner")})


def _amount(money: Any) -> float | None:
    if isinstance(money, int | float):
        return float(money)
    if isinstance(money, dict):
        return float(money.get("amount") or 0) or None
    if isinstance(money, str):
        m = re.search(r"[\d,.]+", money)
        return float(m.group(0).replace(",", "")) if m else None
    return None


def create_deal(env: Env) -> Outcome:
    title = env.slot("name", "company")
    money = _amount(env.slot("money"))
    pipeline = env.slot("pipeline") or (env.conv.catalog.get("pipelines") or [None])[0]
    if not title:
        return _ask(env, "What should the deal be called?", "name")
    if money is None:
        return _ask(env, f"What is the {title} deal worth?", "money")
    return _call(env, "create_deal", {"title": str(title), "value": money, "pipeline": pipeline,
                                      "stage": env.slot("stage"), "contact": env.slot("email"), "owner": env.slot("owner")})


def add_note(env: Env) -> Outcome:
    deal = deal_ref(env)
    note = env.slot("note")
    if not deal:
        return _ask(env, "Which deal should the note go on?", "deal")
    return _call(env, "add_note", {"deal": deal, "text": note or env.step.text})


def select(env: Env) -> Outcome:
    ordinal = env.slot("ordinal")
    item = env.state.resolve(None, int(ordinal)) if isinstance(ordinal, int) else None
    if not item:
        return Say("Which one? I don't have a list in this chat to pick from; ask me to list something first.")
    kind = env.state.listed_kind
    tool, key = {
        "campaign": ("get_campaign", "campaign"), "deal": ("get_deal", "deal"), "contact": ("get_contact", "contact"),
        "segment": ("get_segment", "segment"), "campaign_performance": ("get_campaign_performance", "campaign"),
    }.get(kind or "", (None, None))
    if tool is None or key is None:
        return Say(f"That is {item.get('name') or item.get('title') or item}.")
    ref = item.get("email") if key == "contact" else (item.get("id") or item.get("campaign_id") or item.get("name"))
    return _call(env, tool, {key: str(ref)})


HANDLERS: dict[str, Callable[[Env], Outcome]] = {
    "get_campaign_performance": campaign_performance,
    "get_period_performance": period_performance,
    "compare_campaigns": compare,
    "explain_performance_change": explain,
    "get_clicks_report": clicks,
    "list_campaigns": list_campaigns,
    "get_campaign": get_campaign,
    "troubleshoot_campaign": troubleshoot,
    "draft_campaign": draft,
    "edit_campaign": edit_campaign,
    "send_campaign": send,
    "send_sms": send,
    "schedule_campaign": schedule,
    "create_segment": create_segment,
    "preview_segment": preview_segment,
    "list_segments": _simple("list_segments"),
    "create_automation": automation,
    "list_automations": _simple("list_automations", status="status"),
    "activate_automation": _simple("activate_automation", automation="automation"),
    "find_contacts": _simple("find_contacts", query=("contact", "email", "company", "domain", "query")),
    "get_contact": lambda env: _need_contact(env, "get_contact"),
    "create_contact": create_contact,
    "delete_contact": lambda env: _need_contact(env, "delete_contact"),
    "add_tag": tag_handler("add_tag"),
    "remove_tag": tag_handler("remove_tag"),
    "subscribe_contact": list_member_handler("subscribe_contact"),
    "unsubscribe_contact": list_member_handler("unsubscribe_contact"),
    "resubscribe_contact": list_member_handler("resubscribe_contact"),
    "create_list": _simple("create_list", name="name"),
    "list_lists": _simple("list_lists"),
    "list_tags": list_tags,
    "create_tag": _simple("create_tag", name="tag"),
    "list_deals": _simple("list_deals", pipeline="pipeline", stage="stage", status="status", owner="owner"),
    "get_deal": lambda env: _call(env, "get_deal", {"deal": deal_ref(env)}) if deal_ref(env) else _ask(env, "Which deal?", "deal"),
    "create_deal": create_deal,
    "update_deal": update_deal,
    "add_note": add_note,
    "create_task": _simple("create_task", title="task", deal="deal", owner="owner"),
    "list_brand_kits": _simple("list_brand_kits"),
    "create_brand_kit": _simple("create_brand_kit", name="name"),
    "list_saved_responses": _simple("list_saved_responses", category="category", search="topic"),
    "create_form": _simple("create_form", name="name", list_name="list", tag="tag"),
    "list_forms": _simple("list_forms"),
    "list_goals": _simple("list_goals"),
    "check_feature": _simple("check_feature", feature="feature"),
    "get_activity_usage": _simple("get_activity_usage"),
    "get_sms_credits": _simple("get_sms_credits"),
    "search_help": lambda env: _call(env, "search_help", {"question": env.slot("query") or env.step.text}),
    "find_similar_campaigns": lambda env: _call(env, "find_similar_campaigns", {"text": env.slot("topic", "query", "campaign") or env.step.text}),
    "spam_check": lambda env: _call(env, "spam_check", {"campaign": _campaign_phrase(env)}),
    "capabilities": _simple("describe_capabilities"),
    "suggest_ideas": _simple("suggest_ideas"),
    "select": select,
}
