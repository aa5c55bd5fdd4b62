"""``activeintel chat``: a terminal chat over the same run_turn every surface uses."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any, TextIO

from sqlalchemy import select

from agent.checkpoint import open_checkpointer
from agent.events import (
    ApprovalRequest,
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


class TerminalChat:
    """Renders turn events on a terminal and asks for approvals."""

    def __init__(self, deps: AgentDeps, account_id: int, user_id: int, out: TextIO = sys.stdout) -> None:
        self.deps, self.account_id, self.user_id, self.out = deps, account_id, user_id, out
        self.thread_id: str | None = None

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
            elif isinstance(event, ApprovalRequest):
                pending = event
                self._show_approval(event)
            elif isinstance(event, FinalAnswer) and not streamed:
                self.out.write(event.text)
            elif isinstance(event, ErrorEvent):
                self.out.write(f"Error: {event.message}\n")
            elif isinstance(event, RunEnded) and streamed:
                self.out.write("\n")
        self.out.flush()
        return pending

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
        chat = TerminalChat(AgentDeps(graph=graph, session_factory=factory), account_id, user_id)
        chat.thread_id = args.thread
        if args.once is not None:
            pending = await chat.turn(text=args.once)
            if pending is not None and (args.approve or args.reject):
                choice = "approve" if args.approve else "reject"
                pending = await chat.turn(decision={"decisions": [{"type": choice}]})
            print(f"[thread {chat.thread_id}]", file=sys.stderr)
            return 3 if pending is not None else 0
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


def run_chat(settings: Settings, args: argparse.Namespace) -> int:
    """Entry point of ``activeintel chat``."""
    try:
        return asyncio.run(_session(settings, args))
    except DomainError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 2
