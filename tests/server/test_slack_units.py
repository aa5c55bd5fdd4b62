"""Slack pieces without the network: the user mapping, mrkdwn rendering, dedupe memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.slack.bot import agent_thread_id
from server.slack.dedupe import RecentIds
from server.slack.format import approval_blocks, split_text, to_mrkdwn
from server.slack.settings import SlackSettings
from server.slack.users import Identity, SlackUserMap


def test_mapping_from_yaml_file_and_inline_json(tmp_path: Path) -> None:
    path = tmp_path / "slack-users.yaml"
    path.write_text("T1:\n  account_id: 3\n  users:\n    U1: 7\n    U2: 8\nT9:\n  account_id: 4\n")
    users = SlackUserMap.from_settings(
        SlackSettings(users_file=path, users={"T2": {"account_id": 5, "users": {"U1": 9}}})
    )
    assert users.lookup("T1", "U2") == Identity(3, 8)
    assert users.lookup("T2", "U1") == Identity(5, 9)
    assert users.lookup("T9", "U1") is None  # a known workspace does not admit its unlisted users
    assert users.lookup("T3", "U1") is None and users.lookup(None, None) is None
    jpath = tmp_path / "users.json"
    jpath.write_text(json.dumps({"T1": {"account_id": 1, "users": {"U1": 1}}}))
    assert SlackUserMap.from_settings(SlackSettings(users_file=jpath)).lookup("T1", "U1") == Identity(1, 1)


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_USERS", '{"T1": {"account_id": 2, "users": {"U1": 3}}}')
    settings = SlackSettings()
    assert settings.enabled and SlackUserMap.from_settings(settings).lookup("T1", "U1") == Identity(2, 3)
    assert not SlackSettings(bot_token="x", signing_secret=None).enabled


def test_bad_mapping_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("T1:\n  account: 3\n")
    with pytest.raises(ValueError, match="bad.yaml.*account_id"):
        SlackUserMap.from_settings(SlackSettings(users_file=path))


def test_model_text_cannot_ping_or_forge_links() -> None:
    text = to_mrkdwn(
        "Hey <!channel> see <https://evil.example|bank> & **bold**\n- one\n[ok](https://shop.example.com/a?b=1&c=2)"
    )
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "<https://evil" not in text
    assert "*bold*" in text and "• one" in text
    assert "<https://shop.example.com/a?b=1&amp;c=2|ok>" in text


def test_approval_card_escapes_and_carries_the_value() -> None:
    blocks = approval_blocks(
        {
            "action_requests": [{"name": "send_campaign", "description": "Send <b>now</b>"}],
            "details": {"recipients": 1200, "open_rate": 0.25},
        },
        "VALUE",
    )
    flat = json.dumps(blocks)
    assert "&lt;b&gt;now" in flat and "1,200" in flat and "25.0%" in flat
    assert [e["value"] for e in blocks[-1]["elements"]] == ["VALUE", "VALUE"]


def test_split_text_keeps_everything() -> None:
    text = "\n".join(f"line {i} " + "x" * 80 for i in range(200))
    parts = split_text(text, limit=1000)
    assert all(len(p) <= 1000 for p in parts) and "\n".join(parts) == text


def test_recent_ids_forget_after_ttl() -> None:
    now = [0.0]
    ids = RecentIds(ttl=10, max_size=3, clock=lambda: now[0])
    assert ids.first_time("a") and not ids.first_time("a")
    now[0] = 11
    assert ids.first_time("a")
    for key in "bcd":
        ids.first_time(key)
    assert "a" not in ids and "d" in ids  # bounded: the oldest goes first


def test_agent_thread_ids_are_per_slack_thread_and_person() -> None:
    a = agent_thread_id("T1", "C1", "1.0", Identity(1, 1))
    assert a == agent_thread_id("T1", "C1", "1.0", Identity(1, 1)) and len(a) <= 64
    assert a != agent_thread_id("T1", "C1", "2.0", Identity(1, 1))
    assert a != agent_thread_id("T1", "C1", "1.0", Identity(1, 2))


def test_not_mounted_by_create_app_without_slack_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from core.config import Settings
    from server.app import create_app
    from server.settings import ServerSettings

    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(
        Settings(ACTIVEINTEL_DATA_DIR=str(tmp_path)), server_settings=ServerSettings(knowledge=False)
    )
    client = TestClient(app)  # no lifespan: only routes that need no database
    assert client.get("/").status_code == 200 and client.get("/static/chat.js").status_code == 200
    assert client.post("/slack/events", content=b"{}").status_code in (404, 405)
