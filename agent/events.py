"""Typed events a turn streams to every surface (CLI, WebSocket, Slack, evals)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field


class RunStarted(BaseModel):
    type: Literal["run_started"] = "run_started"
    thread_id: str
    run_id: str


class Token(BaseModel):
    type: Literal["token"] = "token"
    text: str


class ToolStarted(BaseModel):
    type: Literal["tool_started"] = "tool_started"
    call_id: str
    name: str
    args: dict[str, Any]


class ToolFinished(BaseModel):
    type: Literal["tool_finished"] = "tool_finished"
    call_id: str
    name: str
    status: Literal["success", "error"]
    output: str


class Artifact(BaseModel):
    type: Literal["artifact"] = "artifact"
    kind: str
    data: dict[str, Any]


class ApprovalRequest(BaseModel):
    type: Literal["approval_request"] = "approval_request"
    interrupt_id: str
    payload: dict[str, Any]


class FinalAnswer(BaseModel):
    type: Literal["final_answer"] = "final_answer"
    text: str


class ErrorEvent(BaseModel):
    type: Literal["error"] = "error"
    message: str


class RunEnded(BaseModel):
    type: Literal["run_ended"] = "run_ended"
    status: Literal["success", "interrupted", "error", "cancelled"]


TurnEvent = Annotated[
    RunStarted | Token | ToolStarted | ToolFinished | Artifact | ApprovalRequest | FinalAnswer | ErrorEvent | RunEnded,
    Field(discriminator="type"),
]
