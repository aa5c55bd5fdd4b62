"""Score and custom-field tools through the real graph (ToolNode) on the demo account, and tenant scope."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import delete, func, select

from agent.graph import build_graph
from agent.run import AgentDeps, collect_turn
from core.automations.models import ScoreDefinition, ScoreValue
from core.contacts.models import Contact, CustomField
from core.crm.models import Deal
from core.segments import service as segments
from tests.agent.fakes import ScriptedChatModel, call
from tools.base import REGISTRY, Risk

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
_SAVER = InMemorySaver()


async def _run(world, calls, *, other=False):
    model = ScriptedChatModel(responses=[AIMessage("", tool_calls=[call(n, a) for n, a in calls]), "done"])
    deps = AgentDeps(
        graph=build_graph(model=model, checkpointer=_SAVER), session_factory=world.factory, clock=lambda: NOW
    )
    return await collect_turn(
        deps,
        account_id=world.other_account_id if other else world.account_id,
        user_id=world.other_user_id if other else world.admin_user_id,
        text="go",
    )


def _out(result, i=0):
    return json.loads(result.tool_results[i].output)


def _engagement(world) -> tuple[int, dict[int, int]]:
    with world.factory() as s:
        sid = s.scalars(
            select(ScoreDefinition.id).where(
                ScoreDefinition.account_id == world.account_id, ScoreDefinition.name == "Engagement"
            )
        ).one()
        values = dict(
            s.execute(
                select(ScoreValue.contact_id, ScoreValue.points).where(ScoreValue.score_id == sid)
            ).all()
        )
    return sid, values


def test_risk_classes() -> None:
    import tools.catalog  # noqa: F401

    assert {
        n: REGISTRY[n].risk
        for n in ("list_scores", "get_contact_score", "top_scored_contacts", "get_deal_score")
    } == dict.fromkeys(
        ("list_scores", "get_contact_score", "top_scored_contacts", "get_deal_score"), Risk.READ
    )
    assert REGISTRY["create_score"].risk == REGISTRY["create_custom_field"].risk == Risk.WRITE


async def test_list_scores_shows_both_kinds_with_rules(demo_world) -> None:
    r = await _run(demo_world, [("list_scores", {})])
    out = _out(r)
    by_name = {s["name"]: s for s in out["items"]}
    assert out["object"] == "scores" and {"Engagement", "Deal health"} <= set(by_name)
    eng, deal = by_name["Engagement"], by_name["Deal health"]
    assert (eng["target"], eng["active"], eng["rule_count"], deal["target"], deal["rule_count"]) == (
        "contact",
        True,
        3,
        "deal",
        2,
    )
    assert [r["points"] for r in eng["rules"]] == [5, 10, 20] and eng["rules"][0]["expires_days"] == 30
    assert (
        eng["scored"] == sum(1 for p in _engagement(demo_world)[1].values() if p)
        and deal["pipeline"] == "Wholesale"
    )


async def test_top_scored_contacts_match_the_stored_values(demo_world) -> None:
    _sid, values = _engagement(demo_world)
    r = await _run(
        demo_world,
        [
            ("top_scored_contacts", {"limit": 5}),
            ("top_scored_contacts", {"score": "engagement", "limit": 500}),
        ],
    )
    top = _out(r, 0)
    assert top["object"] == "score_ranking" and top["score"] == "Engagement" and len(top["items"]) == 5
    expected = sorted(((-p, cid) for cid, p in values.items() if p > 0))[:5]
    assert [(-i["points"], i["contact_id"]) for i in top["items"]] == expected
    assert top["scored"] == sum(1 for p in values.values() if p > 0)
    # The limit is clamped to 50 for the model.
    assert len(_out(r, 1)["items"]) == min(50, top["scored"])


async def test_contact_score_by_name_and_email(demo_world) -> None:
    _sid, values = _engagement(demo_world)
    with demo_world.factory() as s:
        rows = s.execute(
            select(Contact.id, Contact.email, Contact.first_name, Contact.last_name).where(
                Contact.account_id == demo_world.account_id
            )
        ).all()
    counts: dict[str, int] = {}
    for _i, _e, f, ln in rows:
        counts[f"{f} {ln}"] = counts.get(f"{f} {ln}", 0) + 1
    cid, email, first, last = next(
        row
        for row in sorted(rows, key=lambda row: -values.get(row[0], 0))
        if counts[f"{row[2]} {row[3]}"] == 1
    )
    r = await _run(
        demo_world,
        [
            ("get_contact_score", {"contact": f"{first} {last}"}),
            ("get_contact_score", {"contact": email, "score": "Engagement"}),
        ],
    )
    by_name, by_email = _out(r, 0), _out(r, 1)
    assert by_name["object"] == "contact_score" and by_name["contact"]["id"] == cid
    assert by_name["scores"][0]["score"] == "Engagement" and by_name["scores"][0]["points"] == values[cid]
    assert by_email["scores"] == by_name["scores"]
    assert by_name["scores"][0]["rank"] == 1 + sum(1 for p in values.values() if p > values[cid])


async def test_unknown_names_get_near_suggestions(demo_world) -> None:
    r = await _run(
        demo_world,
        [
            ("get_contact_score", {"contact": "Zzyzx Qwerty"}),
            ("top_scored_contacts", {"score": "Engagment"}),
            ("get_contact_score", {"contact": "nobody@nowhere.example"}),
            ("get_deal_score", {"deal": "No such deal at all"}),
            ("top_scored_contacts", {"score": "Deal health"}),
        ],
    )
    assert all(t.status == "error" for t in r.tool_results)
    outs = [t.output for t in r.tool_results]
    assert "No contact named 'Zzyzx Qwerty'" in outs[0]
    assert "No score named 'Engagment'. Did you mean 'Engagement'?" in outs[1]
    assert "No contact named 'nobody@nowhere.example'" in outs[2]
    assert "No deal named 'No such deal at all'" in outs[3]
    assert "'Deal health' is a deal score, not a contact score" in outs[4]


async def test_deal_score_matches_the_stored_value(demo_world) -> None:
    with demo_world.factory() as s:
        did, title, points = s.execute(
            select(Deal.id, Deal.title, ScoreValue.points)
            .join(ScoreValue, ScoreValue.deal_id == Deal.id)
            .where(Deal.account_id == demo_world.account_id)
            .order_by(ScoreValue.points.desc(), Deal.id)
        ).first()
        same_title = s.scalar(
            select(func.count())
            .select_from(Deal)
            .where(Deal.account_id == demo_world.account_id, Deal.title == title)
        )
    r = await _run(demo_world, [("get_deal_score", {"deal": title if same_title == 1 else str(did)})])
    out = _out(r)
    assert out["object"] == "deal_score" and out["deal"]["id"] == did
    assert [(sc["score"], sc["points"]) for sc in out["scores"]] == [("Deal health", points)]


async def test_create_score_from_plain_words_is_retroactive(demo_world) -> None:
    name = f"Recent openers {demo_world.backend}"
    opened = [{"type": "engagement", "action": "open", "op": "has", "period": {"last_days": 30}}]
    try:
        # One message's tool calls run side by side, so the read comes in a second turn.
        r = await _run(
            demo_world,
            [
                (
                    "create_score",
                    {
                        "name": name,
                        "rules": [{"conditions": opened, "points": "+5", "expires_after": "30 days"}],
                    },
                ),
                ("create_score", {"name": "Bad", "rules": [{"conditions": opened, "points": "lots"}]}),
                (
                    "create_score",
                    {
                        "name": "Bad",
                        "rules": [{"conditions": opened, "points": 5, "expires_after": "soonish"}],
                    },
                ),
                ("create_score", {"name": "Bad", "rules": [{"conditions": opened, "points": 0}]}),
                ("create_score", {"name": "engagement", "rules": [{"conditions": opened, "points": 1}]}),
            ],
        )
        made = _out(r, 0)
        with demo_world.factory() as s:
            matching = segments.count_contacts(
                s,
                account_id=demo_world.account_id,
                now=NOW,
                tree={"version": 1, "root": {"type": "group", "match": "all", "conditions": opened}},
            )
        assert made["object"] == "score" and made["target"] == "contact" and made["scored"] == matching > 0
        assert made["rules"] == [{"when": made["rules"][0]["when"], "points": 5, "expires_days": 30}]
        assert [t.status for t in r.tool_results[1:]] == ["error"] * 4
        assert "A score named 'Engagement' already exists" in r.tool_results[4].output
        assert "points 'lots' is not a whole number" in r.tool_results[1].output
        assert "expiry 'soonish' is not understood" in r.tool_results[2].output
        assert "0 points does nothing" in r.tool_results[3].output
        top = await _run(demo_world, [("top_scored_contacts", {"score": name, "limit": 3})])
        assert [i["points"] for i in _out(top)["items"]] == [5, 5, 5]
    finally:
        with demo_world.factory.begin() as s:
            s.execute(
                delete(ScoreDefinition).where(
                    ScoreDefinition.account_id == demo_world.account_id, ScoreDefinition.name == name
                )
            )


async def test_other_tenant_sees_none_of_the_demo_scores(demo_world) -> None:
    with demo_world.factory() as s:
        email = s.scalars(
            select(Contact.email).where(Contact.account_id == demo_world.account_id).order_by(Contact.id)
        ).first()
        deal = s.scalars(
            select(Deal.title).where(Deal.account_id == demo_world.account_id).order_by(Deal.id)
        ).first()
    sid, _values = _engagement(demo_world)
    r = await _run(
        demo_world,
        [
            ("list_scores", {}),
            ("top_scored_contacts", {"score": "Engagement"}),
            ("top_scored_contacts", {"score": str(sid)}),
            ("get_contact_score", {"contact": email}),
            ("get_deal_score", {"deal": deal}),
            ("top_scored_contacts", {}),
        ],
        other=True,
    )
    listed = _out(r, 0)
    assert listed["items"] == [] and "no scores yet" in listed["note"]
    assert [t.status for t in r.tool_results[1:]] == ["error"] * 5
    assert (
        "No score named 'Engagement'" in r.tool_results[1].output
        and "Did you mean" not in r.tool_results[1].output
    )
    assert f"No score with id {sid} in this account" in r.tool_results[2].output
    assert "No contact named" in r.tool_results[3].output and "Did you mean" not in r.tool_results[3].output
    assert "No deal named" in r.tool_results[4].output and "Did you mean" not in r.tool_results[4].output
    assert "no contact scores yet" in r.tool_results[5].output


async def test_create_custom_field(demo_world) -> None:
    name = f"Anniversary {demo_world.backend}"
    try:
        r = await _run(
            demo_world,
            [
                ("create_custom_field", {"name": name, "type": "Date"}),
                ("create_custom_field", {"name": "Birthday", "type": "date"}),
                ("create_custom_field", {"name": "Plan tier", "type": "dropdown"}),
                ("create_custom_field", {"name": "Email", "type": "text"}),
                ("create_custom_field", {"name": "Shoe size", "type": "number", "options": ["40", "41"]}),
                ("create_custom_field", {"name": "Mood", "type": "checkbox"}),
            ],
        )
        made = _out(r, 0)
        assert made["object"] == "field" and made["type"] == "date" and made["name"] == name
        assert made["tag"] == f"%ANNIVERSARY_{demo_world.backend.upper()}%"
        outs = [t.output for t in r.tool_results[1:]]
        assert all(t.status == "error" for t in r.tool_results[1:])
        assert "A custom field named 'Birthday' already exists" in outs[0]
        assert "needs at least one option" in outs[1]
        assert "standard contact field" in outs[2]
        assert "only dropdown fields take options" in outs[3]
        assert "'checkbox' is not allowed" in outs[4]
        with demo_world.factory() as s:
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(CustomField)
                    .where(CustomField.account_id == demo_world.account_id, CustomField.name == name)
                )
                == 1
            )
        dropdown = await _run(
            demo_world,
            [
                (
                    "create_custom_field",
                    {"name": "Plan tier", "type": "drop-down", "options": ["Gold", "Silver"]},
                )
            ],
            other=True,
        )
        assert _out(dropdown)["options"] == ["Gold", "Silver"] and _out(dropdown)["type"] == "dropdown"
    finally:
        with demo_world.factory.begin() as s:
            s.execute(delete(CustomField).where(CustomField.name.in_([name, "Plan tier"])))
