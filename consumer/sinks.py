"""Sinks: a host application receives the reconciled changes of each sync, as created / updated / deleted events.

Sinks are called once per sync with every change, after the local store has been updated and before the
sync commits: a sink that raises makes the whole sync fail, and nothing is applied, so the host application
and the store never disagree. The local store is kept in any case (it is what tells a change from none).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

Action = Literal["created", "updated", "deleted"]


@dataclass(frozen=True)
class Change:
    """One reconciled change."""

    connection: str
    tenant: str | None
    entity: str
    action: Action
    sourced_id: str
    local_id: str
    record: dict[str, Any]


class Sink(Protocol):
    """Receives a sync's changes; raising refuses them, and the sync with them."""

    def receive(self, changes: Sequence[Change]) -> None: ...


class JsonLinesSink:
    """Appends each change to a file as one JSON object per line (for pipelines and queues)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def receive(self, changes: Sequence[Change]) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            for change in changes:
                out.write(json.dumps(asdict(change), sort_keys=True) + "\n")
