"""Read and check a request's paging, filter, sort and fields parameters."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from rosterlab.server.config import ServerConfig, UnknownFieldPolicy
from rosterlab.server.errors import OneRosterError
from rosterlab.spec.filter import FilterError, Node, Op, Predicate, parse
from rosterlab.spec.model import Entity, Version
from rosterlab.spec.openapi import FIELD_NAME_PATTERN

INT32_MAX = 2**31 - 1
_DIGITS = re.compile(r"[0-9]+")
_FIELD_NAME = re.compile(FIELD_NAME_PATTERN)
T = TypeVar("T")


@dataclass
class Selection:
    """The fields a request selected, and warnings to send beside the data (1.1)."""

    fields: list[str] | None  # None: every field
    warnings: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CollectionQuery:
    """The checked query of a collection request."""

    limit: int
    offset: int
    filter: Node | None
    sort: str | None
    descending: bool
    selection: Selection


def _single(values: Sequence[str], name: str) -> str | None:
    if not values:
        return None
    if len(values) > 1:
        raise OneRosterError(400, "invaliddata", f"{name} is given {len(values)} times; give it once")
    if values[0] == "":
        raise OneRosterError(400, "invaliddata", f"{name} is empty; give it a value or leave it out")
    return values[0]


def _whole_number(text: str, name: str, minimum: int) -> int:
    if not _DIGITS.fullmatch(text):
        raise OneRosterError(400, "invaliddata", f"{name} must be a whole number, not {text!r}")
    if len(text.lstrip("0")) > len(str(INT32_MAX)):  # too long to be in range, and to give int() safely
        raise OneRosterError(400, "invaliddata", f"{name} must be between {minimum} and {INT32_MAX}")
    number = int(text)
    if number < minimum or number > INT32_MAX:
        raise OneRosterError(400, "invaliddata", f"{name} must be between {minimum} and {INT32_MAX}, not {text}")
    return number


def read_selection(values: Sequence[str], entity: Entity, version: Version, config: ServerConfig) -> Selection:
    """The `fields` parameter: comma-separated, possibly repeated; blank entries are refused."""
    if not values:
        return Selection(None)
    names = [name.strip() for value in values for name in value.split(",")]
    if config.quirks.lenient_paging_params:  # what it cannot read, it ignores
        names = [name for name in names if _FIELD_NAME.match(name) and entity.has_field(name)]
        return Selection(list(dict.fromkeys(names)) or None)
    if any(not name for name in names):
        raise OneRosterError(400, "invalid_blank_selection_field", "fields has a blank entry")
    malformed = [name for name in names if not _FIELD_NAME.match(name)]
    if malformed:
        raise OneRosterError(400, "invalid_selection_field", f"not field names: {', '.join(map(repr, malformed))}")
    unknown = [name for name in names if not entity.has_field(name)]
    if not unknown:
        return Selection(list(dict.fromkeys(names)))
    listed = ", ".join(unknown)
    policy = config.unknown_fields(version)
    if policy is UnknownFieldPolicy.REJECT:
        raise OneRosterError(400, "invalid_selection_field", f"{entity.name} has no field(s) {listed}")
    if policy is UnknownFieldPolicy.WARN:
        return Selection(None, [("invalid_selection_field", f"unknown field(s) {listed}; every field returned")])
    return Selection(None)


def read_collection_query(
    query: dict[str, list[str]], entity: Entity, version: Version, config: ServerConfig
) -> CollectionQuery:
    """Check a collection request's parameters; raise OneRosterError (400) on any malformed one (unless the
    `lenient_paging_params` quirk ignores malformed paging and sort, and answers a malformed filter with an
    empty page)."""
    quirks = config.quirks
    limit = _lenient(quirks.lenient_paging_params, lambda: _limit(query, config), config.default_limit)
    offset = _lenient(quirks.lenient_paging_params, lambda: _offset(query), 0)
    tree: Node | None = None
    filter_text = _lenient(quirks.lenient_paging_params, lambda: _single(query.get("filter", []), "filter"), "")
    if filter_text == "":
        filter_text, tree = None, NOTHING
    if filter_text is not None:
        try:
            tree = parse(filter_text)
        except FilterError as error:
            if not quirks.lenient_paging_params:
                raise OneRosterError(400, "invalid_filter_field", f"filter: {error}") from None
            tree = NOTHING
    sort, order = _lenient(quirks.lenient_paging_params, lambda: _sort(query), (None, "asc"))
    return CollectionQuery(
        limit=min(limit, config.max_limit, quirks.page_cap or limit),
        offset=0 if quirks.ignore_offset else offset,
        filter=tree,
        sort=sort,
        descending=order == "desc",
        selection=read_selection(query.get("fields", []), entity, version, config),
    )


NOTHING: Node = Predicate(("sourcedId",), Op.EQ, "")
"""A filter no record matches: what a lenient provider answers a filter it cannot read with."""


def _limit(query: dict[str, list[str]], config: ServerConfig) -> int:
    text = _single(query.get("limit", []), "limit")
    return config.default_limit if text is None else _whole_number(text, "limit", 1)


def _offset(query: dict[str, list[str]]) -> int:
    text = _single(query.get("offset", []), "offset")
    return 0 if text is None else _whole_number(text, "offset", 0)


def _sort(query: dict[str, list[str]]) -> tuple[str | None, str]:
    sort = _single(query.get("sort", []), "sort")
    if sort is not None and not _FIELD_NAME.match(sort):
        raise OneRosterError(400, "invaliddata", f"sort must name a field, not {sort!r}")
    order = _single(query.get("orderBy", []), "orderBy") or "asc"
    if order not in ("asc", "desc"):
        raise OneRosterError(400, "invaliddata", f"orderBy must be asc or desc, not {order!r}")
    return sort, order


def _lenient(lenient: bool, read: Callable[[], T], fallback: T) -> T:
    """`read()`, or `fallback` where a lenient provider ignores what it cannot read."""
    try:
        return read()
    except OneRosterError:
        if lenient:
            return fallback
        raise
