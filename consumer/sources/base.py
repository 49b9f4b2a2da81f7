"""What every source gives a sync: the records of each entity, and which of them are complete."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

Record = dict[str, Any]

# Called as records arrive: (entity, records received so far, total announced or None).
Progress = Callable[[str, int, int | None], None]


@dataclass
class Pull:
    """Records per entity in the stored form (a list, or a spool on disk: anything walked more than once);
    absence from a `complete` entity means deletion."""

    records: dict[str, Sequence[Record] | Iterable[Record]] = field(default_factory=dict)
    complete: frozenset[str] = frozenset()
    version: str = "1.2"


class Source(Protocol):
    """A provider's roster, read all at once or not at all (a failed read raises SyncError)."""

    def pull(self, entities: Sequence[str], since: str | None, progress: Progress | None = None) -> Pull:
        """The records of `entities`; with `since`, only those changed since that instant, if the source can."""
        ...
