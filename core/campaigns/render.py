"""Render an email campaign for one person: personalization tags filled, blocks as HTML and as plain text.

The HTML is deliberately plain (one 600px column of inline-styled tables), the shape every mail client shows
the same way; the plain-text part carries the same content for clients that do not show HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from core.campaigns.schemas import CampaignOut

_TAG_RE = re.compile(r"%([A-Za-z][A-Za-z0-9_-]{2,})%")
_URL_RE = re.compile(r"https?://[^\s\"'<>]+")
_CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "AUD": "A$", "CAD": "C$", "JPY": "¥"}
_NETWORKS = {
    "facebook": "Facebook", "instagram": "Instagram", "x": "X", "linkedin": "LinkedIn", "youtube": "YouTube",
    "tiktok": "TikTok", "pinterest": "Pinterest",
}
_FONT = "font-family:Helvetica,Arial,sans-serif;color:#1f2933;"


class RenderedEmail(BaseModel):
    """One person's copy of an email campaign, and what a reviewer should know about it."""

    subject: str
    preheader: str | None
    html: str
    text: str
    # Tags that had no value for this person (they read as nothing) and tags nobody can fill (left as written).
    empty_tags: list[str]
    unknown_tags: list[str]
    # Buttons that have no link yet (a campaign cannot be sent until each has one).
    buttons_without_link: list[str]


class _Merger:
    """Fill personalization tags from ``values`` (keys like ``FIRSTNAME``) and remember what did not fill."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = {k.upper(): v for k, v in values.items()}
        self.empty: set[str] = set()
        self.unknown: set[str] = set()

    def __call__(self, text: str | None) -> str:
        if not text:
            return ""

        def fill(m: re.Match[str]) -> str:
            key = m.group(1).upper()
            if key not in self.values:
                self.unknown.add(f"%{key}%")
                return m.group(0)
            value = self.values[key]
            if not value:
                self.empty.add(f"%{key}%")
            return value

        return _TAG_RE.sub(fill, text)


def _price(cents: int | None, currency: str) -> str:
    if cents is None:
        return ""
    amount = (Decimal(cents) / 100).quantize(Decimal("0.01"))
    sign = _CURRENCY_SIGNS.get(currency)
    return f"{sign}{amount:,}" if sign else f"{amount:,} {currency}"


def _linkify(escaped: str) -> str:
    return _URL_RE.sub(lambda m: f'<a href="{m.group(0)}" style="color:#2563eb;">{m.group(0)}</a>', escaped)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def _row(inner: str, *, padding: str = "8px 24px", align: str = "left") -> str:
    return f'<tr><td style="padding:{padding};text-align:{align};{_FONT}">{inner}</td></tr>'


def _block_html(block: dict[str, Any], merge: _Merger) -> str:
    kind = block["type"]
    esc = html.escape
    if kind == "heading":
        level = int(block.get("level") or 1)
        size = {1: 26, 2: 21, 3: 18}.get(level, 18)
        return _row(f'<h{level} style="margin:0;font-size:{size}px;line-height:1.3;">'
                    f"{esc(merge(block['text']))}</h{level}>")
    if kind == "text":
        paras = "".join(
            f'<p style="margin:0 0 12px 0;font-size:16px;line-height:1.5;">'
            f"{_linkify(esc(p)).replace(chr(10), '<br>')}</p>"
            for p in _paragraphs(merge(block["text"]))
        )
        return _row(paras)
    if kind == "image":
        img = (f'<img src="{esc(merge(block["url"]))}" alt="{esc(merge(block.get("alt")))}" width="552" '
               'style="display:block;width:100%;max-width:552px;height:auto;border:0;">')
        link = merge(block.get("link_url"))
        return _row(f'<a href="{esc(link)}">{img}</a>' if link else img)
    if kind == "button":
        url = merge(block.get("url")) or "#"
        return _row(
            f'<a href="{esc(url)}" style="display:inline-block;padding:12px 24px;background:#2563eb;color:#ffffff;'
            f'text-decoration:none;border-radius:4px;font-weight:bold;">{esc(merge(block["label"]))}</a>',
            padding="12px 24px",
        )
    if kind == "divider":
        return _row('<hr style="border:0;border-top:1px solid #d9dee3;margin:8px 0;">')
    if kind == "product":
        parts = []
        if block.get("image_url"):
            parts.append(f'<img src="{esc(merge(block["image_url"]))}" alt="{esc(merge(block["name"]))}" '
                         'width="200" style="display:block;max-width:200px;height:auto;border:0;">')
        name = esc(merge(block["name"]))
        url = merge(block.get("url"))
        title = f'<a href="{esc(url)}" style="color:#1f2933;">{name}</a>' if url else name
        parts.append(f'<p style="margin:8px 0 4px 0;font-size:17px;font-weight:bold;">{title}</p>')
        price = _price(block.get("price_cents"), block.get("currency") or "USD")
        if price:
            parts.append(f'<p style="margin:0 0 4px 0;font-size:16px;">{esc(price)}</p>')
        if block.get("description"):
            parts.append(f'<p style="margin:0;font-size:15px;line-height:1.5;">{esc(merge(block["description"]))}</p>')
        return _row("".join(parts))
    if kind == "social":
        links = " &middot; ".join(
            f'<a href="{esc(merge(link["url"]))}" style="color:#2563eb;">{esc(_NETWORKS.get(link["network"], link["network"]))}</a>'
            for link in block.get("links", [])
        )
        return _row(links, align="center")
    return ""


def _block_text(block: dict[str, Any], merge: _Merger) -> str:
    kind = block["type"]
    if kind == "heading":
        title = merge(block["text"])
        return f"{title}\n{('=' if int(block.get('level') or 1) == 1 else '-') * min(len(title), 70)}"
    if kind == "text":
        return "\n\n".join(_paragraphs(merge(block["text"])))
    if kind == "image":
        alt = merge(block.get("alt")) or "Image"
        link = merge(block.get("link_url"))
        return f"[{alt}]" + (f" {link}" if link else "")
    if kind == "button":
        url = merge(block.get("url"))
        return f"{merge(block['label'])}: {url}" if url else f"{merge(block['label'])} (no link yet)"
    if kind == "divider":
        return "-" * 40
    if kind == "product":
        lines = [merge(block["name"])]
        price = _price(block.get("price_cents"), block.get("currency") or "USD")
        if price:
            lines[0] += f" - {price}"
        if block.get("description"):
            lines.append(merge(block["description"]))
        if block.get("url"):
            lines.append(merge(block["url"]))
        return "\n".join(lines)
    if kind == "social":
        return "\n".join(f"{_NETWORKS.get(link['network'], link['network'])}: {merge(link['url'])}"
                         for link in block.get("links", []))
    return ""


def render_email(
    campaign: CampaignOut, values: Mapping[str, str], *, footer: str, unsubscribe_url: str
) -> RenderedEmail:
    """Render ``campaign`` with personalization ``values`` (tag name without percent signs -> value).

    ``footer`` is a plain sentence shown under the content, next to the unsubscribe link.
    """
    merge = _Merger({**values, "UNSUBSCRIBELINK": unsubscribe_url})
    blocks = [b.model_dump() for b in campaign.blocks]
    subject = merge(campaign.subject).strip()
    preheader = merge(campaign.preheader).strip() or None
    esc = html.escape
    rows = "".join(_block_html(b, merge) for b in blocks)
    hidden = (
        f'<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">{esc(preheader)}</div>'
        if preheader else ""
    )
    footer_html = _row(
        f'<p style="margin:0;font-size:12px;color:#6b7280;">{esc(footer)} '
        f'<a href="{esc(unsubscribe_url)}" style="color:#6b7280;">Unsubscribe</a></p>',
        padding="24px 24px 16px 24px",
    )
    document = (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{esc(subject)}</title></head>"
        f'<body style="margin:0;padding:0;background:#f3f4f6;">{hidden}'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6;">'
        '<tr><td align="center" style="padding:16px 0;">'
        '<table role="presentation" width="600" cellpadding="0" cellspacing="0" '
        'style="width:600px;max-width:100%;background:#ffffff;">'
        f"{rows}{footer_html}</table></td></tr></table></body></html>\n"
    )
    text_parts = [t for t in (_block_text(b, merge) for b in blocks) if t]
    text_parts.append(f"--\n{footer}\nUnsubscribe: {unsubscribe_url}")
    return RenderedEmail(
        subject=subject,
        preheader=preheader,
        html=document,
        text="\n\n".join(text_parts) + "\n",
        empty_tags=sorted(merge.empty),
        unknown_tags=sorted(merge.unknown),
        buttons_without_link=[b["label"] for b in blocks if b["type"] == "button" and not b.get("url")],
    )
