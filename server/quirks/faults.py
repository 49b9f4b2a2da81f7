"""Seeded, reproducible faults: latency, 429s, 5xx bursts, dropped connections, truncated JSON, data that
changes mid-pull, and tokens that expire mid-pull.

Every decision is drawn from a generator seeded by the fault seed, the request (method, path and query) and
how many times that same request has been seen, so a run gives the same faults whatever order concurrent
requests arrive in.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

VIEW_REFRESH = 2  # the change_mid_pull of a provider that pages materialised views

# name -> what it does
DESCRIPTIONS: dict[str, str] = {
    "seed": "the seed of every decision",
    "latency": "median added latency in ms (log-normal)",
    "rate429": "share of requests answered 429 with Retry-After",
    "retry_after": "the Retry-After of those 429s, in seconds",
    "burst": "share of requests that start a burst of 503s",
    "burst_length": "how many 503s a burst lasts",
    "reset": "share of responses cut off mid-body (the connection drops)",
    "truncate": "share of 200s whose JSON is truncated",
    "change_mid_pull": (
        "1: the data set changes once, between two pages of a pull (a user arrives); 2: a materialised view is "
        "refreshed between two pages of users (Ed-Fi): one active user before the offset is hard-deleted with "
        "every row that references it, so offset paging skips a user who still exists, another turns "
        "tobedeleted after the client received it as active, and no response carries X-Total-Count or Link"
    ),
    "expire_token_after": "a bearer token stops working after this many requests (0: never)",
}


@dataclass(frozen=True)
class Faults:
    """A fault mix."""

    seed: int = 0
    latency: float = 0.0
    rate429: float = 0.0
    retry_after: int = 1
    burst: float = 0.0
    burst_length: int = 2
    reset: float = 0.0
    truncate: float = 0.0
    change_mid_pull: int = 0
    expire_token_after: int = 0

    @classmethod
    def parse(cls, text: str) -> Faults:
        """`name=value,...`, or `mix` (a bit of everything, seed 1) optionally followed by overrides."""
        faults = cls()
        for item in (part.strip() for part in text.split(",") if part.strip()):
            if item == "mix":
                faults = MIX
                continue
            name, sep, value = item.partition("=")
            name = name.strip().replace("-", "_")
            kinds = {f.name: f.type for f in fields(cls)}
            if not sep or name not in kinds:
                raise ValueError(f"unknown fault {item!r}: use name=value with one of {', '.join(DESCRIPTIONS)}")
            try:
                number = float(value) if kinds[name] in ("float", float) else int(value)
            except ValueError:
                raise ValueError(f"fault {name} takes a number, not {value!r}") from None
            if name == "change_mid_pull" and number not in (0, 1, VIEW_REFRESH):
                raise ValueError(f"fault change_mid_pull takes 0, 1 or {VIEW_REFRESH}, not {value!r}")
            faults = replace(faults, **{name: number})
        return faults

    def text(self) -> str:
        """The mix as `name=value,...` (what `parse` reads back)."""
        return ",".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))


MIX = Faults(
    seed=1,
    latency=5,
    rate429=0.04,
    retry_after=1,
    burst=0.04,
    burst_length=2,
    reset=0.03,
    truncate=0.03,
    change_mid_pull=1,
    expire_token_after=12,
)
