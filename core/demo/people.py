"""Contacts, their custom-field values, list memberships and signup-form submissions, written in chunks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.campaigns.sms import SMS_CREDITS_PER_SEGMENT
from core.contacts.models import Contact, ContactFieldValue, ListSubscription
from core.content.models import FormSubmission
from core.demo import content
from core.demo.bulk import BulkWriter
from core.demo.setup import LIST_KEYS, Setup
from core.demo.traits import DAY, HOUR, TIER_PROSPECT, Population, ascii_slug, zones

CHUNK = 100_000
SMS_SOURCES = ["Checkout opt-in", "Signup form", "Keyword JOIN"]
NOTES = [
    "Prefers plastic-free packaging.",
    "Asked about bulk pricing for a running club.",
    "Gift buyer: mostly orders in November and December.",
    "Had a damaged parcel once; replaced quickly.",
    "Interested in the loyalty program.",
    "Prefers to be contacted in the evening.",
]


@dataclass
class Memberships:
    """Per contact and list: when they subscribed and unsubscribed (0 = never), plus SMS consent."""

    sub_at: np.ndarray  # (n, lists) int64 microseconds
    unsub_at: np.ndarray
    unsub_reason: np.ndarray  # (n, lists) int8: 0 none, 1 before the window, 2 campaign link, 3 SMS STOP
    sms_consent: np.ndarray
    sms_source: np.ndarray
    bounced_at: np.ndarray  # int64, 0 = deliverable


def draw_memberships(rng: np.random.Generator, pop: Population, *, start_us: int, now_us: int) -> Memberships:
    """Decide who joined which list when, and who had already left or bounced before the window."""
    n, lists = pop.n, len(LIST_KEYS)
    created = pop.created_us
    sub_at = np.zeros((n, lists), dtype=np.int64)
    shares = {"newsletter": 0.88, "promotions": 0.78, "arrivals": 0.42}
    # Engaged people join more lists (the factor averages 1, so the shares hold).
    lean = 0.8 + 0.2 * pop.propensity / max(float(pop.propensity.mean()), 1e-9)
    for key, share in shares.items():
        j = LIST_KEYS.index(key)
        joined = rng.random(n) < share * lean
        delay = 0 if key == "newsletter" else (rng.exponential(20, n) * DAY).astype(np.int64)
        sub_at[joined, j] = (created + delay)[joined]
    vip = LIST_KEYS.index("vip")
    joined = (pop.tier == 2) & (rng.random(n) < 0.95)
    sub_at[joined, vip] = created[joined] + (rng.exponential(60, int(joined.sum())) * DAY).astype(np.int64)
    sms = LIST_KEYS.index("sms")
    # SMS goes only to countries with a credit rate (core.campaigns.sms), and only with consent.
    textable = np.array([z.country in SMS_CREDITS_PER_SEGMENT for z in zones()])[pop.zone]
    joined = pop.has_phone & textable & (rng.random(n) < 0.25)
    sub_at[joined, sms] = created[joined] + (rng.exponential(10, int(joined.sum())) * DAY).astype(np.int64)
    sub_at[sub_at >= now_us - HOUR] = 0

    # Some older members had already left a list, or their address had died, before the 12 months begin.
    unsub_at = np.zeros_like(sub_at)
    reason = np.zeros((n, lists), dtype=np.int8)
    old = (sub_at > 0) & (sub_at < start_us)
    left = old & (rng.random((n, lists)) < 0.06)
    span = np.maximum(start_us - sub_at, 1)
    unsub_at[left] = (sub_at + (rng.random((n, lists)) * span).astype(np.int64))[left]
    reason[left] = 1
    bounced_at = np.zeros(n, dtype=np.int64)
    dead = (created < start_us) & (rng.random(n) < 0.015)
    bounced_at[dead] = created[dead] + (rng.random(int(dead.sum())) * (start_us - created[dead])).astype(
        np.int64
    )
    return Memberships(
        sub_at=sub_at,
        unsub_at=unsub_at,
        unsub_reason=reason,
        sms_consent=sub_at[:, sms] > 0,
        sms_source=rng.integers(0, len(SMS_SOURCES), n).astype(np.int8),
        bounced_at=bounced_at,
    )


def _us(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[us]")


def write_contacts(
    writer: BulkWriter,
    rng_for: Callable[[int], np.random.Generator],
    pop: Population,
    members: Memberships,
    setup: Setup,
    *,
    start_us: int,
    progress: Callable[[int], None],
) -> tuple[dict[int, str], np.ndarray]:
    """Insert every contact with field values and form submissions.

    Returns the first names of company contacts (for CRM task titles) and who signed up through the form.
    """
    zone_table = zones()
    langs = content.LANGUAGES
    first_pools = {i: content.FIRST_NAMES[code] for i, code in enumerate(langs)}
    last_pools = {i: content.LAST_NAMES[code] for i, code in enumerate(langs)}
    aid = setup.account_id
    pop.ids[:] = writer.reserve_ids(Contact.__table__, pop.n)
    company_first: dict[int, str] = {}
    signed_up = np.zeros(pop.n, dtype=bool)
    company_domains = [
        "".join(ch for ch in name.lower() if ch.isalnum()) + ".example" for name in setup.company_names
    ]
    for chunk_no, lo in enumerate(range(0, pop.n, CHUNK)):
        hi = min(pop.n, lo + CHUNK)
        rng = rng_for(chunk_no)
        m = hi - lo
        idx = np.arange(lo, hi)
        lang = pop.lang[lo:hi]
        first = np.empty(m, dtype=object)
        last = np.empty(m, dtype=object)
        for li in np.unique(lang):
            sel = lang == li
            k = int(sel.sum())
            first[sel] = np.array(first_pools[int(li)], dtype=object)[
                rng.integers(0, len(first_pools[int(li)]), k)
            ]
            last[sel] = np.array(last_pools[int(li)], dtype=object)[
                rng.integers(0, len(last_pools[int(li)]), k)
            ]
        fslug = np.array([ascii_slug(x) for x in first], dtype=object)
        lslug = np.array([ascii_slug(x) for x in last], dtype=object)
        number = (idx + 1).astype(str).astype(object)
        pattern = rng.integers(0, 3, m)
        local = np.where(
            pattern == 0,
            fslug + "." + lslug + number,
            np.where(
                pattern == 1, fslug + number, np.array([s[:1] for s in fslug], dtype=object) + lslug + number
            ),
        )
        cons = np.array([d[0] for d in content.CONSUMER_DOMAINS], dtype=object)[pop.consumer_domain[lo:hi]]
        comp = pop.company[lo:hi]
        if len(company_domains):
            comp_dom = np.array(company_domains, dtype=object)[np.maximum(comp, 0)]
        else:
            comp_dom = cons
        domain = np.where(comp >= 0, comp_dom, cons)
        local = np.where(comp >= 0, fslug + "." + lslug + number, local)
        email = local + "@" + domain
        for i in np.flatnonzero(comp >= 0):
            company_first[lo + int(i)] = str(first[i])

        zone = pop.zone[lo:hi]
        country = np.array([z.country for z in zone_table], dtype=object)[zone]
        tz = np.array([z.tz for z in zone_table], dtype=object)[zone]
        city = np.empty(m, dtype=object)
        for zi in np.unique(zone):
            sel = zone == zi
            cities = zone_table[int(zi)].cities
            city[sel] = np.array(cities, dtype=object)[rng.integers(0, len(cities), int(sel.sum()))]
        prefix = np.array([z.phone_prefix for z in zone_table], dtype=object)[zone]
        nanp = prefix == "+1"
        digits = np.where(
            nanp,
            rng.integers(201, 990, m).astype(str).astype(object)
            + rng.integers(2_000_000, 9_999_999, m).astype(str),
            rng.integers(100_000_000, 999_999_999, m).astype(str).astype(object),
        )
        phone = np.where(pop.has_phone[lo:hi], prefix + digits, None)
        created = _us(pop.created_us[lo:hi])
        status = np.where(members.bounced_at[lo:hi] > 0, "bounced", "active").astype(object)
        crm = np.where(comp >= 0, setup.company_ids[np.maximum(comp, 0)] if len(setup.company_ids) else 0, 0)
        writer.insert(
            Contact.__table__,
            {
                "id": pop.ids[lo:hi],
                "account_id": np.full(m, aid),
                "email": email,
                "phone": phone,
                "first_name": first,
                "last_name": last,
                "status": status,
                "preferred_language": np.array(langs, dtype=object)[lang],
                "timezone": tz,
                "country": country,
                "city": city,
                "crm_account_id": np.where(crm > 0, crm, np.nan),
                "created_at": created,
                "updated_at": created,
            },
        )
        _write_field_values(writer, rng, pop, setup, lo, hi)
        signed_up[lo:hi] = _write_form_submissions(
            writer, rng, pop, setup, lo, hi, email, first, start_us=start_us
        )
        progress(hi)
    return company_first, signed_up


def _write_field_values(
    writer: BulkWriter, rng: np.random.Generator, pop: Population, setup: Setup, lo: int, hi: int
) -> None:
    m = hi - lo
    ids = pop.ids[lo:hi]
    parts: list[dict[str, np.ndarray]] = []

    def add(field: str, mask: np.ndarray, **values: np.ndarray) -> None:
        k = int(mask.sum())
        row = {
            "contact_id": ids[mask],
            "field_id": np.full(k, setup.field_ids[field]),
            "account_id": np.full(k, setup.account_id),
            "value_text": np.full(k, None, dtype=object),
            "value_number": np.full(k, np.nan),
            "value_date": np.full(k, np.datetime64("NaT"), dtype="datetime64[D]"),
        }
        row.update({key: v[mask] for key, v in values.items()})
        parts.append(row)

    interest = pop.primary_interest[lo:hi]
    product_names = np.array(
        [[p[0] for p in content.PRODUCTS[name]] for name in content.INTERESTS], dtype=object
    )
    add("Favorite Product", rng.random(m) < 0.3, value_text=product_names[interest, rng.integers(0, 5, m)])
    add(
        "Notes",
        rng.random(m) < 0.04,
        value_text=np.array(NOTES, dtype=object)[rng.integers(0, len(NOTES), m)],
    )
    birthdays = np.datetime64("1955-01-01") + rng.integers(0, 51 * 365, m).astype("timedelta64[D]")
    add("Birthday", rng.random(m) < 0.5, value_date=birthdays)
    sizes = np.array(["XS", "S", "M", "L", "XL"], dtype=object)[
        rng.choice(5, m, p=[0.08, 0.24, 0.34, 0.24, 0.10])
    ]
    add("Clothing Size", rng.random(m) < 0.6, value_text=sizes)
    points = np.round(rng.gamma(1.5, 600, m)).astype(float)
    add("Loyalty Points", (pop.tier[lo:hi] != TIER_PROSPECT) & (rng.random(m) < 0.9), value_number=points)
    add(
        "Support Language",
        rng.random(m) < 0.2,
        value_text=np.array(content.LANGUAGES, dtype=object)[pop.lang[lo:hi]],
    )
    merged = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    writer.insert(ContactFieldValue.__table__, merged)


def _write_form_submissions(
    writer: BulkWriter,
    rng: np.random.Generator,
    pop: Population,
    setup: Setup,
    lo: int,
    hi: int,
    email: np.ndarray,
    first: np.ndarray,
    *,
    start_us: int,
) -> np.ndarray:
    created = pop.created_us[lo:hi]
    signed = (created >= start_us) & (rng.random(hi - lo) < 0.45) & (pop.company[lo:hi] < 0)
    k = int(signed.sum())
    interests = np.array(content.INTERESTS, dtype=object)[pop.primary_interest[lo:hi][signed]]
    data = [
        {"email": e, "first_name": f, "interest": i}
        for e, f, i in zip(email[signed], first[signed], interests, strict=True)
    ]
    writer.insert(
        FormSubmission.__table__,
        {
            "id": writer.reserve_ids(FormSubmission.__table__, k),
            "account_id": np.full(k, setup.account_id),
            "form_id": np.full(k, setup.form_id),
            "contact_id": pop.ids[lo:hi][signed],
            "data": data,
            "submitted_at": _us(created[signed]),
        },
    )
    return signed


def write_memberships(
    writer: BulkWriter, pop: Population, members: Memberships, setup: Setup, *, now_us: int
) -> int:
    """Insert the final list subscriptions (after the campaigns, which unsubscribe people)."""
    total = 0
    reasons = np.array(
        [None, "No longer interested", "Unsubscribed from a campaign", "Replied STOP to an SMS"], dtype=object
    )
    sms_j = LIST_KEYS.index("sms")
    for j, key in enumerate(LIST_KEYS):
        mask = members.sub_at[:, j] > 0
        k = int(mask.sum())
        unsub = members.unsub_at[mask, j]
        gone = unsub > 0
        consent = members.sms_consent[mask] if j == sms_j else np.zeros(k, dtype=bool)
        had_consent = np.full(k, j == sms_j)
        sub_times = members.sub_at[mask, j]
        unsub_times = np.where(gone, unsub, 0).astype("datetime64[us]")
        unsub_times[~gone] = np.datetime64("NaT")
        total += writer.insert(
            ListSubscription.__table__,
            {
                "contact_id": pop.ids[mask],
                "list_id": np.full(k, setup.list_ids[key]),
                "account_id": np.full(k, setup.account_id),
                "email_status": np.where(gone, "unsubscribed", "subscribed").astype(object),
                "sms_consent": consent,
                "sms_consent_source": np.where(
                    had_consent, np.array(SMS_SOURCES, dtype=object)[members.sms_source[mask]], None
                ),
                "sms_consent_at": np.where(had_consent, sub_times, 0).astype("datetime64[us]")
                if j == sms_j
                else np.full(k, np.datetime64("NaT"), dtype="datetime64[us]"),
                "subscribed_at": _us(sub_times),
                "unsubscribed_at": unsub_times,
                "unsubscribe_reason": reasons[members.unsub_reason[mask, j]],
            },
        )
    return total
