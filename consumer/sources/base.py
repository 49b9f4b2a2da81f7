"""What every source gives a sync: the records of each entity, which of them are complete, and what the
reading found wrong with them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

Record = dict[str, Any]

# Called as records arrive: (entity, records received so far, total announced or None).
Progress = Callable[[str, int, int | None], None]

# Where a pull starts, per entity: an instant (only what changed since), or None (everything). A single
# value applies to every entity; an entity missing from a mapping is pulled whole.
Since = Mapping[str, str | None] | str | None


def start_of(since: Since, entity: str) -> str | None:
    """The instant the pull of `entity` starts from, or None for all of it."""
    if since is None or isinstance(since, str):
        return since
    return since.get(entity)


@dataclass
class Pull:
    """Records per entity in the stored form (a list, or a spool on disk: anything walked more than once);
    absence from a `complete` entity means deletion."""

    records: dict[str, Sequence[Record] | Iterable[Record]] = field(default_factory=dict)
    complete: frozenset[str] = frozenset()
    version: str = "1.2"
    conflicts: dict[str, set[str]] = field(default_factory=dict)  # served twice, the copies not equal
    gone: dict[str, set[str]] = field(default_factory=dict)  # confirmed deleted by the provider (404)
    warnings: list[str] = field(default_factory=list)  # kept, but worth a look (identical copies, ...)

    @property
    def kind(self) -> str:
        """ "full" when every entity pulled is complete, else "delta"."""
        return "full" if set(self.records) <= self.complete else "delta"


class Source(Protocol):
    """A provider's roster, read all at once or not at all (a failed read raises SyncError)."""

    def pull(self, entities: Sequence[str], since: Since, progress: Progress | None = None) -> Pull:
        """The records of `entities`; with `since`, only those changed since that instant, if the source can."""
        ...
