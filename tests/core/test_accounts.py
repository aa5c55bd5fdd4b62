"""Accounts, users, settings and feature gates."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.accounts.features import FEATURES, brand_kit_limit, check_feature
from core.enums import Plan, UserRole
from core.errors import Conflict, FeatureUnavailable, InvalidRequest, NotFound


def test_create_account_and_users(session: Session) -> None:
    acc = accounts.create_account(session, name="Acme", plan="pro", addons=["sms"], timezone="Europe/Paris")
    assert acc.plan is Plan.PRO and acc.addons == ["sms"] and acc.timezone == "Europe/Paris"
    assert acc.botsense_enabled is False  # "Not filtered" by default
    admin = accounts.create_user(session, account_id=acc.id, email="Ann@Acme.io", name="Ann", role="admin")
    assert admin.email == "ann@acme.io"
    with pytest.raises(Conflict, match="already exists"):
        accounts.create_user(session, account_id=acc.id, email="ann@acme.io", name="Ann 2")
    assert accounts.find_user(session, account_id=acc.id, name_or_email="ann").id == admin.id


@pytest.mark.parametrize(
    ("kwargs", "field", "hint"),
    [
        ({"plan": "gold"}, "plan", "'starter'"),
        ({"timezone": "Mars/Olympus"}, "timezone", "America/New_York"),
        ({"addons": ["fax"]}, "add-on", "'pipelines'"),
        ({"industry": "Mining"}, "industry", "'Software'"),
        ({"monthly_activity_limit": 600_000}, "monthly_activity_limit", "500,000"),
    ],
    ids=["plan", "timezone", "addon", "industry", "activity-limit"],
)
def test_bad_account_input_names_field_and_allowed(session: Session, kwargs: dict, field: str, hint: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        accounts.create_account(session, name="X", **kwargs)
    assert err.value.field == field
    assert hint in str(err.value)


def test_feature_gates_follow_the_help_center() -> None:
    assert check_feature(Plan.STARTER, [], "saved_responses")[0]
    ok, msg = check_feature(Plan.PLUS, [], "botsense")
    assert not ok and "Pro, Enterprise" in msg and "Plus" in msg
    assert check_feature(Plan.PRO, [], "predictive_sending")[0]
    assert not check_feature(Plan.STARTER, [], "contact_scoring")[0]
    ok, msg = check_feature(Plan.PLUS, [], "sms")
    assert not ok and "SMS add-on" in msg
    assert check_feature(Plan.PLUS, ["sms"], "sms")[0]
    ok, msg = check_feature(Plan.STARTER, ["sms"], "sms")
    assert not ok and "Upgrade the plan" in msg
    assert check_feature(Plan.ENTERPRISE, [], "deal_forecast")[0]  # included with Enterprise
    assert not check_feature(Plan.PRO, ["pipelines"], "win_probability")[0]
    assert check_feature(Plan.PRO, ["sales_engagement"], "win_probability")[0]
    assert brand_kit_limit(Plan.STARTER) == 1 and brand_kit_limit(Plan.PLUS) == 5
    assert all(rule.label for rule in FEATURES.values())


def test_feature_available_service(session: Session) -> None:
    acc = accounts.create_account(session, name="Small", plan="starter")
    check = accounts.feature_available(session, account_id=acc.id, feature="botsense")
    assert not check.available and "Pro" in check.message
    with pytest.raises(FeatureUnavailable):
        accounts.require_feature(session, account_id=acc.id, feature="predictive_sending")
    with pytest.raises(InvalidRequest, match="choose one of"):
        accounts.feature_available(session, account_id=acc.id, feature="teleport")


def test_botsense_needs_admin_and_pro(session: Session) -> None:
    pro = accounts.create_account(session, name="Pro Co", plan="pro")
    admin = accounts.create_user(session, account_id=pro.id, email="a@p.co", name="A", role=UserRole.ADMIN)
    user = accounts.create_user(session, account_id=pro.id, email="u@p.co", name="U")
    with pytest.raises(Conflict, match="admin"):
        accounts.update_settings(session, account_id=pro.id, acting_user_id=user.id, botsense_enabled=True)
    assert accounts.update_settings(
        session, account_id=pro.id, acting_user_id=admin.id, botsense_enabled=True
    ).botsense_enabled
    plus = accounts.create_account(session, name="Plus Co", plan="plus")
    padmin = accounts.create_user(session, account_id=plus.id, email="a@plus.co", name="A", role="admin")
    with pytest.raises(FeatureUnavailable, match="BotSense"):
        accounts.update_settings(session, account_id=plus.id, acting_user_id=padmin.id, botsense_enabled=True)


def test_activity_limit_needs_billing_rights(session: Session) -> None:
    acc = accounts.create_account(session, name="Bill Co")
    user = accounts.create_user(session, account_id=acc.id, email="u@b.co", name="U")
    biller = accounts.create_user(session, account_id=acc.id, email="b@b.co", name="B", can_manage_billing=True)
    with pytest.raises(Conflict, match="billing"):
        accounts.update_settings(session, account_id=acc.id, acting_user_id=user.id, monthly_activity_limit=1000)
    out = accounts.update_settings(session, account_id=acc.id, acting_user_id=biller.id, monthly_activity_limit=1000)
    assert out.monthly_activity_limit == 1000


def test_users_are_private_to_their_account(session: Session) -> None:
    a = accounts.create_account(session, name="A")
    b = accounts.create_account(session, name="B")
    ua = accounts.create_user(session, account_id=a.id, email="x@a.co", name="X")
    with pytest.raises(NotFound):
        accounts.get_user(session, account_id=b.id, user_id=ua.id)
    with pytest.raises(NotFound):
        accounts.update_settings(session, account_id=b.id, acting_user_id=ua.id, timezone="UTC")
    assert accounts.list_users(session, account_id=b.id) == []
