"""``activeintel serve`` and ``activeintel keys``: run the server; create, list and revoke API keys."""

from __future__ import annotations

import argparse
import sys

from core.auth import service as keys
from core.config import Settings
from core.db import make_engine, make_session_factory, upgrade_database, utcnow
from core.errors import DomainError
from server.settings import ServerSettings


def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Prepare the database (demo account and key on first start), print how to connect, run uvicorn."""
    import uvicorn

    from server.app import create_app
    from server.bootstrap import prepare_database

    overrides = {} if args.demo_contacts is None else {"demo_contacts": args.demo_contacts}
    server_settings = ServerSettings(**overrides)
    engine = make_engine(settings.effective_database_url)
    try:
        boot = prepare_database(
            engine,
            data_dir=settings.data_dir,
            demo_contacts=server_settings.demo_contacts,
            now=utcnow(),
            on_demo=lambda n: print(
                f"First start: building the demo account ({n:,} contacts)...", flush=True
            ),
        )
    except DomainError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    base = f"http://{args.host}:{args.port}"
    print(f"\nActiveIntel is starting at {base}/")
    print(f"  WebSocket chat       ws://{args.host}:{args.port}/ws/chat  (docs/websocket-protocol.md)")
    print(f"  Agent Protocol API   {base}  (LangGraph SDK / agent-chat-ui; assistant 'agent')")
    print(f"  REST and API docs    {base}/docs")
    if boot.api_key:
        print(
            f"\n  Demo account {boot.account_name!r} (id {boot.account_id}); API key of {boot.admin_email},"
        )
        print(f"  shown once, keep it:  {boot.api_key}\n")
    elif boot.account_id is not None:
        print(f"\n  Account {boot.account_name!r} (id {boot.account_id}). Create an API key with:")
        print(f"    {boot.key_hint()}\n")
    else:
        print("\n  The database has no account (--demo-contacts 0). Build one with `activeintel demo`.\n")
    app = create_app(settings, server_settings=server_settings)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        ws_ping_interval=server_settings.ws_ping_interval,
        ws_ping_timeout=server_settings.ws_ping_timeout,
        ws_max_size=server_settings.ws_max_message_bytes,
        timeout_graceful_shutdown=int(server_settings.shutdown_grace) + 5,
        limit_concurrency=args.limit_concurrency,
    )
    return 0


def run_keys(settings: Settings, args: argparse.Namespace) -> int:
    """Create, list or revoke API keys."""
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade_database(engine)
        with make_session_factory(engine).begin() as session:
            if args.action == "create":
                account_id, user_id = keys.resolve_owner(session, account=args.account, user=args.user)
                assert user_id is not None
                created = keys.create_api_key(
                    session, account_id=account_id, user_id=user_id, now=utcnow(), name=args.name
                )
                print(
                    f"API key {created.key.prefix} (id {created.key.id}) for {args.user} ({account_id})."
                )
                print("Shown once; store it now:")
                print(created.secret)
            elif args.action == "list":
                account_id, user_id = keys.resolve_owner(session, account=args.account, user=args.user)
                rows = keys.list_api_keys(session, account_id=account_id, user_id=user_id)
                if not rows:
                    print("No API keys.")
                for k in rows:
                    state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
                    used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
                    print(
                        f"{k.id:>5}  {k.prefix}  user {k.user_id:<5} {k.name:<20} {state:<19} used {used}"
                    )
            else:
                account_id, _ = keys.resolve_owner(session, account=args.account)
                revoked = keys.revoke_api_key(session, account_id=account_id, key=args.key, now=utcnow())
                print(f"Revoked API key {revoked.prefix} (id {revoked.id}).")
    except DomainError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0
