"""The ``activeintel`` command line."""

from __future__ import annotations

import argparse
import sys

from core.config import Settings


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="activeintel", description="ActiveIntel: conversational marketing assistant")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="build the demo account (deterministic) and print its summary")
    demo.add_argument("--contacts", type=int, default=5000, help="number of contacts (default 5000)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--name", default="Demo Store", help="account name (default 'Demo Store')")
    demo.add_argument(
        "--now",
        default=None,
        help="anchor date YYYY-MM-DD for the 12 months of history (default: today, UTC)",
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bars")

    chat = sub.add_parser("chat", help="chat with the assistant in the terminal")
    chat.add_argument("--once", metavar="TEXT", default=None, help="run one turn, print the answer and exit")
    chat.add_argument("--thread", default=None, help="continue this chat (thread id)")
    decision = chat.add_mutually_exclusive_group()
    decision.add_argument("--approve", action="store_true", help="approve the requested action (of this --once turn, or waiting in --thread)")
    decision.add_argument("--reject", action="store_true", help="reject the requested action (of this --once turn, or waiting in --thread)")
    chat.add_argument("--account", type=int, default=None, help="account id (default: the first account)")
    chat.add_argument("--user", default=None, help="user email (default: the account's first admin)")

    ev = sub.add_parser("eval", help="run the evaluation suites against a model and print a scorecard")
    ev.add_argument(
        "--model", default=None,
        help="offline or openai:<model> (default: ACTIVEINTEL_MODEL; OPENAI_BASE_URL for a local server)",
    )
    ev.add_argument("--suite", action="append", default=[], metavar="NAME",
                    help="only this suite (repeatable)")
    ev.add_argument("--report", default=None, metavar="DIR", help="write report.json and report.md there")
    ev.add_argument("--scenario", default=None, metavar="TEXT", help="only scenarios with TEXT in their name")
    ev.add_argument("--first-phrasing", action="store_true", help="skip the paraphrases (a quick smoke run)")
    ev.add_argument("--quiet", action="store_true", help="print only failures and the scorecard")

    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="upgrade: bring the schema to the newest version")

    serve = sub.add_parser("serve", help="run the server: web chat, WebSocket chat, Agent Protocol API, REST")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--demo-contacts", type=int, default=None,
        help="contacts in the demo account built on first start (default 2000; 0: no demo account)",
    )
    serve.add_argument(
        "--limit-concurrency", type=int, default=None, help="answer 503 above this many open connections"
    )

    keys = sub.add_parser("keys", help="API keys: create, list, revoke")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    create = keys_sub.add_parser("create", help="create a key for a user (shown once)")
    create.add_argument("--account", required=True, help="account id or name")
    create.add_argument("--user", required=True, help="the user's email")
    create.add_argument("--name", default="default", help="a label for the key (default 'default')")
    listing = keys_sub.add_parser("list", help="list an account's keys (never the secrets)")
    listing.add_argument("--account", required=True, help="account id or name")
    listing.add_argument("--user", default=None, help="only this user's keys (email)")
    revoke = keys_sub.add_parser("revoke", help="revoke a key")
    revoke.add_argument("--account", required=True, help="account id or name")
    revoke.add_argument("key", help="the key's id or prefix (as `keys list` shows)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = _build_parser().parse_args(argv)
    settings = Settings()
    if args.command == "demo":
        from activeintel.demo_command import run_demo

        return run_demo(settings, args)
    if args.command == "chat":
        from activeintel.chat_command import run_chat

        return run_chat(settings, args)
    if args.command == "serve":
        from server.commands import run_serve

        return run_serve(settings, args)
    if args.command == "keys":
        from server.commands import run_keys

        return run_keys(settings, args)
    if args.command == "eval":
        from evals.run import run_command

        return run_command(settings, args)
    if args.command == "db":
        from core.db import make_engine, upgrade_database

        engine = make_engine(settings.effective_database_url)
        upgrade_database(engine)
        print(f"Schema is up to date at {engine.url.render_as_string(hide_password=True)}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
