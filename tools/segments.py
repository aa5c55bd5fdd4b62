"""Segment tools: preview before saving, save, list."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.prebuilt import ToolRuntime

from core.segments import service as segments
from tools.base import Risk, ai_tool, dump_list, dump_object, unit_of_work
from tools.context import TurnContext

AREA = "Segments"

CONDITIONS_HELP = """Conditions (each a dict; "type" decides the rest):
  {"type":"engagement","action":"open|click|reply|forward|share|unsubscribe|bounce","op":"has|has_not",
   "period":{"last_days":90}, "campaign":"<name, optional>", "url":"<click url with * wildcards, optional>"}
  {"type":"purchase","op":"has|has_not","period":{"last_days":90},"product":"<optional>","min_total":50}
  {"type":"tag","tag":"VIP","op":"has|has_not"}
  {"type":"list","list":"Newsletter","op":"subscribed|unsubscribed|not_subscribed"}
  {"type":"page_visit","url":"*/pricing*","op":"has|has_not","period":{"last_days":30}}
  {"type":"field","field":"city|country|first_name|...|<custom field name>","op":"eq|neq|contains|gt|lt|...","value":"Berlin"}
  {"type":"event","name":"webinar_attended","op":"has|has_not"}
  {"type":"score","score":"<score name>","op":"gt|gte|lt|lte|eq","value":50}
  {"type":"deal","field":"status|value|stage|pipeline|owner|win_probability","op":"eq|gt|...","value":"won"}
  A period may also be {"last":"3 months"}, {"since":"2026-03-01"} or {"start":"2026-05-01","end":"2026-06-01"}.
  A nested group: {"type":"group","match":"any","conditions":[...]}."""


def _tree(conditions: list[dict[str, Any]], match: str) -> dict[str, Any]:
    return {"version": 1, "root": {"type": "group", "match": match, "conditions": conditions}}


def _preview_tool_doc(fn: Any) -> Any:
    fn.__doc__ = (fn.__doc__ or "") + "\n" + CONDITIONS_HELP
    return fn


@ai_tool(
    risk=Risk.READ, area=AREA,
    examples=("How many contacts opened in the last 90 days but never bought?", "Preview VIPs in Berlin"),
)
@_preview_tool_doc
def preview_segment(
    conditions: list[dict[str, Any]],
    match: Literal["all", "any"] = "all",
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Count the contacts matching conditions and show a few, without saving anything.

    Args:
        conditions: the conditions, see below.
        match: "all" (AND) or "any" (OR).
    """
    with unit_of_work(runtime) as (session, ctx):
        out = segments.preview(session, account_id=ctx.account_id, tree=_tree(conditions, match), now=ctx.now)
        runtime.stream_writer({"artifact": "segment_preview", "data": out.model_dump(mode="json")})
        return dump_object("segment_preview", out, conditions=conditions, match=match)


@ai_tool(risk=Risk.WRITE, area=AREA, examples=("Save that as a segment called Win-back",))
@_preview_tool_doc
def create_segment(
    name: str,
    conditions: list[dict[str, Any]],
    match: Literal["all", "any"] = "all",
    rename_if_taken: bool = False,
    runtime: ToolRuntime[TurnContext] = None,  # type: ignore[assignment]
) -> str:
    """Save a named segment from conditions; returns it with how many contacts it matches now.

    Args:
        name: the segment's name (unique in the account).
        conditions: the conditions, see below.
        match: "all" (AND) or "any" (OR).
        rename_if_taken: when you chose the name yourself, set true to get "Name (2)" instead of an error.
    """
    with unit_of_work(runtime) as (session, ctx):
        if rename_if_taken:
            name = segments.available_name(session, account_id=ctx.account_id, name=name)
        out = segments.create_segment(
            session, account_id=ctx.account_id, name=name, tree=_tree(conditions, match), now=ctx.now
        )
        count = segments.count_segment(session, account_id=ctx.account_id, segment=out.id, now=ctx.now)
        return dump_object("segment", {"id": out.id, "name": out.name, "summary": out.summary, "count": count})


@ai_tool(risk=Risk.READ, area=AREA, examples=("What segments do I have?",))
def list_segments(runtime: ToolRuntime[TurnContext]) -> str:
    """List saved segments with a plain-words summary of each."""
    with unit_of_work(runtime) as (session, ctx):
        rows = segments.list_segments(session, account_id=ctx.account_id)
        return dump_list("segment", [{"id": s.id, "name": s.name, "summary": s.summary} for s in rows])


@ai_tool(risk=Risk.READ, area=AREA, examples=("How many people are in the VIP segment?",))
def get_segment(segment: str, runtime: ToolRuntime[TurnContext]) -> str:
    """Show a saved segment: its conditions in words and how many contacts it matches now.

    Args:
        segment: the segment's name or id.
    """
    with unit_of_work(runtime) as (session, ctx):
        out = segments.get_segment(session, account_id=ctx.account_id, segment=segment)
        count = segments.count_segment(session, account_id=ctx.account_id, segment=out.id, now=ctx.now)
        return dump_object("segment", {"id": out.id, "name": out.name, "summary": out.summary, "count": count})
