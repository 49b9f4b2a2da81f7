"""Turn a typed filter into SQLAlchemy expressions over a version's JSON document, for SQLite and PostgreSQL.

The meaning is that of `rosterlab.spec.filter.evaluate` (tested to agree): text compares in code-point order,
`~` ignores the case of ASCII letters, a list matches when any element does, `!=` when none equals.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ColumnElement, Float, Table, and_, cast, exists, func, literal, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement as Expr

from rosterlab.spec.filter.ast import And, Node, Op, Predicate
from rosterlab.spec.filter.fields import FieldPath, FilterFieldError, TypedPredicate, resolve, type_predicate
from rosterlab.spec.model import Entity, Kind, Version

BASE_COLUMNS = {("sourcedId",): "sourced_id", ("status",): "status", ("dateLastModified",): "date_last_modified"}
_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"


def _json_path(keys: tuple[str, ...]) -> str:
    return "$" + "".join('."' + key.replace('"', '\\"') + '"' for key in keys)


class SqlDialect:
    """What differs between SQLite and PostgreSQL when reading JSON and comparing text."""

    def __init__(self, name: str) -> None:
        self.postgres = name == "postgresql"

    def text(self, expr: Expr) -> Expr:
        """Text in code-point order (PostgreSQL's default collation is linguistic)."""
        return expr.collate("C") if self.postgres else expr

    def lower_ascii(self, expr: Expr) -> Expr:
        return func.translate(expr, _UPPER, _LOWER) if self.postgres else func.lower(expr)

    def contains(self, haystack: Expr, needle: str) -> Expr:
        if self.postgres:
            return func.strpos(haystack, literal(needle)) > 0
        return func.instr(haystack, literal(needle)) > 0

    def scalar(self, document: Expr, keys: tuple[str, ...], kind: Kind, version: Version) -> Expr:
        """The value at `keys` in a JSON document, typed for comparison."""
        value = document[keys]
        if kind is Kind.NUMBER:
            return value.as_float()
        if kind is Kind.BOOLEAN and version is Version.V1P1:
            return value.as_boolean()
        return value.as_string()

    def elements(self, document: Expr, outer: tuple[str, ...], inner: tuple[str, ...], kind: Kind):
        """A table of one row per list element, and the element's value typed for comparison."""
        if self.postgres:
            array = func.json_extract_path(document, *outer)
            if inner:
                rows = func.json_array_elements(array).table_valued("value").alias()
                value = func.json_extract_path_text(rows.c.value, *inner)
            else:
                rows = func.json_array_elements_text(array).table_valued("value").alias()
                value = rows.c.value
            return rows, (cast(value, Float) if kind is Kind.NUMBER else value)
        rows = func.json_each(document, _json_path(outer)).table_valued("value").alias()
        value = func.json_extract(rows.c.value, _json_path(inner)) if inner else rows.c.value
        return rows, value


class FilterCompiler:
    """Compiles filter trees for one table, entity, version and dialect."""

    def __init__(self, table: Table, entity: Entity, version: Version, dialect: SqlDialect) -> None:
        self.table = table
        self.entity = entity
        self.version = version
        self.dialect = dialect
        self.document = table.c[version.slug]

    def compile(self, node: Node) -> ColumnElement[bool]:
        """The WHERE clause of a filter; raises FilterFieldError or FilterValueError."""
        if isinstance(node, Predicate):
            return self.predicate(type_predicate(node, self.entity, self.version))
        parts = [self.compile(item) for item in node.items]
        return and_(*parts) if isinstance(node, And) else or_(*parts)

    def value_of(self, path: FieldPath) -> Expr:
        """The expression of a path that crosses no list (used by sort too)."""
        column = BASE_COLUMNS.get(path.outer)
        if column is not None:
            return self.table.c[column]
        return self.dialect.scalar(self.document, path.outer, path.kind, self.version)

    def _compare(self, expr: Expr, typed: TypedPredicate) -> Expr:
        op, value = typed.op, typed.value
        if op is Op.CONTAINS:
            return self.dialect.contains(self.dialect.lower_ascii(expr), str(value))
        if op in (Op.EQ, Op.NE):
            return expr == value
        if typed.path.kind not in (Kind.NUMBER, Kind.BOOLEAN):
            expr = self.dialect.text(expr)
        return {Op.GT: expr > value, Op.GE: expr >= value, Op.LT: expr < value, Op.LE: expr <= value}[op]

    def predicate(self, typed: TypedPredicate) -> ColumnElement[bool]:
        path = typed.path
        if not path.through_list:
            expr = self.value_of(path)
            if typed.op is Op.NE:
                return or_(expr.is_(None), expr != typed.value)
            return self._compare(expr, typed)
        assert path.inner is not None
        rows, element = self.dialect.elements(self.document, path.outer, path.inner, path.kind)
        if typed.op is Op.NE:
            equal = TypedPredicate(path, Op.EQ, typed.value)
            return not_(exists(select(literal(1)).select_from(rows).where(self._compare(element, equal))))
        return exists(select(literal(1)).select_from(rows).where(self._compare(element, typed)))

    def sort_key(self, field_name: str) -> Expr:
        """The ORDER BY expression of a field; raises FilterFieldError when it cannot be sorted on."""
        path = resolve(self.entity, self.version, tuple(field_name.split(".")))
        if path.through_list:
            raise FilterFieldError(field_name, f"{field_name!r} is a list and cannot be sorted on")
        expr = self.value_of(path)
        if path.kind is Kind.BOOLEAN and self.version is Version.V1P1:
            return cast(expr, Boolean)
        return expr if path.kind is Kind.NUMBER else self.dialect.text(expr)
