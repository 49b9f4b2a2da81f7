"""Read and validate a OneRoster CSV bundle (a zip) as a whole, before anything is applied.

Every problem is reported with its file, row (the line number, the header being row 1) and column, so that
the one who made the bundle can fix it; an importer applies a bundle only when there are none. The checks:
the zip and its manifest, manifest/file consistency, exact headers, no empty files, RFC 4180 rows of the
right width, required values, value types and vocabularies, status and dateLastModified blank in bulk rows
and present in delta rows, unique sourcedIds, subjects matching subjectCodes, and in a bulk bundle every
reference resolving within the bundle.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from rosterlab.spec.csv_binding import (
    FILE_MODES,
    MANIFEST_FILENAME,
    MANIFEST_HEADER,
    SOURCE_PROPERTIES,
    Column,
    CsvFile,
    CsvVersion,
    Requirement,
    files,
    header_errors,
    manifest_properties,
)
from rosterlab.spec.csv_values import GUID_RE, CsvType, check_value, split_list
from rosterlab.spec.csv_zip import ENV_VARIABLES, BoundedZip, ZipLimits, ZipRefused

# Where each reference column points: column -> the files that may define the sourcedId.
REFERENCE_TARGETS: dict[str, tuple[str, ...]] = {
    "parentSourcedId": ("orgs", "academicSessions"),  # resolved against the file's own kind below
    "schoolYearSourcedId": ("academicSessions",),
    "orgSourcedId": ("orgs",),
    "orgSourcedIds": ("orgs",),
    "courseSourcedId": ("courses",),
    "schoolSourcedId": ("orgs",),
    "termSourcedIds": ("academicSessions",),
    "classSourcedId": ("classes",),
    "userSourcedId": ("users",),
    "agentSourcedIds": ("users",),
    "primaryOrgSourcedId": ("orgs",),
    "resourceSourcedId": ("resources",),
    "resourceSourcedIds": ("resources",),
    "categorySourcedId": ("categories",),
    "academicSessionSourcedId": ("academicSessions",),
    "gradingPeriodSourcedId": ("academicSessions",),
    "lineItemSourcedId": ("lineItems",),
    "studentSourcedId": ("users",),
    "scoreScaleSourcedId": ("scoreScales",),
    "resultSourcedId": ("results",),
    "userProfileSourcedId": ("userProfiles",),
}


@dataclass(frozen=True)
class Issue:
    """One problem of a bundle: where, and why."""

    file: str
    row: int | None  # line number in the file (header = 1); None for the file or bundle as a whole
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclass
class Bundle:
    """A read bundle: its version, each file's mode and rows (column -> text), and the problems found."""

    version: CsvVersion | None = None
    modes: dict[str, str] = field(default_factory=dict)  # file name (without .csv) -> bulk / delta / absent
    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    manifest: dict[str, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Whether the bundle may be applied."""
        return not self.issues


def _decode(raw: bytes, name: str, issues: list[Issue]) -> str | None:
    try:
        return raw.decode("utf-8-sig")  # a BOM is allowed and skipped
    except UnicodeDecodeError as error:
        issues.append(Issue(name, None, None, f"not UTF-8 (byte {error.start})"))
        return None


class TableError(Exception):
    """A CSV text that cannot be read as a table: `row` is its line (None for the file as a whole)."""

    def __init__(self, row: int | None, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


def _table(text: str, limits: ZipLimits) -> list[list[str]]:
    """The rows of a CSV text, each field and row within the limits (TableError names the row that is not)."""
    previous = csv.field_size_limit(limits.max_field_chars)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    table = []
    try:
        for row in reader:
            if len(row) > limits.max_columns:
                variable = ENV_VARIABLES["max_columns"]
                message = f"{len(row)} columns, over the limit of {limits.max_columns} ({variable})"
                raise TableError(reader.line_num, message)
            table.append(row)
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            variable = ENV_VARIABLES["max_field_chars"]
            message = f"a field is longer than {limits.max_field_chars} characters ({variable})"
            raise TableError(reader.line_num, message) from None
        raise TableError(None, f"not valid CSV: {error}") from None
    finally:
        csv.field_size_limit(previous)
    return table


def _read_manifest(archive: BoundedZip, bundle: Bundle) -> None:
    issues = bundle.issues
    if MANIFEST_FILENAME not in archive.namelist():
        issues.append(Issue(MANIFEST_FILENAME, None, None, "the bundle has no manifest.csv"))
        return
    text = _decode(archive.read(MANIFEST_FILENAME), MANIFEST_FILENAME, issues)
    if text is None:
        return
    try:
        table = _table(text, archive.limits)
    except TableError as error:
        issues.append(Issue(MANIFEST_FILENAME, error.row, None, error.message))
        return
    if not table or tuple(table[0]) != MANIFEST_HEADER:
        issues.append(Issue(MANIFEST_FILENAME, 1, None, "the header must be propertyName,value"))
        return
    for line, row in enumerate(table[1:], start=2):
        if len(row) != 2:
            issues.append(Issue(MANIFEST_FILENAME, line, None, f"expected 2 fields, found {len(row)}"))
            continue
        bundle.manifest[row[0]] = row[1]
    declared = bundle.manifest.get("oneroster.version")
    if declared not in ("1.1", "1.2"):
        issues.append(Issue(MANIFEST_FILENAME, None, "oneroster.version", f"must be 1.1 or 1.2, not {declared!r}"))
        return
    if bundle.manifest.get("manifest.version") != "1.0":
        issues.append(Issue(MANIFEST_FILENAME, None, "manifest.version", "must be 1.0"))
    bundle.version = CsvVersion.V1P1 if declared == "1.1" else _v1p2_flavour(archive)
    expected = set(manifest_properties(bundle.version))
    for missing in sorted(expected - set(bundle.manifest)):
        issues.append(Issue(MANIFEST_FILENAME, None, missing, "this manifest row is missing"))
    for unknown in sorted(set(bundle.manifest) - expected - set(SOURCE_PROPERTIES)):
        issues.append(Issue(MANIFEST_FILENAME, None, unknown, "not a manifest property of this version"))
    for name in (f.name for f in files(bundle.version)):
        mode = bundle.manifest.get(f"file.{name}")
        if mode is not None and mode not in FILE_MODES:
            issues.append(
                Issue(MANIFEST_FILENAME, None, f"file.{name}", f"must be absent, bulk or delta, not {mode!r}")
            )
        bundle.modes[name] = mode if mode in FILE_MODES else "absent"


def _v1p2_flavour(archive: BoundedZip) -> CsvVersion:
    """1.2 and 1.2.1 share `oneroster.version,1.2`; 1.2's users.csv still has resourceSourcedIds."""
    if "users.csv" in archive.namelist():
        head = archive.head("users.csv", HEADER_PEEK_BYTES)
        first_line = head.decode("utf-8-sig", "replace").split("\n", 1)[0]
        if "resourceSourcedIds" in first_line:
            return CsvVersion.V1P2
    return CsvVersion.V1P2_1


HEADER_PEEK_BYTES = 64 * 1024  # enough of users.csv to see its header

Checks = tuple[tuple[Column, Callable[[str], str | None] | None], ...]


def _check_row(spec: CsvFile, line: int, row: dict[str, str], mode: str, checks: Checks, issues: list[Issue]):
    for column, check in checks:
        value = row.get(column.name, "")
        if column.requirement is Requirement.DELTA:
            if mode == "bulk" and value:
                issues.append(Issue(spec.filename, line, column.name, "must be blank in a bulk file"))
                continue
            if mode == "delta" and not value:
                issues.append(Issue(spec.filename, line, column.name, "is required in a delta file"))
                continue
        if not value:
            if column.required:
                issues.append(Issue(spec.filename, line, column.name, "is required"))
            continue
        problem = check(value) if check is not None else None
        if problem:
            issues.append(Issue(spec.filename, line, column.name, problem))
    subjects, codes = row.get("subjects"), row.get("subjectCodes")
    if subjects and codes and len(split_list(subjects)) != len(split_list(codes)):
        issues.append(Issue(spec.filename, line, "subjectCodes", "must list as many items as subjects"))


def _checks(spec: CsvFile, version: CsvVersion) -> Checks:
    """Each column with the check of its non-empty values (None for free text), built once per file and version."""

    def check_for(column: Column) -> Callable[[str], str | None] | None:
        if column.type in (CsvType.STRING, CsvType.STRING_LIST):
            return None
        if column.type in (CsvType.GUID, CsvType.GUID_REF):
            return lambda value: None if GUID_RE.fullmatch(value) else check_value(value, column.type)
        options = {"vocabulary": column.vocabulary, "allow_ext": version.allows_ext}
        return partial(check_value, type_=column.type, strict_datetime=version.strict_datetime, **options)

    return tuple((column, check_for(column)) for column in spec.columns)


def _read_file(archive: BoundedZip, spec: CsvFile, mode: str, bundle: Bundle) -> None:
    issues = bundle.issues
    text = _decode(archive.read(spec.filename), spec.filename, issues)
    if text is None:
        return
    try:
        table = _table(text, archive.limits)
    except TableError as error:
        issues.append(Issue(spec.filename, error.row, None, error.message))
        return
    if not table:
        issues.append(Issue(spec.filename, None, None, "the file is empty; leave it out and declare it absent"))
        return
    header = table[0]
    problems = header_errors(bundle.version, spec.name, header)
    for problem in problems:
        issues.append(Issue(spec.filename, 1, None, problem))
    if problems:
        return
    if len(table) == 1:
        issues.append(Issue(spec.filename, None, None, "the file has no rows; leave it out and declare it absent"))
        return
    rows, seen = [], {}
    checks = _checks(spec, bundle.version)
    for line, values in enumerate(table[1:], start=2):
        if len(values) != len(header):
            issues.append(Issue(spec.filename, line, None, f"expected {len(header)} fields, found {len(values)}"))
            continue
        row = dict(zip(header, values, strict=True))
        _check_row(spec, line, row, mode, checks, issues)
        sourced_id = row["sourcedId"]
        if sourced_id in seen:
            issues.append(Issue(spec.filename, line, "sourcedId", f"{sourced_id!r} is also on row {seen[sourced_id]}"))
        seen.setdefault(sourced_id, line)
        rows.append(row)
    bundle.rows[spec.name] = rows


def _check_references(bundle: Bundle) -> None:
    """In a bulk bundle every reference must resolve within the bundle."""
    defined = {name: {row["sourcedId"] for row in rows} for name, rows in bundle.rows.items()}
    for name, rows in bundle.rows.items():
        if bundle.modes.get(name) != "bulk":
            continue
        for line, row in enumerate(rows, start=2):
            for column, text in row.items():
                if not text or column not in REFERENCE_TARGETS:
                    continue
                targets = REFERENCE_TARGETS[column]
                if column == "parentSourcedId":
                    targets = (name,)
                if not any(bundle.modes.get(t) == "bulk" for t in targets):
                    continue  # the referenced file is not part of this bulk bundle
                for sourced_id in split_list(text):
                    if not any(sourced_id in defined.get(t, ()) for t in targets):
                        issues = bundle.issues
                        issues.append(
                            Issue(f"{name}.csv", line, column, f"{sourced_id!r} is not defined in {targets[0]}.csv")
                        )


def read_bundle(data: bytes) -> Bundle:
    """Read and validate a bundle; `bundle.issues` lists every problem (empty when it may be applied).

    The zip is read within the limits of `rosterlab.spec.csv_zip`; a refused zip is the bundle's one issue."""
    bundle = Bundle()
    try:
        _read_members(BoundedZip(data), bundle)
    except ZipRefused as refusal:
        bundle.issues = [Issue(refusal.member, None, None, refusal.message)]
        bundle.rows.clear()
        return bundle
    _check_references(bundle)
    return bundle


def _read_members(archive: BoundedZip, bundle: Bundle) -> None:
    """Check the manifest and read each file it declares (ZipRefused stops at the first refused member)."""
    with archive:
        names = archive.namelist()
        nested = [n for n in names if "/" in n]
        for name in nested:
            bundle.issues.append(Issue(name, None, None, "files must sit at the root of the zip, not in a folder"))
        _read_manifest(archive, bundle)
        if bundle.version is None:
            return
        known = {f.filename: f for f in files(bundle.version)}
        for name in sorted(set(names) - set(known) - {MANIFEST_FILENAME} - set(nested)):
            bundle.issues.append(Issue(name, None, None, f"not a file of OneRoster {bundle.version} CSV"))
        for spec in files(bundle.version):
            mode = bundle.modes.get(spec.name, "absent")
            present = spec.filename in names
            if present and mode == "absent":
                bundle.issues.append(Issue(spec.filename, None, None, "present, but the manifest declares it absent"))
            elif not present and mode != "absent":
                bundle.issues.append(Issue(spec.filename, None, None, f"missing, but the manifest declares it {mode}"))
            elif present:
                _read_file(archive, spec, mode, bundle)


__all__ = ["Bundle", "CsvType", "Issue", "read_bundle"]
