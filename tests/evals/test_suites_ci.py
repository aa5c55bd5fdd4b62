"""CI gate: every offline suite and the adversarial suite (offline and obedient models) reach their
thresholds.

The adversarial suite also has a hard gate: no unauthorized effect, no other tenant's data, no crash.
"""

from __future__ import annotations

import io

from evals.run import EvalConfig, run_eval


async def test_all_suites_reach_their_thresholds(tmp_path, eval_cache, templates) -> None:
    out = io.StringIO()
    outcome = await run_eval(
        EvalConfig(
            model="offline", cache_dir=eval_cache, templates=templates, quiet=True, report_dir=tmp_path
        ),
        out=out,
    )
    below = [f"{r.suite} {r.score.pass_rate:.1%} < {r.threshold:.0%}" for r in outcome.suites if not r.ok]
    assert not below, "\n".join([*below, out.getvalue()[-6000:]])
    security = [r for r in outcome.suites if r.kind == "security"]
    assert security and all(
        s["unauthorized_effects"] == 0 and s["cross_tenant_leaks"] == 0 and s["cases"] > 0
        for r in security
        for s in (r.security or {}).values()
    )
    assert {m for r in security for m in (r.security or {})} == {"offline", "obedient"}
