"""Value encodings of the OneRoster CSV binding, and the check of one cell against its column type.

Lists are comma-separated inside one CSV field (the csv module quotes the field when it holds a comma);
`userIds` are `{type:identifier}` items and `scoreScaleValue` items are `{LHS:RHS}`.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from enum import StrEnum

from rosterlab.spec.model import Vocabulary

GUID_RE = re.compile(r"[0-9A-Za-z.\-_/@]{1,255}")
EXT_TOKEN_RE = re.compile(r"ext:[A-Za-z0-9.\-_]+")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
YEAR_RE = re.compile(r"\d{4}")
# 1.2.1 fixes DateTime to millisecond resolution in UTC; 1.1 and 1.2 only asked for ISO 8601 in UTC.
DATETIME_STRICT_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
DATETIME_ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]00:?00)")
_PAIR_RE = re.compile(r"\{([^{}:,]+):([^{},]*)\}")


class CsvType(StrEnum):
    """The data types of CSV columns."""

    GUID = "GUID"
    GUID_REF = "GUID Reference"
    GUID_REF_LIST = "List of GUID References"
    STRING = "String"
    STRING_LIST = "List of Strings"
    ENUM = "Enumeration"
    ENUM_LIST = "Enumeration List"
    DATE = "Date"
    DATETIME = "DateTime"
    YEAR = "Year"
    BOOLEAN = "Boolean"
    FLOAT = "Float"
    INTEGER = "Integer"
    USER_IDS = "User Ids"  # {type:identifier},...
    SCORE_SCALE_VALUES = "Score Scale Values"  # {LHS:RHS},...


def split_list(text: str) -> list[str]:
    """The items of a list cell ("a,b" -> ["a", "b"]); an empty cell is an empty list."""
    if text == "":
        return []
    return [item.strip() for item in text.split(",")]


def join_list(items: list[str]) -> str:
    """A list cell from its items."""
    return ",".join(items)


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """`{a:1},{b:2}` -> [("a", "1"), ("b", "2")]; raise ValueError when malformed."""
    if text == "":
        return []
    pairs = []
    for index, item in enumerate(text.split(","), start=1):
        match = _PAIR_RE.fullmatch(item.strip())
        if not match:
            raise ValueError(f"item {index} ({item.strip()!r}) is not of the form {{key:value}}")
        pairs.append((match.group(1), match.group(2)))
    return pairs


def format_pairs(pairs: list[tuple[str, str]]) -> str:
    """[("a", "1"), ("b", "2")] -> `{a:1},{b:2}`."""
    return ",".join(f"{{{key}:{value}}}" for key, value in pairs)


def is_calendar_date(text: str) -> bool:
    """Whether `text` is a calendar date written YYYY-MM-DD (and nothing else ISO 8601 allows)."""
    if not DATE_RE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _valid_datetime(text: str, strict: bool) -> bool:
    if not (DATETIME_STRICT_RE if strict else DATETIME_ISO_RE).fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _enum_error(value: str, vocabulary: Vocabulary, allow_ext: bool) -> str | None:
    if value in vocabulary.values:
        return None
    if allow_ext and vocabulary.extensible and EXT_TOKEN_RE.fullmatch(value):
        return None
    allowed = ", ".join(vocabulary.values)
    suffix = " or an ext: token" if allow_ext and vocabulary.extensible else ""
    return f"{value!r} is not one of {allowed}{suffix}"


def check_value(
    text: str,
    type_: CsvType,
    *,
    vocabulary: Vocabulary | None = None,
    allow_ext: bool = True,
    strict_datetime: bool = True,
) -> str | None:
    """Why a non-empty cell is not a valid value of its type, or None when it is."""
    if type_ in (CsvType.GUID, CsvType.GUID_REF):
        return None if GUID_RE.fullmatch(text) else f"{text!r} is not a GUID (1-255 of 0-9 A-Z a-z . - _ / @)"
    if type_ is CsvType.GUID_REF_LIST:
        bad = [item for item in split_list(text) if not GUID_RE.fullmatch(item)]
        return f"not GUIDs: {', '.join(map(repr, bad))}" if bad else None
    if type_ in (CsvType.STRING, CsvType.STRING_LIST):
        return None
    if type_ is CsvType.ENUM:
        assert vocabulary is not None
        return _enum_error(text, vocabulary, allow_ext)
    if type_ is CsvType.ENUM_LIST:
        assert vocabulary is not None
        errors = [e for e in (_enum_error(item, vocabulary, allow_ext) for item in split_list(text)) if e]
        return "; ".join(errors) or None
    if type_ is CsvType.DATE:
        return None if is_calendar_date(text) else f"{text!r} is not a date (YYYY-MM-DD)"
    if type_ is CsvType.DATETIME:
        if _valid_datetime(text, strict_datetime):
            return None
        shape = "YYYY-MM-DDTHH:MM:SS.sssZ" if strict_datetime else "an ISO 8601 date-time in UTC"
        return f"{text!r} is not a date-time ({shape})"
    if type_ is CsvType.YEAR:
        return None if YEAR_RE.fullmatch(text) else f"{text!r} is not a year (YYYY)"
    if type_ is CsvType.BOOLEAN:
        return None if text in ("true", "false") else f"{text!r} is not true or false"
    if type_ is CsvType.FLOAT:
        try:
            number = float(text)
        except ValueError:
            return f"{text!r} is not a number"
        return None if math.isfinite(number) else f"{text!r} is not a finite number"
    if type_ is CsvType.INTEGER:
        return None if re.fullmatch(r"[+-]?\d+", text) else f"{text!r} is not an integer"
    if type_ in (CsvType.USER_IDS, CsvType.SCORE_SCALE_VALUES):
        try:
            parse_pairs(text)
        except ValueError as error:
            return str(error)
        return None
    raise ValueError(type_)
