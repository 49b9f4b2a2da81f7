"""Building blocks of the OneRoster information model: field types, fields, structures and entities.

The model is version-neutral: a `Field` says *what* a value is (a date, a boolean, a reference to an org).
How it is written on the wire differs per version (1.2 sends booleans as the strings "true"/"false",
1.1 as JSON booleans; 1.2 enumerations accept `ext:` tokens, 1.1 ones do not) and is decided by the
renderers in `rosterlab.spec.openapi` and `rosterlab.spec.csv_binding`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Version(StrEnum):
    """A OneRoster version of the REST binding."""

    V1P1 = "1.1"
    V1P2 = "1.2"

    @property
    def slug(self) -> str:
        """The path segment of the version, e.g. `v1p2`."""
        return "v" + self.value.replace(".", "p")


class Service(StrEnum):
    """A OneRoster service. 1.1 serves all three under one base path; 1.2 gives each its own."""

    ROSTERING = "rostering"
    GRADEBOOK = "gradebook"
    RESOURCES = "resources"


class Kind(StrEnum):
    """What a scalar value is, independent of its encoding."""

    STRING = "string"
    DATE = "date"  # YYYY-MM-DD
    DATETIME = "datetime"  # ISO 8601 in UTC
    YEAR = "year"  # YYYY, the year in which a school year ends
    URI = "uri"
    NUMBER = "number"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Scalar:
    """A plain value of one `Kind`."""

    kind: Kind


@dataclass(frozen=True)
class Vocabulary:
    """An enumerated vocabulary. An extensible one also accepts tokens matching `EXT_PATTERN` (1.2 only)."""

    name: str
    values: tuple[str, ...]
    extensible: bool = False


@dataclass(frozen=True)
class Ref:
    """A GUIDRef (`{href, sourcedId, type}`) to an entity, named by its singular key."""

    target: str


@dataclass(frozen=True)
class Nested:
    """An embedded structure without identity of its own (for example a user's roles)."""

    structure: str


FieldType = Scalar | Vocabulary | Ref | Nested

STRING = Scalar(Kind.STRING)
DATE = Scalar(Kind.DATE)
DATETIME = Scalar(Kind.DATETIME)
YEAR = Scalar(Kind.YEAR)
URI = Scalar(Kind.URI)
NUMBER = Scalar(Kind.NUMBER)
BOOLEAN = Scalar(Kind.BOOLEAN)

EXT_PATTERN = r"(ext:)[a-zA-Z0-9\.\-_]+"


@dataclass(frozen=True)
class Field:
    """One property of an entity or structure."""

    name: str
    type: FieldType
    required: bool = False
    many: bool = False
    min_items: int = 0

    def optional(self) -> Field:
        """This field, not required."""
        return replace(self, required=False)

    def mandatory(self) -> Field:
        """This field, required."""
        return replace(self, required=True)


def req(name: str, type_: FieldType) -> Field:
    """A required single-valued field."""
    return Field(name, type_, required=True)


def opt(name: str, type_: FieldType) -> Field:
    """An optional single-valued field."""
    return Field(name, type_)


def many(name: str, type_: FieldType, *, min_items: int = 0) -> Field:
    """A list-valued field; required when it must hold at least one item."""
    return Field(name, type_, required=min_items > 0, many=True, min_items=min_items)


@dataclass(frozen=True)
class Structure:
    """An embedded object type (Role, UserId, ScoreScaleValue, ...)."""

    name: str
    fields: tuple[Field, ...]
    open: bool = False  # accepts properties beyond `fields`

    def field(self, name: str) -> Field:
        """The field called `name`."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)


@dataclass(frozen=True)
class Entity:
    """A top-level OneRoster object with a sourcedId, addressable over REST."""

    name: str  # singular key and GUIDRef type, e.g. "academicSession"
    plural: str  # collection key, e.g. "academicSessions"
    service: Service
    fields: tuple[Field, ...]  # the entity's own fields, after the common base
    description: str = ""
    single_key: str | None = None  # when the single-object key is not `name` (demographics)
    schema_stem: str | None = None  # stem of the schema names, e.g. "AcademicSession"
    ref_stem: str | None = None  # stem of the GUIDRef schema when it differs, e.g. "AcadSession"
    set_stem: str | None = None  # stem of the collection schema when it differs, e.g. "Categories"

    @property
    def single(self) -> str:
        """The key that wraps one object in a response."""
        return self.single_key or self.name

    @property
    def path(self) -> str:
        """The collection path within its service, e.g. `/academicSessions`."""
        return "/" + self.plural

    @property
    def stem(self) -> str:
        """The stem of the schema names, e.g. `AcademicSession`."""
        return self.schema_stem or self.name[0].upper() + self.name[1:]

    @property
    def all_fields(self) -> tuple[Field, ...]:
        """The common base fields followed by the entity's own."""
        return BASE_FIELDS + self.fields

    def field(self, name: str) -> Field:
        """The field called `name` (base fields included)."""
        for candidate in self.all_fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"{self.name} has no field {name!r}")

    def has_field(self, name: str) -> bool:
        """Whether the entity has a field called `name`."""
        return any(candidate.name == name for candidate in self.all_fields)

    def evolve(
        self,
        *,
        drop: tuple[str, ...] = (),
        change: tuple[Field, ...] = (),
        fields: tuple[Field, ...] | None = None,
    ) -> Entity:
        """A variant of this entity: fields dropped, replaced by name, or a whole new field list."""
        changed = {candidate.name: candidate for candidate in change}
        base = self.fields if fields is None else fields
        unknown = (set(drop) | set(changed)) - {candidate.name for candidate in base}
        if unknown:
            raise KeyError(f"{self.name} has no fields {sorted(unknown)}")
        kept = tuple(changed.get(candidate.name, candidate) for candidate in base if candidate.name not in drop)
        return replace(self, fields=kept)


STATUS = Vocabulary("status", ("active", "tobedeleted"))

BASE_FIELDS: tuple[Field, ...] = (
    req("sourcedId", STRING),
    req("status", STATUS),
    req("dateLastModified", DATETIME),
    opt("metadata", Nested("Metadata")),
)
