"""Records kept on disk while a sync gathers them, so that a district's worth costs little memory.

A sync pulls every entity before it writes anything; held as Python objects, a million enrollments take
gigabytes. A spool keeps each record as one line of JSON in a temporary file (in memory while small) and
reads them back, one at a time, as often as the sync walks them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

IN_MEMORY = 4 * 1024 * 1024  # bytes held in memory before the spool moves to a file
BLOCK = 1024 * 1024


class Spool:
    """An append-only, re-iterable sequence of JSON records backed by a temporary file."""

    def __init__(self, records: Iterable[Any] = (), transform: Callable[[Any], Any] | None = None) -> None:
        """A spool holding `records`; `transform`, when given, is applied to each record as it is added."""
        self._file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 - lives as long as the spool
        self._count = 0
        self._at_end = True
        self._transform = transform
        self.extend(records)

    def shaped(self, record: Any) -> Any:
        """A record as the spool keeps it (its transform applied)."""
        return record if self._transform is None else self._transform(record)

    def append(self, record: Any) -> None:
        """Add a record at the end."""
        self.extend((record,))

    def extend(self, records: Iterable[Any]) -> None:
        """Add records at the end."""
        if not self._at_end:
            self._file.seek(0, 2)
            self._at_end = True
        transform, write = self._transform, self._file.write
        for record in records:
            write(orjson.dumps(record if transform is None else transform(record)) + b"\n")
            self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Any]:
        position, rest = 0, b""
        while True:
            # Seek before each block: another walk or an append may have moved the shared file position.
            self._file.seek(position)
            self._at_end = False
            block = self._file.read(BLOCK)
            if not block:
                return
            position += len(block)
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            for line in lines:
                yield orjson.loads(line)

    def close(self) -> None:
        """Free the file."""
        self._file.close()
