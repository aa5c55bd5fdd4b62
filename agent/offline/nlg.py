"""Answers composed from tool results: the numbers come from the results, the words from small templates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def pct(x: Any) -> str:
    return f"{float(x or 0):.1%}"


def n(x: Any) -> str:
    return f"{int(x or 0):,}"


def _date(x: Any) -> str:
    return str(x)[:10] if x else "not yet"


def campaign_performance(d: dict[str, Any]) -> str:
    lines = [
        f"**{d['campaign_name']}** (sent {_date(d.get('sent_at'))}) was delivered to {n(d['delivered'])} contacts.",
        f"- Open rate **{pct(d['open_rate'])}** ({n(d['unique_opens'])} unique opens, {n(d['opens'])} in all)",
        f"- Click rate **{pct(d['click_rate'])}** ({n(d['unique_clicks'])} unique clickers), "
        f"click-to-open {pct(d['click_to_open_rate'])}",
        f"- {n(d['unsubscribes'])} unsubscribed ({pct(d['unsubscribe_rate'])}), {n(d['bounces'])} bounced "
        f"({pct(d['bounce_rate'])})",
    ]
    notes = []
    if d.get("bot_clicks_excluded"):
        notes.append(f"{n(d['bot_clicks_excluded'])} bot clicks left out (BotSense)")
    if d.get("mpp_opens_excluded"):
        notes.append(f"{n(d['mpp_opens_excluded'])} Apple MPP opens left out")
    if notes:
        lines.append("Filters: " + "; ".join(notes) + ".")
    return "\n".join(lines)


def period_performance(d: dict[str, Any]) -> str:
    t = d["totals"]
    if not d["campaigns"]:
        return f"No campaign was sent in {d['period']}."
    best = max(d["campaigns"], key=lambda c: c["open_rate"])
    worst = min(d["campaigns"], key=lambda c: c["open_rate"])
    text = (
        f"In {d['period']} you sent **{t['campaigns']} campaigns** to {n(t['delivered'])} recipients in all: "
        f"open rate **{pct(t['open_rate'])}**, click rate **{pct(t['click_rate'])}**, click-to-open "
        f"{pct(t['click_to_open_rate'])}, {n(t['unsubscribes'])} unsubscribes."
    )
    if len(d["campaigns"]) > 1:
        text += (
            f"\nBest open rate: {best['campaign']} ({pct(best['open_rate'])}); lowest: {worst['campaign']} "
            f"({pct(worst['open_rate'])})."
        )
        # Unique clickers from the click rate (unique clicks / delivered), exact at the result's 4 decimals.
        clicked = max(
            d["campaigns"],
            key=lambda c: round(float(c.get("click_rate") or 0) * int(c.get("delivered") or 0)),
        )
        clickers = round(float(clicked.get("click_rate") or 0) * int(clicked.get("delivered") or 0))
        if clickers:
            text += (
                f"\nMost clicks: {clicked['campaign']} ({n(clickers)} people clicked, "
                f"click rate {pct(clicked['click_rate'])})."
            )
    return text


def change_explanation(d: dict[str, Any]) -> str:
    label = d["metric"].replace("_", " ")
    direction = "fell" if d["change_points"] < 0 else "rose" if d["change_points"] > 0 else "held steady"
    head = (
        f"Your {label} {direction} from {pct(d['previous'])} to **{pct(d['current'])}** "
        f"({d['change_points']:+.1f} points) in {d.get('period', 'this period')} compared with the period before."
    )
    return head + "\n" + "\n".join(f"- {r}" for r in d["reasons"])


def segment_preview(d: dict[str, Any]) -> str:
    sample = ", ".join(c["email"] for c in d.get("sample", [])[:3])
    text = f"**{n(d['count'])} contacts** match: {d['description']}."
    if sample:
        text += f" For example: {sample}."
    return text + " Say 'save it as a segment' to keep it."


def segment(d: dict[str, Any]) -> str:
    return f"Segment **{d['name']}** matches {n(d.get('count'))} contacts right now: {d.get('summary', '')}."


def diagnosis(d: dict[str, Any]) -> str:
    text = d["summary"]
    extra = d["causes"][1:]
    if extra:
        text += "\n" + "\n".join(f"- {c}" for c in extra)
    if d.get("fixes"):
        text += "\nTo fix it: " + " ".join(d["fixes"])
    return text


def send_result(d: dict[str, Any]) -> str:
    text = f"Sent **{d['campaign_name']}** to {n(d['sent'])} contacts."
    left = []
    if d.get("excluded_unsubscribed"):
        left.append(f"{n(d['excluded_unsubscribed'])} unsubscribed")
    if d.get("excluded_bounced"):
        left.append(f"{n(d['excluded_bounced'])} bounced")
    if d.get("excluded_no_consent"):
        left.append(f"{n(d['excluded_no_consent'])} without SMS consent")
    if left:
        text += " Left out: " + ", ".join(left) + "."
    if d.get("held_quiet_hours"):
        text += f" {n(d['held_quiet_hours'])} are held until their local sending hours."
    if d.get("credits_charged"):
        text += f" {n(d['credits_charged'])} SMS credits used."
    return text


def campaign(d: dict[str, Any]) -> str:
    status = d.get("status", "")
    text = f"**{d['name']}** ({d.get('channel', 'email')}, {status})"
    if d.get("subject"):
        text += f"\nSubject: {d['subject']}"
    if d.get("preheader"):
        text += f"\nPreheader: {d['preheader']}"
    if d.get("sms_body"):
        text += f"\nText: {d['sms_body']}"
    if d.get("layout"):
        text += f"\nLayout: {d['layout']}"
    audience = ", ".join(d.get("list_names") or []) + (
        f" segment {d['segment_name']}" if d.get("segment_name") else ""
    )
    if audience.strip():
        text += f"\nAudience: {audience.strip()}"
    if d.get("scheduled_at") and status == "scheduled":
        text += f"\nScheduled to go out {str(d['scheduled_at'])[:16].replace('T', ' ')} (UTC)."
    if d.get("sent_at"):
        text += f"\nSent {str(d['sent_at'])[:16].replace('T', ' ')} (UTC)."
    if status == "draft":
        text += "\nIt's a draft: ask me to change it, send a test, schedule it or send it."
    return text


# Links that are personalization tags until the email is sent, named the way the campaign editor shows them.
SYSTEM_LINKS = {
    "%UNSUBSCRIBELINK%": "Unsubscribe link", "%UPDATELINK%": "Update-your-details link",
    "%FORWARD2FRIEND%": "Forward to a friend", "%WEBCOPY%": "View in browser",
}


def clicks_report(d: dict[str, Any]) -> str:
    links = sorted(
        (lk for lk in d["links"] if not lk.get("is_honeypot")), key=lambda lk: -lk["unique_clicks"]
    )[:5]
    text = (
        f"**{d['campaign_name']}**: {n(d['unique_clickers'])} people clicked ({n(d['total_clicks'])} clicks)."
    )
    if links:
        text += "\n" + "\n".join(
            f"- {SYSTEM_LINKS.get(str(lk['url']).upper(), lk['url'])}: {n(lk['unique_clicks'])} unique, "
            f"{n(lk['clicks'])} total"
            for lk in links
        )
    if d.get("bot_clicks_excluded"):
        text += f"\n{n(d['bot_clicks_excluded'])} bot clicks were left out."
    return text


def help_pages(items: list[dict[str, Any]]) -> str:
    if not items:
        return "I couldn't find a help page about that."
    top = items[0]
    text = f"{top['text'].strip()}\n\n(Source: help page '{top['title']}', section '{top['section']}'.)"
    if len(items) > 1:
        text += " See also: " + ", ".join(f"'{i['title']}'" for i in items[1:]) + "."
    return text


def _label(kind: str, item: dict[str, Any]) -> str:
    name = (
        item.get("name")
        or item.get("title")
        or item.get("email")
        or item.get("campaign_name")
        or f"#{item.get('id')}"
    )
    extra = {
        "list": lambda i: f"{n(i.get('subscriber_count'))} subscribers",
        "tag": lambda i: f"{n(i.get('contact_count'))} contacts",
        "campaign": lambda i: (
            f"{i.get('status', '')}{', sent ' + _date(i['sent_at']) if i.get('sent_at') else ''}"
        ),
        "deal": lambda i: (
            f"{i.get('currency', '')} {float(i.get('value', 0)):,.0f}, {i.get('stage', '')}, {i.get('status', '')}"
        ),
        "segment": lambda i: i.get("summary", ""),
        "contact": lambda i: i.get("name", ""),
        "pipeline": lambda i: f"{len(i.get('stages', []))} stages, {n(i.get('open_deal_count'))} open deals",
        "automation": lambda i: i.get("status", ""),
        "campaign_performance": lambda i: f"open {pct(i.get('open_rate'))}, click {pct(i.get('click_rate'))}",
        "brand_kit": lambda i: "primary" if i.get("is_primary") else "",
        "idea": lambda i: f'{i.get("body", "")} Say: "{i.get("prompt", "")}"',
        "field": lambda i: f"{i.get('type', '')}, personalization tag {i.get('tag', '')}",
    }.get(kind, lambda i: "")(item)
    return f"**{name}**" + (f" ({extra})" if extra else "")


def listing(d: dict[str, Any]) -> str:
    kind = d.get("item_kind", "item")
    items = d.get("items", [])
    if kind == "help_page":
        return help_pages(items)
    if not items:
        return f"There are no {kind.replace('_', ' ')}s to show."
    total = d.get("total", len(items))
    head = (
        f"{n(total)} {kind.replace('_', ' ')}{'s' if total != 1 else ''}"
        + (f" (showing {len(items)})" if total > len(items) else "")
        + ":"
    )
    return head + "\n" + "\n".join(f"{i}. {_label(kind, item)}" for i, item in enumerate(items[:15], 1))


def generic(d: dict[str, Any]) -> str:
    kind = str(d.get("object", "result")).replace("_", " ")
    name = d.get("name") or d.get("title") or d.get("email") or ""
    if name:
        return f"Done: {kind} **{name}**."
    fields = ", ".join(
        f"{k.replace('_', ' ')} {v}"
        for k, v in d.items()
        if k != "object" and isinstance(v, int | float | str)
    )
    return f"{kind.capitalize()}: {fields}."


def capabilities(d: dict[str, Any]) -> str:
    lines = ["Here is what I can do:"]
    for area, info in d["areas"].items():
        example = f' e.g. "{info["examples"][0]}"' if info["examples"] else ""
        lines.append(f"- **{area}**:{example}")
    lines.append(
        "Sending, scheduling, activating, deleting and bulk changes always ask for your approval first."
    )
    return "\n".join(lines)


def automation(d: dict[str, Any]) -> str:
    text = f"Automation **{d['name']}** ({d.get('status', 'inactive')})."
    if d.get("description"):
        text += f"\n{d['description']}"
    if d.get("emails"):
        text += "\nDraft emails: " + ", ".join(d["emails"]) + "."
    if d.get("status") == "inactive":
        text += "\nIt is not running yet: say 'activate it' when you're ready (you'll be asked to approve)."
    return text


def spam_report(d: dict[str, Any]) -> str:
    text = f"Spam check for **{d.get('campaign', 'the campaign')}**: score {d['score']:.1f} (threshold {d['threshold']:.1f}), {d['verdict']}."
    for hit in d.get("hits", [])[:5]:
        text += f"\n- {hit['explanation']} Fix: {hit['fix']}"
    return text


def not_ready(d: dict[str, Any]) -> str:
    return (
        f"**{d['campaign']}** isn't ready to go out yet; it is missing: "
        + "; ".join(d["missing"])
        + ". Tell me what to add (for example 'change the audience to the Newsletter list')."
    )


def account_overview(d: dict[str, Any]) -> str:
    plan = str(d.get("plan", "")).capitalize()
    addons = ", ".join(str(a).replace("_", " ").title() for a in d.get("addons") or []) or "none"
    text = f"This account ({d.get('name', '')}) is on the **{plan}** plan. Add-ons: {addons}."
    botsense = "on" if d.get("botsense_enabled") else "off"
    industry = d.get("industry") or "not set"
    text += f"\nTime zone {d.get('timezone', 'UTC')}, industry {industry}, BotSense {botsense}."
    features = [str(f).replace("_", " ") for f in d.get("features") or []]
    if features:
        text += "\nIncluded features: " + ", ".join(features) + "."
    return text


def feature_check(d: dict[str, Any]) -> str:
    return str(
        d.get("message") or f"{d.get('feature')}: {'available' if d.get('available') else 'not available'}."
    )


_GOAL_METRIC_WORDS = {
    "revenue": "revenue",
    "orders": "orders",
    "new_contacts": "new contacts",
    "open_rate": "open rate",
    "click_rate": "click rate",
    "deals_won": "deals won",
}


def goal(d: dict[str, Any]) -> str:
    metric = str(d.get("metric", ""))
    target = float(d.get("target") or 0)
    shown = pct(target) if metric in ("open_rate", "click_rate") else f"{target:,.0f}"
    return (
        f"Goal **{d['name']}** created: {_GOAL_METRIC_WORDS.get(metric, metric.replace('_', ' '))} target "
        f"{shown} per {d.get('period', 'month')}."
    )


def form(d: dict[str, Any]) -> str:
    fields = ", ".join(f.get("label") or f.get("name", "") for f in d.get("fields") or [])
    text = f"Form **{d['name']}** is ready with the fields: {fields or 'Email'}."
    if d.get("list_name"):
        text += f" People who submit it are subscribed to the {d['list_name']} list."
    if d.get("tag_name"):
        text += f" They are tagged {d['tag_name']}."
    if not d.get("list_name") and not d.get("tag_name"):
        text += " Submitters become contacts; tell me a list to subscribe them to if you want one."
    return text


def saved_response(d: dict[str, Any]) -> str:
    category = f" in the {d['category']} category" if d.get("category") else ""
    body = str(d.get("body", ""))
    return (
        f'Saved response **{d["title"]}** created{category}: "{body[:200]}{"..." if len(body) > 200 else ""}"'
    )


def contact(d: dict[str, Any]) -> str:
    name = " ".join(p for p in (d.get("first_name"), d.get("last_name")) if p)
    details = [
        f"{label} {d[key]}"
        for key, label in (("city", "city"), ("country", "country"), ("phone", "phone"))
        if d.get(key)
    ]
    text = f"**{d.get('email', '')}**" + (f" ({name})" if name else "")
    if details:
        text += ": " + ", ".join(details)
    if d.get("tags"):
        text += f". Tags: {', '.join(d['tags'])}"
    return text + "."


def deal(d: dict[str, Any]) -> str:
    text = (
        f"**{d['title']}**: {d.get('currency', '')} {float(d.get('value') or 0):,.0f}, "
        f"stage {d.get('stage', '')} in the {d.get('pipeline', '')} pipeline, {d.get('status', '')}"
    )
    if d.get("forecast_close_date"):
        text += f", expected to close {_date(d['forecast_close_date'])}"
    return text + "."


def note(d: dict[str, Any]) -> str:
    body = str(d.get("body", ""))
    return f'Note added: "{body[:200]}{"..." if len(body) > 200 else ""}"'


def task(d: dict[str, Any]) -> str:
    due = f", due {_date(d['due_at'])}" if d.get("due_at") else ""
    return f"Task **{d['title']}** created ({d.get('status', 'open')}{due})."


COMPOSERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "deal": deal,
    "note": note,
    "task": task,
    "goal": goal,
    "form": form,
    "saved_response": saved_response,
    "contact": contact,
    "campaign_performance": campaign_performance,
    "period_performance": period_performance,
    "change_explanation": change_explanation,
    "segment_preview": segment_preview,
    "segment": segment,
    "diagnosis": diagnosis,
    "send_result": send_result,
    "campaign": campaign,
    "clicks_report": clicks_report,
    "list": listing,
    "capabilities": capabilities,
    "automation": automation,
    "spam_report": spam_report,
    "not_ready": not_ready,
}


def compose(data: Any) -> str:
    """One result in words."""
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        if "object" not in data and {"plan", "features"} <= data.keys():
            return account_overview(data)
        if "object" not in data and {"feature", "available", "message"} <= data.keys():
            return feature_check(data)
        return COMPOSERS.get(str(data.get("object")), generic)(data)
    return str(data)
