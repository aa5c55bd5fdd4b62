"""Automation definitions (typed triggers and steps, plan gates, activation) and scores."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.automations import service as automations
from core.automations.models import Automation, ScoreDefinition, ScoreValue
from core.campaigns import service as campaigns
from core.contacts.models import Contact, CustomField, MailingList, Tag
from core.crm.models import Deal, Pipeline, Stage
from core.enums import AutomationStatus, FieldType
from core.errors import Conflict, FeatureUnavailable, InvalidRequest, NotFound
from core.tracking import service as tracking

COND = {"conditions": [{"field": "country", "op": "eq", "value": "US"}]}
RULE = {"condition": COND, "points": 10}


def _setup(
    session: Session,
    now: datetime,
    plan: str = "pro",
    addons: list[str] | None = None,
    name: str = "Acme",
    limit: int = 0,
) -> int:
    aid = accounts.create_account(
        session, name=name, plan=plan, addons=addons or [], monthly_activity_limit=limit
    ).id
    accounts.create_user(session, account_id=aid, email=f"owner@{name.lower()}.io", name="Olivia")
    session.add_all(
        [
            MailingList(account_id=aid, name="Newsletter"),
            CustomField(account_id=aid, name="Feedback", tag="%FEEDBACK%", type=FieldType.TEXTAREA),
            CustomField(account_id=aid, name="Summary", tag="%SUMMARY%", type=FieldType.TEXTAREA),
            CustomField(
                account_id=aid, name="Size", tag="%SIZE%", type=FieldType.DROPDOWN, options=["S", "M", "L"]
            ),
            CustomField(account_id=aid, name="Birthday", tag="%BIRTHDAY%", type=FieldType.DATE),
        ]
    )
    pipeline = Pipeline(account_id=aid, name="Sales")
    session.add(pipeline)
    session.flush()
    session.add_all(
        [
            Stage(account_id=aid, pipeline_id=pipeline.id, name=n, position=i)
            for i, n in enumerate(["Lead", "Won"])
        ]
    )
    session.flush()
    return aid


def _count(session: Session, model: Any, aid: int) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.account_id == aid)) or 0


def _email_campaign(session: Session, aid: int, now: datetime, name: str = "Welcome") -> int:
    return campaigns.create_campaign(
        session,
        account_id=aid,
        name=name,
        now=now,
        subject="Hi",
        blocks=[{"type": "button", "label": "Go", "url": "https://acme.io/go"}],
    ).id


# ---------------------------------------------------------------- definitions


def test_create_automation_resolves_names_and_starts_inactive(session: Session, now: datetime) -> None:
    aid = _setup(session, now)
    cid = _email_campaign(session, aid, now)
    score = automations.create_score(session, account_id=aid, name="Engagement", rules=[RULE], now=now)
    steps = [
        {"type": "send_email", "campaign": "welcome"},
        {"type": "wait", "amount": 2, "unit": "days"},
        {
            "type": "if_else",
            "condition": {"conditions": [{"type": "engagement", "action": "open", "campaign": "Welcome"}]},
            "yes": [
                {"type": "adjust_score", "score": "engagement", "points": 5, "expires_days": 30},
                {"type": "add_tag", "tag": "engaged"},
            ],
            "no": [
                {"type": "update_field", "field": "size", "value": "m"},
                {"type": "notify", "to": ["olivia"], "subject": "Cold lead", "message": "No open"},
            ],
        },
        {"type": "webhook", "url": "https://hooks.example.com/ac"},
    ]
    out = automations.create_automation(
        session,
        account_id=aid,
        name="Welcome series",
        now=now,
        trigger={"type": "subscribes_to_list", "list": "newsletter", "runs": "multiple"},
        steps=steps,
    )
    assert out.status is AutomationStatus.INACTIVE
    newsletter = session.scalars(select(MailingList.id).where(MailingList.account_id == aid)).one()
    assert out.trigger.list == newsletter and out.trigger.runs == "multiple"  # type: ignore[union-attr]
    assert out.steps[0].campaign == cid  # type: ignore[union-attr]
    branch = out.steps[2]
    assert branch.yes[0].score == score.id and branch.no[0].value == "M"  # type: ignore[union-attr]
    assert branch.no[1].to == [accounts.find_user(session, account_id=aid, name_or_email="Olivia").id]  # type: ignore[union-attr]
    assert automations.find_automation(session, account_id=aid, name="welcome SERIES").id == out.id
    assert [a.name for a in automations.list_automations(session, account_id=aid, status="inactive")] == [
        "Welcome series"
    ]


@pytest.mark.parametrize(
    ("steps", "error", "fragment"),
    [
        ([{"type": "teleport"}], InvalidRequest, "'send_email'"),
        ([{"type": "wait", "amount": 0}], InvalidRequest, "step 1 (wait) amount"),
        ([{"type": "wait", "amount": 60, "weeks": 1}], InvalidRequest, "step 1 (wait) weeks"),
        ([{"type": "wait", "amount": 60, "unit": "weeks"}], InvalidRequest, "longer than one year"),
        ([{"type": "if_else", "condition": {}, "yes": []}], InvalidRequest, "condition is empty"),
        (
            [
                {
                    "type": "if_else",
                    "condition": COND,
                    "yes": [{"type": "subscribe_list", "list": "Newsleter"}],
                }
            ],
            NotFound,
            "Step 1 yes.1 (subscribe_list): No list named 'Newsleter'. Did you mean 'Newsletter'",
        ),
        (
            [{"type": "if_else", "condition": {"conditions": [{"tag": "ghost"}]}}],
            NotFound,
            "Step 1 (if_else): root.conditions[0].tag: No tag named 'ghost'",
        ),
        (
            [{"type": "wait_until", "condition": {"bogus": 1}}],
            InvalidRequest,
            "Step 1 (wait_until): Invalid segment",
        ),
        ([{"type": "update_field", "field": "size", "value": "XL"}], InvalidRequest, "'S', 'M', 'L'"),
        ([{"type": "update_field", "field": "shoe size", "value": "9"}], NotFound, "Did you mean 'Size'"),
        ([{"type": "update_field", "field": "phone", "value": "12"}], InvalidRequest, "country code"),
        (
            [{"type": "notify", "to": ["mallory@evil.io"], "subject": "s", "message": "m"}],
            NotFound,
            "No user",
        ),
        ([{"type": "webhook", "url": "http://127.0.0.1:8080/x"}], InvalidRequest, "private or local"),
        ([{"type": "webhook", "url": "https://localhost/x"}], InvalidRequest, "private or local"),
        ([{"type": "send_email", "campaign": "Nope"}], NotFound, "Welcome"),
        (
            [
                {
                    "type": "ai_action",
                    "action": "summarize",
                    "source_field": "Feedback",
                    "target_field": "Size",
                }
            ],
            InvalidRequest,
            "text area",
        ),
        (
            [
                {
                    "type": "ai_action",
                    "action": "build_your_own",
                    "prompt": "Be nice",
                    "target_field": "Summary",
                }
            ],
            InvalidRequest,
            "1 to 3 personalization tags",
        ),
        (
            [
                {
                    "type": "ai_action",
                    "action": "translate",
                    "source_field": "Feedback",
                    "target_field": "Summary",
                    "language": "Klingon",
                }
            ],
            InvalidRequest,
            "not a known language",
        ),
        (
            [
                {
                    "type": "ai_action",
                    "action": "summarize",
                    "source_field": "Feedback",
                    "target_field": "Summary",
                    "options": ["a"],
                }
            ],
            InvalidRequest,
            "set list of outputs",
        ),
    ],
    ids=[
        "unknown-type",
        "wait-zero",
        "extra-field",
        "wait-too-long",
        "empty-condition",
        "nested-list",
        "condition-tag",
        "condition-shape",
        "dropdown-value",
        "unknown-field",
        "phone",
        "notify-outsider",
        "webhook-loopback",
        "webhook-localhost",
        "campaign",
        "summary-target",
        "byo-tags",
        "language",
        "options",
    ],
)
def test_bad_steps_are_refused_and_nothing_written(
    session: Session, now: datetime, steps: list[dict[str, Any]], error: type[Exception], fragment: str
) -> None:
    aid = _setup(session, now)
    _email_campaign(session, aid, now)
    with pytest.raises(error) as err:
        automations.create_automation(
            session,
            account_id=aid,
            name="A",
            now=now,
            trigger={"type": "tag_added", "tag": "vip"},
            steps=steps,
        )
    assert fragment in str(err.value)
    assert _count(session, Automation, aid) == 0


def test_ai_actions_accept_valid_definitions(session: Session, now: datetime) -> None:
    aid = _setup(session, now)
    out = automations.create_automation(
        session,
        account_id=aid,
        name="AI",
        now=now,
        trigger={"type": "submits_form"},
        steps=[
            {
                "type": "ai_action",
                "action": "summarize",
                "source_field": "feedback",
                "target_field": "summary",
                "summary_length": "short",
            },
            {
                "type": "ai_action",
                "action": "translate",
                "source_field": "Feedback",
                "target_field": "Summary",
                "language": "French",
            },
            {
                "type": "ai_action",
                "action": "build_your_own",
                "target_field": "Summary",
                "prompt": "Rewrite %FEEDBACK% politely for %FIRSTNAME%",
            },
            {
                "type": "ai_action",
                "action": "classify_intent",
                "source_field": "Feedback",
                "target_field": "Summary",
                "options": ["Review", "Complaint", "Other"],
                "max_outputs": 2,
            },
        ],
    )
    assert out.steps[1].language == "fr"  # type: ignore[union-attr]


# ---------------------------------------------------------------- plan gates


@pytest.mark.parametrize(
    ("plan", "addons", "trigger", "fragment"),
    [
        ("starter", [], {"type": "event_recorded", "event": "trial"}, "Plus, Pro, Enterprise plans"),
        ("starter", [], {"type": "score_changes", "score": 1, "threshold": 5}, "this account is on Starter"),
        ("plus", [], {"type": "conversion_occurs", "conversion": "Demo"}, "Pro, Enterprise"),
        ("pro", [], {"type": "custom_object_created", "object_name": "Ticket"}, "Enterprise plans"),
        ("pro", [], {"type": "enters_pipeline", "pipeline": "Sales"}, "Pipelines or Sales Engagement add-on"),
        ("pro", ["pipelines"], {"type": "sentiment_changes"}, "Sales Engagement add-on"),
        ("pro", [], {"type": "replies_to_sms"}, "SMS add-on"),
        ("plus", [], {"type": "opens_email", "source": "one_to_one"}, "1:1 email option"),
    ],
    ids=[
        "starter-event",
        "starter-score",
        "plus-conversion",
        "pro-custom-object",
        "pipeline-addon",
        "sentiment-addon",
        "sms-addon",
        "one-to-one",
    ],
)
def test_trigger_plan_gates(
    session: Session, now: datetime, plan: str, addons: list[str], trigger: dict[str, Any], fragment: str
) -> None:
    aid = _setup(session, now, plan=plan, addons=addons)
    with pytest.raises(FeatureUnavailable) as err:
        automations.create_automation(
            session,
            account_id=aid,
            name="Gated",
            now=now,
            trigger=trigger,
            steps=[{"type": "add_tag", "tag": "x"}],
        )
    assert fragment in str(err.value)
    assert _count(session, Automation, aid) == 0


def test_gated_triggers_work_on_the_right_plan(session: Session, now: datetime) -> None:
    ent = _setup(session, now, plan="enterprise", name="Big")
    for trigger in (
        {"type": "custom_object_created", "object_name": "Ticket"},
        {"type": "deal_stage_changes", "pipeline": "sales", "from_stage": "lead", "to_stage": "Won"},
        {"type": "conversion_occurs", "conversion": "Demo"},
    ):
        out = automations.create_automation(
            session,
            account_id=ent,
            name=trigger["type"],
            now=now,
            trigger=trigger,
            steps=[{"type": "add_tag", "tag": "x"}],
        )
        assert out.trigger.type == trigger["type"]
    plus = _setup(session, now, plan="plus", addons=["sms", "pipelines"], name="Mid")
    automations.create_automation(
        session,
        account_id=plus,
        name="SMS reply",
        now=now,
        trigger={"type": "replies_to_sms"},
        steps=[{"type": "add_tag", "tag": "x"}],
    )
    automations.create_automation(
        session,
        account_id=plus,
        name="Deal",
        now=now,
        trigger={"type": "enters_pipeline", "pipeline": "Sales"},
        steps=[{"type": "create_deal", "title": "Upsell", "pipeline": "Sales"}],
    )
    options = {o.type: o for o in automations.available_triggers(session, account_id=plus)}
    assert options["tag_added"].available and options["event_recorded"].available
    assert not options["conversion_occurs"].available and "Pro" in options["conversion_occurs"].message
    assert not options["sentiment_changes"].available and options["replies_to_sms"].available


@pytest.mark.parametrize(
    ("trigger", "error", "fragment"),
    [
        ({"type": "web_page_visited", "url": "other.com/*"}, InvalidRequest, "add_tracked_domain"),
        ({"type": "web_page_visited", "url": "*.acme.com/x"}, InvalidRequest, "without wildcards"),
        (
            {"type": "clicks_link", "campaign": "Welcome", "link": "https://acme.io/other"},
            InvalidRequest,
            "https://acme.io/go",
        ),
        ({"type": "date_based", "field": "Size"}, InvalidRequest, "needs a date field"),
        ({"type": "deal_stage_changes", "pipeline": "Sales", "to_stage": "Lost"}, NotFound, "Lead"),
        ({"type": "subscribes_to_list", "list": "VIPs"}, NotFound, "No list named 'VIPs'"),
        ({"type": "tag_added"}, InvalidRequest, "Invalid trigger: (tag_added) tag: Field required"),
        ({"type": "teleported"}, InvalidRequest, "'subscribes_to_list'"),
        ({"type": "rss_based", "feed_url": "feed please"}, InvalidRequest, "RSS feed"),
        ({"type": "order_updated", "to_status": "shipped"}, InvalidRequest, "to_status"),
    ],
    ids=[
        "untracked-page",
        "wildcard-host",
        "unknown-link",
        "date-field",
        "stage",
        "list",
        "missing-tag",
        "unknown-trigger",
        "rss",
        "order-status",
    ],
)
def test_bad_triggers(
    session: Session, now: datetime, trigger: dict[str, Any], error: type[Exception], fragment: str
) -> None:
    aid = _setup(session, now, plan="enterprise")
    _email_campaign(session, aid, now)
    tracking.add_tracked_domain(session, account_id=aid, domain="acme.com", now=now)
    with pytest.raises(error) as err:
        automations.create_automation(
            session,
            account_id=aid,
            name="T",
            now=now,
            trigger=trigger,
            steps=[{"type": "add_tag", "tag": "x"}],
        )
    assert fragment in str(err.value)
    ok = automations.create_automation(
        session,
        account_id=aid,
        name="Pages",
        now=now,
        trigger={"type": "web_page_visited", "url": "https://www.acme.com/*/x.php"},
        steps=[{"type": "add_tag", "tag": "x"}],
    )
    assert ok.trigger.url == "https://www.acme.com/*/x.php"  # type: ignore[union-attr]


# ---------------------------------------------------------------- activation and editing


def test_activation_and_editing(session: Session, now: datetime) -> None:
    aid = _setup(session, now)
    empty = automations.create_automation(
        session, account_id=aid, name="Empty", now=now, trigger={"type": "tag_added", "tag": "vip"}, steps=[]
    )
    with pytest.raises(InvalidRequest, match="no steps"):
        automations.activate_automation(session, account_id=aid, automation_id=empty.id, now=now)
    live = automations.create_automation(
        session,
        account_id=aid,
        name="Live",
        now=now,
        trigger={"type": "tag_added", "tag": "vip"},
        steps=[{"type": "add_tag", "tag": "welcomed"}],
    )
    assert (
        automations.activate_automation(session, account_id=aid, automation_id=live.id, now=now).status
        is AutomationStatus.ACTIVE
    )
    with pytest.raises(Conflict, match="deactivate_automation"):
        automations.update_automation(
            session,
            account_id=aid,
            automation_id=live.id,
            now=now,
            trigger={"type": "tag_removed", "tag": "vip"},
        )
    automations.deactivate_automation(session, account_id=aid, automation_id=live.id, now=now)
    edited = automations.update_automation(
        session,
        account_id=aid,
        automation_id=live.id,
        now=now,
        trigger={"type": "tag_removed", "tag": "vip"},
        description="Cleanup",
    )
    assert edited.trigger.type == "tag_removed" and edited.description == "Cleanup"
    assert edited.steps[0].tag == "welcomed"  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="already exists"):
        automations.update_automation(session, account_id=aid, automation_id=live.id, now=now, name="empty")


def test_activation_rechecks_activities_scores_and_plan(session: Session, now: datetime) -> None:
    aid = _setup(session, now)
    ai = automations.create_automation(
        session,
        account_id=aid,
        name="AI",
        now=now,
        trigger={"type": "submits_form"},
        steps=[
            {
                "type": "if_else",
                "condition": COND,
                "no": [
                    {
                        "type": "ai_action",
                        "action": "determine_sentiment",
                        "source_field": "Feedback",
                        "target_field": "Summary",
                    }
                ],
            }
        ],
    )
    with pytest.raises(Conflict, match="Purchase a monthly activity limit"):
        automations.activate_automation(session, account_id=aid, automation_id=ai.id, now=now)
    accounts.update_settings(
        session,
        account_id=aid,
        acting_user_id=accounts.create_user(
            session, account_id=aid, email="a@acme.io", name="Admin", role="admin"
        ).id,
        monthly_activity_limit=1_000,
    )
    assert (
        automations.activate_automation(session, account_id=aid, automation_id=ai.id, now=now).status
        is AutomationStatus.ACTIVE
    )
    score = automations.create_score(session, account_id=aid, name="Heat", rules=[RULE], now=now)
    adjust = automations.create_automation(
        session,
        account_id=aid,
        name="Adjust",
        now=now,
        trigger={"type": "tag_added", "tag": "hot"},
        steps=[{"type": "adjust_score", "score": "Heat", "points": 3}],
    )
    automations.update_score(session, account_id=aid, score_id=score.id, active=False)
    with pytest.raises(Conflict, match="Score 'Heat' is inactive"):
        automations.activate_automation(session, account_id=aid, automation_id=adjust.id, now=now)
    event = automations.create_automation(
        session,
        account_id=aid,
        name="Event",
        now=now,
        trigger={"type": "event_recorded", "event": "trial"},
        steps=[{"type": "add_tag", "tag": "trial"}],
    )
    # The plan was downgraded after the automation was built: activation refuses the Plus-only trigger.
    from core.accounts.models import Account

    session.get(Account, aid).plan = "starter"  # type: ignore[union-attr,assignment]
    session.flush()
    with pytest.raises(FeatureUnavailable, match="Plus"):
        automations.activate_automation(session, account_id=aid, automation_id=event.id, now=now)
    assert (
        automations.get_automation(session, account_id=aid, automation_id=event.id).status
        is AutomationStatus.INACTIVE
    )


# ---------------------------------------------------------------- scores


def test_scores_need_their_features(session: Session, now: datetime) -> None:
    starter = _setup(session, now, plan="starter", name="Small")
    with pytest.raises(FeatureUnavailable, match="Contact scoring"):
        automations.create_score(session, account_id=starter, name="S", rules=[RULE], now=now)
    plus = _setup(session, now, plan="plus", name="Mid")
    with pytest.raises(FeatureUnavailable, match="Deal scoring"):
        automations.create_score(session, account_id=plus, name="D", target="deal", rules=[RULE], now=now)
    assert (
        automations.create_score(session, account_id=plus, name="C", rules=[RULE], now=now).target.value
        == "contact"
    )
    assert _count(session, ScoreDefinition, starter) == 0


@pytest.mark.parametrize(
    ("rules", "fragment"),
    [
        ([], "at least one rule"),
        ([{"condition": {}, "points": 5}], "rule 1 condition"),
        ([{"condition": COND, "points": 0}], "0 points does nothing"),
        ([{"condition": COND, "points": 5, "expires_days": 0}], "rule 1 expires_days"),
        (
            [
                RULE,
                {"condition": {"conditions": [{"field": "country", "op": "gt", "value": 3}]}, "points": 5},
            ],
            "Rule 2: Invalid segment",
        ),
    ],
    ids=["none", "empty-condition", "zero-points", "expiry", "bad-tree"],
)
def test_bad_score_rules(session: Session, now: datetime, rules: list[dict[str, Any]], fragment: str) -> None:
    aid = _setup(session, now)
    with pytest.raises(InvalidRequest, match=fragment):
        automations.create_score(session, account_id=aid, name="S", rules=rules, now=now)
    assert _count(session, ScoreDefinition, aid) == 0


def test_score_values_are_upserted_per_target(session: Session, now: datetime) -> None:
    aid = _setup(session, now, addons=["pipelines"])
    contact = Contact(account_id=aid, email="jane@example.com")
    session.add_all([contact, Tag(account_id=aid, name="inactive")])
    session.flush()
    with pytest.raises(NotFound, match="Rule 1: root.conditions.0..tag: No tag named 'dormant'"):
        automations.create_score(
            session,
            account_id=aid,
            name="Heat",
            now=now,
            rules=[{"condition": {"conditions": [{"tag": "dormant"}]}, "points": 1}],
        )
    heat = automations.create_score(
        session,
        account_id=aid,
        name="Heat",
        rules=[RULE, {"condition": {"conditions": [{"tag": "inactive"}]}, "points": -5, "expires_days": 30}],
        now=now,
    )
    assert [r.points for r in heat.rules] == [10, -5] and heat.rules[1].expires_days == 30
    automations.set_score_value(
        session, account_id=aid, score_id=heat.id, contact_id=contact.id, points=10, now=now
    )
    value = automations.set_score_value(
        session, account_id=aid, score_id=heat.id, contact_id=contact.id, points=25, now=now
    )
    assert value.points == 25 and _count(session, ScoreValue, aid) == 1
    pipeline = session.scalars(select(Pipeline).where(Pipeline.account_id == aid)).one()
    stage = session.scalars(select(Stage).where(Stage.pipeline_id == pipeline.id)).first()
    deal = Deal(account_id=aid, pipeline_id=pipeline.id, stage_id=stage.id, title="Big deal")  # type: ignore[union-attr]
    session.add(deal)
    session.flush()
    fit = automations.create_score(
        session, account_id=aid, name="Fit", target="deal", pipeline="sales", rules=[RULE], now=now
    )
    automations.set_score_value(session, account_id=aid, score_id=fit.id, deal_id=deal.id, points=-3, now=now)
    assert automations.get_score_value(session, account_id=aid, score_id=fit.id, deal_id=deal.id).points == -3  # type: ignore[union-attr]
    with pytest.raises(InvalidRequest, match="contact score; give contact_id only"):
        automations.set_score_value(
            session, account_id=aid, score_id=heat.id, deal_id=deal.id, points=1, now=now
        )
    with pytest.raises(InvalidRequest, match="deal score"):
        automations.set_score_value(
            session, account_id=aid, score_id=fit.id, contact_id=contact.id, points=1, now=now
        )
    with pytest.raises(InvalidRequest, match="Only deal scores belong to a pipeline"):
        automations.create_score(session, account_id=aid, name="X", pipeline="Sales", rules=[RULE], now=now)
    assert [s.name for s in automations.list_scores(session, account_id=aid, target="deal")] == ["Fit"]
    assert automations.find_score(session, account_id=aid, name="heat").id == heat.id


# ---------------------------------------------------------------- tenant isolation


def test_tenant_isolation(session: Session, now: datetime) -> None:
    a = _setup(session, now, name="A")
    b = _setup(session, now, name="B")
    a_campaign = _email_campaign(session, a, now)
    a_auto = automations.create_automation(
        session,
        account_id=a,
        name="Mine",
        now=now,
        trigger={"type": "tag_added", "tag": "vip"},
        steps=[{"type": "add_tag", "tag": "x"}],
    )
    a_score = automations.create_score(session, account_id=a, name="Heat", rules=[RULE], now=now)
    a_contact = Contact(account_id=a, email="jane@example.com")
    session.add(a_contact)
    session.flush()
    a_list = session.scalars(select(MailingList.id).where(MailingList.account_id == a)).one()
    calls = [
        lambda: automations.get_automation(session, account_id=b, automation_id=a_auto.id),
        lambda: automations.update_automation(
            session, account_id=b, automation_id=a_auto.id, now=now, name="x"
        ),
        lambda: automations.activate_automation(session, account_id=b, automation_id=a_auto.id, now=now),
        lambda: automations.deactivate_automation(session, account_id=b, automation_id=a_auto.id, now=now),
        lambda: automations.get_score(session, account_id=b, score_id=a_score.id),
        lambda: automations.update_score(session, account_id=b, score_id=a_score.id, active=False),
        lambda: automations.set_score_value(
            session, account_id=b, score_id=a_score.id, contact_id=a_contact.id, points=1, now=now
        ),
        lambda: automations.find_automation(session, account_id=b, name="Mine"),
        # B's definitions cannot point at A's objects by id.
        lambda: automations.create_automation(
            session,
            account_id=b,
            name="Steal",
            now=now,
            trigger={"type": "subscribes_to_list", "list": a_list},
            steps=[{"type": "send_email", "campaign": a_campaign}],
        ),
        lambda: automations.create_automation(
            session,
            account_id=b,
            name="Steal",
            now=now,
            trigger={"type": "tag_added", "tag": "x"},
            steps=[{"type": "adjust_score", "score": a_score.id, "points": 1}],
        ),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    b_score = automations.create_score(session, account_id=b, name="Heat", rules=[RULE], now=now)
    with pytest.raises(NotFound):
        automations.set_score_value(
            session, account_id=b, score_id=b_score.id, contact_id=a_contact.id, points=1, now=now
        )
    assert automations.list_automations(session, account_id=b) == []
    assert [s.id for s in automations.list_scores(session, account_id=b)] == [b_score.id]
    assert automations.get_automation(session, account_id=a, automation_id=a_auto.id).name == "Mine"
