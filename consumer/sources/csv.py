"""A OneRoster CSV zip bundle as a source, validated first with the spec/ CSV binding.

Bulk files are complete (absence means deletion); delta files carry changes only; absent files leave their
entity alone. Bulk rows carry no dateLastModified, so records read from them have none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rosterlab.consumer.client import SyncError
from rosterlab.consumer.normalize import normalize
from rosterlab.consumer.sources.base import Progress, Pull, Since
from rosterlab.spec.csv_binding import CsvVersion
from rosterlab.spec.csv_bundle import read_bundle
from rosterlab.spec.csv_mapping import PRIMARY_FILE, import_records
from rosterlab.spec.render import render

SHOWN_ISSUES = 20


class CsvSource:
    """Reads a bundle's bytes (or what `fetch` returns) each time it is pulled."""

    def __init__(self, fetch: bytes | Callable[[], bytes]) -> None:
        self.fetch = fetch if callable(fetch) else (lambda: fetch)

    def pull(self, entities: Sequence[str], since: Since = None, progress: Progress | None = None) -> Pull:
        """The bundle's records (`since` does not apply: a bundle is bulk or delta as it was made)."""
        bundle = read_bundle(self.fetch())
        if bundle.issues:
            shown = "; ".join(str(issue) for issue in bundle.issues[:SHOWN_ISSUES])
            more = f" (and {len(bundle.issues) - SHOWN_ISSUES} more)" if len(bundle.issues) > SHOWN_ISSUES else ""
            raise SyncError(f"the CSV bundle is invalid, {len(bundle.issues)} problem(s): {shown}{more}")
        canonical, _ = import_records(bundle.rows, bundle.version)
        version = "1.1" if bundle.version is CsvVersion.V1P1 else "1.2"
        pulled = Pull(version=version)
        complete = set()
        for entity in entities:
            mode = bundle.modes.get(PRIMARY_FILE.get(entity, ""), "absent")
            if mode == "absent":
                continue
            records = canonical.get(entity, [])
            rendered = (render(entity, {"status": "active", **record}, version) for record in records)
            pulled.records[entity] = [normalize(r) for r in rendered if r is not None]
            if progress:
                progress(entity, len(pulled.records[entity]), len(pulled.records[entity]))
            if mode == "bulk":
                complete.add(entity)
        pulled.complete = frozenset(complete)
        return pulled
