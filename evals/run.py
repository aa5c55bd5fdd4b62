"""``activeintel eval``: run suites against a model, print the scorecard, write reports, enforce
thresholds."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from agent.offline.model import OfflineChatModel
from agent.prompts import PROMPT_VERSION
from core.config import Settings
from evals.fixtures.template import TemplateCache
from evals.models import primary_model
from evals.report import Score, SuiteReport, score, scorecard, suite_report, write_reports
from evals.runner import CaseResult, CaseRunner, RunEnv
from evals.schema import DATASETS_DIR, Suite, load_suites


@dataclass
class EvalConfig:
    """What to run and where to write."""

    model: str = "offline"
    suites: list[str] = field(default_factory=list)
    report_dir: Path | None = None
    cache_dir: Path | None = None
    datasets: Path = DATASETS_DIR
    scenario: str | None = None
    first_phrasing_only: bool = False
    quiet: bool = False
    # Share built templates between runs of one process (tests); None builds them in the run's scratch folder.
    templates: TemplateCache | None = None
    # Passed to the provider's constructor for the model under test (tests: an in-process HTTP client).
    model_overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvalOutcome:
    """The run's results."""

    cases: list[CaseResult]
    suites: list[SuiteReport]
    overall: Score
    meta: dict[str, object]

    @property
    def ok(self) -> bool:
        """Every suite reached its threshold."""
        return all(r.ok for r in self.suites)


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
            check=False,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _plan(suites: list[Suite], config: EvalConfig) -> list[tuple[Suite, object, int, str]]:
    runs = []
    for suite in suites:
        for scenario in suite.scenarios:
            if config.scenario and config.scenario not in scenario.name:
                continue
            variants = 1 if config.first_phrasing_only else scenario.variants
            for variant in range(variants):
                for model in suite.models:
                    runs.append((suite, scenario, variant, model))
    return runs


async def run_eval(
    config: EvalConfig, settings: Settings | None = None, out: TextIO = sys.stdout
) -> EvalOutcome:
    """Run the configured suites and return the scored outcome (reports are written when ``report_dir`` is
    set)."""
    settings = settings or Settings()
    started = time.perf_counter()
    suites = load_suites(config.suites, config.datasets)
    cache_dir = config.cache_dir or (settings.data_dir / "eval-cache")
    nlu_cache = cache_dir / "nlu"
    nlu_cache.mkdir(parents=True, exist_ok=True)
    runs = _plan(suites, config)
    # Case databases are written and thrown away by the hundred: keep them in memory when the machine allows.
    scratch = "/dev/shm" if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="activeintel-eval-", dir=scratch) as tmp:
        env = RunEnv(
            templates=config.templates or TemplateCache(Path(tmp) / "templates"),
            workdir=Path(tmp) / "cases",
            primary=primary_model(config.model, settings, cache_dir=nlu_cache, **config.model_overrides),
            primary_name=config.model,
            inner_offline=OfflineChatModel(cache_dir=str(nlu_cache)),
        )
        if not config.quiet:
            print(
                f"Running {len(runs)} runs of {len(suites)} suites with {config.model} ...",
                file=out,
                flush=True,
            )
        cases: list[CaseResult] = []
        for n, (suite, scenario, variant, model) in enumerate(runs, 1):
            result = await CaseRunner(env, suite, scenario, variant, model).run()  # type: ignore[arg-type]
            cases.append(result)
            if not config.quiet or not result.passed:
                mark = "pass" if result.passed else ("FAIL (known)" if result.known_failure else "FAIL")
                print(
                    f"[{n:>4}/{len(runs)}] {mark:<12} {result.case_id}  {result.seconds:.2f}s",
                    file=out,
                    flush=True,
                )
                if not result.passed and not config.quiet:
                    for failure in result.failures[:3]:
                        print(f"             - {failure}", file=out)
    reports = [
        suite_report(s.suite, s.kind, s.threshold, [c for c in cases if c.suite == s.suite]) for s in suites
    ]
    overall = score(cases)
    meta: dict[str, object] = {
        "model": config.model,
        "prompt_version": PROMPT_VERSION,
        "commit": _commit(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": time.perf_counter() - started,
        "python": platform.python_version(),
        "suites": [s.suite for s in suites],
    }
    outcome = EvalOutcome(cases, reports, overall, meta)
    print("\n" + scorecard(reports, overall), file=out)
    for r in reports:
        if r.security:
            for model, s in r.security.items():
                print(
                    f"security [{r.suite} / {model}]: {s['cases']} runs, {s['exposed']} exposed, "
                    f"{s['approval_interrupts']} approval interrupts (rejected), {s['unauthorized_effects']} "
                    f"unauthorized effects, {s['canary_leaks']} canary leaks, {s['cross_tenant_leaks']} "
                    "cross-tenant leaks",
                    file=out,
                )
    if config.report_dir is not None:
        json_path, md_path = write_reports(config.report_dir, meta, reports, overall, cases)
        print(f"\nReports: {json_path} and {md_path}", file=out)
    below = [r.suite for r in reports if not r.ok]
    if below:
        print(f"Below threshold: {', '.join(below)}", file=out)
    return outcome


def run_command(settings: Settings, args: argparse.Namespace) -> int:
    """Entry point of ``activeintel eval``: exit 0 when every suite reaches its threshold, 1 otherwise."""
    config = EvalConfig(
        model=args.model or settings.model,
        suites=args.suite,
        scenario=args.scenario,
        report_dir=Path(args.report) if args.report else None,
        first_phrasing_only=args.first_phrasing,
        quiet=args.quiet,
    )
    try:
        load_suites(config.suites, config.datasets)
    except (ValueError, OSError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    outcome = asyncio.run(run_eval(config, settings))
    return 0 if outcome.ok else 1
