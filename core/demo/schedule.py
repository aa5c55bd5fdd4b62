"""Twelve months of campaigns: what was sent when, to which lists, with which copy and links."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session

from core.campaigns.models import Campaign, CampaignLink
from core.campaigns.service import HONEYPOT_URL, UNSUBSCRIBE_URL
from core.demo import content
from core.demo.setup import Setup
from core.demo.traits import US
from core.enums import CampaignStatus, Channel, Layout

KINDS = ("newsletter", "promo", "arrivals", "vip", "sms")
KIND_LISTS = {
    "newsletter": ["newsletter"],
    "promo": ["promotions"],
    "arrivals": ["arrivals"],
    "vip": ["vip"],
    "sms": ["sms"],
}
KIND_LABEL = {
    "newsletter": "Newsletter",
    "promo": "Promotion",
    "arrivals": "New arrivals",
    "vip": "VIP early access",
    "sms": "SMS flash sale",
}


@dataclass
class LinkSpec:
    """A tracked link; ``weight`` is how often humans pick it among the content links."""

    url: str
    weight: float = 1.0
    is_unsubscribe: bool = False
    is_honeypot: bool = False
    id: int = 0


@dataclass
class CampaignSpec:
    """One campaign as planned (hidden noise multipliers included)."""

    kind: str
    channel: Channel
    status: CampaignStatus
    name: str
    subject: str | None
    preheader: str | None
    sms_body: str | None
    topic: int  # index into content.INTERESTS, -1 for none
    list_keys: list[str]
    created_at: datetime
    scheduled_at: datetime | None
    sent_at: datetime | None
    layout: Layout | None
    open_noise: float
    click_noise: float
    failure_reason: str | None = None
    links: list[LinkSpec] = field(default_factory=list)
    blocks: list[dict[str, object]] = field(default_factory=list)
    id: int = 0

    @property
    def send_us(self) -> int:
        """Return the send time in microseconds since the epoch (0 when never sent)."""
        return int(self.sent_at.timestamp() * US) if self.sent_at else 0


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _week_slots(rng: np.random.Generator, start: datetime, now: datetime, tz: ZoneInfo) -> list[datetime]:
    """Pick 2-4 send weeks per calendar month; send Tuesday to Thursday, 8-11am in the account's zone."""
    local_start = start.astimezone(tz)
    monday = (local_start - timedelta(days=local_start.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    weeks: dict[tuple[int, int], list[datetime]] = {}
    while monday < now:
        key = (monday.year, monday.month)
        weeks.setdefault(key, []).append(monday)
        monday += timedelta(days=7)
    slots = []
    for _, mondays in sorted(weeks.items()):
        k = min(len(mondays), int(rng.choice([2, 3, 4], p=[0.20, 0.45, 0.35])))
        for mon in sorted(rng.choice(len(mondays), size=k, replace=False)):
            day = mondays[int(mon)] + timedelta(days=int(rng.integers(1, 4)))
            when = day.replace(
                hour=int(rng.integers(8, 12)), minute=int(rng.choice([0, 15, 30, 45])), tzinfo=tz
            )
            if start + timedelta(days=1) <= when <= now - timedelta(hours=6):
                slots.append(when)
    return slots


def _fill(template: str, **values: object) -> str:
    return template.format(**values)


def plan_campaigns(
    rng: np.random.Generator, setup: Setup, *, start: datetime, now: datetime
) -> list[CampaignSpec]:
    """Plan every campaign: the sent ones in time order (two of them failed), a draft and a scheduled one."""
    tz = ZoneInfo("America/New_York")
    specs: list[CampaignSpec] = []
    last_month = None
    for when in _week_slots(rng, start, now, tz):
        first_of_month = (when.year, when.month) != last_month
        last_month = (when.year, when.month)
        if first_of_month:
            kind = "newsletter"
        else:
            kind = str(rng.choice(["promo", "arrivals", "vip"], p=[0.55, 0.30, 0.15]))
        specs.append(_spec(rng, setup, kind, when.astimezone(tz)))
    # SMS flash sales on Friday or Saturday around noon, roughly every six weeks.
    day = start + timedelta(days=20)
    while day < now - timedelta(days=2):
        local = day.astimezone(tz)
        local = local + timedelta(days=(4 - local.weekday()) % 7 + int(rng.integers(0, 2)))
        when = local.replace(hour=12, minute=int(rng.choice([0, 30])), second=0, microsecond=0)
        if when < now - timedelta(hours=6):
            specs.append(_spec(rng, setup, "sms", when))
        day += timedelta(days=42)
    specs.sort(key=lambda s: s.sent_at or now)

    email = [s for s in specs if s.channel == Channel.EMAIL]
    reasons = [r.format(domain=setup.domain) for r in content.FAILURE_REASONS]
    failed = [min(email, key=lambda s: abs((now - s.sent_at).days - 150)), email[-1]]  # type: ignore[operator]
    for spec, reason in zip(failed, reversed(reasons), strict=True):
        spec.status = CampaignStatus.FAILED
        spec.failure_reason = reason
        spec.scheduled_at = spec.sent_at
        spec.sent_at = None

    draft = _spec(rng, setup, "newsletter", (now + timedelta(days=20)).astimezone(tz))
    draft.status, draft.sent_at, draft.scheduled_at = CampaignStatus.DRAFT, None, None
    draft.created_at = now - timedelta(days=2)
    draft.name = f"Draft - {draft.name}"
    scheduled = _spec(
        rng, setup, "promo", (now + timedelta(days=3)).astimezone(tz).replace(hour=10, minute=0)
    )
    scheduled.status, scheduled.scheduled_at, scheduled.sent_at = (
        CampaignStatus.SCHEDULED,
        scheduled.sent_at,
        None,
    )
    scheduled.created_at = now - timedelta(days=1)
    specs += [draft, scheduled]

    seen: dict[str, int] = {}
    for spec in specs:
        key = spec.name.lower()
        if key in seen:
            seen[key] += 1
            spec.name = f"{spec.name} ({seen[key]})"
        else:
            seen[key] = 1
    return specs


def _spec(rng: np.random.Generator, setup: Setup, kind: str, when: datetime) -> CampaignSpec:
    month = when.strftime("%B")
    mon = when.strftime("%b %Y")
    topic = int(rng.integers(len(content.INTERESTS))) if kind != "newsletter" else -1
    topic_name = content.INTERESTS[topic] if topic >= 0 else "seasonal"
    values = {
        "month": month,
        "store": setup.store,
        "topic": topic_name,
        "pct": int(rng.choice([15, 20, 25, 30, 40])),
        "price": int(rng.choice([9, 19, 29])),
    }
    base = f"https://{setup.domain}"
    subject: str | None
    sms_body = None
    if kind == "newsletter":
        subject = _fill(str(rng.choice(content.NEWSLETTER_SUBJECTS)), **values)
    elif kind == "promo":
        seasonal = content.SEASONAL_PROMOS.get(when.month)
        pool = seasonal if seasonal and rng.random() < 0.6 else content.PROMO_SUBJECTS
        subject = _fill(str(rng.choice(pool)), **values)
    elif kind == "arrivals":
        subject = _fill(str(rng.choice(content.ARRIVAL_SUBJECTS)), **values)
    elif kind == "vip":
        subject = _fill(str(rng.choice(content.VIP_SUBJECTS)), **values)
    else:
        subject = None
    short = {
        "newsletter": "Newsletter",
        "promo": f"{topic_name} promotion",
        "arrivals": f"New arrivals: {topic_name}",
        "vip": "VIP early access",
        "sms": f"SMS flash sale: {topic_name}",
    }[kind]
    name = f"{mon} - {short}"
    slug = _slug(name)
    topic_slug = _slug(topic_name)
    blocks: list[dict[str, object]]
    if kind == "sms":
        url = f"{base}/s/{topic_slug}"
        sms_body = _fill(str(rng.choice(content.SMS_BODIES)), url=url, **values)[:160]
        links = [LinkSpec(url)]
        blocks = []
    else:
        blocks, links = _email_body(rng, setup, kind, subject or "", topic, slug, month)
    return CampaignSpec(
        kind=kind,
        channel=Channel.SMS if kind == "sms" else Channel.EMAIL,
        status=CampaignStatus.SENT,
        name=name,
        subject=subject,
        preheader=str(rng.choice(content.PREHEADERS)) if kind != "sms" else None,
        sms_body=sms_body,
        topic=topic,
        list_keys=KIND_LISTS[kind],
        created_at=when - timedelta(days=int(rng.integers(2, 9)), hours=int(rng.integers(0, 8))),
        scheduled_at=when,
        sent_at=when,
        layout=None if kind == "sms" else Layout(str(rng.choice([la.value for la in Layout]))),
        open_noise=float(rng.lognormal(0.0, 0.25)),
        click_noise=float(rng.lognormal(0.0, 0.45)),
        links=links,
        blocks=blocks,
    )


def _email_body(
    rng: np.random.Generator, setup: Setup, kind: str, subject: str, topic: int, slug: str, month: str
) -> tuple[list[dict[str, object]], list[LinkSpec]]:
    """Typed blocks (core.campaigns.schemas.Block) and the tracked links they yield, in the service's order.

    Like core.campaigns.service, the unsubscribe link is the %UNSUBSCRIBELINK% tag and the honeypot is a
    hidden link that only scanners follow; both come after the content links.
    """
    base = f"https://{setup.domain}"
    utm = "?utm_source=activeintel&utm_medium=email&utm_campaign=" + slug
    topic_name = content.INTERESTS[topic] if topic >= 0 else ""
    topic_slug = _slug(topic_name)
    main, *more = {
        "newsletter": [f"{base}/blog/{_slug(month)}-journal", f"{base}/collections/new", f"{base}/about"],
        "promo": [f"{base}/sale", f"{base}/collections/{topic_slug}", f"{base}/collections/bestsellers"],
        "arrivals": [f"{base}/collections/{topic_slug}/new", f"{base}/collections/{topic_slug}"],
        "vip": [f"{base}/vip", f"{base}/collections/{topic_slug}"],
    }[kind]
    weighted: list[tuple[str, float]] = [(main + utm, 3.0)]
    blocks: list[dict[str, object]] = [
        {
            "type": "image",
            "url": f"{base}/assets/{kind}-hero.jpg",
            "alt": subject[:300],
            "link_url": main + utm,
            "locked": False,
        },
        {"type": "heading", "text": subject[:300], "level": 1, "locked": False},
        {
            "type": "text",
            "text": f"Hi %FIRSTNAME%, here's what's new at {setup.store} this week.",
            "locked": False,
        },
        {"type": "button", "label": "Shop now", "url": main + utm, "locked": False},
    ]
    if topic >= 0:
        product, price = content.PRODUCTS[topic_name][int(rng.integers(5))]
        url = f"{base}/products/{_slug(product)}{utm}"
        blocks.append(
            {
                "type": "product",
                "name": product,
                "price_cents": price,
                "currency": "USD",
                "image_url": f"{base}/assets/{_slug(product)}.jpg",
                "url": url,
                "locked": False,
            }
        )
        weighted.append((url, 1.5))
    for extra in more:
        blocks.append({"type": "button", "label": "Take a look", "url": extra + utm, "locked": False})
        weighted.append((extra + utm, 1.0))
    social = [
        ("instagram", f"https://instagram.com/{_slug(setup.store)}"),
        ("facebook", f"https://facebook.com/{_slug(setup.store)}"),
    ]
    blocks.append({"type": "divider", "locked": True})
    blocks.append({"type": "social", "links": [{"network": n, "url": u} for n, u in social], "locked": True})
    weighted += [(u, 0.2) for _, u in social]
    blocks.append(
        {
            "type": "text",
            "locked": True,
            "text": f"{setup.store}, 100 Market Street, Springfield. You get this email because you "
            "subscribed. Unsubscribe: %UNSUBSCRIBELINK%",
        }
    )
    links = [LinkSpec(u, w) for u, w in weighted]
    links.append(LinkSpec(UNSUBSCRIBE_URL, 0.0, is_unsubscribe=True))
    links.append(LinkSpec(HONEYPOT_URL, 0.0, is_honeypot=True))
    return blocks, links


def insert_campaigns(session: Session, setup: Setup, specs: list[CampaignSpec]) -> None:
    """Create the campaign and link rows and remember their ids on the specs."""
    for spec in specs:
        row = Campaign(
            account_id=setup.account_id,
            name=spec.name,
            channel=spec.channel,
            status=spec.status,
            failure_reason=spec.failure_reason,
            subject=spec.subject,
            preheader=spec.preheader,
            from_name=setup.store if spec.channel == Channel.EMAIL else None,
            from_email=f"hello@{setup.domain}" if spec.channel == Channel.EMAIL else None,
            layout=spec.layout,
            blocks=spec.blocks,
            sms_body=spec.sms_body,
            list_ids=[setup.list_ids[k] for k in spec.list_keys],
            link_tracking=True,
            created_by=setup.admin_id,
            created_at=spec.created_at,
            updated_at=spec.sent_at or spec.scheduled_at or spec.created_at,
            scheduled_at=spec.scheduled_at,
            sent_at=spec.sent_at,
        )
        session.add(row)
        session.flush()
        spec.id = row.id
        for lk in spec.links:
            if lk.is_honeypot:
                lk.url = HONEYPOT_URL.format(campaign_id=row.id)
            link = CampaignLink(
                account_id=setup.account_id,
                campaign_id=row.id,
                url=lk.url,
                is_unsubscribe=lk.is_unsubscribe,
                is_honeypot=lk.is_honeypot,
            )
            session.add(link)
            session.flush()
            lk.id = link.id
