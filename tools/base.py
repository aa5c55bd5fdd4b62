"""What every tool shares: risk classes, the registry, the unit of work, error rendering and approvals."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Union

from langchain_core.tools import BaseTool, tool
from langgraph.prebuilt import ToolRuntime
from langgraph.prebuilt.tool_node import ToolInvocationError
from langgraph.types import interrupt
from pydantic import BaseModel
from sqlalchemy.orm import Session

from core.chats.service import find_action, record_action
from core.errors import DomainError, InvalidRequest
from tools.context import TurnContext


class Risk(StrEnum):
    READ = "read"
    WRITE = "write"
    BULK = "bulk"
    DESTRUCTIVE = "destructive"
    EXTERNAL_SEND = "external-send"


APPROVAL_RISKS = frozenset({Risk.BULK, Risk.DESTRUCTIVE, Risk.EXTERNAL_SEND})


@dataclass(frozen=True)
class ToolInfo:
    """Registry entry: what the tool is for, how risky it is, and prompts that use it."""

    name: str
    risk: Risk
    area: str
    examples: tuple[str, ...]


REGISTRY: dict[str, ToolInfo] = {}
_TOOLS: dict[str, BaseTool] = {}


def ai_tool(*, risk: Risk, area: str, examples: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], BaseTool]:
    """Turn a function into a LangChain tool and register its risk class and area."""

    def wrap(fn: Callable[..., Any]) -> BaseTool:
        built = tool(fn, parse_docstring=False)
        built.metadata = {"risk": risk.value, "area": area}
        REGISTRY[built.name] = ToolInfo(built.name, risk, area, examples)
        _TOOLS[built.name] = built
        return built

    return wrap


def all_tools() -> list[BaseTool]:
    """Every registered tool (importing tools.catalog registers them)."""
    import tools.catalog  # noqa: F401

    return list(_TOOLS.values())


@contextmanager
def unit_of_work(runtime: ToolRuntime[TurnContext]) -> Iterator[tuple[Session, TurnContext]]:
    """One transaction per tool call: committed when the tool returns, rolled back when it raises."""
    ctx = runtime.context
    if ctx is None:
        raise RuntimeError("tools need a TurnContext; pass context= to the graph")
    with ctx.session_factory.begin() as session:
        yield session, ctx


def dump(value: BaseModel | list[BaseModel] | dict[str, Any] | list[Any]) -> str:
    """Compact JSON for a tool result (the model reads it; keep it small)."""
    if isinstance(value, BaseModel):
        return value.model_dump_json(exclude_none=True)
    if isinstance(value, list):
        return json.dumps(
            [v.model_dump(mode="json", exclude_none=True) if isinstance(v, BaseModel) else v for v in value],
            default=str,
        )
    return json.dumps(value, default=str)


def dump_object(kind: str, value: BaseModel | dict[str, Any], **extra: Any) -> str:
    """A single-object result tagged with its kind, so follow-ups ("it", "that segment") can find it."""
    data = value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else dict(value)
    return json.dumps({"object": kind, **data, **extra}, default=str)


def dump_list(kind: str, items: list[BaseModel] | list[dict[str, Any]], **extra: Any) -> str:
    """A list result tagged with its item kind, so "the second one" can be resolved."""
    rows = [i.model_dump(mode="json", exclude_none=True) if isinstance(i, BaseModel) else i for i in items]
    return json.dumps({"object": "list", "item_kind": kind, "items": rows, **extra}, default=str)


def render_domain_error(error: DomainError | ToolInvocationError) -> str:
    """Domain errors and malformed arguments become an error tool message the model can act on.

    Every other exception is a bug and propagates.
    """
    if isinstance(error, ToolInvocationError):
        return f"Error: the arguments were not valid for this tool: {str(error).strip()}"
    return f"Error: {error.message}"


# ToolNode reads the handled exception types from the signature's *evaluated* annotation, which
# `from __future__ import annotations` turns into a string; give it the real Union.
render_domain_error.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [inspect.Parameter("error", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                       annotation=Union[DomainError, ToolInvocationError])],  # noqa: UP007
    return_annotation=str,
)


class Decision(BaseModel):
    """A reviewer's answer to an approval request."""

    type: Literal["approve", "edit", "reject"]
    args: dict[str, Any] = {}
    message: str | None = None


def _parse_decision(raw: Any, original: dict[str, Any]) -> Decision:
    # The LangChain HITL shape: {"decisions": [{"type": "approve"} | {"type": "edit", "edited_action": {...}} | ...]}
    if isinstance(raw, dict) and "decisions" in raw and raw["decisions"]:
        raw = raw["decisions"][0]
    if isinstance(raw, str):
        raw = {"type": raw}
    if not isinstance(raw, dict) or raw.get("type") not in ("approve", "edit", "reject"):
        raise InvalidRequest(
            f"Approval answer {raw!r} is not understood; answer with approve, edit (with new arguments) or reject."
        )
    if raw["type"] == "edit":
        edited = raw.get("edited_action") or {}
        return Decision(type="edit", args={**original, **(edited.get("args") or raw.get("args") or {})})
    return Decision(type=raw["type"], args=original, message=raw.get("message"))


def request_approval(
    runtime: ToolRuntime[TurnContext], *, action: str, args: dict[str, Any], description: str, details: dict[str, Any]
) -> Decision:
    """Pause the run for a human decision; ``details`` are the server-computed figures shown to the reviewer.

    The tool re-runs from the top when the run resumes, so everything before this call must be read-only.
    """
    payload = {
        "action_requests": [{"name": action, "args": args, "description": description}],
        "review_configs": [{"action_name": action, "allowed_decisions": ["approve", "edit", "reject"]}],
        "details": details,
    }
    return _parse_decision(interrupt(payload), args)


def run_once(
    session: Session,
    ctx: TurnContext,
    runtime: ToolRuntime[TurnContext],
    *,
    action: str,
    args: dict[str, Any],
    execute: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """Run a side effect at most once per tool call, even when the tool node re-runs after a resume."""
    key = f"{ctx.thread_id}:{runtime.tool_call_id}"
    prior = find_action(session, account_id=ctx.account_id, idempotency_key=key)
    if prior is not None:
        return prior
    result = execute()
    record_action(
        session, account_id=ctx.account_id, idempotency_key=key, tool=action, args=args, result=result, now=ctx.now
    )
    return result
