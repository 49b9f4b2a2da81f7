"""Write a store (or any canonical records) as a OneRoster CSV zip: bulk, or delta since an instant."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Mapping

from sqlalchemy import Engine, select

from rosterlab.server.store.tables import ENTITY_TABLES
from rosterlab.spec.csv_binding import MANIFEST_FILENAME, CsvVersion, files, manifest_properties
from rosterlab.spec.csv_mapping import Records, export_rows
from rosterlab.spec.filter.fields import format_instant, parse_instant

# Fixed so that the same data always gives the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_bundle(rows: Mapping[str, list[dict[str, str]]], version: CsvVersion, mode: str) -> bytes:
    """A zip with manifest.csv and one file per non-empty file, rows ordered by sourcedId."""
    version = CsvVersion(version)
    archive_bytes = io.BytesIO()
    manifest: dict[str, str] = {"manifest.version": "1.0", "oneroster.version": version.manifest_version}
    with zipfile.ZipFile(archive_bytes, "w", zipfile.ZIP_DEFLATED) as archive:
        for spec in files(version):
            file_rows = sorted(rows.get(spec.name, []), key=lambda row: row["sourcedId"])
            manifest[f"file.{spec.name}"] = mode if file_rows else "absent"
            if file_rows:
                header = spec.header
                table = [list(header)] + [[row.get(column, "") for column in header] for row in file_rows]
                archive.writestr(zipfile.ZipInfo(spec.filename, ZIP_TIME), _csv(table), zipfile.ZIP_DEFLATED)
        properties = [["propertyName", "value"]] + [[name, manifest[name]] for name in manifest_properties(version)]
        properties += [["source.systemName", "rosterlab"]]
        archive.writestr(zipfile.ZipInfo(MANIFEST_FILENAME, ZIP_TIME), _csv(properties), zipfile.ZIP_DEFLATED)
    return archive_bytes.getvalue()


def store_records(engine: Engine, since: str | None = None) -> Records:
    """Canonical records of a store: the active ones, or every one changed after `since` (deletions too)."""
    records: Records = {}
    with engine.connect() as connection:
        for entity, table in ENTITY_TABLES.items():
            query = select(table.c.v1p2).order_by(table.c.sourced_id)
            if since is None:
                query = query.where(table.c.status == "active")
            else:
                query = query.where(table.c.date_last_modified > format_instant(parse_instant(since)))
            records[entity] = [row[0] for row in connection.execute(query)]
    return records


def export_bundle(records: Records, version: CsvVersion | str, since: str | None = None) -> bytes:
    """A bulk bundle of `records`, or with `since` a delta bundle (its rows carry status and dateLastModified)."""
    version = CsvVersion(version)
    rows = export_rows(records, version, delta=since is not None)
    return write_bundle(rows, version, "delta" if since is not None else "bulk")


def export_store(engine: Engine, version: CsvVersion | str, since: str | None = None) -> bytes:
    """The store as a bulk bundle, or the changes after `since` as a delta bundle."""
    return export_bundle(store_records(engine, since), version, since)
