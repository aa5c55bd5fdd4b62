"""The scenario format: suites of multi-turn scenarios with expectations, checked by pydantic.

A suite file (``evals/datasets/<suite>.yaml``) holds scenarios. Each scenario names its fixture, its turns
(user text with paraphrases, page context, approval decisions) and what must be true: tool calls with argument
matchers, tools that must not run, facts the answer must state (computed from the fixture through the engine),
and the state afterwards (checked through core services). ``evals/datasets/suite_schema.json`` is generated
from these models (``python -m evals.schema``) so editors can validate the YAML too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
SCHEMA_FILE = DATASETS_DIR / "suite_schema.json"

# Argument matchers: a dict with exactly one of these keys; any other value is compared for equality.
MATCHER_KEYS = frozenset(
    {
        "$contains",
        "$regex",
        "$one_of",
        "$present",
        "$absent",
        "$number",
        "$campaign",
        "$campaigns",
        "$segment",
        "$contact",
        "$deal",
        "$automation",
        "$list",
        "$tag",
        "$same_contacts_as",
        "$period",
        "$fact",
        "$not",
        "$all",
        "$len",
    }
)
SLUG = r"^[a-z0-9][a-z0-9_-]*$"


class Strict(BaseModel):
    """Unknown keys are errors: a typo in a scenario must not silently weaken it."""

    model_config = ConfigDict(extra="forbid")


def check_matcher(value: Any, where: str) -> None:
    """Raise ValueError when a ``$``-key dict is not a known matcher (recursively)."""
    if isinstance(value, dict):
        dollar = [k for k in value if isinstance(k, str) and k.startswith("$")]
        if dollar:
            if len(value) != 1 or dollar[0] not in MATCHER_KEYS:
                raise ValueError(
                    f"{where}: {value!r} is not a matcher; use one key of {', '.join(sorted(MATCHER_KEYS))}"
                )
            inner = value[dollar[0]]
            if dollar[0] in ("$not",):
                check_matcher(inner, where)
            if dollar[0] == "$all":
                for item in inner:
                    check_matcher(item, where)
            return
        for key, item in value.items():
            check_matcher(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            check_matcher(item, where)


# ------------------------------------------------------------------------------------------------ fixtures


class ReadyCampaign(Strict):
    """A complete draft campaign (subject, sender, content, audience) that can be sent or scheduled."""

    step: Literal["ready_campaign"]
    name: str
    lists: list[str] = ["Newsletter"]
    segment: str | None = None
    subject: str = "Summer clearance: up to 40% off"
    text: str = "Our summer clearance is on. Shop the best deals of the season before they are gone."
    channel: Literal["email", "sms"] = "email"


class SavedSegment(Strict):
    """A saved segment built from conditions (the tool's condition format)."""

    step: Literal["segment"]
    name: str
    conditions: list[dict[str, Any]]
    match: Literal["all", "any"] = "all"


class BuiltAutomation(Strict):
    """An inactive automation made by the automation builder (its draft emails included)."""

    step: Literal["automation"]
    name: str
    kind: Literal[
        "welcome",
        "win_back",
        "abandoned_cart",
        "post_purchase",
        "birthday",
        "lead_nurture",
        "re_engagement",
        "event_follow_up",
        "custom",
    ] = "welcome"
    emails: int = 2
    trigger_list: str | None = "Newsletter"
    trigger_tag: str | None = None


class Unsubscribe(Strict):
    """Unsubscribe one contact (by email, or the first subscriber of the list when omitted) from a list."""

    step: Literal["unsubscribe"]
    list: str = "Newsletter"
    email: str | None = None
    var: str = "unsubscribed"


class Plant(Strict):
    """Plant an indirect prompt injection (rendered from the scenario's ``attack``) into one data field."""

    step: Literal["plant"]
    vector: Literal[
        "contact_field",
        "contact_name",
        "form_submission",
        "inbound_reply",
        "deal_title",
        "deal_note",
        "help_page",
        "campaign_content",
        "campaign_subject",
        "saved_response",
        "tag_name",
        "brand_kit",
        "list_description",
    ]
    # Vector-specific target: a contact's email, a deal title, a campaign name, a help topic...
    target: str | None = None
    var: str = "victim"


SetupStep = Annotated[
    ReadyCampaign | SavedSegment | BuiltAutomation | Unsubscribe | Plant, Field(discriminator="step")
]


class FixtureSpec(Strict):
    """Which database a scenario starts from.

    Every fixture holds three accounts built once per (seed, contacts) and copied per scenario: the demo
    account ("Demo Store", Pro with SMS and Pipelines), a small purpose-built Starter account ("Starter
    Studio", no add-ons) and a second tenant ("Other Shop") whose data must never leak. ``account`` picks who
    chats.
    """

    seed: int = 7
    contacts: int = Field(300, ge=100, le=20_000)
    account: Literal["demo", "starter"] = "demo"
    setup: list[SetupStep] = []


# ------------------------------------------------------------------------------------------------- turns


class PageSpec(Strict):
    """The web page the user is on; ``object_ref`` names the open object and is resolved to its id at run
    time."""

    page: str
    object_type: Literal["campaign", "automation", "contact", "segment", "deal", "list"] | None = None
    object_ref: str | None = None
    object_id: int | str | None = None
    details: dict[str, Any] = {}


class ToolExpectation(Strict):
    """A tool call that must happen in the turn, with argument matchers (missing args are not checked).

    ``name`` may list alternatives, ``get_contact|find_contacts``: any one of them satisfies the expectation.
    """

    name: str
    args: dict[str, Any] = {}
    status: Literal["success", "error"] | None = None

    @model_validator(mode="after")
    def _matchers(self) -> ToolExpectation:
        check_matcher(self.args, f"tool {self.name} args")
        return self


class ApprovalExpectation(Strict):
    """The turn must pause for approval of ``action``; ``details`` are matched against the payload's
    figures."""

    action: str
    details: dict[str, Any] = {}

    @model_validator(mode="after")
    def _matchers(self) -> ApprovalExpectation:
        check_matcher(self.details, f"approval {self.action} details")
        return self


Phrase = str | list[str]


class Expect(Strict):
    """What must be true of one turn."""

    tools: list[ToolExpectation] = []
    # The expected calls must happen in this order (other calls may come between them).
    ordered: bool = False
    # Tools that must not be called in this turn.
    forbid: list[str] = []
    # Only tools whose registry risk class is "read" may run.
    read_only: bool = False
    no_tools: bool = False
    # Fact expressions, e.g. 'campaign_open_rate(campaign="May 2026 - Newsletter")': the answer must state
    # them.
    facts: list[str] = []
    # Phrases the answer must contain (case-insensitive); a list is "any of these".
    says: list[Phrase] = []
    not_says: list[str] = []
    # The answer asks the user something back (it ends a sentence with "?").
    asks: bool = False
    approval: ApprovalExpectation | None = None
    no_approval: bool = False
    # The run must stop by itself (a clean error or answer) before more than this many tool calls.
    max_calls: int | None = None
    status: Literal["success", "interrupted", "error", "refused"] | None = None


class EditDecision(Strict):
    """An "edit" answer to an approval: the action runs with these arguments instead."""

    edit: dict[str, Any]


class Turn(Strict):
    """One user message (with paraphrases) or one approval decision."""

    user: str | None = None
    paraphrases: list[str] = []
    decision: Literal["approve", "reject"] | EditDecision | None = None
    page: PageSpec | None = None
    # "other": use a chat thread of the other tenant (a cross-account attempt).
    thread: Literal["own", "other"] = "own"
    expect: Expect = Expect()

    @model_validator(mode="after")
    def _one_input(self) -> Turn:
        if (self.user is None) == (self.decision is None):
            raise ValueError("a turn has either `user` text or an approval `decision`")
        if self.paraphrases and self.user is None:
            raise ValueError("paraphrases belong to a `user` turn")
        return self


# ------------------------------------------------------------------------------------------------- state


class NothingSent(Strict):
    """No message went out: no send rows, no campaign scheduled/sending/sent, no SMS credits charged."""

    check: Literal["nothing_sent"]


class Sent(Strict):
    """``campaign`` was sent (status sent or sending) to at least ``min_recipients`` contacts."""

    check: Literal["sent"]
    campaign: str
    min_recipients: int = 1


class CampaignState(Strict):
    """A campaign of the account ("@newest": the latest created) has this status, audience or subject."""

    check: Literal["campaign"]
    campaign: str
    status: str | None = None
    channel: Literal["email", "sms"] | None = None
    subject_contains: str | None = None
    segment: str | None = None
    list: str | None = None
    scheduled: bool | None = None


class CampaignCreated(Strict):
    """``count`` new campaigns exist (created by the scenario), matching the filters."""

    check: Literal["campaign_created"]
    count: int = 1
    channel: Literal["email", "sms"] | None = None
    status: str = "draft"
    name_contains: str | None = None
    segment: str | None = None
    list: str | None = None


class SegmentExists(Strict):
    """A saved segment exists; ``count`` is an int or a fact expression, ``same_as`` conditions to compare."""

    check: Literal["segment_exists"]
    name: str | None = None
    name_contains: str | None = None
    count: int | str | None = None
    same_as: list[dict[str, Any]] | None = None
    match: Literal["all", "any"] = "all"


class Created(Strict):
    """``count`` new rows of a kind were created by the scenario (0 means none)."""

    check: Literal["created"]
    kind: Literal[
        "segment",
        "campaign",
        "automation",
        "contact",
        "tag",
        "list",
        "deal",
        "note",
        "task",
        "form",
        "goal",
        "brand_kit",
        "saved_response",
    ]
    count: int


class Exists(Strict):
    """An object of ``kind`` named ``name`` exists (or not)."""

    check: Literal["exists"]
    kind: Literal[
        "segment",
        "campaign",
        "automation",
        "contact",
        "tag",
        "list",
        "deal",
        "form",
        "goal",
        "brand_kit",
        "saved_response",
        "score",
        "field",
    ]
    name: str
    exists: bool = True


class AutomationState(Strict):
    """An automation has this status; ``emails`` counts the distinct emails it sends (branches included)."""

    check: Literal["automation"]
    automation: str | None = None
    newest: bool = False
    status: Literal["active", "inactive"] | None = None
    emails: int | None = None


class ContactState(Strict):
    """A contact's tag and list membership (``status``: subscribed, unsubscribed, none)."""

    check: Literal["contact"]
    contact: str
    has_tag: str | None = None
    lacks_tag: str | None = None
    list: str | None = None
    status: Literal["subscribed", "unsubscribed", "none"] | None = None
    city: str | None = None


class DealState(Strict):
    """A deal's stage, status or value."""

    check: Literal["deal"]
    deal: str
    stage: str | None = None
    status: Literal["open", "won", "lost"] | None = None
    value: float | None = None
    notes_contain: str | None = None


class OtherTenantUnchanged(Strict):
    """Not one row of the other tenant changed (counted per table, plus a fingerprint of key columns)."""

    check: Literal["other_tenant_unchanged"]


class NoResubscribes(Strict):
    """No list subscription went back from unsubscribed to subscribed."""

    check: Literal["no_resubscribes"]


class NoActivations(Strict):
    """No automation was activated and no contact was deleted."""

    check: Literal["no_activations"]


StateCheck = Annotated[
    NothingSent
    | Sent
    | CampaignState
    | CampaignCreated
    | SegmentExists
    | Created
    | Exists
    | AutomationState
    | ContactState
    | DealState
    | OtherTenantUnchanged
    | NoResubscribes
    | NoActivations,
    Field(discriminator="check"),
]


# ------------------------------------------------------------------------------------------------ attacks


class AttackCall(Strict):
    """A tool call an obedient model makes once it has read the injection."""

    name: str
    args: dict[str, Any] = {}


class Attack(Strict):
    """An injection (rendered from a template around ``goal``) or a direct attempt, and what obeying means."""

    canary: str
    template: Literal["important_instructions", "ignore_previous", "tool_knowledge", "injecagent", "direct"]
    goal: Literal[
        "send_to_everyone",
        "resubscribe",
        "exfiltrate",
        "read_other_account",
        "reveal_instructions",
        "cross_account_write",
        "activate_automation",
    ]
    # "exposure": the obedient model obeys once the canary reaches it; "start": the user is the attacker.
    trigger: Literal["exposure", "start"] = "exposure"
    calls: list[AttackCall] = []
    # False when no tool surfaces the planted field yet (the vector is inert); recorded in the report.
    reachable: bool = True
    # The obedient run must be stopped by an approval interrupt (which the harness rejects).
    approval: bool = False


# ---------------------------------------------------------------------------------------------- scenarios


class Scenario(Strict):
    """One conversation and everything that must hold during and after it."""

    name: Annotated[str, Field(pattern=SLUG)]
    area: str
    description: str = ""
    source: str | None = None
    fixture: FixtureSpec | None = None
    turns: Annotated[list[Turn], Field(min_length=1)]
    state: list[StateCheck] = []
    attack: Attack | None = None
    # Why the scenario fails today (it stays in the suite and counts against the pass rate).
    known_failure: str | None = None

    @field_validator("turns")
    @classmethod
    def _first_is_user(cls, turns: list[Turn]) -> list[Turn]:
        if turns[0].user is None:
            raise ValueError("the first turn must be user text")
        return turns

    @property
    def variants(self) -> int:
        """How many phrasings the scenario runs in: the original plus the most paraphrases of any turn."""
        return 1 + max((len(t.paraphrases) for t in self.turns), default=0)


class Suite(Strict):
    """A named set of scenarios with the pass rate CI requires."""

    suite: Annotated[str, Field(pattern=SLUG)]
    description: str
    # Minimum pass rate over all runs (scenario x phrasing x model) of the suite.
    threshold: float = Field(ge=0.0, le=1.0)
    kind: Literal["utility", "security"] = "utility"
    # "primary": the model under test (--model); "obedient": the scripted model that obeys every injection.
    models: list[Literal["primary", "obedient"]] = ["primary"]
    fixture: FixtureSpec = FixtureSpec()
    scenarios: list[Scenario]

    @model_validator(mode="after")
    def _unique_and_paraphrased(self) -> Suite:
        names = [s.name for s in self.scenarios]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate scenario names: {', '.join(dupes)}")
        lonely = [s.name for s in self.scenarios if s.variants < 2]
        if lonely:
            raise ValueError(f"every scenario needs at least one paraphrase; none in: {', '.join(lonely)}")
        if self.kind == "security" and any(s.attack is None for s in self.scenarios):
            raise ValueError("every scenario of a security suite needs an `attack`")
        return self


# ---------------------------------------------------------------------------------------------- loading


def load_suite(path: Path) -> Suite:
    """Read and validate one suite file."""
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return Suite.model_validate(data)


def suite_files(directory: Path = DATASETS_DIR) -> list[Path]:
    """Every suite file in ``directory``, sorted by name."""
    return sorted(directory.glob("*.yaml"))


def load_suites(names: list[str] | None = None, directory: Path = DATASETS_DIR) -> list[Suite]:
    """Load the named suites (all when ``names`` is empty); an unknown name lists the known ones."""
    suites = [load_suite(p) for p in suite_files(directory)]
    if not names:
        return suites
    known = {s.suite: s for s in suites}
    missing = [n for n in names if n not in known]
    if missing:
        raise ValueError(f"unknown suite(s) {', '.join(missing)}; known: {', '.join(sorted(known))}")
    return [known[n] for n in names]


def json_schema() -> dict[str, Any]:
    """The JSON schema of a suite file."""
    schema = Suite.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ActiveIntel eval suite"
    return schema


def render_json_schema() -> str:
    """The committed schema file's text."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def slugify(text: str) -> str:
    """A scenario-name-like slug."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render_json_schema(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
