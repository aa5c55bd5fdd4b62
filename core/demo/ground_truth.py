"""The demo's hidden truth, kept in files beside (never inside) the database.

``<data_dir>/ground_truth/account_<id>/`` holds ``contacts.csv.gz`` (each contact's traits),
``deals.csv.gz`` (each deal's drivers and true win probability), ``campaigns.csv.gz`` (per-campaign noise)
and ``meta.json`` (seed, clock, parameters). Evaluations compare what the engine infers with these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.demo import content
from core.demo.traits import Population

FORMAT_VERSION = 1
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
TIERS = ["prospect", "customer", "vip"]


@dataclass(frozen=True)
class GroundTruth:
    """The hidden truth of one demo account."""

    meta: dict[str, Any]
    contacts: pd.DataFrame
    deals: pd.DataFrame
    campaigns: pd.DataFrame


def truth_dir(data_dir: Path, account_id: int) -> Path:
    """Return the folder that holds one account's truth."""
    return Path(data_dir) / "ground_truth" / f"account_{account_id}"


def contacts_frame(pop: Population) -> pd.DataFrame:
    """One row per contact: the traits that drove its simulated behaviour."""
    names = np.array(content.INTERESTS, dtype=object)
    bits = (pop.interests[:, None] >> np.arange(len(names))[None, :]) & 1
    interests = ["|".join(names[row.astype(bool)]) for row in bits]
    return pd.DataFrame(
        {
            "contact_id": pop.ids,
            "engagement_propensity": np.round(pop.propensity.astype(float), 5),
            "preferred_hour_local": pop.pref_hour,
            "preferred_weekday": np.array(WEEKDAYS, dtype=object)[pop.pref_weekday],
            "interests": interests,
            "primary_interest": names[pop.primary_interest],
            "is_mpp_user": pop.is_mpp,
            "is_corporate": pop.is_corporate,
            "has_link_scanner": pop.is_scanner,
            "customer_tier": np.array(TIERS, dtype=object)[pop.tier],
        }
    )


def write_ground_truth(
    data_dir: Path,
    account_id: int,
    *,
    meta: dict[str, Any],
    contacts: pd.DataFrame,
    deals: pd.DataFrame,
    campaigns: pd.DataFrame,
) -> Path:
    """Write the truth files (replacing any left by an earlier account with the same id)."""
    folder = truth_dir(data_dir, account_id)
    folder.mkdir(parents=True, exist_ok=True)
    contacts.to_csv(folder / "contacts.csv.gz", index=False, compression="gzip")
    deals.to_csv(folder / "deals.csv.gz", index=False, compression="gzip")
    campaigns.to_csv(folder / "campaigns.csv.gz", index=False, compression="gzip")
    body = {"format_version": FORMAT_VERSION, "account_id": account_id, **meta}
    (folder / "meta.json").write_text(json.dumps(body, indent=2, sort_keys=True, default=str))
    return folder


def load_ground_truth(data_dir: Path, account_id: int) -> GroundTruth:
    """Load one demo account's hidden truth; FileNotFoundError names the folder when it is missing."""
    folder = truth_dir(data_dir, account_id)
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        raise FileNotFoundError(
            f"No ground truth for account {account_id} under {folder}; it is written by `activeintel demo`."
        )
    return GroundTruth(
        meta=json.loads(meta_path.read_text()),
        contacts=pd.read_csv(folder / "contacts.csv.gz"),
        deals=pd.read_csv(folder / "deals.csv.gz"),
        campaigns=pd.read_csv(folder / "campaigns.csv.gz"),
    )
