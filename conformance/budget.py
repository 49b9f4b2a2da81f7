"""The time a run may take (`--budget SECONDS`), and what is left of it for each request."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rosterlab.conformance.model import CouldNotRun


@dataclass
class Budget:
    """A deadline for the whole run (None: no deadline) and the longest a single request may take."""

    seconds: float | None = None
    request_timeout: float = 20.0
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def remaining(self) -> float | None:
        """Seconds left, or None without a deadline."""
        if self.seconds is None:
            return None
        return max(0.0, self.seconds - (self.clock() - self.started))

    @property
    def spent(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def require(self) -> None:
        """Raise CouldNotRun once the budget is spent."""
        if self.spent:
            raise CouldNotRun(f"not run: the budget of {self.seconds:g} s ran out")

    def timeout(self) -> float:
        """How long the next request may take: the request timeout, within what is left of the budget."""
        left = self.remaining()
        return self.request_timeout if left is None else max(0.05, min(self.request_timeout, left))

    def allows_wait(self, seconds: float) -> bool:
        """Whether waiting `seconds` (a Retry-After, a token's expiry) still leaves time to go on."""
        left = self.remaining()
        return left is None or seconds < left
