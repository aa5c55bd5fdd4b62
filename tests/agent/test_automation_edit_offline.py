"""The offline model edits automations by follow-up on the demo account: build a series, change its waits, add an
email, rename it, turn it on (approval); "it" is the automation in play or on the page, not a campaign."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import select

from agent.dialogue import DialogueState
from agent.graph import build_graph
from agent.nlu.parse import Step
from agent.nlu.slots import Catalog, extract_slots
from agent.offline.areas.automations import read_edit, reroute
from agent.offline.model import OfflineChatModel
from agent.offline.reading import Conversation
from agent.run import AgentDeps, collect_turn
from core.automations import service as automations
from core.automations.builder import build_automation
from core.automations.models import Automation
from core.enums import AutomationStatus
from tools.context import PageContext

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> OfflineChatModel:
    return OfflineChatModel(cache_dir=str(tmp_path_factory.mktemp("nlu")))


@pytest.fixture
def chat(demo_world, model):
    deps = AgentDeps(graph=build_graph(model=model, checkpointer=InMemorySaver()), session_factory=demo_world.factory, clock=lambda: NOW)
    state = {"thread": None}

    async def say(text=None, decision=None, page=None):
        kwargs = {"text": text} if text is not None else {"decision": decision}
        result = await collect_turn(
            deps, account_id=demo_world.account_id, user_id=demo_world.admin_user_id, thread_id=state["thread"],
            page=page, **kwargs,
        )
        state["thread"] = result.thread_id
        return result

    return say


def _tools(result) -> list[str]:
    return [c.name for c in result.tool_calls]


def _automation(world, name: str):
    with world.factory() as s:
        row = s.scalars(select(Automation).where(Automation.account_id == world.account_id, Automation.name == name)).one()
        return automations.get_automation(s, account_id=world.account_id, automation_id=row.id)


def _shape(out) -> list[str]:
    return [st.type if st.type != "wait" else f"wait {st.amount} {st.unit}" for st in out.steps]


async def test_build_then_edit_waits_add_rename_and_turn_on(chat, demo_world) -> None:
    ask = await chat("build a 3-email welcome series")
    assert "Which list" in ask.answer
    built = await chat("Newsletter")
    assert _tools(built) == ["create_automation"]
    name = json.loads(built.tool_results[-1].output)["name"]

    waits = await chat("make the waits 2 days")
    assert _tools(waits) == ["edit_automation"]
    assert waits.tool_calls[0].args == {"automation": name, "wait_days": 2}
    assert "Every wait between emails is now 2 days." in waits.answer

    added = await chat("add another email")
    assert _tools(added) == ["edit_automation"] and added.tool_calls[0].args == {"automation": name, "add_emails": 1}
    assert "Added 1 draft email at the end" in added.answer

    shown = await chat("show me that automation")
    assert _tools(shown) == ["get_automation"]
    got = json.loads(shown.tool_results[0].output)
    assert len(got["emails"]) == 4
    assert [st["type"] for st in got["steps"]] == ["send_email", "wait"] * 3 + ["send_email"]
    assert {(st["amount"], st["unit"]) for st in got["steps"] if st["type"] == "wait"} == {(2, "days")}

    renamed = await chat("rename it to Onboarding")
    assert _tools(renamed) == ["edit_automation"] and renamed.tool_calls[0].args["rename_to"] == "Onboarding"
    assert "**Onboarding** (inactive)" in renamed.answer
    out = _automation(demo_world, "Onboarding")
    assert out.status is AutomationStatus.INACTIVE and _shape(out).count("wait 2 days") == 3

    paused = await chat("turn it on")
    assert _tools(paused) == ["activate_automation"] and paused.tool_calls[0].args == {"automation": "Onboarding"}
    assert paused.approval is not None and paused.approval.payload["details"]["emails"] == 4
    assert _automation(demo_world, "Onboarding").status is AutomationStatus.INACTIVE
    done = await chat(decision={"decisions": [{"type": "approve"}]})
    assert json.loads(done.tool_results[-1].output)["status"] == "active"

    # Active now: a structural change is refused with what to do; pausing works by follow-up.
    refused = await chat("make the waits 3 days")
    assert "Pause it first" in refused.answer
    stopped = await chat("pause it")
    assert _tools(stopped) == ["deactivate_automation"]
    assert _automation(demo_world, "Onboarding").status is AutomationStatus.INACTIVE


async def test_make_it_4_emails_edits_the_automation_not_a_campaign(chat, demo_world) -> None:
    built = await chat("build a 3-email welcome series for the Newsletter list")
    assert _tools(built) == ["create_automation"]
    name = json.loads(built.tool_results[-1].output)["name"]
    more = await chat("make it 4 emails")
    assert _tools(more) == ["edit_automation"] and more.tool_calls[0].args == {"automation": name, "emails": 4}
    first = await chat("make the first wait 5 days")
    assert first.tool_calls[0].args == {"automation": name, "wait_days": 5, "which_wait": 1}
    trigger = await chat("start it when someone joins the VIP list")
    assert trigger.tool_calls[0].args == {"automation": name, "trigger_list": "VIP Club"}
    assert "It now starts when someone subscribes to 'VIP Club'." in trigger.answer
    subject = await chat("change the subject of the second email to Glad you're here")
    assert subject.tool_calls[0].args == {"automation": name, "subject": "Glad you're here", "email_number": 2}
    dropped = await chat("remove the last email")
    assert dropped.tool_calls[0].args == {"automation": name, "remove_email": -1}
    out = _automation(demo_world, name)
    assert _shape(out) == ["send_email", "wait 5 days", "send_email", "wait 2 days", "send_email"]
    wrong = await chat("delete email 7")
    assert "Give a number from 1 to 3" in wrong.answer


async def test_the_page_automation_is_edited_and_nothing_in_play_is_asked(chat, demo_world) -> None:
    ask = await chat("make the waits 3 days")
    assert ask.tool_calls == [] and "Which automation" in ask.answer
    with demo_world.factory.begin() as s:
        built = build_automation(
            s, account_id=demo_world.account_id, now=NOW,
            spec={"kind": "welcome", "name": f"Page series {demo_world.backend}", "trigger": {"list": "Newsletter"}},
        )
    page = PageContext(page="automation", object_type="automation", object_id=built.automation.id)
    done = await chat("add 2 more emails", page=page)
    assert _tools(done) == ["edit_automation"] and done.tool_calls[0].args == {"add_emails": 2}
    assert len(json.loads(done.tool_results[0].output)["emails"]) == 5


async def test_the_question_for_the_automation_keeps_the_edit(chat, demo_world) -> None:
    with demo_world.factory.begin() as s:
        name = build_automation(
            s, account_id=demo_world.account_id, now=NOW,
            spec={"kind": "welcome", "name": f"Asked series {demo_world.backend}", "trigger": {"list": "Newsletter"}},
        ).automation.name
    ask = await chat("make the waits 4 days")
    assert "Which automation" in ask.answer
    done = await chat(name)
    assert _tools(done) == ["edit_automation"] and done.tool_calls[0].args == {"automation": name, "wait_days": 4}


def _step(text: str, intent: str) -> Step:
    spans = extract_slots(text, Catalog.of(list=["Newsletter"]))
    return Step(text=text, intent=intent, confidence=0.9, spans=tuple(spans))


def _conv(page=None) -> Conversation:
    return Conversation(text="", page=page, catalog={}, history=[], turn=[])


def test_reroute_reads_campaign_words_as_automation_edits_only_when_one_is_in_play() -> None:
    built = {"object": "automation", "id": 7, "name": "Welcome series"}
    in_play = DialogueState(last_by_kind={"automation": built}, last_object=built)
    campaign = {"object": "campaign", "id": 3, "name": "May news"}
    after_campaign = DialogueState(last_by_kind={"automation": built, "campaign": campaign}, last_object=campaign)
    conv = _conv()
    assert reroute(_step("change the subject of the second email to Hi", "edit_campaign"), in_play, conv).intent == "edit_automation"
    assert reroute(_step("add one more email", "draft_campaign"), in_play, conv).intent == "edit_automation"
    assert reroute(_step("make it 4 emails", "create_automation"), in_play, conv).intent == "edit_automation"
    # A campaign in play, no automation words, or a new automation asked for: left alone.
    assert reroute(_step("change the subject of the second email to Hi", "edit_campaign"), after_campaign, conv).intent == "edit_campaign"
    assert reroute(_step("make it shorter", "edit_campaign"), in_play, conv).intent == "edit_campaign"
    assert reroute(_step("build another 4 email series", "create_automation"), in_play, conv).intent == "create_automation"
    # The page's automation counts when the chat has nothing in play.
    page = {"object_type": "automation", "object_id": 9}
    assert reroute(_step("make the waits 3 days", "edit_campaign"), DialogueState(), _conv(page)).intent == "edit_automation"
    # Reading one automation has no intent of its own: "show the X automation" / "show me that automation".
    named = Step(text="open the Welcome series automation", intent="out_of_scope", confidence=0.3, rejected=True,
                 spans=tuple(extract_slots("open the Welcome series automation", Catalog.of(automation=["Welcome series"]))))
    assert reroute(named, DialogueState(), conv).intent == "edit_automation"
    assert reroute(_step("show me my automations", "list_automations"), in_play, conv).intent == "list_automations"
    # "turn it on" names the automation in play, unless the page already has one.
    on = reroute(_step("turn it on", "activate_automation"), after_campaign, conv)
    assert on.slots == {"automation": "Welcome series"}
    assert reroute(_step("turn it on", "activate_automation"), after_campaign, _conv(page)).slots == {}


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("make the waits 2 days", {"wait_days": 2}),
        ("put 2 days between each email", {"wait_days": 2}),
        ("add a 2 day wait after the second email", {"wait_days": 2, "wait_before_email": 3}),
        ("change the second wait to 12 hours", {"wait_hours": 12, "which_wait": 2}),
        ("wait 3 days before the last email", {"wait_days": 3, "wait_before_email": -1}),
        ("space them a week apart", {"wait_days": 7}),
        ("put a new email between the second and third", {"add_emails": 1, "add_after_email": 2}),
        ("add a fourth email about our summer sale", {"add_emails": 1, "topic": "our summer sale"}),
        ("cut it down to 2 emails", {"emails": 2}),
        ("take the third email out", {"remove_email": 3}),
        ("when tagged vip", {"trigger_tag": "VIP"}),
        ("make it start when someone submits the newsletter signup form", {"trigger_form": "Newsletter signup"}),
        ("retitle email 2 to Your VIP perks", {"subject": "Your VIP perks", "email_number": 2}),
        ("name it Lead nurture 2026 instead", {"rename_to": "Lead nurture 2026"}),
    ],
)
def test_read_edit(text: str, args: dict) -> None:
    catalog = {"lists": ["Newsletter", "VIP Club"], "tags": ["VIP"], "forms": ["Newsletter signup"]}
    spans = extract_slots(text, Catalog.of(list=catalog["lists"], tag=catalog["tags"], form=catalog["forms"]))
    assert read_edit(text, spans, catalog) == (args, None)


def test_read_edit_asks_when_a_value_is_missing() -> None:
    for text, question in [("change the trigger", "What should start it?"), ("change the wait", "How long"),
                           ("remove an email from the sequence", "Which email"), ("change the subject", "subject line")]:
        args, asked = read_edit(text, extract_slots(text, Catalog()), {})
        assert args == {} and asked is not None and question in asked
