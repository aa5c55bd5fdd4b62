"""Planner handlers and answer composers for tool families added after the core set, one module per area.

Each module defines ``HANDLERS`` (intent -> handler, see agent/offline/planner.py) and ``COMPOSERS`` (result
"object" kind -> composer, see agent/offline/nlg.py). Keeping an area in its own module lets its intents, plans
and answers be written and reviewed together without touching the shared tables.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from agent.offline import nlg, planner


def _modules() -> list[Any]:
    return [importlib.import_module(f"{__name__}.{m.name}") for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)]


# Each area may re-read a step in the light of the dialogue (its ``REROUTE(step, state, conv) -> step``), e.g. an
# edit right after an automation was built is about the automation; the brain applies them before planning.
REROUTES: list[Callable[..., Any]] = []


def reroute(step: Any, state: Any, conv: Any) -> Any:
    """Let every area re-read a step (intent or slots) with the dialogue state; returns the step to plan."""
    for fn in REROUTES:
        step = fn(step, state, conv)
    return step


def install() -> None:
    """Merge every area's handlers and composers into the shared tables; a clash is a bug, not an override."""
    for module in _modules():
        fn = getattr(module, "REROUTE", None)
        if fn is not None and fn not in REROUTES:
            REROUTES.append(fn)
        for table, extra in ((planner.HANDLERS, getattr(module, "HANDLERS", {})), (nlg.COMPOSERS, getattr(module, "COMPOSERS", {}))):
            clash = sorted(set(extra) & set(table) - {k for k, v in extra.items() if table.get(k) is v})
            if clash:
                raise RuntimeError(f"{module.__name__} redefines {clash}")
            table.update(extra)  # type: ignore[arg-type]


Handler = Callable[[planner.Env], planner.Outcome]
