"""The layering rule: core imports no LangChain, LangGraph, FastAPI or Slack; tools import no server."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BANNED = {
    "core": ("langchain", "langgraph", "fastapi", "starlette", "slack_bolt", "slack_sdk", "agent", "tools", "server"),
    "tools": ("fastapi", "starlette", "slack_bolt", "slack_sdk", "server", "agent"),
    "agent": ("fastapi", "starlette", "slack_bolt", "slack_sdk", "server"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(BANNED))
def test_layer_imports_only_inward(layer: str) -> None:
    offenders = []
    for path in (ROOT / layer).rglob("*.py"):
        bad = _imports(path) & set(BANNED[layer])
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)
