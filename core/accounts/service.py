"""Accounts, users, settings and feature gates."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.features import FEATURES, check_feature
from core.accounts.models import Account, User
from core.accounts.schemas import AccountOut, FeatureCheck, UserOut
from core.billing.models import MAX_MONTHLY_ACTIVITY_LIMIT
from core.enums import AddOn, Plan, UserRole
from core.errors import Conflict, FeatureUnavailable, InvalidRequest, NotFound, invalid_choice, not_found

INDUSTRIES = (
    "Generic", "Accounting/Financial", "Consulting/Agency", "Blogger/Author", "E-Commerce/Retail",
    "Entertainment/Events", "Fitness/Nutrition", "Healthcare", "Media/Publishing", "Non-profit",
    "Online Training/Education", "Real Estate", "Software", "Travel/Hospitality",
)


def _validate_timezone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(
            f"Time zone {tz!r} is not a known IANA zone; use a name like 'America/New_York' or 'UTC'.",
            field="timezone",
        ) from None
    return tz


def _validate_addons(addons: list[str]) -> list[str]:
    allowed = [a.value for a in AddOn]
    for a in addons:
        if a not in allowed:
            raise invalid_choice("add-on", a, allowed)
    return sorted(set(addons))


def create_account(
    session: Session,
    *,
    name: str,
    plan: Plan | str = Plan.PLUS,
    addons: list[str] | None = None,
    industry: str = "Generic",
    timezone: str = "UTC",
    botsense_enabled: bool = False,
    monthly_activity_limit: int = 0,
) -> AccountOut:
    """Create a tenant account."""
    if not name.strip():
        raise InvalidRequest("Account name is empty; give the account a name.", field="name")
    try:
        plan = Plan(plan)
    except ValueError:
        raise invalid_choice("plan", plan, [p.value for p in Plan]) from None
    if industry not in INDUSTRIES:
        raise invalid_choice("industry", industry, INDUSTRIES)
    _check_activity_limit(monthly_activity_limit)
    account = Account(
        name=name.strip(),
        plan=plan,
        addons=_validate_addons(addons or []),
        industry=industry,
        timezone=_validate_timezone(timezone),
        botsense_enabled=botsense_enabled,
        monthly_activity_limit=monthly_activity_limit,
    )
    if botsense_enabled:
        _require(account, "botsense")
    session.add(account)
    session.flush()
    return AccountOut.model_validate(account)


def _load(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}.", field="account")
    return account


def get_account(session: Session, *, account_id: int) -> AccountOut:
    """Return the account's settings."""
    return AccountOut.model_validate(_load(session, account_id))


def _check_activity_limit(limit: int) -> None:
    if not 0 <= limit <= MAX_MONTHLY_ACTIVITY_LIMIT:
        raise InvalidRequest(
            f"Monthly activity limit {limit:,} is out of range; choose 0 to {MAX_MONTHLY_ACTIVITY_LIMIT:,} "
            "(contact Customer Experience for more).",
            field="monthly_activity_limit",
        )


def _require(account: Account, feature: str) -> None:
    ok, message = check_feature(account.plan, list(account.addons), feature)
    if not ok:
        raise FeatureUnavailable(message, field=feature)


def feature_available(session: Session, *, account_id: int, feature: str) -> FeatureCheck:
    """Answer whether ``feature`` is on this account's plan and add-ons, with what to tell the user."""
    if feature not in FEATURES:
        raise invalid_choice("feature", feature, sorted(FEATURES))
    account = _load(session, account_id)
    ok, message = check_feature(account.plan, list(account.addons), feature)
    return FeatureCheck(feature=feature, available=ok, message=message)


def require_feature(session: Session, *, account_id: int, feature: str) -> None:
    """Raise FeatureUnavailable unless ``feature`` is on this account."""
    _require(_load(session, account_id), feature)


def update_settings(
    session: Session,
    *,
    account_id: int,
    acting_user_id: int,
    botsense_enabled: bool | None = None,
    timezone: str | None = None,
    monthly_activity_limit: int | None = None,
) -> AccountOut:
    """Change account settings; BotSense needs an admin, the activity limit needs billing rights."""
    account = _load(session, account_id)
    user = get_user_row(session, account_id=account_id, user_id=acting_user_id)
    if botsense_enabled is not None:
        if user.role != UserRole.ADMIN:
            raise Conflict("Only users in the admin group can turn BotSense on or off.", field="botsense")
        _require(account, "botsense")
        account.botsense_enabled = botsense_enabled
    if timezone is not None:
        account.timezone = _validate_timezone(timezone)
    if monthly_activity_limit is not None:
        if not (user.role == UserRole.ADMIN or user.can_manage_billing):
            raise Conflict(
                "Only admins and users with billing permission can change the activity limit.",
                field="monthly_activity_limit",
            )
        if account.is_trial:
            raise Conflict("Activities cannot be purchased on a trial account.", field="monthly_activity_limit")
        _check_activity_limit(monthly_activity_limit)
        account.monthly_activity_limit = monthly_activity_limit
    session.flush()
    return AccountOut.model_validate(account)


def create_user(
    session: Session,
    *,
    account_id: int,
    email: str,
    name: str,
    role: UserRole | str = UserRole.USER,
    can_manage_billing: bool = False,
) -> UserOut:
    """Add a user to the account."""
    _load(session, account_id)
    try:
        role = UserRole(role)
    except ValueError:
        raise invalid_choice("role", role, [r.value for r in UserRole]) from None
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidRequest(f"User email {email!r} is not an email address.", field="email")
    exists = session.scalar(select(User.id).where(User.account_id == account_id, func.lower(User.email) == email))
    if exists is not None:
        raise Conflict(f"A user with email {email!r} already exists in this account.", field="email")
    user = User(account_id=account_id, email=email, name=name, role=role, can_manage_billing=can_manage_billing)
    session.add(user)
    session.flush()
    return UserOut.model_validate(user)


def get_user_row(session: Session, *, account_id: int, user_id: int) -> User:
    """Return the ORM user (for services in this package); another account's user is NotFound."""
    user = session.get(User, user_id)
    if user is None or user.account_id != account_id:
        raise NotFound(f"No user with id {user_id} in this account.", field="user")
    return user


def get_user(session: Session, *, account_id: int, user_id: int) -> UserOut:
    """Return one user of the account."""
    return UserOut.model_validate(get_user_row(session, account_id=account_id, user_id=user_id))


def find_user(session: Session, *, account_id: int, name_or_email: str) -> UserOut:
    """Find a user by name or email (case-insensitive), suggesting near matches when unknown."""
    key = name_or_email.strip().lower()
    users = session.scalars(select(User).where(User.account_id == account_id)).all()
    for u in users:
        if key in (u.email.lower(), u.name.lower()):
            return UserOut.model_validate(u)
    raise not_found("user", name_or_email, [u.name for u in users])


def list_users(session: Session, *, account_id: int) -> list[UserOut]:
    """Return the account's users."""
    rows = session.scalars(select(User).where(User.account_id == account_id).order_by(User.id)).all()
    return [UserOut.model_validate(u) for u in rows]
