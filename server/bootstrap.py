"""First start: upgrade the schema and, on an empty database, build the demo account and its API key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from core.accounts.models import Account, User
from core.auth import service as keys
from core.db import make_session_factory, upgrade_database
from core.demo.generator import build_demo_account
from core.enums import UserRole


@dataclass(frozen=True)
class Bootstrap:
    """What the first start found or made; ``api_key`` is set only when a demo key was just created."""

    account_id: int | None
    account_name: str | None
    admin_email: str | None
    created_demo: bool
    api_key: str | None

    def key_hint(self) -> str:
        """How to get a key when none was printed."""
        account = self.account_id if self.account_id is not None else "ACCOUNT"
        user = self.admin_email or "EMAIL"
        return f"activeintel keys create --account {account} --user {user}"


def prepare_database(
    engine: Engine,
    *,
    data_dir: Path,
    demo_contacts: int,
    now: datetime,
    on_demo: Callable[[int], None] | None = None,
) -> Bootstrap:
    """Upgrade the schema; on a database without accounts build the demo account and a key for its admin."""
    upgrade_database(engine)
    with engine.connect() as conn:
        has_account = conn.execute(select(func.count()).select_from(Account)).scalar_one() > 0
    created = False
    if not has_account and demo_contacts > 0:
        if on_demo is not None:
            on_demo(demo_contacts)
        day = now.astimezone(UTC)
        build_demo_account(
            engine,
            contacts=demo_contacts,
            seed=7,
            now=datetime(day.year, day.month, day.day, tzinfo=UTC),
            data_dir=data_dir,
        )
        created = True
    factory = make_session_factory(engine)
    with factory.begin() as session:
        account = session.scalars(select(Account).order_by(Account.id)).first()
        if account is None:
            return Bootstrap(None, None, None, False, None)
        admin = session.scalars(
            select(User).where(User.account_id == account.id, User.role == UserRole.ADMIN).order_by(User.id)
        ).first()
        secret = None
        if created and admin is not None:
            secret = keys.create_api_key(
                session, account_id=account.id, user_id=admin.id, now=now, name="demo"
            ).secret
        return Bootstrap(account.id, account.name, admin.email if admin else None, created, secret)
