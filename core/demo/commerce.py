"""Orders with items, abandoned carts, page visits and custom events, built column-wise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from core.commerce.models import AbandonedCart, Order, OrderItem
from core.demo import content
from core.demo.bulk import BulkWriter
from core.demo.traits import DAY, TIER_CUSTOMER, TIER_VIP, US, Population
from core.tracking.models import CustomEvent, PageVisit

CATEGORY_SLUGS = [name.lower().replace(" ", "-") for name in content.INTERESTS]
PRODUCT_NAMES = np.array([[p[0] for p in content.PRODUCTS[c]] for c in content.INTERESTS], dtype=object)
PRODUCT_PRICES = np.array([[p[1] for p in content.PRODUCTS[c]] for c in content.INTERESTS], dtype=np.int64)
PRODUCT_PATHS = np.array(
    [
        ["/products/" + p[0].lower().replace(" ", "-").replace("/", "-") for p in content.PRODUCTS[c]]
        for c in content.INTERESTS
    ],
    dtype=object,
)
ORDER_RATE = {0: 0.04, TIER_CUSTOMER: 1.3, TIER_VIP: 5.0}  # organic orders per year by tier


def _us(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[us]")


def pick_interest(rng: np.random.Generator, pop: Population, idx: np.ndarray) -> np.ndarray:
    """A category each contact cares about: the primary interest most of the time, else any of theirs."""
    k = len(content.INTERESTS)
    bits = ((pop.interests[idx][:, None] >> np.arange(k)[None, :]) & 1).astype(float)
    keys = np.where(bits > 0, rng.random((len(idx), k)), -1.0)
    any_of = np.argmax(keys, axis=1)
    return np.where(rng.random(len(idx)) < 0.6, pop.primary_interest[idx], any_of).astype(np.int64)


@dataclass
class Shop:
    """Writes commerce rows and keeps each contact's purchase history for tags and scores."""

    writer: BulkWriter
    pop: Population
    account_id: int
    domain: str
    now_us: int
    order_seq: int = 100_000
    orders: int = 0

    def __post_init__(self) -> None:
        n = self.pop.n
        self.order_count = np.zeros(n, dtype=np.int32)
        self.first_order_us = np.zeros(n, dtype=np.int64)
        self.last_order_us = np.zeros(n, dtype=np.int64)
        self.spend_cents = np.zeros(n, dtype=np.int64)

    def place_orders(
        self,
        rng: np.random.Generator,
        idx: np.ndarray,
        placed_us: np.ndarray,
        category: np.ndarray,
        *,
        campaign_id: int | None = None,
        discount: float = 0.0,
    ) -> np.ndarray:
        """Insert orders (with 1-3 items) for contacts ``idx``; return the new order ids."""
        keep = placed_us <= self.now_us
        idx, placed_us, category = idx[keep], placed_us[keep], category[keep]
        n = len(idx)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        order_ids = self.writer.reserve_ids(Order.__table__, n)
        n_items = 1 + rng.choice(3, n, p=[0.55, 0.30, 0.15])
        owner = np.repeat(np.arange(n), n_items)
        m = len(owner)
        same = rng.random(m) < 0.7
        item_cat = np.where(same, category[owner], rng.integers(0, len(content.INTERESTS), m))
        product = rng.integers(0, 5, m)
        qty = np.where(rng.random(m) < 0.85, 1, 2)
        off = rng.uniform(0, discount, m) if discount else np.zeros(m)
        price = np.round(PRODUCT_PRICES[item_cat, product] * (1 - off)).astype(np.int64)
        total = np.bincount(owner, weights=price * qty, minlength=n).astype(np.int64)
        status = np.array(["placed", "refunded", "cancelled"], dtype=object)[
            rng.choice(3, n, p=[0.94, 0.04, 0.02])
        ]
        seq = self.order_seq + np.arange(1, n + 1)
        self.order_seq += n
        self.writer.insert(
            Order.__table__,
            {
                "id": order_ids,
                "account_id": np.full(n, self.account_id),
                "contact_id": self.pop.ids[idx],
                "external_id": np.array([f"#{s}" for s in seq], dtype=object),
                "status": status,
                "total_cents": total,
                "currency": np.full(n, "USD", dtype=object),
                "campaign_id": np.full(n, campaign_id if campaign_id else np.nan, dtype=float),
                "placed_at": _us(placed_us),
            },
        )
        self.writer.insert(
            OrderItem.__table__,
            {
                "id": self.writer.reserve_ids(OrderItem.__table__, m),
                "account_id": np.full(m, self.account_id),
                "order_id": order_ids[owner],
                "product_name": PRODUCT_NAMES[item_cat, product],
                "category": np.array(content.INTERESTS, dtype=object)[item_cat],
                "quantity": qty,
                "price_cents": price,
            },
        )
        counted = status != "cancelled"
        ci = idx[counted]
        np.add.at(self.order_count, ci, 1)
        np.add.at(self.spend_cents, ci, total[counted])
        np.maximum.at(self.last_order_us, ci, placed_us[counted])
        never = np.iinfo(np.int64).max
        first = np.where(self.first_order_us == 0, never, self.first_order_us)
        np.minimum.at(first, ci, placed_us[counted])
        self.first_order_us = np.where(first == never, 0, first)
        self.orders += n
        return order_ids

    def visits(
        self,
        rng: np.random.Generator,
        idx: np.ndarray | None,
        start_us: np.ndarray,
        first_path: np.ndarray,
        category: np.ndarray,
        *,
        campaign_id: int | None = None,
        visitor: np.ndarray | None = None,
    ) -> int:
        """Insert one session per row: the landing page, then 1-3 more pages (35% of them product pages)."""
        keep = start_us <= self.now_us
        start_us, first_path, category = start_us[keep], first_path[keep], category[keep]
        if idx is not None:
            idx = idx[keep]
        if visitor is not None:
            visitor = visitor[keep]
        s = len(start_us)
        if s == 0:
            return 0
        pages = 2 + rng.choice(3, s, p=[0.4, 0.35, 0.25])
        owner = np.repeat(np.arange(s), pages)
        m = len(owner)
        pos = np.arange(m) - np.repeat(np.cumsum(pages) - pages, pages)
        dwell = np.clip(rng.lognormal(np.log(45), 1.0, m), 3, 1800).astype(np.int64)
        before = np.cumsum(dwell) - dwell
        offset = before - before[np.cumsum(pages) - pages][owner]
        when = start_us[owner] + offset * US
        product = rng.random(m) < 0.35
        site = np.array(content.SITE_PAGES, dtype=object)[rng.integers(0, len(content.SITE_PAGES), m)]
        prod_path = PRODUCT_PATHS[category[owner], rng.integers(0, 5, m)]
        path = np.where(pos == 0, first_path[owner], np.where(product, prod_path, site))
        base = f"https://{self.domain}"
        url = np.array([p if p.startswith("http") else base + p for p in path], dtype=object)
        url = np.array([u.split("?", 1)[0] for u in url], dtype=object)
        contact = self.pop.ids[idx][owner] if idx is not None else np.full(m, np.nan)
        if visitor is None:
            visitor = np.array([f"v{c:010x}" for c in self.pop.ids[idx]], dtype=object)
        ok = when <= self.now_us
        self.writer.insert(
            PageVisit.__table__,
            {
                "id": self.writer.reserve_ids(PageVisit.__table__, int(ok.sum())),
                "account_id": np.full(int(ok.sum()), self.account_id),
                "contact_id": contact[ok],
                "visitor_id": visitor[owner][ok],
                "url": url[ok],
                "referrer": np.where(pos == 0, None, base + "/")[ok],
                "campaign_id": np.full(m, campaign_id if campaign_id else np.nan, dtype=float)[ok],
                "visited_at": _us(when[ok]),
                "duration_seconds": dwell[ok],
            },
        )
        return int(ok.sum())


def _times_in_window(
    rng: np.random.Generator, idx: np.ndarray, win_lo: np.ndarray, span: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Repeat each contact ``counts`` times, at uniform times inside its own window."""
    who = np.repeat(idx, counts)
    pos = who - idx[0] if len(idx) else who
    return who, win_lo[pos] + (rng.random(len(who)) * span[pos]).astype(np.int64)


def write_organic(
    shop: Shop,
    rng_for: Callable[[int], np.random.Generator],
    *,
    start_us: int,
    progress: Callable[[int], None],
    chunk: int = 100_000,
) -> None:
    """Orders, carts, site sessions and custom events that did not come from a campaign."""
    pop, now_us = shop.pop, shop.now_us
    years = np.maximum(now_us - np.maximum(pop.created_us, start_us), 0) / (365 * DAY)
    for chunk_no, lo in enumerate(range(0, pop.n, chunk)):
        hi = min(pop.n, lo + chunk)
        rng = rng_for(chunk_no)
        idx = np.arange(lo, hi)
        win_lo = np.maximum(pop.created_us[lo:hi], start_us)
        span = now_us - win_lo
        rate = np.vectorize(ORDER_RATE.get)(pop.tier[lo:hi]) * years[lo:hi]
        draw = partial(_times_in_window, rng, idx, win_lo, span)

        who, at = draw(rng.poisson(rate))
        cat = pick_interest(rng, pop, who)
        # Each purchase is preceded by a short browse: product page, then the cart.
        lead = (rng.lognormal(np.log(6 * 60), 0.8, len(who)) * US).astype(np.int64)
        shop.visits(rng, who, at - lead, PRODUCT_PATHS[cat, rng.integers(0, 5, len(who))], cat)
        shop.place_orders(rng, who, at, cat)

        cart_rate = (0.5 * rate / np.maximum(years[lo:hi], 1e-9) + 0.15) * years[lo:hi]
        cwho, cat_at = draw(rng.poisson(cart_rate))
        c = len(cwho)
        recovered = rng.random(c) < 0.12
        rec_at = cat_at + (rng.lognormal(np.log(5 * 3600), 1.0, c) * US).astype(np.int64)
        rec_mask = recovered & (rec_at <= now_us)
        rec_cat = pick_interest(rng, pop, cwho[rec_mask])
        rec_ids = shop.place_orders(rng, cwho[rec_mask], rec_at[rec_mask], rec_cat)
        recovered_id = np.full(c, np.nan)
        recovered_id[np.flatnonzero(rec_mask)] = rec_ids
        shop.writer.insert(
            AbandonedCart.__table__,
            {
                "id": shop.writer.reserve_ids(AbandonedCart.__table__, c),
                "account_id": np.full(c, shop.account_id),
                "contact_id": pop.ids[cwho],
                "total_cents": (np.round(rng.lognormal(np.log(85), 0.7, c)) * 100 - 1).astype(np.int64),
                "currency": np.full(c, "USD", dtype=object),
                "abandoned_at": _us(cat_at),
                "recovered_order_id": recovered_id,
            },
        )

        sess_rate = (0.3 + 2.0 * pop.propensity[lo:hi] + 1.5 * (pop.tier[lo:hi] > 0)) * years[lo:hi]
        swho, s_at = draw(rng.poisson(sess_rate))
        scat = pick_interest(rng, pop, swho)
        first = np.array(content.SITE_PAGES, dtype=object)[
            rng.integers(0, len(content.SITE_PAGES), len(swho))
        ]
        shop.visits(rng, swho, s_at, first, scat)

        anon = int((hi - lo) * 0.15)
        a_at = start_us + (rng.random(anon) * (now_us - start_us)).astype(np.int64)
        visitor = np.array([f"a{v:012x}" for v in rng.integers(0, 2**47, anon)], dtype=object)
        shop.visits(
            rng,
            None,
            a_at,
            np.array(content.SITE_PAGES, dtype=object)[rng.integers(0, 4, anon)],
            rng.integers(0, len(content.INTERESTS), anon),
            visitor=visitor,
        )
        _custom_events(shop, rng, idx, years[lo:hi], draw)
        progress(hi)


def _custom_events(
    shop: Shop,
    rng: np.random.Generator,
    idx: np.ndarray,
    years: np.ndarray,
    draw: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> None:
    pop = shop.pop
    who, at = draw(rng.poisson((0.5 + 0.4 * pop.tier[idx]) * years))
    n = len(who)
    kind = rng.choice(4, n, p=[0.4, 0.2, 0.3, 0.1])
    cat = pick_interest(rng, pop, who)
    product = PRODUCT_NAMES[cat, rng.integers(0, 5, n)]
    rating = rng.choice(5, n, p=[0.04, 0.06, 0.15, 0.35, 0.40]) + 1
    platform = np.where(rng.random(n) < 0.6, "ios", "android")
    points = rng.integers(1, 11, n) * 100
    names = np.array(
        ["wishlist_add", "product_review", "app_login", "loyalty_reward_redeemed"], dtype=object
    )[kind]
    value = np.where(
        kind == 0,
        product,
        np.where(
            kind == 1,
            rating.astype(str).astype(object),
            np.where(kind == 3, points.astype(str).astype(object), None),
        ),
    )
    data = [
        {"product": p, "category": content.INTERESTS[c]}
        if k == 0
        else {"product": p, "rating": int(r)}
        if k == 1
        else {"platform": pl}
        if k == 2
        else {"points": int(pt)}
        for k, p, c, r, pl, pt in zip(kind, product, cat, rating, platform, points, strict=True)
    ]
    shop.writer.insert(
        CustomEvent.__table__,
        {
            "id": shop.writer.reserve_ids(CustomEvent.__table__, n),
            "account_id": np.full(n, shop.account_id),
            "contact_id": pop.ids[who],
            "name": names,
            "value": value,
            "data": data,
            "occurred_at": _us(at),
        },
    )
