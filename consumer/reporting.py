"""What a sync shows a person: progress bars while it pulls, a table of what it did at the end."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rosterlab.consumer.sources.base import Progress as ProgressCallback
from rosterlab.consumer.sync import SyncResult

COUNTS = ("created", "updated", "deleted", "unchanged", "rejected")


@contextmanager
def progress_bars(enabled: bool | None = None) -> Iterator[ProgressCallback]:
    """A progress callback drawing one bar per entity on stderr (only on a terminal, unless `enabled`)."""
    console = Console(stderr=True)
    show = console.is_terminal if enabled is None else enabled
    columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not show, transient=True) as bars:
        tasks: dict[str, int] = {}

        def update(entity: str, received: int, total: int | None) -> None:
            if entity not in tasks:
                tasks[entity] = bars.add_task(entity, total=total)
            bars.update(tasks[entity], completed=received, total=total if total is not None else received)

        yield update


def summary_table(result: SyncResult, title: str) -> Table:
    """One row per entity: created, updated, deleted, unchanged, rejected, and deletions held."""
    table = Table(title=title)
    table.add_column("entity")
    for column in (*COUNTS, "held"):
        table.add_column(column, justify="right")
    for entity, counts in result.counts.items():
        table.add_row(entity, *(str(counts.get(c, 0)) for c in COUNTS), str(result.held.get(entity, 0)))
    return table


def print_summary(result: SyncResult, name: str) -> None:
    """The table, the held deletions and the first rejections, on stdout."""
    console = Console(file=sys.stdout, width=120)
    console.print(summary_table(result, f"{result.kind} sync of {name} in {result.seconds:.1f} s"))
    for entity, count in result.held.items():
        console.print(f"HELD: {count} deletions of {entity}; approve with `rosterlab sync approve {name}`")
    for warning in result.warnings[:10]:
        console.print(f"warning: {warning}")
    for reason in result.rejections[:10]:
        console.print(f"rejected: {reason}")
    if len(result.rejections) > 10:
        console.print(f"rejected: ... and {len(result.rejections) - 10} more (see `rosterlab sync history {name}`)")
