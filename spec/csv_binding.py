"""The OneRoster CSV binding of 1.1, 1.2 and 1.2.1: files, exact column order, column types, manifest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from rosterlab.spec import vocabularies as v
from rosterlab.spec.csv_values import CsvType
from rosterlab.spec.model import STATUS, Vocabulary

T = CsvType


class CsvVersion(StrEnum):
    """A version of the CSV binding. 1.2.1 bundles still say `oneroster.version,1.2` in the manifest."""

    V1P1 = "1.1"
    V1P2 = "1.2"
    V1P2_1 = "1.2.1"

    @property
    def manifest_version(self) -> str:
        """The value of `oneroster.version` in the manifest."""
        return "1.1" if self is CsvVersion.V1P1 else "1.2"

    @property
    def allows_ext(self) -> bool:
        """Whether extensible vocabularies accept `ext:` tokens (1.2 and later)."""
        return self is not CsvVersion.V1P1

    @property
    def strict_datetime(self) -> bool:
        """Whether DateTime must be exactly YYYY-MM-DDTHH:MM:SS.sssZ (1.2.1)."""
        return self is CsvVersion.V1P2_1


class Requirement(StrEnum):
    REQUIRED = "required"
    DELTA = "delta"  # required in delta rows, blank in bulk rows (status, dateLastModified)
    OPTIONAL = "optional"


@dataclass(frozen=True)
class Column:
    """One column of a CSV file."""

    name: str
    requirement: Requirement
    type: CsvType = T.STRING
    vocabulary: Vocabulary | None = None

    @property
    def required(self) -> bool:
        """Whether every row must fill this column."""
        return self.requirement is Requirement.REQUIRED


def _r(name: str, type_: CsvType = T.STRING, vocabulary: Vocabulary | None = None) -> Column:
    return Column(name, Requirement.REQUIRED, type_, vocabulary)


def _o(name: str, type_: CsvType = T.STRING, vocabulary: Vocabulary | None = None) -> Column:
    return Column(name, Requirement.OPTIONAL, type_, vocabulary)


HEAD: tuple[Column, ...] = (
    _r("sourcedId", T.GUID),
    Column("status", Requirement.DELTA, T.ENUM, STATUS),
    Column("dateLastModified", Requirement.DELTA, T.DATETIME),
)


@dataclass(frozen=True)
class CsvFile:
    """One CSV file of a bundle: its name (without .csv) and columns in their required order."""

    name: str
    columns: tuple[Column, ...]

    @property
    def filename(self) -> str:
        """The file name inside the zip."""
        return self.name + ".csv"

    @property
    def header(self) -> tuple[str, ...]:
        """The exact header row."""
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        """The column called `name`."""
        for candidate in self.columns:
            if candidate.name == name:
                return candidate
        raise KeyError(f"{self.filename} has no column {name!r}")


def _file(name: str, *columns: Column) -> CsvFile:
    return CsvFile(name, HEAD + columns)


_BOOL = T.BOOLEAN
RACE_FLAGS = (
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
)

# ---------------------------------------------------------------------------------------------
# OneRoster 1.2.1
# ---------------------------------------------------------------------------------------------

_USERS_1P2_1 = _file(
    "users",
    _r("enabledUser", _BOOL),
    _r("username"),
    _o("userIds", T.USER_IDS),
    _r("givenName"),
    _r("familyName"),
    _o("middleName"),
    _o("identifier"),
    _o("email"),
    _o("sms"),
    _o("phone"),
    _o("agentSourcedIds", T.GUID_REF_LIST),
    _o("grades", T.STRING_LIST),
    _o("password"),
    _o("userMasterIdentifier"),
    _o("preferredGivenName"),
    _o("preferredMiddleName"),
    _o("preferredFamilyName"),
    _o("primaryOrgSourcedId", T.GUID_REF),
    _o("pronouns"),
)

FILES_1P2_1: tuple[CsvFile, ...] = (
    _file(
        "academicSessions",
        _r("title"),
        _r("type", T.ENUM, v.SESSION_TYPE),
        _r("startDate", T.DATE),
        _r("endDate", T.DATE),
        _o("parentSourcedId", T.GUID_REF),
        _r("schoolYear", T.YEAR),
    ),
    _file("categories", _r("title"), _o("weight", T.INTEGER)),
    _file(
        "classes",
        _r("title"),
        _o("grades", T.STRING_LIST),
        _r("courseSourcedId", T.GUID_REF),
        _o("classCode"),
        _r("classType", T.ENUM, v.CLASS_TYPE),
        _o("location"),
        _r("schoolSourcedId", T.GUID_REF),
        _r("termSourcedIds", T.GUID_REF_LIST),
        _o("subjects", T.STRING_LIST),
        _o("subjectCodes", T.STRING_LIST),
        _o("periods", T.STRING_LIST),
    ),
    _file("classResources", _o("title"), _r("classSourcedId", T.GUID_REF), _r("resourceSourcedId", T.GUID_REF)),
    _file(
        "courses",
        _o("schoolYearSourcedId", T.GUID_REF),
        _r("title"),
        _o("courseCode"),
        _o("grades", T.STRING_LIST),
        _r("orgSourcedId", T.GUID_REF),
        _o("subjects", T.STRING_LIST),
        _o("subjectCodes", T.STRING_LIST),
    ),
    _file("courseResources", _o("title"), _r("courseSourcedId", T.GUID_REF), _r("resourceSourcedId", T.GUID_REF)),
    _file(
        "demographics",
        _o("birthDate", T.DATE),
        _o("sex", T.ENUM, v.SEX),
        *(_o(name, _BOOL) for name in RACE_FLAGS),
        _o("countryOfBirthCode"),
        _o("stateOfBirthAbbreviation"),
        _o("cityOfBirth"),
        _o("publicSchoolResidenceStatus"),
    ),
    _file(
        "enrollments",
        _r("classSourcedId", T.GUID_REF),
        _r("schoolSourcedId", T.GUID_REF),
        _r("userSourcedId", T.GUID_REF),
        _r("role", T.ENUM, v.ENROLLMENT_ROLE),
        _o("primary", _BOOL),
        _o("beginDate", T.DATE),
        _o("endDate", T.DATE),
    ),
    _file(
        "lineItemLearningObjectiveIds",
        _r("lineItemSourcedId", T.GUID_REF),
        _r("source", T.ENUM, v.LEARNING_OBJECTIVE_SOURCE),
        _r("learningObjectiveId"),
    ),
    _file(
        "lineItems",
        _r("title"),
        _o("description"),
        _r("assignDate", T.DATE),
        _r("dueDate", T.DATE),
        _r("classSourcedId", T.GUID_REF),
        _r("categorySourcedId", T.GUID_REF),
        _r("academicSessionSourcedId", T.GUID_REF),
        _o("resultValueMin", T.FLOAT),
        _o("resultValueMax", T.FLOAT),
        _r("schoolSourcedId", T.GUID_REF),
    ),
    _file(
        "lineItemScoreScales",
        _o("title"),
        _r("lineItemSourcedId", T.GUID_REF),
        _r("scoreScaleSourcedId", T.GUID_REF),
    ),
    _file(
        "orgs",
        _r("name"),
        _r("type", T.ENUM, v.ORG_TYPE),
        _o("identifier"),
        _o("parentSourcedId", T.GUID_REF),
    ),
    _file(
        "resources",
        _r("vendorResourceId"),
        _o("title"),
        _o("roles", T.ENUM_LIST, v.RESOURCE_ROLE),
        _o("importance", T.ENUM, v.IMPORTANCE),
        _o("vendorId"),
        _o("applicationId"),
    ),
    _file(
        "resultLearningObjectiveIds",
        _r("resultSourcedId", T.GUID_REF),
        _r("source", T.ENUM, v.LEARNING_OBJECTIVE_SOURCE),
        _r("learningObjectiveId"),
        _o("score", T.FLOAT),
        _o("textScore"),
    ),
    _file(
        "results",
        _r("lineItemSourcedId", T.GUID_REF),
        _r("studentSourcedId", T.GUID_REF),
        _r("scoreStatus", T.ENUM, v.SCORE_STATUS),
        _o("score", T.FLOAT),
        _r("scoreDate", T.DATE),
        _o("comment"),
        _o("textScore"),
        _o("classSourcedId", T.GUID_REF),
        _o("inProgress", _BOOL),
        _o("incomplete", _BOOL),
        _o("late", _BOOL),
        _o("missing", _BOOL),
    ),
    _file(
        "resultScoreScales",
        _o("title"),
        _r("resultSourcedId", T.GUID_REF),
        _r("scoreScaleSourcedId", T.GUID_REF),
    ),
    _file(
        "roles",
        _r("userSourcedId", T.GUID_REF),
        _r("roleType", T.ENUM, v.ROLE_TYPE),
        _r("role", T.ENUM, v.ROLE),
        _o("beginDate", T.DATE),
        _o("endDate", T.DATE),
        _r("orgSourcedId", T.GUID_REF),
        _o("userProfileSourcedId", T.GUID_REF),
    ),
    _file(
        "scoreScales",
        _r("title"),
        _r("type"),
        _r("orgSourcedId", T.GUID_REF),
        _r("courseSourcedId", T.GUID_REF),
        _r("classSourcedId", T.GUID_REF),
        _r("scoreScaleValue", T.SCORE_SCALE_VALUES),
    ),
    _file(
        "userProfiles",
        _r("userSourcedId", T.GUID_REF),
        _r("profileType"),
        _r("vendorId"),
        _o("applicationId"),
        _o("description"),
        _r("credentialType"),
        _r("username"),
        _o("password"),
    ),
    _file(
        "userResources",
        _r("userSourcedId", T.GUID_REF),
        _o("orgSourcedId", T.GUID_REF),
        _o("classSourcedId", T.GUID_REF),
        _r("resourceSourcedId", T.GUID_REF),
    ),
    _USERS_1P2_1,
)


def _with_column(file: CsvFile, column: Column, after: str) -> CsvFile:
    index = file.header.index(after) + 1
    return CsvFile(file.name, (*file.columns[:index], column, *file.columns[index:]))


def _replace(files: tuple[CsvFile, ...], *replacements: CsvFile) -> tuple[CsvFile, ...]:
    by_name = {file.name: file for file in replacements}
    return tuple(by_name.get(file.name, file) for file in files)


# 1.2 (June 2022) users.csv still had `resourceSourcedIds`; 1.2.1 moved it to userResources.csv.
FILES_1P2: tuple[CsvFile, ...] = _replace(
    FILES_1P2_1,
    _with_column(_USERS_1P2_1, _o("resourceSourcedIds", T.GUID_REF_LIST), after="userMasterIdentifier"),
)

# ---------------------------------------------------------------------------------------------
# OneRoster 1.1: 13 files; no roles, profiles, score scales, learning objectives or user resources.
# ---------------------------------------------------------------------------------------------

_V1P1_NAMES = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItems",
    "orgs",
    "resources",
    "results",
    "users",
)
FILES_1P1: tuple[CsvFile, ...] = _replace(
    tuple(file for file in FILES_1P2_1 if file.name in _V1P1_NAMES),
    _file("categories", _r("title")),
    _file(
        "demographics",
        _o("birthDate", T.DATE),
        _o("sex", T.ENUM, v.SEX_V1P1),
        *(_o(name, _BOOL) for name in RACE_FLAGS),
        _o("countryOfBirthCode"),
        _o("stateOfBirthAbbreviation"),
        _o("cityOfBirth"),
        _o("publicSchoolResidenceStatus"),
    ),
    _file(
        "lineItems",
        _r("title"),
        _o("description"),
        _r("assignDate", T.DATE),
        _r("dueDate", T.DATE),
        _r("classSourcedId", T.GUID_REF),
        _r("categorySourcedId", T.GUID_REF),
        _r("gradingPeriodSourcedId", T.GUID_REF),
        _r("resultValueMin", T.FLOAT),
        _r("resultValueMax", T.FLOAT),
    ),
    _file(
        "results",
        _r("lineItemSourcedId", T.GUID_REF),
        _r("studentSourcedId", T.GUID_REF),
        _r("scoreStatus", T.ENUM, v.SCORE_STATUS),
        _r("score", T.FLOAT),
        _r("scoreDate", T.DATE),
        _o("comment"),
    ),
    _file(
        "users",
        _r("enabledUser", _BOOL),
        _r("orgSourcedIds", T.GUID_REF_LIST),
        _r("role", T.ENUM, v.USER_ROLE_V1P1),
        _r("username"),
        _o("userIds", T.USER_IDS),
        _r("givenName"),
        _r("familyName"),
        _o("middleName"),
        _o("identifier"),
        _o("email"),
        _o("sms"),
        _o("phone"),
        _o("agentSourcedIds", T.GUID_REF_LIST),
        _o("grades", T.STRING_LIST),
        _o("password"),
    ),
)

FILES: dict[CsvVersion, tuple[CsvFile, ...]] = {
    CsvVersion.V1P1: FILES_1P1,
    CsvVersion.V1P2: FILES_1P2,
    CsvVersion.V1P2_1: FILES_1P2_1,
}

# ---------------------------------------------------------------------------------------------
# manifest.csv
# ---------------------------------------------------------------------------------------------

MANIFEST_FILENAME = "manifest.csv"
MANIFEST_HEADER = ("propertyName", "value")
FILE_MODES = ("absent", "bulk", "delta")
SOURCE_PROPERTIES = ("source.systemName", "source.systemCode")  # optional


def files(version: CsvVersion | str) -> tuple[CsvFile, ...]:
    """The data files of a CSV version, in the manifest's order."""
    return FILES[CsvVersion(version)]


def csv_file(version: CsvVersion | str, name: str) -> CsvFile:
    """One file of a CSV version, by name with or without `.csv`."""
    stem = name.removesuffix(".csv")
    for candidate in files(version):
        if candidate.name == stem:
            return candidate
    raise KeyError(f"OneRoster {CsvVersion(version)} CSV has no file {stem}.csv")


def manifest_properties(version: CsvVersion | str) -> tuple[str, ...]:
    """The required manifest properties, in order (the optional source.* properties follow them)."""
    return ("manifest.version", "oneroster.version", *(f"file.{f.name}" for f in files(version)))


def header_errors(version: CsvVersion | str, name: str, header: list[str]) -> list[str]:
    """What is wrong with a file's header row: standard columns exactly in order, extensions after them."""
    expected = csv_file(version, name).header
    errors = []
    duplicates = sorted(column for column, count in Counter(header).items() if count > 1)
    if duplicates:
        errors.append(f"duplicate columns: {', '.join(duplicates)}")
    for position, column in enumerate(expected):
        found = header[position] if position < len(header) else None
        if found != column:
            where = f"column {position + 1}"
            if found is None:
                errors.append(f"{where} {column!r} is missing")
            else:
                errors.append(f"{where} must be {column!r}, found {found!r}")
            break
    return errors
