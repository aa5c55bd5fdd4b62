"""``activeintel chat``: a terminal chat over the same run_turn every surface uses."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select

from agent.checkpoint import open_checkpointer
from agent.events import (
    ApprovalRequest,
    Artifact,
    ErrorEvent,
    FinalAnswer,
    RunEnded,
    RunStarted,
    Token,
    ToolFinished,
    ToolStarted,
)
from agent.graph import build_graph
from agent.models import make_model
from agent.run import AgentDeps, run_turn
from core.accounts.models import Account, User
from core.chats import service as chats
from core.config import Settings
from core.db import make_engine, make_session_factory, upgrade_database
from core.enums import UserRole
from core.errors import DomainError
from core.mail import transport_from_settings

BAR_WIDTH = 30
HELP = "Commands: /new (new chat), /history (your chats), /switch N (open chat N from /history), /quit"


def _short_args(args: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return text if len(text) <= 100 else text[:99] + "…"


def _pick_identity(factory: Any, account_id: int | None, user_email: str | None) -> tuple[int, int]:
    with factory() as session:
        query = select(Account).order_by(Account.id)
        if account_id is not None:
            query = query.where(Account.id == account_id)
        account = session.scalars(query).first()
        if account is None:
            raise DomainError(
                "There is no account in this database yet. Run `activeintel demo` first to create the demo account."
                if account_id is None else f"No account with id {account_id}."
            )
        users = select(User).where(User.account_id == account.id).order_by(User.id)
        if user_email:
            users = users.where(User.email == user_email.lower())
        else:
            users = users.where(User.role == UserRole.ADMIN)
        user = session.scalars(users).first()
        if user is None:
            raise DomainError(f"No user {user_email or 'with the admin role'} in account {account.name!r}.")
        return account.id, user.id


def chart_bars(table: list[dict[str, Any]]) -> list[str]:
    """A chart's table as text bars (a terminal cannot show the SVG): one line per row and rate."""
    if not table:
        return []
    label_key = next(iter(table[0]))
    metrics = [k for k in table[0] if k != label_key]
    top = max((float(r.get(m) or 0) for r in table for m in metrics), default=0.0) or 1.0
    width = max(len(m.replace("_", " ")) for m in metrics)
    lines = []
    for row in table:
        lines.append(f"  {row[label_key]}")
        for m in metrics:
            value = float(row.get(m) or 0)
            lines.append(f"    {m.replace('_', ' '):<{width}} {'█' * round(BAR_WIDTH * value / top):<{BAR_WIDTH}} {value:.1%}")
    return lines


class TerminalChat:
    """Renders turn events on a terminal and asks for approvals; charts are saved as SVG files."""

    def __init__(
        self, deps: AgentDeps, account_id: int, user_id: int, out: TextIO | None = None, charts_dir: Path | None = None
    ) -> None:
        self.deps, self.account_id, self.user_id = deps, account_id, user_id
        self.out = out if out is not None else sys.stdout
        self.charts_dir = charts_dir
        self.thread_id: str | None = None
        self.pending_charts: list[Artifact] = []
        self.last_status = "success"

    async def turn(self, *, text: str | None = None, decision: dict[str, Any] | None = None) -> ApprovalRequest | None:
        pending: ApprovalRequest | None = None
        streamed = False
        async for event in run_turn(
            self.deps, account_id=self.account_id, user_id=self.user_id, text=text, decision=decision,
            thread_id=self.thread_id, surface="cli",
        ):
            if isinstance(event, RunStarted):
                self.thread_id = event.thread_id
            elif isinstance(event, ToolStarted):
                self.out.write(f"  · {event.name}({_short_args(event.args)})\n")
            elif isinstance(event, ToolFinished) and event.status == "error":
                self.out.write(f"  ! {event.name}: {event.output}\n")
            elif isinstance(event, Token):
                self.out.write(event.text)
                self.out.flush()
                streamed = True
            elif isinstance(event, Artifact) and event.kind == "chart":
                # Shown after the answer, which the chart illustrates.
                self.pending_charts.append(event)
            elif isinstance(event, ApprovalRequest):
                pending = event
                self._show_approval(event)
            elif isinstance(event, FinalAnswer) and not streamed:
                self.out.write(event.text)
            elif isinstance(event, ErrorEvent):
                self.out.write(f"Error: {event.message}\n")
            elif isinstance(event, RunEnded):
                self.last_status = event.status
                if streamed:
                    self.out.write("\n")
                self._show_charts()
        self.out.flush()
        return pending

    def _show_charts(self) -> None:
        for chart in self.pending_charts:
            title = str(chart.data.get("title") or "Chart")
            self.out.write(f"\n{title}\n")
            for line in chart_bars(chart.data.get("table") or []):
                self.out.write(line + "\n")
            svg = chart.data.get("svg")
            if self.charts_dir is not None and isinstance(svg, str):
                self.charts_dir.mkdir(parents=True, exist_ok=True)
                slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "chart"
                path = self.charts_dir / f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{slug}.svg"
                path.write_text(svg, encoding="utf-8")
                self.out.write(f"  chart saved: {path}\n")
        self.pending_charts.clear()

    def _show_approval(self, event: ApprovalRequest) -> None:
        for req in event.payload.get("action_requests", []):
            self.out.write(f"\nApproval needed: {req.get('description') or req.get('name')}\n")
        for key, value in (event.payload.get("details") or {}).items():
            self.out.write(f"  {key.replace('_', ' ')}: {value}\n")


async def _session(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.effective_database_url)
    upgrade_database(engine)
    factory = make_session_factory(engine)
    account_id, user_id = _pick_identity(factory, args.account, args.user)
    async with open_checkpointer(settings) as saver:
        graph = build_graph(model=make_model(settings), checkpointer=saver)
        chat = TerminalChat(
            AgentDeps(graph=graph, session_factory=factory, mail=transport_from_settings(settings)), account_id, user_id,
            charts_dir=settings.data_dir / "charts",
        )
        chat.thread_id = args.thread
        if args.once is not None or args.approve or args.reject:
            return await _once(chat, args)
        print(f"ActiveIntel chat ({settings.model}). {HELP}")
        listed: list[str] = []
        while True:
            try:
                line = input("\nyou> ").strip()
            except EOFError:
                return 0
            if not line:
                continue
            if line in ("/quit", "/exit"):
                return 0
            if line == "/new":
                chat.thread_id = None
                print("New chat.")
                continue
            if line == "/history":
                with factory() as s:
                    threads = chats.list_threads(s, account_id=account_id, user_id=user_id)
                listed = [t.id for t in threads]
                for i, t in enumerate(threads, 1):
                    print(f"{i:>3}. {t.title}  ({t.updated_at:%Y-%m-%d %H:%M})")
                if not threads:
                    print("No chats yet.")
                continue
            if line.startswith("/switch"):
                parts = line.split()
                if len(parts) != 2 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(listed):
                    print("Use /history first, then /switch N with a number from that list.")
                    continue
                chat.thread_id = listed[int(parts[1]) - 1]
                print(f"Switched to chat {parts[1]}.")
                continue
            if line.startswith("/"):
                print(HELP)
                continue
            pending = await chat.turn(text=line)
            while pending is not None:
                answer = input("Approve? [y]es / [n]o: ").strip().lower()
                choice = "approve" if answer.startswith("y") else "reject"
                pending = await chat.turn(decision={"decisions": [{"type": choice}]})


async def _once(chat: TerminalChat, args: argparse.Namespace) -> int:
    """One non-interactive step; exit code 0 done, 3 an approval is waiting, 1 the turn failed."""
    decision = {"decisions": [{"type": "approve" if args.approve else "reject"}]} if (args.approve or args.reject) else None
    if args.once is None:
        # Answer an approval an earlier --once left waiting in this chat.
        if not args.thread:
            raise DomainError("--approve/--reject without --once need --thread: the chat whose action is waiting.")
        pending = await chat.turn(decision=decision)
    else:
        pending = await chat.turn(text=args.once)
        if pending is not None and decision is not None:
            pending = await chat.turn(decision=decision)
    print(f"[thread {chat.thread_id}]", file=sys.stderr)
    if pending is not None:
        print("An action is waiting for approval: run again with --thread and --approve or --reject.", file=sys.stderr)
        return 3
    return 1 if chat.last_status == "error" else 0


def run_chat(settings: Settings, args: argparse.Namespace) -> int:
    """Entry point of ``activeintel chat``."""
    try:
        return asyncio.run(_session(settings, args))
    except DomainError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 2
