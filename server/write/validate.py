"""Check a written object against the model and turn it into a canonical record.

Every problem is collected with its path (`lineItem.assignDate: '2024-13-01' is not a date-time`) so that a
developer can fix a body in one go. Leniencies that real clients need: GUIDRefs given with only a
sourcedId, booleans as JSON booleans or as the strings "true"/"false", and `status`/`dateLastModified`
(which the server sets) checked but not kept. Deviations beyond those are accepted only when a `Leniency`
allows them (the server's quirks decide which); by default the model is applied as written.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rosterlab.server.quirks.switches import Quirks
from rosterlab.spec.csv_values import is_calendar_date
from rosterlab.spec.entities import model_for
from rosterlab.spec.filter.fields import format_instant, parse_instant
from rosterlab.spec.model import EXT_PATTERN, Entity, Field, Kind, Nested, Ref, Scalar, Structure, Version, Vocabulary

SERVER_SET = ("status", "dateLastModified")
_EXT = re.compile(EXT_PATTERN)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
# RFC 3339 date-time: ASCII digits, an offset of at most 23:59 (the ranges of the other parts are left to
# datetime.fromisoformat).
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)


@dataclass(frozen=True)
class Leniency:
    """What a written body may do beyond the model and still be accepted; `STRICT` (all off) is the model.

    `datetime_dates`: a field the model types as a date (scoreDate of results and assessment results) also
    takes an RFC 3339 date-time, and keeps its date as written: the calendar date in the date-time's own
    offset, not in UTC. `2024-10-01T23:30:00-05:00` is kept as `2024-10-01` although that instant falls on
    2024-10-02 in UTC: the client's offset is where the score was given, and a SIS storing a date column
    keeps the day its client named. Only the date is kept and served; the time and offset are dropped.
    """

    datetime_dates: bool = False

    @classmethod
    def from_quirks(cls, quirks: Quirks) -> Leniency:
        """The leniency the server's quirk switches ask for."""
        return cls(datetime_dates=quirks.datetime_dates)


STRICT = Leniency()


class BodyErrors(Exception):
    """The problems of a body, each prefixed with where it is."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _date_time(text: str) -> datetime | None:
    """`text` as an RFC 3339 date-time in its own offset; None when it is not one."""
    if not _RFC3339.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def _scalar(kind: Kind, value: Any, where: str, version: Version, leniency: Leniency, problems: list[str]) -> Any:
    if kind is Kind.BOOLEAN:
        # As each version writes booleans: 1.1 JSON booleans, 1.2 the strings "true" and "false".
        if version is Version.V1P1 and isinstance(value, bool):
            return value
        if version is Version.V1P2 and value in ("true", "false"):
            return value == "true"
        expected = "true or false" if version is Version.V1P1 else 'the string "true" or "false"'
        problems.append(f"{where}: {value!r} is not {expected}")
        return None
    if kind is Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(f"{where}: {value!r} is not a number")
            return None
        return value
    if not isinstance(value, str):
        problems.append(f"{where}: {value!r} is not a string")
        return None
    if kind is Kind.DATE:
        if is_calendar_date(value):
            return value
        moment = _date_time(value)
        if moment is not None and leniency.datetime_dates:
            return moment.date().isoformat()  # the date in the date-time's own offset (see Leniency)
        if moment is not None:
            problems.append(f"{where}: {value!r} is a date-time; this field is a date (YYYY-MM-DD)")
        else:
            problems.append(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
        return None
    if kind is Kind.DATETIME:
        try:
            if not _RFC3339.fullmatch(value):
                raise ValueError(value)
            return format_instant(parse_instant(value))
        except ValueError:
            problems.append(f"{where}: {value!r} is not a date-time (ISO 8601, e.g. 2024-09-01T08:00:00Z)")
            return None
    return value


def _vocabulary(vocabulary: Vocabulary, value: Any, where: str, version: Version, problems: list[str]) -> Any:
    if value in vocabulary.values:
        return value
    if version is Version.V1P2 and vocabulary.extensible and isinstance(value, str) and _EXT.fullmatch(value):
        return value
    problems.append(f"{where}: {value!r} is not one of {', '.join(vocabulary.values)}")
    return None


def _ref(target: str, value: Any, where: str, problems: list[str]) -> Any:
    if not isinstance(value, dict) or not isinstance(value.get("sourcedId"), str) or not value["sourcedId"]:
        problems.append(f'{where}: a reference needs at least a sourcedId, e.g. {{"sourcedId": "..."}}')
        return None
    if "type" in value and value["type"] != target:
        problems.append(f"{where}.type: {value['type']!r} should be {target!r}")
        return None
    extra = sorted(set(value) - {"href", "sourcedId", "type"})
    if extra:
        problems.append(f"{where}: a reference has only href, sourcedId and type, not {', '.join(extra)}")
        return None
    if "href" in value and not (isinstance(value["href"], str) and _URI.fullmatch(value["href"])):
        problems.append(f"{where}.href: {value['href']!r} is not a URI")
        return None
    return {"sourcedId": value["sourcedId"]}


def _object(
    fields: tuple[Field, ...], value: Any, where: str, version: Version, leniency: Leniency, problems: list[str]
) -> dict:
    if not isinstance(value, dict):
        problems.append(f"{where}: expected an object")
        return {}
    known = {field.name for field in fields}
    for name in value:
        if name not in known:
            problems.append(f"{where}: has no field {name!r}")
    record: dict[str, Any] = {}
    for field in fields:
        at = f"{where}.{field.name}"
        if field.name in SERVER_SET:
            if field.name in value:  # checked, then replaced by the server
                _value(field, value[field.name], at, version, leniency, problems)
            continue
        if field.name not in value:
            if field.required and field.name != "sourcedId":
                problems.append(f"{at} is required")
            continue
        if value[field.name] is None:
            problems.append(f"{at} is null; leave it out instead")
            continue
        raw = value[field.name]
        if field.many:
            if not isinstance(raw, list):
                problems.append(f"{at}: expected a list")
                continue
            if len(raw) < field.min_items:
                problems.append(f"{at}: needs at least {field.min_items} item(s)")
            record[field.name] = [
                _value(field, item, f"{at}[{i}]", version, leniency, problems) for i, item in enumerate(raw)
            ]
        else:
            record[field.name] = _value(field, raw, at, version, leniency, problems)
    return record


def _value(field: Field, value: Any, where: str, version: Version, leniency: Leniency, problems: list[str]) -> Any:
    type_ = field.type
    if isinstance(type_, Ref):
        return _ref(type_.target, value, where, problems)
    if isinstance(type_, Vocabulary):
        return _vocabulary(type_, value, where, version, problems)
    if isinstance(type_, Nested):
        structure: Structure = model_for(version).structure(type_.structure)
        if structure.open:
            if not isinstance(value, dict):
                problems.append(f"{where}: expected an object")
                return {}
            return value
        return _object(structure.fields, value, where, version, leniency, problems)
    assert isinstance(type_, Scalar)
    return _scalar(type_.kind, value, where, version, leniency, problems)


def nul_path(value: Any, path: str) -> str | None:
    """The path of the first string (key or value) in `value` holding a NUL character, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}"
            if "\x00" in str(key):
                return inner
            if (found := nul_path(item, inner)) is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := nul_path(item, f"{path}[{index}]")) is not None:
                return found
    return None


def canonical_record(
    entity: Entity, version: Version, body: Any, sourced_id: str | None, *, leniency: Leniency = STRICT
) -> dict[str, Any]:
    """The canonical record of a written object; raises BodyErrors listing every problem.

    `sourced_id` is the one the path gives (PUT); a body may repeat it but not contradict it. `leniency`
    says which deviations from the model are accepted (and how they are stored).
    """
    problems: list[str] = []
    where = nul_path(body, entity.name)
    if where is not None or "\x00" in (sourced_id or ""):  # PostgreSQL can neither compare nor sort such text
        raise BodyErrors([f"{where or 'the sourcedId'}: a string contains a NUL character"])
    record = _object(entity.all_fields, body, entity.name, version, leniency, problems)
    given = body.get("sourcedId") if isinstance(body, dict) else None
    if sourced_id is not None:
        if given is not None and given != sourced_id:
            problems.append(f"{entity.name}.sourcedId: {given!r} differs from the sourcedId in the path {sourced_id!r}")
        record["sourcedId"] = sourced_id
    elif not isinstance(given, str) or not given:
        problems.append(f"{entity.name}.sourcedId is required")
    if problems:
        raise BodyErrors(problems)
    return record
