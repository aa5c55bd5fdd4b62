"""Feature gates: is a feature on this account's plan and add-ons, and if not, what to tell the user.

The table follows the help-center articles' "available for the following plan types" notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.enums import PLAN_ORDER, AddOn, Plan


@dataclass(frozen=True)
class FeatureRule:
    """Who gets a feature: a minimum plan and, optionally, any one of some add-ons."""

    label: str
    min_plan: Plan = Plan.STARTER
    any_addon: tuple[AddOn, ...] = ()
    # Plans that include the add-on-gated feature without buying the add-on.
    included_in: tuple[Plan, ...] = field(default=())


FEATURES: dict[str, FeatureRule] = {
    "saved_responses": FeatureRule("Saved Responses"),
    "activities": FeatureRule("AI activities"),
    "ai_actions": FeatureRule("AI Actions Library"),
    "ai_campaign_builder": FeatureRule("AI Campaign Builder"),
    "active_intelligence": FeatureRule("Active Intelligence"),
    "spam_check": FeatureRule("Spam Check"),
    "link_tracking": FeatureRule("Link tracking"),
    "email_templates": FeatureRule("Email templates"),
    "translations": FeatureRule("AI Translations for Email"),
    "site_tracking": FeatureRule("Site Tracking"),
    "one_to_one_email": FeatureRule("1:1 email"),
    "best_send_time": FeatureRule("Best send day and time"),
    "best_send_time_industry": FeatureRule("Best send time based on industries like mine", Plan.PRO),
    "contact_scoring": FeatureRule("Contact scoring", Plan.PLUS),
    "multiple_brand_kits": FeatureRule("Multiple AI Brand Kits", Plan.PLUS),
    "ai_email_designer": FeatureRule("AI content in the Email Designer", Plan.PLUS),
    "ai_images": FeatureRule("AI images", Plan.PLUS),
    "page_metrics": FeatureRule("Pages metrics", Plan.PLUS),
    "botsense": FeatureRule("BotSense", Plan.PRO),
    "predictive_sending": FeatureRule("Predictive sending", Plan.PRO),
    "deal_scoring": FeatureRule(
        "Deal scoring", Plan.PLUS, (AddOn.PIPELINES, AddOn.SALES_ENGAGEMENT), (Plan.ENTERPRISE,)
    ),
    "deal_forecast": FeatureRule(
        "Deal Forecast report", Plan.PLUS, (AddOn.PIPELINES, AddOn.SALES_ENGAGEMENT), (Plan.ENTERPRISE,)
    ),
    "deals": FeatureRule("Deals and pipelines", Plan.PLUS, (AddOn.PIPELINES, AddOn.SALES_ENGAGEMENT), (Plan.ENTERPRISE,)),
    "win_probability": FeatureRule("Win Probability", Plan.PLUS, (AddOn.SALES_ENGAGEMENT,), (Plan.ENTERPRISE,)),
    "sms": FeatureRule("SMS broadcasts", Plan.PLUS, (AddOn.SMS,)),
    "transactional_email": FeatureRule("Transactional email", Plan.STARTER, (AddOn.TRANSACTIONAL,)),
}

_PLAN_LABEL = {Plan.STARTER: "Starter", Plan.PLUS: "Plus", Plan.PRO: "Pro", Plan.ENTERPRISE: "Enterprise"}
_ADDON_LABEL = {
    AddOn.PIPELINES: "Pipelines",
    AddOn.SALES_ENGAGEMENT: "Sales Engagement",
    AddOn.SMS: "SMS",
    AddOn.TRANSACTIONAL: "Transactional",
}


def plan_label(plan: Plan) -> str:
    """Return the plan's display name."""
    return _PLAN_LABEL[plan]


def _plans_from(plan: Plan) -> list[Plan]:
    return PLAN_ORDER[PLAN_ORDER.index(plan):]


def check_feature(plan: Plan, addons: list[str], feature: str) -> tuple[bool, str]:
    """Return (available, explanation) for ``feature`` on an account with ``plan`` and ``addons``."""
    rule = FEATURES[feature]
    plan_ok = PLAN_ORDER.index(plan) >= PLAN_ORDER.index(rule.min_plan)
    addon_ok = not rule.any_addon or plan in rule.included_in or any(a.value in addons for a in rule.any_addon)
    if plan_ok and addon_ok:
        return True, f"{rule.label} is available on this account."
    plans = ", ".join(_PLAN_LABEL[p] for p in _plans_from(rule.min_plan))
    if not plan_ok and not rule.any_addon:
        return False, (
            f"{rule.label} is available on the {plans} plans; this account is on {_PLAN_LABEL[plan]}. "
            "Upgrade the plan to use it."
        )
    names = " or ".join(_ADDON_LABEL[a] for a in rule.any_addon)
    if not plan_ok:
        return False, (
            f"{rule.label} needs the {names} add-on, which can be bought on the {plans} plans; "
            f"this account is on {_PLAN_LABEL[plan]}. Upgrade the plan, then add {names}."
        )
    return False, f"{rule.label} needs the {names} add-on. Add it from Billing & Upgrade to use it."


def brand_kit_limit(plan: Plan) -> int:
    """Starter accounts get one brand kit; Plus and above up to five."""
    from core.content.models import MAX_BRAND_KITS

    return 1 if plan == Plan.STARTER else MAX_BRAND_KITS
