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


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # not applicable to this endpoint or data (the message says why)


@dataclass
class Evidence:
    """The request that showed a failure, and an excerpt of what came back."""

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
    """Every result of a run against one target."""

    target: str
    version: str
    started: str
    results: list[Result] = field(default_factory=list)

    def failures(self, level: Level | None = None) -> list[Result]:
        return [
            r for r in self.results if r.verdict.status is Status.FAIL and (level is None or r.check.level is level)
        ]

    @property
    def passed(self) -> bool:
        """No must-failure."""
        return not self.failures(Level.MUST)


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
