"""Tools about the account itself: plan, add-ons and feature gates."""

from __future__ import annotations

from langgraph.prebuilt import ToolRuntime

from core.accounts import service as accounts
from core.accounts.features import FEATURES
from tools.base import Risk, ai_tool, dump, unit_of_work
from tools.context import TurnContext


@ai_tool(
    risk=Risk.READ,
    area="Account and plan",
    examples=("Can I use predictive sending on my plan?", "Is BotSense available to me?"),
)
def check_feature(feature: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Say whether a feature is available on this account's plan and add-ons, and what to do if not.

    Args:
        feature: one of: saved_responses, activities, ai_actions, ai_campaign_builder, spam_check, link_tracking,
            translations, site_tracking, best_send_time, best_send_time_industry, contact_scoring,
            multiple_brand_kits, ai_email_designer, ai_images, page_metrics, botsense, predictive_sending,
            deal_scoring, deal_forecast, deals, win_probability, sms, transactional_email.
    """
    with unit_of_work(runtime) as (session, ctx):
        return dump(accounts.feature_available(session, account_id=ctx.account_id, feature=feature.strip().lower()))


@ai_tool(risk=Risk.READ, area="Account and plan", examples=("What plan am I on?",))
def get_account_overview(runtime: ToolRuntime[TurnContext]) -> str:
    """Show the account's plan, add-ons, industry, time zone, BotSense setting and which features it includes."""
    with unit_of_work(runtime) as (session, ctx):
        account = accounts.get_account(session, account_id=ctx.account_id)
        included = [
            name for name in FEATURES
            if accounts.feature_available(session, account_id=ctx.account_id, feature=name).available
        ]
        return dump({**account.model_dump(mode="json"), "features": included})
