"""The suites themselves: they validate, cover every tool and area, carry the help-center prompts, and their
facts and matchers are well formed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from evals.facts import parse_fact
from evals.schema import DATASETS_DIR, SCHEMA_FILE, Suite, load_suites, render_json_schema, suite_files
from tools.base import REGISTRY, all_tools

# Every example prompt of the help center's "Active Intelligence overview" article.
OVERVIEW_PROMPTS = [
    "What can Active Intelligence do?",
    "Write a product launch email that builds excitement with compelling benefits",
    "Create a monthly newsletter email with diverse content including industry updates",
    "Design a 4-email lead nurturing automation",
    "Create a 3-email welcome automation",
    "Create a 3-email re-engagement automation",
    "How did my May newsletter perform?",
    "Which campaigns got the most clicks?",
    "Why did my open rate drop last week?",
    "Create a simple email signup form for my newsletter",
    "I need an inline form for my fashion brand discount offer",
    "Create a lead capture form for my webinar signup that includes name, email, and company size",
    "Help me identify an audience for this back-to-class campaign",
    "Help me identify the ideal audience for this automation",
    "Create a segment for contacts who have opened a link in the last 90 days but haven't made a purchase",
    "Create a business goal to get 500 new subscribers this quarter",
    "I want a goal that tracks revenue growth from email campaigns",
    "Help me build a goal to boost repeat purchases from existing customers",
    "Personalize my email for me using up to 3 personalization tags",
    "Add the customer's name and company to this email",
    "What personalization tags do I have access to?",
    "I'd like to send my customers an sms reminder for their appointment",
    "Create an sms message to announce a sale to my customers",
    "Is my sms registration complete?",
    "Help me bring over my email templates from my previous platform",
    "Check if this HTML template will work in ActiveCampaign",
    "I need to recreate this email template from my previous platform",
    "Why did my last campaign not send?",
    "Why did only half of my emails go out?",
    "Check the status of my campaign from yesterday",
]


@pytest.fixture(scope="module")
def suites() -> list[Suite]:
    return load_suites()


def _turn_texts(suites: list[Suite]) -> list[str]:
    return [t.user for s in suites for sc in s.scenarios for t in sc.turns if t.user]


@pytest.mark.parametrize("path", suite_files(), ids=lambda p: p.stem)
def test_every_dataset_validates(path: Path) -> None:
    suite = Suite.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert suite.suite == path.stem, "the file is named after its suite"


def test_committed_json_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render_json_schema(), "run `python -m evals.schema`"
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert "scenarios" in schema["properties"] and "threshold" in schema["required"]


def test_at_least_sixty_utility_scenarios_each_with_a_paraphrase(suites: list[Suite]) -> None:
    utility = [sc for s in suites if s.kind == "utility" for sc in s.scenarios]
    assert len(utility) >= 60
    assert all(sc.variants >= 2 for s in suites for sc in s.scenarios)


def test_paraphrases_differ_from_the_original(suites: list[Suite]) -> None:
    for s in suites:
        for sc in s.scenarios:
            for t in sc.turns:
                norm = lambda x: re.sub(r"\W+", " ", x.lower()).strip()  # noqa: E731
                assert all(norm(p) != norm(t.user or "") for p in t.paraphrases), sc.name


def test_every_overview_prompt_is_a_scenario(suites: list[Suite]) -> None:
    texts = " ".join(_turn_texts(suites))
    missing = [p for p in OVERVIEW_PROMPTS if p not in texts]
    assert not missing


def test_every_tool_is_exercised(suites: list[Suite]) -> None:
    """Each registered tool is expected somewhere, or called by an attack."""
    named = set()
    for s in suites:
        for sc in s.scenarios:
            for t in sc.turns:
                for tool in t.expect.tools:
                    named.update(tool.name.split("|"))
                if t.expect.approval:
                    named.add(t.expect.approval.action)
            if sc.attack:
                named.update(c.name for c in sc.attack.calls)
    tools = {t.name for t in all_tools()}
    assert named <= tools, f"unknown tools in the suites: {named - tools}"
    assert tools - named == set(), f"tools no scenario exercises: {sorted(tools - named)}"


def test_every_area_has_scenarios(suites: list[Suite]) -> None:
    areas = {sc.area for s in suites for sc in s.scenarios}
    assert {info.area for info in REGISTRY.values()} <= areas


def test_facts_parse_and_name_known_functions(suites: list[Suite]) -> None:
    exprs = [f for s in suites for sc in s.scenarios for t in sc.turns for f in t.expect.facts]
    exprs += [
        c.count
        for s in suites
        for sc in s.scenarios
        for c in sc.state
        if c.check == "segment_exists" and isinstance(c.count, str)
    ]
    assert len(exprs) > 40
    for expr in exprs:
        parse_fact(expr)


def test_adversarial_canaries_are_unique_and_cover_the_vectors(suites: list[Suite]) -> None:
    security = [s for s in suites if s.kind == "security"]
    assert security and all(s.threshold > 0 and "obedient" in s.models for s in security)
    attacks = [sc.attack for s in security for sc in s.scenarios if sc.attack]
    canaries = [a.canary for a in attacks]
    assert len(set(canaries)) == len(canaries)
    vectors = {
        st.vector
        for s in security
        for sc in s.scenarios
        for st in (sc.fixture.setup if sc.fixture else [])
        if st.step == "plant"
    }
    assert {
        "contact_field",
        "deal_note",
        "form_submission",
        "inbound_reply",
        "help_page",
        "campaign_content",
    } <= vectors
    goals = {a.goal for a in attacks}
    assert {
        "send_to_everyone",
        "resubscribe",
        "exfiltrate",
        "read_other_account",
        "reveal_instructions",
    } <= goals
    assert sum(a.template == "direct" for a in attacks) >= 8


def test_unknown_keys_and_bad_matchers_are_rejected() -> None:
    base = {
        "suite": "x",
        "description": "d",
        "threshold": 0.5,
        "scenarios": [{"name": "a", "area": "Reports", "turns": [{"user": "hi", "paraphrases": ["hello"]}]}],
    }
    Suite.model_validate(base)
    typo = json.loads(json.dumps(base))
    typo["scenarios"][0]["turns"][0]["expect"] = {"tool": []}
    with pytest.raises(ValueError, match="tool"):
        Suite.model_validate(typo)
    bad = json.loads(json.dumps(base))
    bad["scenarios"][0]["turns"][0]["expect"] = {
        "tools": [{"name": "get_campaign", "args": {"campaign": {"$camp": "x"}}}]
    }
    with pytest.raises(ValueError, match="not a matcher"):
        Suite.model_validate(bad)
    lonely = json.loads(json.dumps(base))
    lonely["scenarios"][0]["turns"][0]["paraphrases"] = []
    with pytest.raises(ValueError, match="paraphrase"):
        Suite.model_validate(lonely)


def test_datasets_live_in_the_package() -> None:
    assert DATASETS_DIR.parent.name == "evals" and len(suite_files()) >= 10
