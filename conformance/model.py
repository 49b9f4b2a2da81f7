"""What the checker reports: checks with an id, a title, the part of the standard they rest on and a level,
and for each run a verdict with its evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    """How binding the rule a check tests is (RFC 2119)."""

    MUST = "must"
    SHOULD = "should"
    MAY = "may"

    def at_least(self, threshold: Level) -> bool:
        """Whether this level is as binding as `threshold` or more (must > should > may)."""
        order = list(Level)
        return order.index(self) <= order.index(threshold)


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # not applicable to this endpoint or data (the message says why)
    ERROR = "error"  # could not run: no token, unreachable, out of budget (the message says why)


class Outcome(StrEnum):
    """The verdict of a whole run, and the exit code `rosterlab check` gives it."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"

    @property
    def exit_code(self) -> int:
        return {Outcome.PASS: 0, Outcome.FAIL: 1, Outcome.ERROR: 3}[self]


@dataclass
class Evidence:
    """The request that showed a failure, and an excerpt of what came back (or of the record at fault)."""

    request: str
    status: int | None = None
    excerpt: str = ""


@dataclass
class Verdict:
    """The outcome of one check."""

    status: Status
    message: str = ""
    evidence: Evidence | None = None


class Failed(Exception):
    """Raised inside a check: the check fails with this message and evidence."""

    def __init__(self, message: str, evidence: Evidence | None = None) -> None:
        super().__init__(message)
        self.evidence = evidence


class NotApplicable(Exception):
    """Raised inside a check: it does not apply here (e.g. no data to test with)."""


class CouldNotRun(Exception):
    """Raised inside a check: the checker could not do its part (no token, provider unreachable, budget spent),
    so the check says nothing about the provider."""


@dataclass(frozen=True)
class Check:
    """A check: a plain function of the target, and what it stands for."""

    id: str
    title: str
    reference: str
    level: Level
    run: Callable[[Any], None]
    writes: bool = False  # needs --allow-writes
    versions: tuple[str, ...] = ("1.1", "1.2")


@dataclass
class Result:
    check: Check
    verdict: Verdict
    seconds: float = 0.0


@dataclass
class Report:
    """Every result of a run against one target and version."""

    target: str
    version: str
    started: str
    results: list[Result] = field(default_factory=list)
    fail_on: Level = Level.MUST

    def failures(self, level: Level | None = None) -> list[Result]:
        return [
            r for r in self.results if r.verdict.status is Status.FAIL and (level is None or r.check.level is level)
        ]

    def errors(self) -> list[Result]:
        return [r for r in self.results if r.verdict.status is Status.ERROR]

    def counted_failures(self) -> list[Result]:
        """The failures at `fail_on` or more binding."""
        return [r for r in self.failures() if r.check.level.at_least(self.fail_on)]

    @property
    def outcome(self) -> Outcome:
        """FAIL on a failure at `fail_on` or above; else ERROR when a check could not run; else PASS."""
        if self.counted_failures():
            return Outcome.FAIL
        return Outcome.ERROR if self.errors() else Outcome.PASS

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS


def combined(reports: list[Report]) -> Outcome:
    """The outcome of several reports (one per version): any failure, else any error, else pass."""
    outcomes = {report.outcome for report in reports}
    for outcome in (Outcome.FAIL, Outcome.ERROR):
        if outcome in outcomes:
            return outcome
    return Outcome.PASS if reports else Outcome.ERROR


REGISTRY: dict[str, Check] = {}


def check(
    id: str,
    title: str,
    reference: str,
    level: Level,
    writes: bool = False,
    versions: tuple[str, ...] = ("1.1", "1.2"),
) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Register a plain function as a check."""

    def register(function: Callable[[Any], None]) -> Callable[[Any], None]:
        if id in REGISTRY:
            raise ValueError(f"two checks are called {id}")
        REGISTRY[id] = Check(id, title, reference, level, function, writes, versions)
        return function

    return register
