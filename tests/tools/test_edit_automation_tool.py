"""edit_automation through the real graph (ToolNode) on the demo account: every kind of edit, the page's
automation, errors the model can act on, active automations, tenant scope."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver

from agent.graph import build_graph
from agent.run import AgentDeps, collect_turn
from core.automations import service as automations
from core.automations.builder import build_automation
from core.campaigns import service as campaigns
from core.enums import AutomationStatus
from tests.agent.fakes import ScriptedChatModel, call
from tools.base import REGISTRY, Risk
from tools.context import PageContext

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
_SAVER = InMemorySaver()


async def _run(world, calls, *, account_id=None, user_id=None, page=None):
    # One call per model turn: writes run one after another, as a model that reads each result would make them.
    model = ScriptedChatModel(responses=[*(AIMessage("", tool_calls=[call(n, a)]) for n, a in calls), "done"])
    deps = AgentDeps(graph=build_graph(model=model, checkpointer=_SAVER), session_factory=world.factory, clock=lambda: NOW)
    return await collect_turn(
        deps, account_id=account_id or world.account_id, user_id=user_id or world.admin_user_id, text="go", page=page
    )


def _out(result, i=0):
    return json.loads(result.tool_results[i].output)


def _build(world) -> tuple[int, str]:
    name = f"Edit tool {uuid.uuid4().hex[:6]}"
    with world.factory.begin() as s:
        built = build_automation(
            s, account_id=world.account_id, now=NOW,
            spec={"kind": "welcome", "name": name, "emails": 3, "trigger": {"list": "Newsletter"}},
        )
    return built.automation.id, name


def _steps(world, automation_id: int) -> list[tuple[str, object]]:
    with world.factory() as s:
        out = automations.get_automation(s, account_id=world.account_id, automation_id=automation_id)
    return [(st.type, (st.amount, st.unit) if st.type == "wait" else getattr(st, "campaign", None)) for st in out.steps]


def test_edit_automation_is_a_write_tool() -> None:
    import tools.catalog  # noqa: F401

    assert REGISTRY["edit_automation"].risk is Risk.WRITE and REGISTRY["edit_automation"].area == "Automations"


async def test_waits_then_add_an_email_then_rename(demo_world) -> None:
    aid, name = _build(demo_world)
    r = await _run(demo_world, [
        ("edit_automation", {"automation": name, "wait_days": 2}),
        ("edit_automation", {"automation": name, "add_emails": 1}),
        ("edit_automation", {"automation": name, "rename_to": f"{name} Onboarding"}),
    ])
    assert [t.status for t in r.tool_results] == ["success"] * 3
    waits, added, renamed = _out(r, 0), _out(r, 1), _out(r, 2)
    assert waits["object"] == "automation" and waits["status"] == "inactive"
    assert waits["changes"] == ["Every wait between emails is now 2 days."]
    assert len(added["emails"]) == 4 and added["description"].count("wait 2 days") == 3
    assert renamed["name"] == f"{name} Onboarding" and renamed["emails"][0] == f"{name} Onboarding — Email 1"
    shape = _steps(demo_world, aid)
    assert [t for t, _ in shape] == ["send_email", "wait"] * 3 + ["send_email"]
    assert {d for t, d in shape if t == "wait"} == {(2, "days")}
    with demo_world.factory() as s:
        assert automations.get_automation(s, account_id=demo_world.account_id, automation_id=aid).status is (
            AutomationStatus.INACTIVE
        )


async def test_one_wait_remove_trigger_and_subject(demo_world) -> None:
    aid, name = _build(demo_world)
    r = await _run(demo_world, [
        ("edit_automation", {"automation": name, "which_wait": 1, "wait_hours": 12}),
        ("edit_automation", {"automation": name, "remove_email": 2}),
        ("edit_automation", {"automation": name, "trigger_list": "VIP Club"}),
        ("edit_automation", {"automation": name, "trigger_tag": "VIP"}),
        ("edit_automation", {"automation": name, "email_number": -1, "subject": "One last thing"}),
    ])
    assert [t.status for t in r.tool_results] == ["success"] * 5, [t.output for t in r.tool_results]
    assert _out(r, 0)["changes"] == ["The first wait is now 12 hours."]
    assert len(_out(r, 1)["emails"]) == 2 and f"{name} — Email 2" not in _out(r, 1)["emails"]
    assert _out(r, 2)["description"].startswith("When someone subscribes to 'VIP Club':")
    assert _out(r, 3)["description"].startswith("When tag 'VIP' is added to a contact:")
    with demo_world.factory() as s:
        last = campaigns.find_campaign(s, account_id=demo_world.account_id, name=f"{name} — Email 3")
    assert last.subject == "One last thing"
    assert [t for t, _ in _steps(demo_world, aid)] == ["send_email", "wait", "send_email"]


async def test_the_page_automation_is_used_when_none_is_named(demo_world) -> None:
    aid, _ = _build(demo_world)
    page = PageContext(page="automation", object_type="automation", object_id=aid)
    r = await _run(demo_world, [("edit_automation", {"emails": 2})], page=page)
    assert r.tool_results[0].status == "success" and _out(r)["id"] == aid and len(_out(r)["emails"]) == 2
    nothing = await _run(demo_world, [("edit_automation", {"wait_days": 3})])
    assert nothing.tool_results[0].status == "error" and "Which automation?" in nothing.tool_results[0].output


async def test_errors_say_what_to_do(demo_world) -> None:
    aid, name = _build(demo_world)
    r = await _run(demo_world, [
        ("edit_automation", {"automation": name, "remove_email": 7}),
        ("edit_automation", {"automation": name, "wait_days": 2, "wait_hours": 3}),
        ("edit_automation", {"automation": name + "x"}),
        ("edit_automation", {"automation": name, "trigger_list": "VIP Clubb"}),
    ])
    assert [t.status for t in r.tool_results] == ["error"] * 4
    assert "has 3 emails, so there is no email 7. Give a number from 1 to 3." in r.tool_results[0].output
    assert "days or in hours" in r.tool_results[1].output
    assert f"Did you mean {name!r}" in r.tool_results[2].output
    assert "Did you mean 'VIP Club'" in r.tool_results[3].output
    assert len(_steps(demo_world, aid)) == 5


async def test_an_active_automation_is_paused_first_but_can_be_renamed(demo_world) -> None:
    aid, name = _build(demo_world)
    with demo_world.factory.begin() as s:
        automations.activate_automation(s, account_id=demo_world.account_id, automation_id=aid, now=NOW)
    r = await _run(demo_world, [
        ("edit_automation", {"automation": name, "add_emails": 1}),
        ("edit_automation", {"automation": name, "rename_to": f"{name} live"}),
    ])
    assert r.tool_results[0].status == "error" and "Pause it first" in r.tool_results[0].output
    assert _out(r, 1)["name"] == f"{name} live" and _out(r, 1)["status"] == "active"
    assert len(_steps(demo_world, aid)) == 5


async def test_another_account_cannot_edit_it(demo_world) -> None:
    aid, name = _build(demo_world)
    r = await _run(
        demo_world,
        [("edit_automation", {"automation": name, "rename_to": "Hijacked"}),
         ("edit_automation", {"automation": str(aid), "add_emails": 1})],
        account_id=demo_world.other_account_id, user_id=demo_world.other_user_id,
    )
    assert [t.status for t in r.tool_results] == ["error", "error"]
    assert "No automation named" in r.tool_results[0].output and "No automation with id" in r.tool_results[1].output
    with demo_world.factory() as s:
        assert automations.get_automation(s, account_id=demo_world.account_id, automation_id=aid).name == name
    assert len(_steps(demo_world, aid)) == 5


async def test_get_automation_lists_its_emails_in_order(demo_world) -> None:
    aid, name = _build(demo_world)
    r = await _run(demo_world, [("get_automation", {"automation": name})])
    assert _out(r)["emails"] == [f"{name} — Email {k}" for k in (1, 2, 3)]
