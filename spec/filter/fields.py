"""Type a filter against the model: which field a path names, of what kind, through which list.

The server turns a typed filter into SQL and the reference evaluator applies it to JSON objects; both read
the same `FieldPath`, so both agree on what a filter means:

- a path names a field of the entity as the requested version renders it; a GUIDRef stands for its
  sourcedId (`school='s1'` is `school.sourcedId='s1'`);
- a path may pass through at most one list (`grades='09'`, `terms.sourcedId='t1'`, `roles.role='teacher'`);
  a comparison on a list holds when any element satisfies it, and `!=` holds when no element equals the value;
- values compare as the field's kind: numbers as numbers, booleans as `true`/`false`, date-times as
  instants (a date alone means midnight UTC), everything else as text in code-point order;
- `~` is a substring test that ignores the case of ASCII letters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

from rosterlab.spec.entities import model_for
from rosterlab.spec.filter.ast import Op, Predicate
from rosterlab.spec.model import Entity, Field, Kind, Nested, Ref, Scalar, Structure, Version, Vocabulary

ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class FilterFieldError(ValueError):
    """A filter names a field the entity does not have, or one that cannot be filtered on."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        super().__init__(reason)


class FilterValueError(ValueError):
    """A filter compares a field with a value of the wrong kind (a word for a number, say)."""


@dataclass(frozen=True)
class FieldPath:
    """Where a filter path leads: JSON keys up to a list (if any), keys inside each element, and the kind."""

    outer: tuple[str, ...]  # keys from the object to the value, or to the list
    inner: tuple[str, ...] | None  # keys inside each list element; None when no list is crossed
    kind: Kind

    @property
    def through_list(self) -> bool:
        """Whether the path crosses a list."""
        return self.inner is not None


def format_instant(moment: datetime) -> str:
    """The canonical text of an instant: `YYYY-MM-DDTHH:MM:SS.sssZ` in UTC (years zero-padded)."""
    m = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}."
        f"{m.microsecond // 1000:03d}Z"
    )


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date or date-time as an instant in UTC (dates and naive times are UTC); ValueError if
    it is none, or falls outside the years 1 to 9999 once in UTC."""
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} lies outside the years 1 to 9999 in UTC") from None


def _scalar_kind(type_: object) -> Kind:
    if isinstance(type_, Scalar):
        return type_.kind
    return Kind.STRING  # vocabularies and GUIDRef sourcedIds are text


def _find(fields: tuple[Field, ...], name: str) -> Field | None:
    return next((candidate for candidate in fields if candidate.name == name), None)


def resolve(entity: Entity, version: Version | str, path: tuple[str, ...]) -> FieldPath:
    """The typed location of `path` in `entity` as `version` renders it; raise FilterFieldError if none."""
    model = model_for(version)
    dotted = ".".join(path)
    fields: tuple[Field, ...] = entity.all_fields
    outer: list[str] = []
    inner: list[str] | None = None
    keys = outer
    steps = list(path)
    while steps:
        name = steps.pop(0)
        field = _find(fields, name)
        if field is None:
            raise FilterFieldError(dotted, f"{entity.name} has no field {dotted!r}")
        keys.append(name)
        if field.many:
            if inner is not None:
                raise FilterFieldError(dotted, f"{dotted!r} passes through more than one list")
            inner = []
            keys = inner
        type_ = field.type
        if isinstance(type_, Ref):
            if not steps:
                keys.append("sourcedId")
                return FieldPath(tuple(outer), None if inner is None else tuple(inner), Kind.STRING)
            sub = steps.pop(0)
            if sub not in ("sourcedId", "type") or steps:
                raise FilterFieldError(dotted, f"{dotted!r}: a reference can be filtered by sourcedId or type")
            keys.append(sub)
            return FieldPath(tuple(outer), None if inner is None else tuple(inner), Kind.STRING)
        if isinstance(type_, Nested):
            structure: Structure = model.structure(type_.structure)
            if structure.open:  # metadata: any key, compared as text
                if not steps:
                    raise FilterFieldError(dotted, f"{dotted!r} is an object; name one of its fields")
                keys.extend(steps)
                return FieldPath(tuple(outer), None if inner is None else tuple(inner), Kind.STRING)
            if not steps:
                raise FilterFieldError(dotted, f"{dotted!r} is an object; name one of its fields")
            fields = structure.fields
            continue
        if steps:
            raise FilterFieldError(dotted, f"{dotted!r}: {name} has no fields of its own")
        kind = _scalar_kind(type_)
        if isinstance(type_, Vocabulary):
            kind = Kind.STRING
        return FieldPath(tuple(outer), None if inner is None else tuple(inner), kind)
    raise FilterFieldError(dotted, f"{dotted!r} names no field")  # pragma: no cover - empty path


@dataclass(frozen=True)
class TypedPredicate:
    """A predicate with its field located and its value converted to the field's kind."""

    path: FieldPath
    op: Op
    value: str | float | bool


def coerce_value(predicate: Predicate, kind: Kind, version: Version | str) -> str | float | bool:
    """The predicate's value as the field's kind; raise FilterValueError when it is not one."""
    text = predicate.value
    if predicate.op is Op.CONTAINS:
        return text.translate(ASCII_LOWER)
    if kind is Kind.NUMBER:
        try:
            number = float(text)
        except ValueError:
            raise FilterValueError(f"{predicate.path!r} is a number; {text!r} is not") from None
        if not math.isfinite(number):
            raise FilterValueError(f"{predicate.path!r} is a number; {text!r} is not a finite one")
        return number
    if kind is Kind.BOOLEAN:
        if text not in ("true", "false"):
            raise FilterValueError(f"{predicate.path!r} is true or false; {text!r} is neither")
        # 1.1 writes booleans as JSON booleans, 1.2 as the strings "true" and "false".
        return (text == "true") if Version(version) is Version.V1P1 else text
    if kind is Kind.DATETIME:
        try:
            return format_instant(parse_instant(text))
        except ValueError:
            raise FilterValueError(f"{predicate.path!r} is a date-time; {text!r} is not one") from None
    return text


def type_predicate(predicate: Predicate, entity: Entity, version: Version | str) -> TypedPredicate:
    """Locate and convert one predicate (FilterFieldError / FilterValueError when it cannot be)."""
    path = resolve(entity, version, predicate.field)
    if predicate.op is Op.CONTAINS and path.kind in (Kind.NUMBER, Kind.BOOLEAN):
        raise FilterValueError(f"'~' compares text; {predicate.path!r} is a {path.kind.value}")
    if path.kind is Kind.BOOLEAN and predicate.op not in (Op.EQ, Op.NE):
        raise FilterValueError(f"{predicate.path!r} is true or false; compare it with = or !=")
    return TypedPredicate(path, predicate.op, coerce_value(predicate, path.kind, version))
