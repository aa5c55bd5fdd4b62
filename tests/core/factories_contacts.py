"""Small factories for the contacts and CRM tests."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from core.accounts.schemas import AccountOut
from core.accounts.service import create_account
from core.contacts.schemas import ContactOut
from core.contacts.service import create_contact

_seq = itertools.count(1)


def make_account(session: Session, **overrides: Any) -> AccountOut:
    """Create an account (Plus with the Pipelines add-on unless overridden)."""
    params: dict[str, Any] = {"name": f"Account {next(_seq)}", "plan": "plus", "addons": ["pipelines"]}
    params.update(overrides)
    return create_account(session, **params)


def make_contact(session: Session, *, account_id: int, **overrides: Any) -> ContactOut:
    """Create a contact with a unique email unless one is given."""
    n = next(_seq)
    params: dict[str, Any] = {
        "email": f"person{n}@example.com",
        "first_name": "Person",
        "last_name": f"No{n}",
    }
    params.update(overrides)
    return create_contact(session, account_id=account_id, **params)
