"""Per-campaign simulation: sends and engagement events drawn in bulk for all recipients at once.

Humans follow the section 8 model (propensity, timing mixture, preferred hour, interests). On top come the
machines: Apple MPP opens (``is_mpp``, UA ``Mozilla/5.0``) and link scanners (``is_bot``) that hit every link,
the unsubscribe and the hidden honeypot included, within seconds of delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from core.campaigns.models import CampaignSend, EngagementEvent
from core.campaigns.sms import SMS_CREDITS_PER_SEGMENT, SMS_SEGMENT_CHARS
from core.demo import content
from core.demo.bulk import BulkWriter
from core.demo.commerce import Shop, pick_interest
from core.demo.people import Memberships
from core.demo.schedule import CampaignSpec
from core.demo.setup import LIST_KEYS
from core.demo.traits import DAY, DAY_MULTIPLIERS, HOUR, HUMAN_CLICK, US, Population, zones
from core.enums import Channel

HARD_BOUNCE = 0.0019
UNSUBSCRIBE = 0.0025
FORWARD, REPLY, SHARE = 0.001, 0.0005, 0.0003
MPP_OPEN = 0.9
CTOR_BASE = 0.075
ORDERS_PER_CLICKER = 0.08
SMS_DELIVERY, SMS_CLICK, SMS_OPT_OUT, SMS_PREVIEW, SMS_ORDER = 0.96, 0.09, 0.008, 0.10, 0.01


def _ip_pool(rng: np.random.Generator, prefixes: list[str], size: int) -> np.ndarray:
    tails = rng.integers(1, 255, (size, 2))
    return np.array(
        [f"{prefixes[i % len(prefixes)]}.{a}.{b}" for i, (a, b) in enumerate(tails)], dtype=object
    )


@dataclass
class Simulation:
    """Everything the campaigns share: the population, list state, writer, shop and running tallies."""

    writer: BulkWriter
    pop: Population
    members: Memberships
    shop: Shop
    account_id: int
    now_us: int
    scan_p: float
    rng: np.random.Generator
    human_ips: np.ndarray = field(init=False)
    apple_ips: np.ndarray = field(init=False)
    scanner_ips: np.ndarray = field(init=False)
    sends: int = 0
    events: int = 0
    sms_credits: int = 0

    def __post_init__(self) -> None:
        self.human_ips = _ip_pool(
            self.rng, ["73.12", "98.207", "24.5", "86.14", "81.2", "92.40", "177.33"], 4096
        )
        self.apple_ips = _ip_pool(self.rng, ["172.225", "172.226", "104.28"], 512)
        self.scanner_ips = _ip_pool(self.rng, ["40.94", "52.100", "148.163", "207.211", "64.235"], 512)
        n = self.pop.n
        self.last_open_us = np.zeros(n, dtype=np.int64)  # any non-bot open, Apple MPP included
        self.last_click_us = np.zeros(n, dtype=np.int64)  # human clicks only
        self.human_opens = np.zeros(n, dtype=np.int32)
        self.zone_names = [z.tz for z in zones()]

    def offsets_us(self, when_us: int) -> np.ndarray:
        """UTC offset of each zone at ``when_us`` (DST-aware at the send date)."""
        moment = datetime.fromtimestamp(when_us / US, ZoneInfo("UTC"))
        return np.array(
            [
                int(moment.astimezone(ZoneInfo(tz)).utcoffset().total_seconds()) * US  # type: ignore[union-attr]
                for tz in self.zone_names
            ],
            dtype=np.int64,
        )

    def recipients(self, spec: CampaignSpec, t_us: int) -> np.ndarray:
        """Contacts on one of the campaign's lists at send time, not unsubscribed there and not bounced."""
        ok = np.zeros(self.pop.n, dtype=bool)
        for key in spec.list_keys:
            j = LIST_KEYS.index(key)
            sub, unsub = self.members.sub_at[:, j], self.members.unsub_at[:, j]
            ok |= (sub > 0) & (sub <= t_us) & ((unsub == 0) | (unsub > t_us))
        ok &= self.members.bounced_at == 0
        if spec.channel == Channel.SMS:
            ok &= self.members.sms_consent
        return np.flatnonzero(ok)

    def unsubscribe(self, spec: CampaignSpec, idx: np.ndarray, at_us: np.ndarray, reason: int) -> None:
        """Take contacts off the campaign's lists from ``at_us`` on."""
        for key in spec.list_keys:
            j = LIST_KEYS.index(key)
            still = (self.members.unsub_at[idx, j] == 0) & (self.members.sub_at[idx, j] > 0)
            self.members.unsub_at[idx[still], j] = at_us[still]
            self.members.unsub_reason[idx[still], j] = reason
        if spec.channel == Channel.SMS:
            self.members.sms_consent[idx] = False


class _Events:
    """Column pieces of one campaign's events, concatenated and time-sorted at the end."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(
        self,
        idx: np.ndarray,
        kind: str,
        at: np.ndarray,
        *,
        url: np.ndarray | str | None = None,
        bot: bool = False,
        mpp: bool = False,
        ua: np.ndarray | str | None = None,
        ip: np.ndarray | None = None,
    ) -> None:
        n = len(idx)
        if n == 0:
            return

        def col(v: np.ndarray | str | None) -> np.ndarray:
            if isinstance(v, np.ndarray):
                return v
            out = np.empty(n, dtype=object)
            out[:] = v
            return out

        self.parts.append(
            {
                "idx": idx,
                "type": col(kind),
                "at": at,
                "url": col(url),
                "bot": np.full(n, bot),
                "mpp": np.full(n, mpp),
                "ua": col(ua),
                "ip": col(ip) if ip is not None else col(None),
            }
        )

    def merged(self, now_us: int) -> dict[str, np.ndarray]:
        if not self.parts:
            return {}
        cols = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        keep = cols["at"] <= now_us
        order = np.argsort(cols["at"][keep], kind="stable")
        return {k: v[keep][order] for k, v in cols.items()}


def _open_delay(rng: np.random.Generator, n: int, fast: np.ndarray) -> np.ndarray:
    """Human open delay mixture (exp 20 min / lognormal 6 h / lognormal 48 h); clickers lean fast."""
    w_fast = np.where(fast, 0.30, 0.18)
    w_mid = np.where(fast, 0.50, 0.57)
    u = rng.random(n)
    exp_part = rng.exponential(20 * 60, n)
    mid = rng.lognormal(np.log(6 * 3600), 1.3, n)
    late = rng.lognormal(np.log(48 * 3600), 1.0, n)
    secs = np.where(u < w_fast, exp_part, np.where(u < w_fast + w_mid, mid, late))
    return (np.minimum(secs, 20 * 86400) * US).astype(np.int64)


def _human_open_times(
    rng: np.random.Generator,
    sim: Simulation,
    idx: np.ndarray,
    t_d: np.ndarray,
    offset: np.ndarray,
    fast: np.ndarray,
) -> np.ndarray:
    """When each human first opens: often at their preferred local hour, never in the small hours."""
    n = len(idx)
    at = t_d + _open_delay(rng, n, fast)
    local_d = t_d + offset
    target = (local_d // DAY) * DAY + sim.pop.pref_hour[idx].astype(np.int64) * HOUR
    target += (rng.random(n) * HOUR).astype(np.int64)
    target = np.where(target < local_d, target + DAY, target) + np.where(rng.random(n) < 0.25, DAY, 0)
    use_pref = (rng.random(n) < 0.35) & ~fast
    at = np.where(use_pref, target - offset, at)
    local = at + offset
    hour = (local // HOUR) % 24
    night = (hour >= 1) & (hour <= 5)
    morning = (local // DAY) * DAY + 6 * HOUR + (rng.random(n) * 3 * HOUR).astype(np.int64)
    return np.where(night, morning - offset, at)


def simulate_email(sim: Simulation, rng: np.random.Generator, spec: CampaignSpec) -> None:
    """Send one email campaign and draw everything that happened after."""
    pop, t0 = sim.pop, spec.send_us
    idx = sim.recipients(spec, t0)
    m = len(idx)
    if m == 0:
        return
    t_send = t0 + np.arange(m, dtype=np.int64) * min(1000, (20 * 60 * US) // m)
    bounced = rng.random(m) < HARD_BOUNCE
    _write_sends(
        sim, spec, idx, t_send, np.where(bounced, "bounced", "delivered"), np.zeros(m, dtype=np.int64)
    )
    ev = _Events()
    bounce_at = t_send[bounced] + (rng.uniform(1, 60, int(bounced.sum())) * US).astype(np.int64)
    ev.add(idx[bounced], "bounce", bounce_at)
    sim.members.bounced_at[idx[bounced]] = bounce_at

    d, t_d = idx[~bounced], t_send[~bounced]
    n = len(d)
    offsets = sim.offsets_us(t0)[pop.zone[d]]
    weekday = (((t_d + offsets) // DAY) + 3) % 7  # 1970-01-01 was a Thursday
    new_sub = (t_d - pop.created_us[d]) < 30 * DAY
    p_open = pop.propensity[d] * spec.open_noise * np.where(new_sub, 1.6, 1.0)
    p_open = p_open * DAY_MULTIPLIERS[weekday] * np.where(pop.pref_weekday[d] == weekday, 1.15, 1.0)
    human_open = rng.random(n) < np.clip(p_open, 0, 0.97)

    topic = spec.topic
    if topic >= 0:
        likes = (pop.interests[d] >> topic) & 1
        interest = np.where(likes > 0, 2.0, 0.7)
    else:
        interest = np.ones(n)
    ctor = CTOR_BASE * spec.click_noise * interest * (0.6 + 2.5 * pop.propensity[d])
    clicker = human_open & (rng.random(n) < np.clip(ctor, 0, 0.9))
    open_at = _human_open_times(rng, sim, d, t_d, offsets, clicker)

    # Apple MPP hides the human open (the proxy fetched the pixel already) but not the click.
    visible = human_open & ~pop.is_mpp[d]
    repeats = 1 + rng.poisson(0.8, int(visible.sum()))
    v_idx = np.repeat(np.flatnonzero(visible), repeats)
    gap = np.where(
        np.arange(len(v_idx)) == np.repeat(np.cumsum(repeats) - repeats, repeats),
        0,
        (rng.lognormal(np.log(2 * 3600), 1.5, len(v_idx)) * US).astype(np.int64),
    )
    ua_h = np.array(content.HUMAN_AGENTS, dtype=object)
    ev.add(
        d[v_idx],
        "open",
        open_at[v_idx] + gap,
        ua=ua_h[d[v_idx] % len(ua_h)],
        ip=sim.human_ips[d[v_idx] % len(sim.human_ips)],
    )

    machine = pop.is_mpp[d] & (rng.random(n) < MPP_OPEN)
    k = int(machine.sum())
    soon = rng.random(k) < 0.6
    delay = np.where(soon, rng.exponential(180, k), rng.lognormal(np.log(7200), 1.5, k))
    ev.add(
        d[machine],
        "open",
        t_d[machine] + (np.minimum(delay, 7 * 86400) * US).astype(np.int64),
        mpp=True,
        ua=content.MPP_AGENT,
        ip=sim.apple_ips[d[machine] % len(sim.apple_ips)],
    )

    links = [lk for lk in spec.links if not (lk.is_unsubscribe or lk.is_honeypot)]
    urls = np.array([lk.url for lk in links], dtype=object)
    weights = np.array([lk.weight for lk in links])
    c_pos = np.flatnonzero(clicker)
    n_clicks = np.where(rng.random(len(c_pos)) < 0.2, rng.integers(2, 4, len(c_pos)), 1)
    c_rep = np.repeat(c_pos, n_clicks)
    first_link = rng.choice(len(urls), len(c_pos), p=weights / weights.sum())
    step = np.arange(len(c_rep)) - np.repeat(np.cumsum(n_clicks) - n_clicks, n_clicks)
    link = (np.repeat(first_link, n_clicks) + step) % len(urls)
    click_gap = rng.lognormal(np.log(40), 1.2, len(c_rep)) + step * rng.lognormal(np.log(60), 1.0, len(c_rep))
    click_at = open_at[c_rep] + (click_gap * US).astype(np.int64)
    ev.add(
        d[c_rep],
        "click",
        click_at,
        url=urls[link],
        ua=ua_h[d[c_rep] % len(ua_h)],
        ip=sim.human_ips[d[c_rep] % len(sim.human_ips)],
    )

    _social(ev, rng, d, human_open, open_at, sim)
    _unsubscribes(sim, ev, rng, spec, d, t_d)
    _scanners(sim, ev, rng, spec, d, t_d)
    _flush_events(sim, spec, ev)

    # Landing-page sessions and attributed orders come only from human clicks on content links.
    ok = click_at <= sim.now_us
    contact_idx = d[c_rep][ok]
    if spec.topic >= 0:
        cat = np.full(len(contact_idx), spec.topic)
    else:
        cat = pick_interest(rng, pop, contact_idx)
    sim.shop.visits(rng, contact_idx, click_at[ok] + US, urls[link][ok], cat, campaign_id=spec.id)
    first_click = np.full(pop.n, np.iinfo(np.int64).max)
    np.minimum.at(first_click, contact_idx, click_at[ok])
    buyers = np.unique(contact_idx)
    buyers = buyers[rng.random(len(buyers)) < ORDERS_PER_CLICKER]
    placed = first_click[buyers] + (rng.lognormal(np.log(20 * 60), 1.0, len(buyers)) * US).astype(np.int64)
    buy_cat = np.full(len(buyers), spec.topic) if spec.topic >= 0 else pick_interest(rng, pop, buyers)
    sim.shop.place_orders(rng, buyers, placed, buy_cat, campaign_id=spec.id, discount=0.25)
    np.maximum.at(sim.last_click_us, contact_idx, click_at[ok])


def _social(
    ev: _Events,
    rng: np.random.Generator,
    d: np.ndarray,
    human_open: np.ndarray,
    open_at: np.ndarray,
    sim: Simulation,
) -> None:
    rate = max(float(human_open.mean()), 0.02)
    for kind, share, minutes in (("forward", FORWARD, 8), ("reply", REPLY, 15), ("share", SHARE, 5)):
        who = human_open & (rng.random(len(d)) < share / rate)
        k = int(who.sum())
        at = open_at[who] + (rng.lognormal(np.log(minutes * 60), 1.0, k) * US).astype(np.int64)
        ev.add(d[who], kind, at, ip=sim.human_ips[d[who] % len(sim.human_ips)])


def _unsubscribes(
    sim: Simulation, ev: _Events, rng: np.random.Generator, spec: CampaignSpec, d: np.ndarray, t_d: np.ndarray
) -> None:
    """Unsubscribes within 48 h, 70% through the link (a click, then the unsubscribe)."""
    lean = np.where(sim.pop.propensity[d] < 0.08, 1.6, 0.6)
    who = rng.random(len(d)) < UNSUBSCRIBE * lean / lean.mean()
    k = int(who.sum())
    secs = np.clip(rng.lognormal(np.log(2 * 3600), 1.5, k), 60, 47 * 3600)
    at = t_d[who] + (secs * US).astype(np.int64)
    via_link = rng.random(k) < 0.7
    unsub_url = next(lk.url for lk in spec.links if lk.is_unsubscribe)
    ua_h = np.array(content.HUMAN_AGENTS, dtype=object)
    ci = d[who][via_link]
    ev.add(
        ci,
        "click",
        at[via_link] - (rng.uniform(2, 30, len(ci)) * US).astype(np.int64),
        url=unsub_url,
        ua=ua_h[ci % len(ua_h)],
        ip=sim.human_ips[ci % len(sim.human_ips)],
    )
    ev.add(d[who], "unsubscribe", at, ip=sim.human_ips[d[who] % len(sim.human_ips)])
    done = at <= sim.now_us
    sim.unsubscribe(spec, d[who][done], at[done], reason=2)


def _scanners(
    sim: Simulation, ev: _Events, rng: np.random.Generator, spec: CampaignSpec, d: np.ndarray, t_d: np.ndarray
) -> None:
    """Security scanners: every tracked link (1-3 hits each) and often the pixel, within 0-10 s."""
    scanned = sim.pop.is_scanner[d] & (rng.random(len(d)) < sim.scan_p)
    s_idx, s_t = d[scanned], t_d[scanned]
    k = len(s_idx)
    agents = np.array(content.SCANNER_AGENTS, dtype=object)
    nl = len(spec.links)
    hits = 1 + rng.choice(3, (k, nl), p=[0.6, 0.3, 0.1])
    flat = hits.ravel()
    who = np.repeat(np.repeat(np.arange(k), nl), flat)
    link = np.repeat(np.tile(np.arange(nl), k), flat)
    fast = rng.random(len(who)) < 0.8
    secs = np.where(fast, rng.uniform(0, 5, len(who)), rng.uniform(5, 10, len(who)))
    urls = np.array([lk.url for lk in spec.links], dtype=object)
    ci = s_idx[who]
    ev.add(
        ci,
        "click",
        s_t[who] + (secs * US).astype(np.int64),
        url=urls[link],
        bot=True,
        ua=agents[ci % len(agents)],
        ip=sim.scanner_ips[ci % len(sim.scanner_ips)],
    )
    pixel = rng.random(k) < 0.5
    pi = s_idx[pixel]
    ev.add(
        pi,
        "open",
        s_t[pixel] + (rng.uniform(0, 10, len(pi)) * US).astype(np.int64),
        bot=True,
        ua=agents[pi % len(agents)],
        ip=sim.scanner_ips[pi % len(sim.scanner_ips)],
    )


def _write_sends(
    sim: Simulation,
    spec: CampaignSpec,
    idx: np.ndarray,
    t_send: np.ndarray,
    status: np.ndarray,
    credits: np.ndarray,
) -> None:
    m = len(idx)
    sim.writer.insert(
        CampaignSend.__table__,
        {
            "id": sim.writer.reserve_ids(CampaignSend.__table__, m),
            "account_id": np.full(m, sim.account_id),
            "campaign_id": np.full(m, spec.id),
            "contact_id": sim.pop.ids[idx],
            "status": status.astype(object),
            "sent_at": t_send.astype("datetime64[us]"),
            "credits": credits,
        },
    )
    sim.sends += m


def _flush_events(sim: Simulation, spec: CampaignSpec, ev: _Events) -> None:
    cols = ev.merged(sim.now_us)
    if not cols:
        return
    n = len(cols["idx"])
    sim.writer.insert(
        EngagementEvent.__table__,
        {
            "id": sim.writer.reserve_ids(EngagementEvent.__table__, n),
            "account_id": np.full(n, sim.account_id),
            "campaign_id": np.full(n, spec.id),
            "contact_id": sim.pop.ids[cols["idx"]],
            "type": cols["type"],
            "occurred_at": cols["at"].astype("datetime64[us]"),
            "url": cols["url"],
            "is_bot": cols["bot"],
            "is_mpp": cols["mpp"],
            "user_agent": cols["ua"],
            "ip": cols["ip"],
        },
    )
    sim.events += n
    opened = (cols["type"] == "open") & ~cols["bot"]
    np.maximum.at(sim.last_open_us, cols["idx"][opened], cols["at"][opened])
    np.add.at(sim.human_opens, cols["idx"][opened & ~cols["mpp"]], 1)


def simulate_sms(sim: Simulation, rng: np.random.Generator, spec: CampaignSpec) -> None:
    """Send one SMS broadcast: credits per country, link previews, human clicks, STOP replies, orders."""
    pop, t0 = sim.pop, spec.send_us
    idx = sim.recipients(spec, t0)
    m = len(idx)
    if m == 0:
        return
    t_send = t0 + np.arange(m, dtype=np.int64) * min(5000, (30 * 60 * US) // m)
    # Quiet hours: a text waits for 08:00 local when the broadcast starts outside 08:00-21:00 there.
    offset = sim.offsets_us(t0)[pop.zone[idx]]
    local = t_send + offset
    hour = (local // HOUR) % 24
    next_eight = (local // DAY) * DAY + 8 * HOUR + np.where(hour >= 21, DAY, 0)
    t_send = np.where((hour < 8) | (hour >= 21), next_eight - offset + (t_send - t0), t_send)
    delivered = rng.random(m) < SMS_DELIVERY
    rate = np.array([SMS_CREDITS_PER_SEGMENT.get(z.country, 0) for z in zones()])
    segments = max(1, -(-len(spec.sms_body or "") // SMS_SEGMENT_CHARS))
    credits = rate[pop.zone[idx]] * segments
    _write_sends(sim, spec, idx, t_send, np.where(delivered, "delivered", "failed"), credits)
    sim.sms_credits += int(credits.sum())
    d, t_d = idx[delivered], t_send[delivered]
    n = len(d)
    ev = _Events()
    url = spec.links[0].url
    preview = rng.random(n) < SMS_PREVIEW
    ev.add(
        d[preview],
        "click",
        t_d[preview] + (rng.uniform(0, 5, int(preview.sum())) * US).astype(np.int64),
        url=url,
        bot=True,
        ua="Mozilla/5.0 (compatible; LinkPreview)",
        ip=sim.scanner_ips[d[preview] % len(sim.scanner_ips)],
    )
    p_click = SMS_CLICK * spec.click_noise * (0.6 + 2.5 * pop.propensity[d]) / (0.6 + 2.5 * 0.157)
    clicked = rng.random(n) < np.clip(p_click, 0, 0.9)
    k = int(clicked.sum())
    quick = rng.random(k) < 0.55
    secs = np.where(quick, rng.exponential(7 * 60, k), rng.lognormal(np.log(90 * 60), 1.2, k))
    click_at = t_d[clicked] + (secs * US).astype(np.int64)
    ev.add(
        d[clicked],
        "click",
        click_at,
        url=url,
        ua=content.HUMAN_AGENTS[1],
        ip=sim.human_ips[d[clicked] % len(sim.human_ips)],
    )
    stop = rng.random(n) < SMS_OPT_OUT
    stop_at = t_d[stop] + (rng.lognormal(np.log(600), 1.2, int(stop.sum())) * US).astype(np.int64)
    ev.add(d[stop], "unsubscribe", stop_at)
    done = stop_at <= sim.now_us
    sim.unsubscribe(spec, d[stop][done], stop_at[done], reason=3)
    _flush_events(sim, spec, ev)

    ok = click_at <= sim.now_us
    c_idx = d[clicked][ok]
    cat = np.full(len(c_idx), spec.topic)
    sim.shop.visits(
        rng, c_idx, click_at[ok] + US, np.full(len(c_idx), url, dtype=object), cat, campaign_id=spec.id
    )
    buyers = rng.random(len(c_idx)) < SMS_ORDER / SMS_CLICK
    placed = click_at[ok][buyers] + (rng.lognormal(np.log(15 * 60), 1.0, int(buyers.sum())) * US).astype(
        np.int64
    )
    sim.shop.place_orders(rng, c_idx[buyers], placed, cat[buyers], campaign_id=spec.id, discount=0.2)
    np.maximum.at(sim.last_click_us, c_idx, click_at[ok])


__all__ = ["HUMAN_CLICK", "Simulation", "simulate_email", "simulate_sms"]
