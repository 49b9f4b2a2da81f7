"""Read pages and single objects for an operation, as JSON text ready to be joined into a body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, Select, Text, and_, cast, func, select

from rosterlab.server.errors import OneRosterError
from rosterlab.server.query.params import CollectionQuery
from rosterlab.server.query.relations import check_parents, nested_condition, selection_condition
from rosterlab.server.query.sql_filter import FilterCompiler, SqlDialect
from rosterlab.server.query.visibility import expand_orgs, visibility
from rosterlab.server.quirks import data_faults
from rosterlab.server.quirks.switches import STANDARD, Quirks
from rosterlab.server.store import page_index
from rosterlab.server.store.tables import entity_table
from rosterlab.spec.endpoints import Operation
from rosterlab.spec.filter import Node
from rosterlab.spec.filter.evaluate import compile_filter
from rosterlab.spec.filter.fields import FilterFieldError, FilterValueError
from rosterlab.spec.model import Entity, Version


@dataclass
class Page:
    """One page of a collection: its objects as JSON text, the total, and warnings for 1.1."""

    documents: list[str]
    total: int
    warnings: list[tuple[str, str]]


def _restriction(connection: Connection, entity_name: str, orgs: tuple[str, ...]):
    return visibility(entity_name, expand_orgs(connection, orgs)) if orgs else None


def read_page(
    connection: Connection,
    operation: Operation,
    version: Version,
    params: Mapping[str, str],
    query: CollectionQuery,
    orgs: tuple[str, ...] = (),
    quirks: Quirks = STANDARD,
) -> Page:
    """The requested page of a collection operation, within `orgs` when the client is restricted to them;
    raises OneRosterError for bad input or unknown parents."""
    entity = operation.entity_in(version)
    table = entity_table(entity.name)
    compiler = FilterCompiler(table, entity, version, SqlDialect(connection.dialect.name))
    check_parents(connection, operation, params, orgs, hide_deleted=quirks.hard_deletes)
    conditions = [
        c
        for c in (selection_condition(entity.name, operation.selection), nested_condition(operation, params))
        if c is not None
    ]
    restriction = _restriction(connection, entity.name, orgs)
    if restriction is not None:
        conditions.append(restriction)
    if quirks.hard_deletes:
        conditions.append(table.c.status != "tobedeleted")
    unfiltered = list(conditions)
    if query.filter is not None:
        try:
            conditions.append(compiler.compile(query.filter))
        except (FilterFieldError, FilterValueError) as error:
            if quirks.lenient_paging_params:  # a filter it cannot apply matches nothing
                return Page([], 0, list(query.selection.warnings))
            if isinstance(error, FilterFieldError):
                raise OneRosterError(400, "invalid_filter_field", str(error)) from None
            raise OneRosterError(400, "invaliddata", f"filter: {error}") from None
    where = and_(*conditions) if conditions else None
    warnings: list[tuple[str, str]] = list(query.selection.warnings)
    order = []
    if query.sort:
        try:
            key = compiler.sort_key(query.sort)
        except FilterFieldError as error:
            if quirks.ignore_unknown_sort or quirks.lenient_paging_params:
                pass  # the default order, without a word
            elif version is not Version.V1P1:
                raise OneRosterError(400, "invaliddata", f"sort: {error}") from None
            else:
                warnings.append(("invalid_sort_field", f"sort: {error}; default order used"))
        else:
            order.append(key.desc().nulls_last() if query.descending else key.asc().nulls_first())
    order.append(compiler.dialect.text(table.c.sourced_id))
    count = select(func.count()).select_from(table)
    rows = select(cast(table.c[version.slug], Text)).order_by(*order).limit(query.limit).offset(query.offset)
    if where is not None:
        rows = rows.where(where)
    counted = unfiltered if quirks.total_before_filter else conditions
    if counted:
        count = count.where(and_(*counted))
    keys = select(table.c.sourced_id).order_by(*order)
    if where is not None:
        keys = keys.where(where)
    if data_faults.applies(entity.name, quirks):
        every = select(table.c.sourced_id).order_by(*order)
        if unfiltered:
            every = every.where(and_(*unfiltered))
        faulty = _FaultyRead(connection, entity, version, quirks, frozenset(params.values()))
        return faulty.page(every, keys if query.filter is not None else None, query, warnings)
    found = page_index.total(connection, count)
    if query.offset >= found:
        documents = []
    elif query.offset < page_index.DEEP_OFFSET:
        documents = [row[0] for row in connection.execute(rows)]
    else:
        wanted = page_index.ordered_keys(connection, keys)[query.offset : query.offset + query.limit]
        documents = _documents(connection, entity.name, version, wanted)
    return Page(documents, found, warnings)


def _documents(connection: Connection, entity_name: str, version: Version, wanted: list[str]) -> list[str]:
    """The documents of these sourcedIds, in this order."""
    by_id = _documents_by_id(connection, entity_name, version, wanted)
    return [by_id[sourced_id] for sourced_id in wanted if sourced_id in by_id]


def _documents_by_id(connection: Connection, entity_name: str, version: Version, wanted: list[str]) -> dict[str, str]:
    table = entity_table(entity_name)
    fetch = select(table.c.sourced_id, cast(table.c[version.slug], Text)).where(table.c.sourced_id.in_(set(wanted)))
    return dict(connection.execute(fetch).all())


class _FaultyRead:
    """A collection as a provider with data faults serves it: some records twice, some left out, some
    references broken. A record the fault changed is served where it belongs as changed: it matches the filter
    as changed, and a nested collection does not list it under the parent its broken reference used to name.
    The total counts what is served."""

    def __init__(
        self, connection: Connection, entity: Entity, version: Version, quirks: Quirks, parents: frozenset[str]
    ) -> None:
        self.connection, self.entity, self.version, self.parents = connection, entity, version, parents
        self.broken = data_faults.dangling(connection, entity.name, quirks)
        self.quirks = quirks

    def page(
        self, every: Select, matching: Select | None, query: CollectionQuery, warnings: list[tuple[str, str]]
    ) -> Page:
        """The requested page; `every` orders the collection's records, `matching` those the filter keeps."""
        entries = data_faults.reshape(
            self.connection, self.entity.name, page_index.ordered_keys(self.connection, every), self.quirks
        )
        if matching is not None or (self.parents and self.broken):
            entries = self._belonging(entries, query.filter, matching)
        wanted = entries[query.offset : query.offset + query.limit]
        by_id = _documents_by_id(self.connection, self.entity.name, self.version, [e.sourced_id for e in wanted])
        documents = [self._as_served(by_id[e.sourced_id], e) for e in wanted if e.sourced_id in by_id]
        return Page(documents, len(entries), warnings)

    def _altered(self, entry: data_faults.Entry) -> bool:
        return entry.differs or entry.sourced_id in self.broken

    def _as_served(self, document: str, entry: data_faults.Entry) -> str:
        if entry.sourced_id in self.broken:
            document = data_faults.with_dangling_refs(document, self.entity.name)
        return data_faults.copy_that_differs(document) if entry.differs else document

    def _names_parent(self, document: str) -> bool:
        return bool(data_faults.broken_targets(document, self.entity.name) & self.parents)

    def _belonging(
        self, entries: list[data_faults.Entry], node: Node | None, matching: Select | None
    ) -> list[data_faults.Entry]:
        kept_ids = set(page_index.ordered_keys(self.connection, matching)) if matching is not None else None
        altered = sorted({entry.sourced_id for entry in entries if self._altered(entry)})
        documents = _documents_by_id(self.connection, self.entity.name, self.version, altered) if altered else {}
        holds = compile_filter(node, self.entity, self.version) if node is not None else None

        def belongs(entry: data_faults.Entry) -> bool:
            if not self._altered(entry) or entry.sourced_id not in documents:
                return kept_ids is None or entry.sourced_id in kept_ids
            original = documents[entry.sourced_id]
            if (
                entry.sourced_id in self.broken
                and data_faults.broken_targets(original, self.entity.name) & self.parents
            ):
                return False
            return holds is None or holds(orjson.loads(self._as_served(original, entry)))

        return [entry for entry in entries if belongs(entry)]


def _with_dangling_refs(connection: Connection, entity_name: str, documents: list[str], quirks: Quirks) -> list[str]:
    broken = data_faults.dangling(connection, entity_name, quirks)
    if not broken:
        return documents
    return [
        data_faults.with_dangling_refs(document, entity_name) if _sourced_id(document) in broken else document
        for document in documents
    ]


def _sourced_id(document: str) -> str | None:
    return orjson.loads(document).get("sourcedId")


def read_one(
    connection: Connection,
    operation: Operation,
    version: Version,
    sourced_id: str,
    orgs: tuple[str, ...] = (),
    quirks: Quirks = STANDARD,
) -> str:
    """One object as JSON text; raises 404 unknownobject when there is none (in the endpoint's subset, and
    within the client's orgs)."""
    entity = operation.entity_in(version)
    table = entity_table(entity.name)
    condition = table.c.sourced_id == sourced_id
    if quirks.hard_deletes:
        condition = and_(condition, table.c.status != "tobedeleted")
    for extra in (selection_condition(entity.name, operation.selection), _restriction(connection, entity.name, orgs)):
        if extra is not None:
            condition = and_(condition, extra)
    document = connection.execute(select(cast(table.c[version.slug], Text)).where(condition)).scalar()
    if document is None:
        what = operation.selection.value if operation.selection else entity.name
        raise OneRosterError(404, "unknownobject", f"no {what} has sourcedId {sourced_id!r}")
    return _with_dangling_refs(connection, entity.name, [document], quirks)[0]
