"""The offline model on scores and custom fields, end to end through the real graph on the demo account."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import delete, select

from agent.graph import build_graph
from agent.offline.model import OfflineChatModel
from agent.run import AgentDeps, collect_turn
from core.automations.models import ScoreDefinition, ScoreValue
from core.contacts.models import Contact, CustomField

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> OfflineChatModel:
    return OfflineChatModel(cache_dir=str(tmp_path_factory.mktemp("nlu")))


def _chat(world, model, *, other: bool = False):
    deps = AgentDeps(
        graph=build_graph(model=model, checkpointer=InMemorySaver()),
        session_factory=world.factory,
        clock=lambda: NOW,
    )
    state = {"thread": None}
    account, user = (
        (world.other_account_id, world.other_user_id) if other else (world.account_id, world.admin_user_id)
    )

    async def say(text):
        result = await collect_turn(
            deps, account_id=account, user_id=user, thread_id=state["thread"], text=text
        )
        state["thread"] = result.thread_id
        return result

    return say


@pytest.fixture
def chat(demo_world, model):
    return _chat(demo_world, model)


def _tools(result) -> list[str]:
    return [c.name for c in result.tool_calls]


def _engagement(world) -> dict[int, int]:
    with world.factory() as s:
        sid = s.scalars(
            select(ScoreDefinition.id).where(
                ScoreDefinition.account_id == world.account_id, ScoreDefinition.name == "Engagement"
            )
        ).one()
        return dict(
            s.execute(
                select(ScoreValue.contact_id, ScoreValue.points).where(ScoreValue.score_id == sid)
            ).all()
        )


async def test_top_leads_then_the_score_of_the_second_one(chat, demo_world) -> None:
    values = _engagement(demo_world)
    top = await chat("who are my top leads?")
    assert _tools(top) == ["top_scored_contacts"]
    ranking = json.loads(top.tool_results[0].output)
    expected = sorted((-p, cid) for cid, p in values.items() if p > 0)[:10]
    assert [(-i["points"], i["contact_id"]) for i in ranking["items"]] == expected
    second = ranking["items"][1]
    assert (
        "**Engagement**" in top.answer
        and f"2. **{second['name']}** ({second['email']}): {second['points']} points" in top.answer
    )
    assert f"{sum(1 for p in values.values() if p > 0):,} contacts have points" in top.answer

    follow = await chat("what's the score of the second one")
    assert _tools(follow) == ["get_contact_score"] and follow.tool_calls[0].args["contact"] == second["email"]
    shown = json.loads(follow.tool_results[0].output)
    assert shown["contact"]["id"] == second["contact_id"]
    rank = 1 + sum(1 for p in values.values() if p > second["points"])
    assert (
        f"**{second['name']}** ({second['email']}) has **{second['points']} points** on Engagement"
        in follow.answer
    )
    assert f"ranked #{rank} of" in follow.answer


async def test_contact_score_by_full_name(chat, demo_world) -> None:
    values = _engagement(demo_world)
    with demo_world.factory() as s:
        people = s.execute(
            select(Contact.id, Contact.first_name, Contact.last_name).where(
                Contact.account_id == demo_world.account_id
            )
        ).all()
    names = [f"{f} {ln}" for _i, f, ln in people]
    cid, first, last = next(p for p in people if values.get(p[0]) and names.count(f"{p[1]} {p[2]}") == 1)
    result = await chat(f"what is {first} {last}'s lead score?")
    assert _tools(result) == ["get_contact_score"]
    assert f"has **{values[cid]} points** on Engagement" in result.answer


async def test_list_scores_answers_with_rules(chat) -> None:
    result = await chat("what scores do I have")
    assert _tools(result) == ["list_scores"]
    assert "**Engagement** (contact score, active): 3 rules" in result.answer
    assert "**Deal health** (deal score in Wholesale, active): 2 rules" in result.answer
    assert "+5 for opened any campaign in the last 30 days (expire after 30 days)" in result.answer


async def test_score_names_misspelt_or_unknown(chat) -> None:
    typo = await chat("top 5 contacts by the Engagment score")
    assert _tools(typo) == ["top_scored_contacts"] and typo.tool_calls[0].args == {
        "score": "Engagement",
        "limit": 5,
    }
    assert typo.answer.startswith("Top 5 contacts on **Engagement**")
    unknown = await chat("top 5 contacts by the Intent score")
    assert _tools(unknown) == ["top_scored_contacts"]
    assert "No score named 'Intent'. Did you mean 'Engagement'?" in unknown.answer


async def test_add_a_custom_field_called_birthday_as_a_date(demo_world, model) -> None:
    # The demo account has a Birthday field already; the other tenant gets its own.
    demo = await _chat(demo_world, model)("add a custom field called Birthday as a date")
    assert _tools(demo) == ["create_custom_field"]
    assert "A custom field named 'Birthday' already exists" in demo.answer
    other = _chat(demo_world, model, other=True)
    try:
        made = await other("add a custom field called Birthday as a date")
        assert _tools(made) == ["create_custom_field"] and made.tool_calls[0].args == {
            "name": "Birthday",
            "type": "date",
        }
        assert (
            "Created the custom field **Birthday** (date). Personalize messages with %BIRTHDAY%."
            in made.answer
        )
        asked = await other("create a custom field called Favourite Colour")
        assert asked.tool_calls == [] and "What type should Favourite Colour be" in asked.answer
        done = await other("a dropdown with red, green and blue")
        assert _tools(done) == ["create_custom_field"]
        assert done.tool_calls[0].args == {
            "name": "Favourite Colour",
            "type": "dropdown",
            "options": ["red", "green", "blue"],
        }
        with demo_world.factory() as s:
            rows = s.execute(
                select(CustomField.name, CustomField.type).where(
                    CustomField.account_id == demo_world.other_account_id
                )
            ).all()
        assert sorted((n, t.value) for n, t in rows) == [
            ("Birthday", "date"),
            ("Favourite Colour", "dropdown"),
        ]
    finally:
        with demo_world.factory.begin() as s:
            s.execute(delete(CustomField).where(CustomField.account_id == demo_world.other_account_id))


async def test_her_score_after_showing_a_contact(chat, demo_world) -> None:
    values = _engagement(demo_world)
    with demo_world.factory() as s:
        cid, email = s.execute(
            select(Contact.id, Contact.email)
            .where(
                Contact.account_id == demo_world.account_id,
                Contact.id.in_([c for c, p in values.items() if p]),
            )
            .order_by(Contact.id)
        ).first()
    shown = await chat(f"show me {email}")
    assert _tools(shown) == ["get_contact"]
    score = await chat("what's her lead score?")
    assert _tools(score) == ["get_contact_score"] and score.tool_calls[0].args == {"contact": email}
    assert f"has **{values[cid]} points** on Engagement" in score.answer
