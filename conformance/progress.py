"""Progress on the terminal while checks run: the version, the check running (i of n), the requests it has
sent and the time it has taken, refreshed as requests go out, so a long check is never silent."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from rosterlab.conformance.model import Check


class TerminalProgress:
    """A live progress line on `console` (stderr); `check` and `request` are the runner's and transport's hooks."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[requests]} requests"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.task: TaskID | None = None
        self.version = ""
        self.requests = 0

    def __enter__(self) -> TerminalProgress:
        self.bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.bar.stop()

    def start(self, version: str) -> None:
        """A new version's run."""
        self.version, self.requests = version, 0
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(f"OneRoster {version}: connecting", total=None, requests=0)

    def check(self, index: int, count: int, check: Check) -> None:
        if self.task is not None:
            self.bar.update(
                self.task, description=f"OneRoster {self.version}: {check.id}", completed=index, total=count
            )
            self.console.log(f"OneRoster {self.version} [{index + 1}/{count}] {check.id}", highlight=False)

    def request(self, shown: str) -> None:
        self.requests += 1
        if self.task is not None:
            self.bar.update(self.task, requests=self.requests)
