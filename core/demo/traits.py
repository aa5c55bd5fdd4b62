"""The hidden population: per-contact traits drawn with vectorised numpy (section 8 of the benchmarks).

Everything here is ground truth. The database only ever sees its consequences (events, orders, visits),
never the traits themselves.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np

from core.demo import content

US = 1_000_000  # microseconds per second
DAY = 86_400 * US
HOUR = 3_600 * US

# Local-time weights from section 8 (hour 0..23, Monday..Sunday).
HOUR_WEIGHTS = np.array(
    [
        0.2,
        0.1,
        0.1,
        0.1,
        0.2,
        0.5,
        1.2,
        2.2,
        3.0,
        3.2,
        3.0,
        2.6,
        2.7,
        2.5,
        2.4,
        2.6,
        2.5,
        2.2,
        2.0,
        2.2,
        2.3,
        1.8,
        1.1,
        0.5,
    ]
)
DAY_MULTIPLIERS = np.array([0.97, 1.02, 1.02, 1.02, 1.03, 0.92, 0.90])

# E-Commerce/Retail row of the section 8 table.
HUMAN_OPEN = 0.157
HUMAN_CLICK = 0.020
MPP_SHARE = 0.30
BOT_CLICK_SHARE = 0.35
# Beta(a, b) of the per-email human open chance. Engaged people join more lists and so get more email, which
# lifts the per-send mean above the population mean: mean 0.14 gives ~0.16-0.19 per delivered email (so
# the reported open rate with MPP lands near 0.38-0.40), and a = 1.0 leaves ~40% of recipients without a
# human open over six months (~10 emails).
PROPENSITY_MEAN = 0.14
PROPENSITY_A = 1.0
PROPENSITY_B = PROPENSITY_A * (1 - PROPENSITY_MEAN) / PROPENSITY_MEAN

TIER_PROSPECT, TIER_CUSTOMER, TIER_VIP = 0, 1, 2


@dataclass(frozen=True)
class Zone:
    """One time zone a contact can live in."""

    country: str
    tz: str
    cities: list[str]
    phone_prefix: str


def zones() -> list[Zone]:
    """Return the flattened time-zone table (contacts store an index into it)."""
    return [Zone(c[0], tz, cities, c[4]) for c in content.COUNTRIES for tz, _, cities in c[2]]


def ascii_slug(name: str) -> str:
    """Lower-case ASCII form of a name for email local parts ('Müller' -> 'muller', 'de Jong' -> 'dejong')."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


@dataclass
class Population:
    """Every contact's hidden traits plus the state the simulation keeps about them (indexed 0..n-1)."""

    n: int
    ids: np.ndarray
    created_us: np.ndarray
    zone: np.ndarray
    lang: np.ndarray
    propensity: np.ndarray
    pref_hour: np.ndarray
    pref_weekday: np.ndarray
    interests: np.ndarray  # bitmask over content.INTERESTS
    primary_interest: np.ndarray
    is_mpp: np.ndarray
    is_corporate: np.ndarray
    is_scanner: np.ndarray
    tier: np.ndarray
    has_phone: np.ndarray
    consumer_domain: np.ndarray  # index into content.CONSUMER_DOMAINS, -1 for company contacts
    company: np.ndarray  # index of the CRM company the contact works at, -1 for none
    company_domains: list[str] = field(default_factory=list)


def _weighted(rng: np.random.Generator, weights: np.ndarray | list[float], size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=size, p=w / w.sum())


def _created_times(rng: np.random.Generator, n: int, start_us: int, now_us: int) -> np.ndarray:
    """Creation times: a list built over the two years before the window, then 2-5% growth a month."""
    before = rng.random(n) < 0.55
    t = np.empty(n, dtype=np.int64)
    nb = int(before.sum())
    t[before] = start_us - (rng.random(nb) * 730 * DAY).astype(np.int64)
    # Growth accelerates slightly, as a list that is being worked on does.
    span = now_us - DAY - start_us
    t[~before] = start_us + (rng.random(n - nb) ** 0.9 * span).astype(np.int64)
    t.sort()
    return t


def draw_population(rng: np.random.Generator, n: int, *, start_us: int, now_us: int) -> Population:
    """Draw ``n`` contacts' hidden traits."""
    zone_table = zones()
    country_weights = []
    zone_weights = []
    for c in content.COUNTRIES:
        for _, tz_w, _ in c[2]:
            country_weights.append(c[1])
            zone_weights.append(c[1] * tz_w)
    zone = _weighted(rng, zone_weights, n).astype(np.int16)

    lang_index = {code: i for i, code in enumerate(content.LANGUAGES)}
    lang = np.zeros(n, dtype=np.int8)
    u = rng.random(n)
    zi = 0
    for c in content.COUNTRIES:
        for _ in c[2]:
            mask = zone == zi
            cum = 0.0
            for code, w in c[3]:
                lang[mask & (u >= cum) & (u < cum + w)] = lang_index[code]
                cum += w
            zi += 1
    assert zi == len(zone_table)

    propensity = rng.beta(PROPENSITY_A, PROPENSITY_B, n).astype(np.float32)
    pref_hour = _weighted(rng, HOUR_WEIGHTS, n).astype(np.int8)
    pref_weekday = _weighted(rng, DAY_MULTIPLIERS, n).astype(np.int8)

    k = len(content.INTERESTS)
    popularity = np.log(np.array([1.3, 1.0, 0.9, 1.2, 1.3, 1.0, 0.7, 0.8]))
    keys = popularity[None, :] + rng.gumbel(size=(n, k))
    order = np.argsort(-keys, axis=1)
    n_interests = 1 + _weighted(rng, [0.45, 0.35, 0.20], n)
    interests = np.zeros(n, dtype=np.int16)
    for j in range(3):
        take = n_interests > j
        interests[take] |= (1 << order[take, j]).astype(np.int16)
    primary_interest = order[:, 0].astype(np.int8)

    domain_weights = [d[1] for d in content.CONSUMER_DOMAINS]
    consumer_domain = _weighted(rng, domain_weights, n).astype(np.int16)
    is_corporate = rng.random(n) < 0.10
    mpp_p = np.array([d[2] for d in content.CONSUMER_DOMAINS])[consumer_domain]
    mpp_p = np.where(is_corporate, 0.18, mpp_p)
    is_mpp = rng.random(n) < mpp_p
    microsoft = np.isin(
        consumer_domain,
        [i for i, d in enumerate(content.CONSUMER_DOMAINS) if d[0] in content.MICROSOFT_DOMAINS],
    )
    scanner_p = np.where(is_corporate, 0.25, np.where(microsoft, 0.10, 0.05))
    is_scanner = rng.random(n) < scanner_p

    # Engaged people buy more: tier odds grow with propensity.
    w = 0.5 + 3.0 * propensity
    w = w / w.mean()
    u = rng.random(n)
    tier = np.full(n, TIER_PROSPECT, dtype=np.int8)
    tier[u < 0.33 * w] = TIER_CUSTOMER
    tier[u < 0.05 * w] = TIER_VIP
    has_phone = rng.random(n) < 0.6

    return Population(
        n=n,
        ids=np.zeros(n, dtype=np.int64),
        created_us=_created_times(rng, n, start_us, now_us),
        zone=zone,
        lang=lang,
        propensity=propensity,
        pref_hour=pref_hour,
        pref_weekday=pref_weekday,
        interests=interests,
        primary_interest=primary_interest,
        is_mpp=is_mpp,
        is_corporate=is_corporate,
        is_scanner=is_scanner,
        tier=tier,
        has_phone=has_phone,
        consumer_domain=consumer_domain,
        company=np.full(n, -1, dtype=np.int32),
    )


def assign_companies(
    rng: np.random.Generator, pop: Population, *, wanted: np.ndarray, before_us: np.ndarray
) -> np.ndarray:
    """Attach ``wanted[i]`` existing contacts (created before ``before_us[i]``) to company ``i``.

    Returns how many contacts each company really got: small accounts run out of contacts to attach.
    """
    budget = max(len(wanted), int(pop.n * 0.4))
    scale = min(1.0, budget / max(1, int(wanted.sum())))
    wanted = np.maximum(1, np.floor(wanted * scale)).astype(np.int64)
    got = np.zeros(len(wanted), dtype=np.int64)
    free = np.ones(pop.n, dtype=bool)
    for i in np.argsort(before_us, kind="stable"):
        limit = int(np.searchsorted(pop.created_us, before_us[i]))
        if limit == 0:
            continue
        candidates = rng.integers(0, limit, size=4 * int(wanted[i]) + 4)
        chosen = []
        for c in candidates:
            if free[c]:
                free[c] = False
                chosen.append(c)
                if len(chosen) == wanted[i]:
                    break
        pop.company[chosen] = i
        got[i] = len(chosen)
    attached = pop.company >= 0
    pop.is_corporate[attached] = True
    # Company inboxes sit behind gateways that scan links, so re-draw their scanner flag at the B2B rate.
    pop.is_scanner[attached] = rng.random(int(attached.sum())) < 0.25
    return got


def scan_probability(pop: Population) -> float:
    """Per-email chance a scanner-protected inbox scans the links, tuned so bots make ~35% of clickers."""
    target_bot_rate = BOT_CLICK_SHARE / (1 - BOT_CLICK_SHARE) * HUMAN_CLICK
    share = max(1e-6, float(pop.is_scanner.mean()))
    return min(1.0, target_bot_rate / share)
