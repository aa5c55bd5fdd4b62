"""`activeintel chat` end to end on a fresh demo account: --once, charts, threads across restarts, approvals in a
later call, exit codes, and the interactive commands. Each call opens its own engine and checkpointer, as a new
process would."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from activeintel.cli import main
from core.accounts.service import get_account
from core.campaigns.models import Campaign
from core.campaigns.lookup import resolve_campaign_id
from core.config import Settings
from core.db import make_engine, make_session_factory
from core.enums import CampaignStatus
from core.reports.performance import campaign_performance


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("cli")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACTIVEINTEL_DATA_DIR", str(folder))
        mp.delenv("DATABASE_URL", raising=False)
        mp.setenv("ACTIVEINTEL_MODEL", "offline")
        assert main(["demo", "--contacts", "400", "--quiet", "--now", "2026-06-15"]) == 0
        yield folder


def _chat(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["chat", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _thread(err: str) -> str:
    match = re.search(r"\[thread ([0-9a-f]+)\]", err)
    assert match, err
    return match.group(1)


def _may_newsletter(session) -> int:
    tz = get_account(session, account_id=1).timezone
    return resolve_campaign_id(
        session, account_id=1, ref="May newsletter", now=datetime.now(UTC), tz=tz,
        statuses=(CampaignStatus.SENT, CampaignStatus.SENDING),
    )


def _factory(data_dir: Path):
    return make_session_factory(make_engine(Settings(ACTIVEINTEL_DATA_DIR=str(data_dir)).effective_database_url))


def test_once_answers_with_the_engines_numbers_and_saves_the_chart(data_dir: Path, capsys) -> None:
    code, out, err = _chat(capsys, "--once", "how did my May newsletter do?")
    assert code == 0, out + err
    with _factory(data_dir)() as session:
        campaign_id = _may_newsletter(session)
        perf = campaign_performance(session, account_id=1, campaign=campaign_id)
    assert f"{perf.open_rate:.1%}" in out and perf.campaign_name in out
    assert "· get_campaign_performance(" in out  # a line per tool call
    saved = re.search(r"chart saved: (\S+\.svg)", out)
    assert saved, out
    assert Path(saved.group(1)).read_text().startswith("<svg")
    assert "open rate" in out and "█" in out  # the chart's table as text bars


def test_a_chat_continues_after_a_restart(data_dir: Path, capsys) -> None:
    _, _, err = _chat(capsys, "--once", "how did my May newsletter do?")
    thread = _thread(err)
    code, out, err = _chat(capsys, "--once", "which links did people click in it?", "--thread", thread)
    assert code == 0 and _thread(err) == thread
    with _factory(data_dir)() as session:
        name = session.get(Campaign, _may_newsletter(session)).name
    assert f"get_clicks_report(campaign='{name}')" in out


def test_an_approval_waits_and_is_answered_in_a_later_call(data_dir: Path, capsys) -> None:
    code, out, err = _chat(capsys, "--once", "draft a win-back email for the VIP Club list")
    assert code == 0, out + err
    thread = _thread(err)
    name = re.search(r"\*\*(.+?)\*\* \(email, draft\)", out).group(1)

    code, out, err = _chat(capsys, "--once", "schedule it for next monday at 9am", "--thread", thread)
    assert code == 3 and "Approval needed" in out and "recipients:" in out
    assert "--approve or --reject" in err
    factory = _factory(data_dir)
    with factory() as session:
        assert session.scalars(select(Campaign.status).where(Campaign.name == name)).one() == CampaignStatus.DRAFT

    code, out, err = _chat(capsys, "--once", "list my lists", "--thread", thread)
    assert code == 1 and "waiting for your approval" in out

    code, out, err = _chat(capsys, "--thread", thread, "--approve")
    assert code == 0, out + err
    with factory() as session:
        assert session.scalars(select(Campaign.status).where(Campaign.name == name)).one() == CampaignStatus.SCHEDULED

    code, out, _ = _chat(capsys, "--thread", thread, "--approve")
    assert code == 1 and "Nothing in this chat is waiting for approval" in out


def test_approve_without_a_thread_is_a_clear_error(data_dir: Path, capsys) -> None:
    code, _, err = _chat(capsys, "--approve")
    assert code == 2 and "need --thread" in err


def test_interactive_new_history_switch(data_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = iter(["list my lists", "/new", "show my tags", "/history", "/switch 9", "/switch 1", "/nonsense", "/quit"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(lines))
    code, out, _ = _chat(capsys)
    assert code == 0
    assert "New chat." in out and "Switched to chat 1." in out
    assert "Use /history first, then /switch N" in out  # 9 is not on the list
    assert "Commands: /new" in out  # unknown command shows the help
    history = out[out.index("New chat."):]
    assert re.search(r"^\s+1\. .+\(\d{4}-\d\d-\d\d \d\d:\d\d\)$", history, re.M)
    assert re.search(r"^\s+2\. ", history, re.M)
