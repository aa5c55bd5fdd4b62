"""``activeintel demo``: build the deterministic demo account and print what it holds."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.config import Settings
from core.db import make_engine
from core.demo import DemoSummary, build_demo_account
from core.errors import DomainError


def parse_now(raw: str | None) -> datetime:
    """Turn ``--now YYYY-MM-DD`` into the anchor instant (midnight UTC of that day; default today)."""
    if raw is None:
        day = datetime.now(UTC).date()
    else:
        try:
            day = date.fromisoformat(raw.strip())
        except ValueError:
            raise DomainError(
                f"--now {raw!r} is not a date; use the form YYYY-MM-DD, e.g. 2026-06-15."
            ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def summary_table(s: DemoSummary) -> Table:
    """Render the summary as one two-column table."""
    table = Table(title=f"Demo account {s.name!r}", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    rows: list[tuple[str, str]] = [
        ("account id", str(s.account_id)),
        ("plan", f"{s.plan} + {', '.join(s.addons) or 'no add-ons'}"),
        ("industry / time zone", f"{s.industry} / {s.timezone}"),
        ("BotSense", "on" if s.botsense_enabled else "off"),
        (
            "contacts",
            f"{s.contacts:,} ("
            + ", ".join(f"{k} {v:,}" for k, v in sorted(s.contacts_by_status.items()))
            + ")",
        ),
        ("lists / subscriptions", f"{s.lists} / {s.subscriptions:,}"),
        ("tags / tagged contacts", f"{s.tags} / {s.tagged_contacts:,}"),
        ("campaigns", ", ".join(f"{k} {v}" for k, v in sorted(s.campaigns_by_status.items()))),
        (
            "sends",
            f"{s.sends:,} (" + ", ".join(f"{k} {v:,}" for k, v in sorted(s.sends_by_status.items())) + ")",
        ),
        ("events", f"{s.events_total:,}"),
    ]
    for e in s.events:
        extra = []
        if e.bot:
            extra.append(f"bot {e.bot:,}")
        if e.mpp:
            extra.append(f"Apple MPP {e.mpp:,}")
        rows.append((f"  {e.type}", f"{e.total:,}" + (f" ({', '.join(extra)})" if extra else "")))
    rows += [
        ("page visits", f"{s.page_visits:,} ({s.page_visits_from_campaigns:,} from campaign clicks)"),
        ("orders / revenue", f"{s.orders:,} / {_money(s.revenue_cents)}"),
        ("abandoned carts", f"{s.abandoned_carts:,}"),
        ("deals", ", ".join(f"{k} {v:,}" for k, v in sorted(s.deals_by_status.items()))),
        ("elapsed", f"{s.elapsed_seconds:,.1f} s"),
        ("ground truth", s.ground_truth_dir or "-"),
    ]
    for k, v in rows:
        table.add_row(k, v)
    return table


def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Build the demo account into the configured database and print its summary; return the exit code."""
    console = Console()
    try:
        now = parse_now(args.now)
    except DomainError as e:
        console.print(f"[red]{e}[/red]")
        return 2
    url = settings.effective_database_url
    engine = make_engine(url)
    where = engine.url.render_as_string(hide_password=True)
    if not args.quiet:
        console.print(
            f"Building {args.contacts:,} contacts (seed {args.seed}, history to {now:%Y-%m-%d}) in {where}"
        )
    try:
        if args.quiet:
            summary = build_demo_account(
                engine,
                contacts=args.contacts,
                seed=args.seed,
                now=now,
                name=args.name,
                data_dir=settings.data_dir,
            )
        else:
            with Progress(
                TextColumn("{task.description:<32}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as bars:
                tasks: dict[str, int] = {}

                def progress(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bars.add_task(stage, total=total)
                    bars.update(tasks[stage], completed=done, total=total)

                summary = build_demo_account(
                    engine,
                    contacts=args.contacts,
                    seed=args.seed,
                    now=now,
                    name=args.name,
                    data_dir=settings.data_dir,
                    progress=progress,
                )
    except DomainError as e:
        console.print(f"[red]{e}[/red]")
        return 1
    finally:
        engine.dispose()
    console.print(summary_table(summary))
    return 0
