"""Offline model gaps closed in the planner: goals, saved responses, contact edits, forms, plan questions,
features, deal titles, misspelt and elliptical campaign references, "activate it", link clicks in segments and
honest answers for intents no tool serves. Multi-turn, on the demo world, numbers checked against the
engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import select

from agent.graph import build_graph
from agent.offline.model import OfflineChatModel
from agent.run import AgentDeps, collect_turn
from core.accounts import service as accounts
from core.campaigns.lookup import resolve_campaign_id
from core.contacts import service as contacts
from core.contacts.models import Contact
from core.content import service as content
from core.crm import service as crm
from core.crm.models import Deal
from core.reports.performance import campaign_performance
from core.segments import service as segments

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> OfflineChatModel:
    return OfflineChatModel(cache_dir=str(tmp_path_factory.mktemp("nlu")))


@pytest.fixture
def chat(demo_world, model):
    deps = AgentDeps(
        graph=build_graph(model=model, checkpointer=InMemorySaver()),
        session_factory=demo_world.factory,
        clock=lambda: NOW,
    )
    state = {"thread": None}

    async def say(text=None, decision=None, page=None):
        kwargs = {"text": text} if text is not None else {"decision": decision}
        if page is not None:
            kwargs["page"] = page
        result = await collect_turn(
            deps,
            account_id=demo_world.account_id,
            user_id=demo_world.admin_user_id,
            thread_id=state["thread"],
            **kwargs,
        )
        state["thread"] = result.thread_id
        return result

    return say


def _tools(result) -> list[str]:
    return [c.name for c in result.tool_calls]


def _out(result, index: int = 0):
    return json.loads(result.tool_results[index].output)


def _email(demo_world, offset: int) -> str:
    with demo_world.factory() as s:
        return s.scalars(
            select(Contact.email)
            .where(Contact.account_id == demo_world.account_id)
            .order_by(Contact.id)
            .offset(offset)
            .limit(1)
        ).one()


def _open_deal(demo_world, offset: int) -> Deal:
    """An open demo deal with a long "Company - Product" title; each test takes its own."""
    with demo_world.factory() as s:
        rows = s.scalars(
            select(Deal)
            .where(Deal.account_id == demo_world.account_id, Deal.status == "open", Deal.title.like("% - %"))
            .order_by(Deal.id)
        ).all()
        deal = rows[offset]
        s.expunge(deal)
        return deal


# --------------------------------------------------------------------------------------------- account


async def test_plan_question_reads_the_account_overview(chat, demo_world) -> None:
    result = await chat("which subscription plan is this account on?")
    assert _tools(result) == ["get_account_overview"]
    with demo_world.factory() as s:
        plan = accounts.get_account(s, account_id=demo_world.account_id).plan
    assert f"**{plan.value.capitalize()}** plan" in result.answer


async def test_feature_words_use_the_accounts_feature_keys(chat, demo_world) -> None:
    result = await chat("is contact scoring part of what we pay for?")
    assert _tools(result) == ["check_feature"] and result.tool_calls[0].args == {"feature": "contact_scoring"}
    with demo_world.factory() as s:
        expected = accounts.feature_available(
            s, account_id=demo_world.account_id, feature="contact_scoring"
        ).message
    assert result.answer.strip() == expected


# ----------------------------------------------------------------------------------------------- goals


async def test_goal_with_its_target_is_created(chat, demo_world) -> None:
    result = await chat("Set a target of 150 new subscribers every week")
    assert _tools(result) == ["create_goal"]
    args = result.tool_calls[0].args
    assert (args["metric"], args["target"], args["period"]) == ("new_contacts", 150, "week")
    with demo_world.factory() as s:
        goal = next(
            g
            for g in content.list_business_goals(s, account_id=demo_world.account_id)
            if g.name == args["name"]
        )
    assert (goal.metric, float(goal.target), goal.period) == ("new_contacts", 150.0, "week")
    assert "150" in result.answer and "new contacts" in result.answer


async def test_goal_without_a_target_asks_and_the_short_answer_completes_it(chat, demo_world) -> None:
    ask = await chat(f"I'd like a goal around orders ({demo_world.backend})")
    assert ask.tool_calls == [] and "orders target" in ask.answer
    done = await chat("400 a quarter")
    assert _tools(done) == ["create_goal"]
    args = done.tool_calls[0].args
    assert (args["metric"], args["target"], args["period"]) == ("orders", 400, "quarter")
    with demo_world.factory() as s:
        assert any(
            g.name == args["name"] and g.metric == "orders"
            for g in content.list_business_goals(s, account_id=demo_world.account_id)
        )


async def test_rate_goal_target_is_a_fraction(chat) -> None:
    result = await chat("make it a goal to hit a 6% click rate per month")
    assert _tools(result) == ["create_goal"]
    assert result.tool_calls[0].args["metric"] == "click_rate" and result.tool_calls[0].args[
        "target"
    ] == pytest.approx(0.06)
    assert "6.0%" in result.answer


# ------------------------------------------------------------------------------------- saved responses


async def test_saved_response_with_title_and_text(chat, demo_world) -> None:
    title = f"Shipping times {demo_world.backend}"
    result = await chat(
        f"Keep a canned reply titled '{title}' that reads: Orders ship within two working days."
    )
    assert _tools(result) == ["create_saved_response"]
    assert result.tool_calls[0].args["title"] == title
    assert result.tool_calls[0].args["body"].startswith("Orders ship within two working days")
    with demo_world.factory() as s:
        saved = [
            r for r in content.list_saved_responses(s, account_id=demo_world.account_id) if r.title == title
        ]
    assert len(saved) == 1 and "two working days" in saved[0].body and title in result.answer


async def test_saved_response_without_text_asks_for_it(chat, demo_world) -> None:
    title = f"Tax note {demo_world.backend}"
    ask = await chat(f"add a saved response called {title}")
    assert ask.tool_calls == [] and "What should the saved response say" in ask.answer
    done = await chat("All our prices include VAT.")
    assert _tools(done) == ["create_saved_response"]
    assert done.tool_calls[0].args == {"title": title, "body": "All our prices include VAT."}


# -------------------------------------------------------------------------------------------- contacts


async def test_contact_city_from_moved_to(chat, demo_world) -> None:
    email = _email(demo_world, 41)
    result = await chat(f"{email} has moved to Lisbon, please fix the city")
    assert _tools(result) == ["update_contact"] and result.tool_calls[0].args == {
        "contact": email,
        "city": "Lisbon",
    }
    with demo_world.factory() as s:
        assert contacts.find_contact(s, account_id=demo_world.account_id, ref=email).city == "Lisbon"
    assert "Lisbon" in result.answer


async def test_contact_country_becomes_its_code(chat, demo_world) -> None:
    email = _email(demo_world, 42)
    result = await chat(f"change the country of {email} to Germany")
    assert result.tool_calls[0].args == {"contact": email, "country": "DE"}
    with demo_world.factory() as s:
        assert contacts.find_contact(s, account_id=demo_world.account_id, ref=email).country == "DE"


async def test_contact_custom_field(chat, demo_world) -> None:
    email = _email(demo_world, 43)
    result = await chat(f"set the Loyalty Points of {email} to 120")
    assert _tools(result) == ["update_contact"]
    assert result.tool_calls[0].args == {"contact": email, "custom_fields": {"Loyalty Points": "120"}}
    with demo_world.factory() as s:
        value = contacts.find_contact(s, account_id=demo_world.account_id, ref=email).custom_fields[
            "Loyalty Points"
        ]
    assert float(value) == 120


async def test_contact_of_another_account_is_not_changed(chat, demo_world) -> None:
    with demo_world.factory.begin() as s:
        other = contacts.create_contact(
            s,
            account_id=demo_world.other_account_id,
            email=f"moved-{demo_world.backend}@other.io",
            city="Oslo",
            now=NOW,
        )
    result = await chat(f"{other.email} moved to Rome, update the city")
    assert _tools(result) == ["update_contact"] and result.tool_results[0].status == "error"
    with demo_world.factory() as s:
        assert (
            contacts.find_contact(s, account_id=demo_world.other_account_id, ref=other.email).city == "Oslo"
        )
    assert "Rome" not in result.answer.split("No contact")[0]


# ----------------------------------------------------------------------------------------------- forms


async def test_form_named_from_its_purpose_subscribes_to_the_list(chat, demo_world) -> None:
    result = await chat(
        f"I need a signup form for the {demo_world.backend} raffle that adds people to the Newsletter list"
    )
    assert _tools(result) == ["create_form"] and result.tool_results[0].status == "success"
    args = result.tool_calls[0].args
    assert args["list_name"] == "Newsletter" and demo_world.backend in args["name"].lower()
    with demo_world.factory() as s:
        form = next(
            f for f in content.list_forms(s, account_id=demo_world.account_id) if f.name == args["name"]
        )
    assert form.list_name == "Newsletter" and [f.name for f in form.fields] == ["email"]
    assert form.fields[0].type == "email" and form.fields[0].required


async def test_form_fields_are_read_from_the_request(chat, demo_world) -> None:
    result = await chat(
        f"make a registration form for the {demo_world.backend} cooking class asking for first name and phone"
    )
    assert result.tool_calls[0].args["fields"] == ["first name", "phone"]
    with demo_world.factory() as s:
        form = next(
            f
            for f in content.list_forms(s, account_id=demo_world.account_id)
            if f.name == result.tool_calls[0].args["name"]
        )
    assert [f.name for f in form.fields] == ["email", "first_name", "phone"]


async def test_form_without_any_name_asks_for_one(chat, demo_world) -> None:
    ask = await chat("build a form")
    assert ask.tool_calls == [] and "What should the form be called" in ask.answer
    name = f"Summer raffle {demo_world.backend}"
    done = await chat(name)
    assert _tools(done) == ["create_form"] and done.tool_calls[0].args["name"] == name
    assert done.tool_results[0].status == "success" and name in done.answer


# ----------------------------------------------------------------------------------------------- deals


async def test_long_deal_title_moves_to_a_stage(chat, demo_world) -> None:
    deal = _open_deal(demo_world, 0)
    with demo_world.factory() as s:
        stages = [
            st.name
            for p in crm.list_pipelines(s, account_id=demo_world.account_id)
            if p.id == deal.pipeline_id
            for st in p.stages
        ]
        current = crm.get_deal(s, account_id=demo_world.account_id, deal_id=deal.id).stage
    target = next(st for st in reversed(stages) if st != current)
    result = await chat(f"Shift the {deal.title} deal into {target}")
    assert _tools(result) == ["update_deal"] and result.tool_calls[0].args == {
        "deal": deal.title,
        "stage": target,
    }
    with demo_world.factory() as s:
        assert crm.get_deal(s, account_id=demo_world.account_id, deal_id=deal.id).stage == target
    assert deal.title in result.answer and target in result.answer


async def test_long_deal_title_without_the_word_deal_is_won(chat, demo_world) -> None:
    deal = _open_deal(demo_world, 1)
    result = await chat(f"We just won {deal.title}!")
    assert _tools(result) == ["update_deal"] and result.tool_calls[0].args == {
        "deal": deal.title,
        "status": "won",
    }
    with demo_world.factory() as s:
        assert crm.get_deal(s, account_id=demo_world.account_id, deal_id=deal.id).status == "won"


async def test_note_and_task_go_on_the_named_deal(chat, demo_world) -> None:
    deal = _open_deal(demo_world, 2)
    note = await chat(f"Jot a note on the {deal.title} deal: wants samples of the blue range")
    assert _tools(note) == ["add_note"] and note.tool_calls[0].args == {
        "deal": deal.title,
        "text": "wants samples of the blue range",
    }
    task = await chat(f"remind me to send the price list about the {deal.title} deal")
    assert _tools(task) == ["create_task"]
    assert task.tool_calls[0].args == {"title": "send the price list", "deal": deal.title}
    assert _out(task)["deal_id"] == deal.id


async def test_pipelines_question_lists_pipelines(chat, demo_world) -> None:
    result = await chat("what pipelines have we got?")
    assert _tools(result) == ["list_pipelines"]
    with demo_world.factory() as s:
        names = [p.name for p in crm.list_pipelines(s, account_id=demo_world.account_id)]
    assert f"{len(names)} pipelines" in result.answer and all(n in result.answer for n in names)


async def test_past_tense_win_question_lists_won_deals(chat, demo_world) -> None:
    result = await chat("Which deals have we won?")
    assert _tools(result) == ["list_deals"] and result.tool_calls[0].args == {"status": "won"}
    with demo_world.factory() as s:
        total = crm.list_deals(s, account_id=demo_world.account_id, status="won", limit=1).total
    assert result.answer.startswith(f"{total} deals")


@pytest.mark.parametrize(
    "text",
    [
        "when is the best time to send to my VIP segment?",
        "forecast my deals for next quarter",
        "how likely are we to close the Pioneer Spa deal?",
    ],
    ids=["send-time", "forecast", "win-probability"],
)
async def test_intents_without_a_tool_say_so_and_what_instead(chat, text) -> None:
    result = await chat(text)
    assert result.tool_calls == [] and "can't" in result.answer and "What I can do" in result.answer


# ------------------------------------------------------------------------------------------- campaigns


def _performance(demo_world, phrase: str):
    with demo_world.factory() as s:
        cid = resolve_campaign_id(
            s, account_id=demo_world.account_id, ref=phrase, now=NOW, tz="America/New_York"
        )
        return cid, campaign_performance(s, account_id=demo_world.account_id, campaign=cid)


async def test_misspelt_month_and_noun_find_the_campaign(chat, demo_world) -> None:
    result = await chat("how did the Aprill newsleter perform?")
    assert _tools(result) == ["get_campaign_performance"]
    cid, perf = _performance(demo_world, "april newsletter")
    assert _out(result)["campaign_id"] == cid and "Apr" in perf.campaign_name
    assert f"{perf.open_rate:.1%}" in result.answer


async def test_unknown_campaign_words_get_suggestions_not_the_latest(chat) -> None:
    result = await chat("how did my purple newsletter do?")
    assert _tools(result) == ["get_campaign_performance"] and result.tool_results[0].status == "error"
    assert "Did you mean" in result.answer


async def test_follow_up_by_month_repeats_the_question(chat, demo_world) -> None:
    first = await chat("How did the March newsletter do?")
    assert _tools(first) == ["get_campaign_performance"]
    second = await chat("and the April one?")
    assert _tools(second) == ["get_campaign_performance"]
    cid, perf = _performance(demo_world, "april newsletter")
    assert _out(second)["campaign_id"] == cid and f"{perf.open_rate:.1%}" in second.answer
    third = await chat("what about Feb's?")
    cid, perf = _performance(demo_world, "february newsletter")
    assert _out(third)["campaign_id"] == cid and f"{perf.delivered:,}" in third.answer


async def test_follow_up_with_a_period(chat) -> None:
    first = await chat("how did my emails do in May?")
    assert _tools(first) == ["get_period_performance"]
    second = await chat("and in April?")
    assert _tools(second) == ["get_period_performance"]
    assert second.tool_calls[0].args["period"].lower() == "april"
    assert _out(second)["period"] != _out(first)["period"]


async def test_follow_up_with_a_new_action_is_not_a_repeat(chat) -> None:
    await chat("How did the March newsletter do?")
    result = await chat("and list my lists")
    assert _tools(result) == ["list_lists"]


# ----------------------------------------------------------------------------------------- automations


async def test_activate_it_after_building_the_automation(chat, demo_world) -> None:
    built = await chat("build a 2-email welcome series for the Newsletter list")
    assert _tools(built) == ["create_automation"]
    name = _out(built)["name"]
    paused = await chat("switch it on")
    assert _tools(paused) == ["activate_automation"] and paused.tool_calls[0].args == {"automation": name}
    assert paused.approval is not None
    await chat(decision={"decisions": [{"type": "reject"}]})
    from core.automations import service as automations

    with demo_world.factory() as s:
        row = next(
            a for a in automations.list_automations(s, account_id=demo_world.account_id) if a.name == name
        )
    assert row.status.value == "inactive"


# -------------------------------------------------------------------------------------------- segments


async def test_opened_a_link_is_a_click(chat, demo_world) -> None:
    result = await chat(
        f"create a segment called Link openers {demo_world.backend} of people who opened a link "
        "in the last 45 days"
    )
    assert _tools(result) == ["create_segment"]
    conditions = result.tool_calls[0].args["conditions"]
    assert conditions == [{"type": "engagement", "action": "click", "op": "has", "period": {"last_days": 45}}]
    tree = {"version": 1, "root": {"type": "group", "match": "all", "conditions": conditions}}
    with demo_world.factory() as s:
        count = segments.count_contacts(s, account_id=demo_world.account_id, tree=tree, now=NOW)
    assert f"{count:,} contacts" in result.answer


async def test_link_in_a_campaign_named_by_month(chat, demo_world) -> None:
    result = await chat("how many people followed a link in the April newsletter?")
    assert _tools(result) == ["preview_segment"]
    conditions = result.tool_calls[0].args["conditions"]
    with demo_world.factory() as s:
        april = resolve_campaign_id(s, account_id=demo_world.account_id, ref="april newsletter", now=NOW)
        from core.campaigns.models import Campaign

        name = s.get(Campaign, april).name
    assert conditions == [{"type": "engagement", "action": "click", "op": "has", "campaign": name}]
    assert f"**{_out(result)['count']:,} contacts**" in result.answer


# ---------------------------------------------------------------------------- names not in the catalog


async def test_unknown_list_name_is_passed_on_and_refused(chat, demo_world) -> None:
    email = _email(demo_world, 44)
    result = await chat(f"put {email} on the Platinum buyers list")
    assert _tools(result) == ["subscribe_contact"]
    assert result.tool_calls[0].args == {"contact": email, "list_name": "Platinum buyers"}
    assert result.tool_results[0].status == "error" and "No list named 'Platinum buyers'" in result.answer


async def test_unknown_segment_name_is_passed_on_and_refused(chat) -> None:
    result = await chat("how big is the Dolphins segment?")
    assert _tools(result) == ["get_segment"] and result.tool_calls[0].args == {"segment": "Dolphins"}
    assert "No segment named 'Dolphins'" in result.answer


async def test_tag_name_keeps_all_its_words(chat, demo_world) -> None:
    name = f"Spring Fair 2026 {demo_world.backend}"
    result = await chat(f"make a tag named {name}")
    assert _tools(result) == ["create_tag"] and result.tool_calls[0].args == {"name": name}
    with demo_world.factory() as s:
        assert name in [t.name for t in contacts.list_tags(s, account_id=demo_world.account_id)]


async def test_new_contact_keeps_first_and_last_name(chat, demo_world) -> None:
    email = f"sam.lee.{demo_world.backend}@example.com"
    result = await chat(f"add {email} as a new contact, first name Sam, last name Lee")
    assert result.tool_calls[0].args == {"email": email, "first_name": "Sam", "last_name": "Lee"}
    with demo_world.factory() as s:
        row = contacts.find_contact(s, account_id=demo_world.account_id, ref=email)
    assert (row.first_name, row.last_name) == ("Sam", "Lee")


# --------------------------------------------------------------------------------------------- reports


def _period(demo_world, words: str, channel: str | None = None):
    from core.periods import parse_period
    from core.reports.performance import period_performance

    with demo_world.factory() as s:
        tz = accounts.get_account(s, account_id=demo_world.account_id).timezone
        start, end = parse_period(words, now=NOW, tz=tz)
        return period_performance(s, account_id=demo_world.account_id, start=start, end=end, channel=channel)


async def test_explicit_date_range_is_a_period(chat, demo_world) -> None:
    result = await chat("how did my campaigns do between 2026-02-01 and 2026-02-28?")
    assert _tools(result) == ["get_period_performance"]
    out = _period(demo_world, "2026-02-01 to 2026-02-28")
    assert _out(result)["start"] == str(out.start) and f"**{len(out.rows)} campaigns**" in result.answer
    assert f"{out.totals.open_rate:.1%}" in result.answer


async def test_emails_mean_the_email_channel(chat, demo_world) -> None:
    result = await chat("how have my emails done this quarter?")
    assert result.tool_calls[0].args == {"period": "this quarter", "channel": "email"}
    out = _period(demo_world, "this quarter", "email")
    assert (
        f"**{len(out.rows)} campaigns**" in result.answer and f"{out.totals.open_rate:.1%}" in result.answer
    )


async def test_two_campaigns_named_by_month_are_compared(chat, demo_world) -> None:
    result = await chat("March newsletter versus the February one")
    assert _tools(result) == ["compare_campaigns"]
    for phrase in ("march newsletter", "february newsletter"):
        _cid, perf = _performance(demo_world, phrase)
        assert perf.campaign_name in result.answer and f"{perf.open_rate:.1%}" in result.answer


async def test_ranking_question_reports_the_period_with_the_most_clicked(chat, demo_world) -> None:
    result = await chat("Which campaigns had the highest click counts?")
    assert (
        _tools(result) == ["get_period_performance"]
        and result.tool_calls[0].args["period"] == "last 365 days"
    )
    rows = _period(demo_world, "last 365 days").rows
    top = max(r.unique_clicks for r in rows)
    assert any(
        f"Most clicks: {r.campaign_name} ({top:,} people clicked" in result.answer
        for r in rows
        if r.unique_clicks == top
    )


async def test_scheduled_campaign_says_when_it_goes_out(chat, demo_world) -> None:
    from core.campaigns.models import Campaign

    with demo_world.factory() as s:
        row = s.scalars(
            select(Campaign)
            .where(Campaign.account_id == demo_world.account_id, Campaign.status == "scheduled")
            .order_by(Campaign.id)
        ).first()
        name, when = row.name, row.scheduled_at
    result = await chat(f"When will the {name} be sent?")
    assert _tools(result) == ["get_campaign"] and _out(result)["name"] == name
    assert f"Scheduled to go out {when:%Y-%m-%d %H:%M}" in result.answer


async def test_its_points_at_the_campaign_in_play(chat, demo_world) -> None:
    await chat("How did the March newsletter do?")
    result = await chat("show its link clicks")
    cid, perf = _performance(demo_world, "march newsletter")
    assert _tools(result) == ["get_clicks_report"] and result.tool_calls[0].args == {
        "campaign": perf.campaign_name
    }
    assert f"{_out(result)['unique_clickers']:,} people clicked" in result.answer


async def test_merge_tags_question_lists_the_custom_fields(chat, demo_world) -> None:
    result = await chat("What merge tags are available to me?")
    assert _tools(result) == ["list_custom_fields"]
    with demo_world.factory() as s:
        fields = contacts.list_custom_fields(s, account_id=demo_world.account_id)
    assert fields and all(f.tag in result.answer and f.name in result.answer for f in fields)


async def test_sms_readiness_is_a_feature_check(chat, demo_world) -> None:
    result = await chat("can my account send SMS messages already?")
    assert _tools(result) == ["check_feature"] and result.tool_calls[0].args == {"feature": "sms"}
    with demo_world.factory() as s:
        assert (
            result.answer.strip()
            == accounts.feature_available(s, account_id=demo_world.account_id, feature="sms").message
        )


async def test_ordinal_with_a_noun_picks_from_the_list(chat) -> None:
    listed = await chat("Which deals have we won?")
    result = await chat("details of the second deal")
    second = _out(listed)["items"][1]
    assert _tools(result) == ["get_deal"] and result.tool_calls[0].args == {"deal": second["title"]}


# -------------------------------------------------------------------------------- segment descriptions


async def _count(demo_world, conditions) -> int:
    tree = {"version": 1, "root": {"type": "group", "match": "all", "conditions": conditions}}
    with demo_world.factory() as s:
        return segments.count_contacts(s, account_id=demo_world.account_id, tree=tree, now=NOW)


@pytest.mark.parametrize(
    ("text", "conditions"),
    [
        (
            "how many openers in the last 60 days have no purchase?",
            [
                {"type": "engagement", "action": "open", "op": "has", "period": {"last_days": 60}},
                {"type": "purchase", "op": "has_not"},
            ],
        ),
        (
            "how many Leads in Germany do we have?",
            [
                {"type": "tag", "tag": "Lead", "op": "has"},
                {"type": "field", "field": "country", "op": "eq", "value": "DE"},
            ],
        ),
        (
            "count contacts who opened something in the past 120 days but nothing in the past 30",
            [
                {"type": "engagement", "action": "open", "op": "has", "period": {"last_days": 120}},
                {"type": "engagement", "action": "open", "op": "has_not", "period": {"last_days": 30}},
            ],
        ),
        (
            "how many contacts with the Lead tag and country US",
            [
                {"type": "tag", "tag": "Lead", "op": "has"},
                {"type": "field", "field": "country", "op": "eq", "value": "US"},
            ],
        ),
    ],
    ids=["second-predicate", "tag-plural-and-place", "bare-number-period", "country-code"],
)
async def test_descriptions_keep_every_condition(chat, demo_world, text, conditions) -> None:
    result = await chat(text)
    assert _tools(result) == ["preview_segment"] and result.tool_calls[0].args["conditions"] == conditions
    assert f"**{await _count(demo_world, conditions):,} contacts**" in result.answer


async def test_add_a_tag_with_nobody_to_tag_creates_it(chat, demo_world) -> None:
    name = f"Trade Show {demo_world.backend}"
    result = await chat(f"add a tag {name} (for later)")
    assert _tools(result) == ["create_tag"] and result.tool_calls[0].args == {"name": name}


async def test_ordinal_segment_is_picked_not_taken_as_a_name(chat, demo_world) -> None:
    tree = {
        "version": 1,
        "root": {"type": "group", "match": "all", "conditions": [{"type": "purchase", "op": "has"}]},
    }
    with demo_world.factory.begin() as s:
        for name in (f"Buyers A {demo_world.backend}", f"Buyers B {demo_world.backend}"):
            if name not in [x.name for x in segments.list_segments(s, account_id=demo_world.account_id)]:
                segments.create_segment(s, account_id=demo_world.account_id, name=name, tree=tree, now=NOW)
    listed = await chat("What segments do I have?")
    result = await chat("count the second segment")
    second = _out(listed)["items"][1]
    assert _tools(result) == ["get_segment"] and result.tool_calls[0].args == {"segment": second["name"]}
    with demo_world.factory() as s:
        count = segments.count_segment(s, account_id=demo_world.account_id, segment=second["name"], now=NOW)
    assert f"{count:,} contacts" in result.answer


async def test_most_clicked_listing_is_a_ranking(chat, demo_world) -> None:
    result = await chat("which were my top clicked emails this year?")
    assert result.tool_calls[0].name == "get_period_performance"
    assert result.tool_calls[0].args == {"period": "this year", "channel": "email"}
    rows = _period(demo_world, "this year", "email").rows
    top = max(r.unique_clicks for r in rows)
    assert any(
        f"Most clicks: {r.campaign_name} ({top:,} people clicked" in result.answer
        for r in rows
        if r.unique_clicks == top
    )


# ------------------------------------------------------------------------------- drafting and building


async def test_draft_topic_after_saying_or_with(chat) -> None:
    said = await chat("write an email saying our yoga mats are back in stock")
    assert _tools(said) == ["draft_campaign"] and said.tool_calls[0].args == {
        "topic": "our yoga mats are back in stock"
    }
    offer = await chat("Write an email with a comeback offer for the VIP Club list")
    assert offer.tool_calls[0].args == {"topic": "comeback offer", "list_name": "VIP Club"}
    assert _out(offer)["status"] == "draft" and _out(offer)["list_names"] == ["VIP Club"]


async def test_verbless_request_for_an_email_is_a_draft(chat) -> None:
    email = await chat("summer clearance email to the Newsletter list")
    assert _tools(email) == ["draft_campaign"] and email.tool_calls[0].args == {
        "topic": "summer clearance",
        "list_name": "Newsletter",
    }
    sms = await chat("sms for our spring sale please")
    assert _tools(sms) == ["draft_campaign"] and sms.tool_calls[0].args == {
        "topic": "our spring sale",
        "channel": "sms",
    }
    assert _out(sms)["channel"] == "sms" and _out(sms)["status"] == "draft"


async def test_automation_kind_and_trigger_named_in_the_answer(chat, demo_world) -> None:
    asked = await chat("Create a 3-email re-engagement automation")
    assert _tools(asked) == ["create_automation"] and asked.tool_calls[0].args == {
        "kind": "re_engagement",
        "emails": 3,
    }
    assert "Which tag" in asked.answer
    built = await chat("Use the Newsletter Signup tag as the trigger")
    assert _tools(built) == ["create_automation"]
    assert built.tool_calls[0].args == {
        "kind": "re_engagement",
        "emails": 3,
        "trigger_tag": "Newsletter Signup",
    }
    from core.automations import service as automations

    with demo_world.factory() as s:
        row = next(
            a
            for a in automations.list_automations(s, account_id=demo_world.account_id)
            if a.name == _out(built)["name"]
        )
    assert row.status.value == "inactive"


async def test_nurture_is_the_builders_lead_nurture(chat) -> None:
    result = await chat("build a 4 email nurture sequence that starts when the Lead tag is added")
    assert _tools(result) == ["create_automation"]
    assert result.tool_calls[0].args == {"kind": "lead_nurture", "emails": 4, "trigger_tag": "Lead"}
    assert result.tool_results[0].status == "success" and len(_out(result)["emails"]) == 4


async def test_campaign_named_after_a_preposition_and_by_month(chat, demo_world) -> None:
    result = await chat("Give me the numbers for the newsletter we sent in April")
    cid, perf = _performance(demo_world, "april newsletter")
    assert _tools(result) == ["get_campaign_performance"] and _out(result)["campaign_id"] == cid
    assert f"{perf.open_rate:.1%}" in result.answer


async def test_saved_segment_takes_the_name_after_as(chat, demo_world) -> None:
    name = f"Warm non-buyers {demo_world.backend}"
    await chat("how many openers in the last 60 days have no purchase?")
    saved = await chat(f"keep those people as the {name} segment")
    assert _tools(saved) == ["create_segment"] and saved.tool_calls[0].args["name"] == name
    assert saved.tool_calls[0].args["conditions"] == [
        {"type": "engagement", "action": "open", "op": "has", "period": {"last_days": 60}},
        {"type": "purchase", "op": "has_not"},
    ]


async def test_this_one_on_a_campaign_page_is_that_campaign(chat, demo_world) -> None:
    from core.campaigns.models import Campaign
    from tools.context import PageContext

    with demo_world.factory() as s:
        row = s.scalars(
            select(Campaign)
            .where(Campaign.account_id == demo_world.account_id, Campaign.status == "draft")
            .order_by(Campaign.id)
        ).first()
        cid, subject = row.id, row.subject
    result = await chat(
        "what does this one say?", page=PageContext(page="campaign", object_type="campaign", object_id=cid)
    )
    assert _tools(result) == ["get_campaign"] and _out(result)["id"] == cid and subject in result.answer


# --------------------------------------------------------------------------------- unsure and unserved


async def test_unsure_count_of_a_described_group_is_counted(chat, demo_world) -> None:
    result = await chat("how many Leads do I have?")
    conditions = [{"type": "tag", "tag": "Lead", "op": "has"}]
    assert _tools(result) == ["preview_segment"] and result.tool_calls[0].args["conditions"] == conditions
    assert f"**{await _count(demo_world, conditions):,} contacts**" in result.answer


async def test_status_question_about_a_named_campaign(chat, demo_world) -> None:
    from core.campaigns.models import Campaign

    with demo_world.factory() as s:
        row = s.scalars(
            select(Campaign)
            .where(Campaign.account_id == demo_world.account_id, Campaign.status == "scheduled")
            .order_by(Campaign.id)
        ).first()
        name = row.name
    result = await chat(f"Is the {name} scheduled yet?")
    assert (
        _tools(result) == ["get_campaign"] and _out(result)["name"] == name and "scheduled" in result.answer
    )


async def test_custom_fields_question_lists_them_not_creates_one(chat, demo_world) -> None:
    result = await chat("Which custom fields are there?")
    assert _tools(result) == ["list_custom_fields"]
    with demo_world.factory() as s:
        assert (
            f"{len(contacts.list_custom_fields(s, account_id=demo_world.account_id))} fields" in result.answer
        )


async def test_template_import_is_declined_honestly(chat) -> None:
    result = await chat("can you move my old templates over from Mailchimp?")
    assert result.tool_calls == [] and "can't import" in result.answer and "What I can do" in result.answer


async def test_kind_of_email_joins_the_topic_and_tone_words_do_not(chat) -> None:
    launch = await chat("Draft an upbeat launch email for our new blender that explains the benefits")
    assert launch.tool_calls[0].args["topic"].startswith("launch our new blender")
    assert launch.tool_calls[0].args["tone"] == "excited"
    friendly = await chat("Draft a friendly email to win back customers who stopped buying")
    assert friendly.tool_calls[0].args == {
        "topic": "win back customers who stopped buying",
        "tone": "friendly",
    }


async def test_change_to_this_email_after_a_draft_edits_it(chat) -> None:
    drafted = await chat("Draft an email inviting customers to our summer party")
    name = _out(drafted)["name"]
    edited = await chat("Add the customer's first name to this email")
    assert _tools(edited) == ["edit_campaign"] and edited.tool_calls[0].args["campaign"] == name
    merged = await chat("personalize this email with a couple of merge tags")
    assert _tools(merged) == ["edit_campaign"] and merged.tool_calls[0].args["campaign"] == name


async def test_should_be_tagged_adds_the_tag(chat, demo_world) -> None:
    email = _email(demo_world, 45)
    result = await chat(f"{email} should be tagged VIP")
    assert _tools(result) == ["add_tag"] and result.tool_calls[0].args == {"contact": email, "tag": "VIP"}
    with demo_world.factory() as s:
        assert "VIP" in contacts.find_contact(s, account_id=demo_world.account_id, ref=email).tags


async def test_sending_new_content_to_customers_drafts_it(chat) -> None:
    result = await chat("I'd like to send my customers an sms reminder about their booking")
    assert _tools(result) == ["draft_campaign"] and result.tool_calls[0].args["channel"] == "sms"
    assert _out(result)["status"] == "draft" and result.approval is None


async def test_how_was_a_campaign_is_its_performance(chat, demo_world) -> None:
    result = await chat("how was the April newsletter?")
    cid, perf = _performance(demo_world, "april newsletter")
    assert _tools(result) == ["get_campaign_performance"] and _out(result)["campaign_id"] == cid


async def test_saved_response_search_uses_word_stems(chat, demo_world) -> None:
    result = await chat("show saved responses about refunds")
    assert result.tool_calls[0].args == {"search": "refund"}
    with demo_world.factory() as s:
        found = content.search_saved_responses(s, account_id=demo_world.account_id, text="refund")
    assert found and all(r.title in result.answer for r in found)


async def test_question_is_not_a_yes(chat) -> None:
    result = await chat("Who is the right audience for this automation?")
    assert result.tool_calls == [] and "nothing waiting for a yes" not in result.answer


async def test_subject_given_as_quoted_text(chat) -> None:
    drafted = await chat("Draft a friendly email to win back customers who stopped buying")
    result = await chat('use "Come back soon" as the subject')
    assert _tools(result) == ["edit_campaign"] and result.tool_calls[0].args["subject"] == "Come back soon"
    assert (
        result.tool_calls[0].args["campaign"] == _out(drafted)["name"]
        and "Subject: Come back soon" in result.answer
    )


async def test_contact_fields_put_in_the_email_edit_the_draft(chat) -> None:
    drafted = await chat("Write an invitation email for our winter market")
    result = await chat("put the contact's first name and company name in the email")
    assert (
        _tools(result) == ["edit_campaign"] and result.tool_calls[0].args["campaign"] == _out(drafted)["name"]
    )


async def test_switch_this_one_on_an_automation_page(chat, demo_world) -> None:
    from core.automations import service as automations
    from tools.context import PageContext

    with demo_world.factory() as s:
        row = next(
            a for a in automations.list_automations(s, account_id=demo_world.account_id, status="inactive")
        )
    result = await chat(
        "switch this one on", page=PageContext(page="automation", object_type="automation", object_id=row.id)
    )
    assert _tools(result) == ["activate_automation"] and result.approval is not None
    await chat(decision={"decisions": [{"type": "reject"}]})
    with demo_world.factory() as s:
        assert (
            next(
                a for a in automations.list_automations(s, account_id=demo_world.account_id) if a.id == row.id
            ).status.value
            == "inactive"
        )


@pytest.mark.parametrize(
    "text", ["is my sms registration finished?", "can we send text messages from this account yet?"]
)
async def test_sms_setup_questions_check_the_feature(chat, text) -> None:
    result = await chat(text)
    assert _tools(result) == ["check_feature"] and result.tool_calls[0].args == {"feature": "sms"}
