"""Agent output in Slack: escaped mrkdwn text and Block Kit approval cards."""

from __future__ import annotations

import json
import re
from typing import Any

APPROVE_ACTION = "activeintel_approve"
REJECT_ACTION = "activeintel_reject"
# Slack truncates message text past 40k characters and renders long sections badly; split well before that.
TEXT_LIMIT = 3500
SECTION_LIMIT = 2900

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_UNDERSCORE_BOLD = re.compile(r"__(.+?)__")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_BULLET = re.compile(r"^(\s*)[-*+] ", re.MULTILINE)
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)


def escape(text: str) -> str:
    """Escape Slack's control characters, so model text cannot mention @channel or forge links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """Render the small markdown subset the agent writes (bold, bullets, headings, links) as Slack mrkdwn."""
    text = escape(markdown)
    text = _HEADING.sub(lambda m: f"*{m.group(1).strip()}*", text)
    text = _BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    text = _BOLD.sub(r"*\1*", text)
    text = _UNDERSCORE_BOLD.sub(r"*\1*", text)
    # The URL was escaped with the rest, which is exactly how Slack expects '&' inside <url|label>.
    return _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1).replace('|', '/')}>", text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split long text into message-sized parts, at line breaks where possible."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


def clip(text: str, limit: int) -> str:
    """Shorten text to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def humanize(name: str) -> str:
    """Turn a tool name into words: 'get_campaign_performance' -> 'get campaign performance'."""
    return name.replace("_", " ")


def _detail_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list | dict):
        return clip(json.dumps(value, default=str), 300)
    return clip(str(value), 300)


def approval_blocks(payload: dict[str, Any], button_value: str) -> list[dict[str, Any]]:
    """Build the approval card: what will happen, the server-computed figures, approve and reject."""
    requests = payload.get("action_requests") or []
    lines = [
        escape(str(r.get("description") or humanize(str(r.get("name", "this action"))))) for r in requests
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": clip(":raised_hand: *Approval needed*\n" + "\n".join(lines), SECTION_LIMIT),
            },
        }
    ]
    details = payload.get("details") or {}
    fields = [
        {
            "type": "mrkdwn",
            "text": clip(f"*{escape(humanize(str(k)).capitalize())}*\n{escape(_detail_value(v))}", 1900),
        }
        for k, v in list(details.items())[:10]
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    blocks.append(
        {
            "type": "actions",
            "block_id": "activeintel_approval",
            "elements": [
                {
                    "type": "button",
                    "action_id": APPROVE_ACTION,
                    "style": "primary",
                    "value": button_value,
                    "text": {"type": "plain_text", "text": "Approve"},
                },
                {
                    "type": "button",
                    "action_id": REJECT_ACTION,
                    "style": "danger",
                    "value": button_value,
                    "text": {"type": "plain_text", "text": "Reject"},
                },
            ],
        }
    )
    return blocks


def decided_blocks(blocks: list[dict[str, Any]], *, approved: bool, slack_user: str) -> list[dict[str, Any]]:
    """Replace the buttons of an approval card with who decided what, so it cannot be clicked twice."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    verdict = ":white_check_mark: Approved" if approved else ":x: Rejected"
    kept.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{verdict} by <@{slack_user}>"}]}
    )
    return kept


def campaign_summary(campaign: dict[str, Any]) -> str:
    """A short mrkdwn summary of a campaign preview artifact (Slack cannot show the email itself)."""
    name, status = escape(str(campaign.get("name", "campaign"))), escape(str(campaign.get("status", "")))
    lines = [f"*Preview: {name}* ({status})"]
    if campaign.get("subject"):
        lines.append(f"Subject: {escape(str(campaign['subject']))}")
    if campaign.get("preheader"):
        lines.append(f"Preheader: {escape(str(campaign['preheader']))}")
    for block in (campaign.get("blocks") or [])[:8]:
        text = block.get("text") or block.get("label") or block.get("name") or ""
        if text:
            lines.append(f"> {escape(clip(' '.join(str(text).split()), 200))}")
    if campaign.get("sms_body"):
        lines.append(f"> {escape(clip(str(campaign['sms_body']), 400))}")
    return clip("\n".join(lines), SECTION_LIMIT)
