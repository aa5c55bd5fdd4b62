""""What can you do?", answered from the tool registry itself, so it never drifts from what exists."""

from __future__ import annotations

from langgraph.prebuilt import ToolRuntime

from tools.base import REGISTRY, Risk, ai_tool, dump
from tools.context import TurnContext


@ai_tool(risk=Risk.READ, area="Help and ideas", examples=("What can you do?", "Help"))
def describe_capabilities(runtime: ToolRuntime[TurnContext]) -> str:
    """List what the assistant can do, grouped by area, with example requests and which actions need approval."""
    areas: dict[str, dict[str, list[str]]] = {}
    for info in REGISTRY.values():
        area = areas.setdefault(info.area, {"examples": [], "needs_approval": []})
        area["examples"].extend(info.examples[:1])
        if info.risk in (Risk.BULK, Risk.DESTRUCTIVE, Risk.EXTERNAL_SEND):
            area["needs_approval"].append(info.name.replace("_", " "))
    return dump({"object": "capabilities", "areas": areas})
