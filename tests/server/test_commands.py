"""First start (demo account and its key), ``activeintel keys`` and the ``serve`` banner."""

from __future__ import annotations

import pytest

from activeintel.cli import main
from core.accounts.service import get_user
from core.auth import service as keys
from core.db import make_engine, make_session_factory
from server.bootstrap import prepare_database
from tests.server.harness import NOW


def test_first_start_builds_the_demo_and_a_working_key_once(empty_database_url, tmp_path) -> None:
    engine = make_engine(empty_database_url)
    announced: list[int] = []
    first = prepare_database(engine, data_dir=tmp_path, demo_contacts=100, now=NOW, on_demo=announced.append)
    assert first.created_demo and first.api_key and announced == [100]
    with make_session_factory(engine).begin() as s:
        who = keys.authenticate(s, secret=first.api_key, now=NOW)
    assert (who.account_id, who.email, who.role) == (first.account_id, first.admin_email, "admin")
    again = prepare_database(engine, data_dir=tmp_path, demo_contacts=100, now=NOW)
    assert not again.created_demo and again.api_key is None and again.account_id == first.account_id
    assert (
        again.key_hint() == f"activeintel keys create --account {first.account_id} --user {first.admin_email}"
    )
    engine.dispose()


def test_no_demo_when_switched_off(empty_database_url, tmp_path) -> None:
    engine = make_engine(empty_database_url)
    boot = prepare_database(engine, data_dir=tmp_path, demo_contacts=0, now=NOW)
    assert boot.account_id is None and boot.api_key is None
    engine.dispose()


def test_keys_command_creates_lists_and_revokes(demo_world, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", demo_world.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ACTIVEINTEL_DATA_DIR", str(demo_world.data_dir))
    with demo_world.factory() as s:
        admin = get_user(s, account_id=demo_world.account_id, user_id=demo_world.admin_user_id).email
    assert (
        main(["keys", "create", "--account", "demo store", "--user", admin.upper(), "--name", "cli-test"])
        == 0
    )
    out = capsys.readouterr().out
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("aik_") and "Shown once" in out
    with demo_world.factory.begin() as s:
        assert keys.authenticate(s, secret=secret, now=NOW).user_id == demo_world.admin_user_id
    assert main(["keys", "list", "--account", str(demo_world.account_id)]) == 0
    listing = capsys.readouterr().out
    prefix = secret.split("_")[1]
    assert prefix in listing and secret not in listing and "cli-test" in listing
    assert main(["keys", "revoke", "--account", str(demo_world.account_id), prefix]) == 0
    assert "Revoked" in capsys.readouterr().out
    with demo_world.factory.begin() as s, pytest.raises(keys.InvalidApiKey):
        keys.authenticate(s, secret=secret, now=NOW)
    assert main(["keys", "create", "--account", "Demo Stor", "--user", admin]) == 2
    assert "Did you mean 'Demo Store'" in capsys.readouterr().err
