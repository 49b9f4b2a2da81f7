"""The server's SQL filtering agrees with the reference evaluator, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from rosterlab.server.query.sql_filter import FilterCompiler, SqlDialect
from rosterlab.server.store.load import load
from rosterlab.server.store.tables import entity_table
from rosterlab.spec.entities import model_for
from rosterlab.spec.filter import to_text
from rosterlab.spec.filter.evaluate import compile_filter
from rosterlab.spec.filter.fields import FilterFieldError, FilterValueError
from rosterlab.spec.model import Version
from rosterlab.spec.render import render
from tests.databases import engine_for
from tests.filter_strategies import filterable_paths, filters_for
from tests.roster_strategies import rosters

ENTITIES = [
    "user",
    "class",
    "org",
    "academicSession",
    "enrollment",
    "course",
    "demographics",
    "lineItem",
    "result",
    "resource",
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(request, tmp_path_factory):
    with engine_for(request.param, tmp_path_factory.mktemp("agree")) as engine:
        yield engine


@given(roster=rosters(), data=st.data())
@settings(max_examples=250, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_sql_and_reference_agree(engine, roster, data):
    load(engine, roster)
    version = data.draw(st.sampled_from(list(Version)), label="version")
    entity_name = data.draw(st.sampled_from([e for e in ENTITIES if model_for(version).has_entity(e)]), label="entity")
    entity = model_for(version).entity(entity_name)
    documents = [render(entity_name, record, version) for record in roster.get(entity_name, [])]
    tree = data.draw(filters_for(entity, version, documents), label="filter")
    try:
        matches = compile_filter(tree, entity, version)
    except (FilterFieldError, FilterValueError) as error:
        event("refused by both")
        with pytest.raises(type(error)):
            FilterCompiler(entity_table(entity_name), entity, version, SqlDialect(engine.dialect.name)).compile(tree)
        return
    expected = {document["sourcedId"] for document in documents if matches(document)}
    table = entity_table(entity_name)
    where = FilterCompiler(table, entity, version, SqlDialect(engine.dialect.name)).compile(tree)
    with engine.connect() as connection:
        got = {row[0] for row in connection.execute(select(table.c.sourced_id).where(where))}
    event("compared: some match" if expected else "compared: none match")
    assert got == expected, to_text(tree)


def test_every_entity_has_filterable_paths():
    for version in Version:
        for entity in model_for(version).entities:
            assert ("sourcedId",) in filterable_paths(entity, version)


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("familyName='O''Brien'", {"u1"}),
        ("familyName~'brien'", {"u1"}),
        ("familyName~'É'", {"u2"}),
        ("familyName~'é'", set()),
        ("familyName>'Z'", {"u2"}),
        ("roles.role='teacher'", {"u2"}),
        ("roles.org='s1' AND roles.role='student'", {"u1"}),
        ("grades!='09'", {"u2"}),
        ("dateLastModified>'2024-06-01'", {"u2"}),
        ("dateLastModified>='2024-05-01T10:00:00.500Z'", {"u1", "u2"}),
        ("enabledUser='false'", {"u2"}),
        ("enabledUser='false' OR email~'@X.ORG'", {"u1", "u2"}),
        ("email!='a@x.org'", {"u2"}),
    ],
)
def test_known_answers_on_both_databases(any_engine, filter_text, expected):
    from rosterlab.spec.filter import parse

    users = [
        {
            "sourcedId": "u1",
            "givenName": "Ann",
            "familyName": "O'Brien",
            "enabledUser": True,
            "grades": ["09"],
            "email": "a@x.org",
            "roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": "s1"}}],
            "dateLastModified": "2024-05-01T10:00:00.500Z",
        },
        {
            "sourcedId": "u2",
            "givenName": "Émile",
            "familyName": "Émond",
            "enabledUser": False,
            "grades": ["10"],
            "roles": [{"roleType": "primary", "role": "teacher", "org": {"sourcedId": "s1"}}],
            "dateLastModified": "2024-07-01T00:00:00Z",
        },
    ]
    load(any_engine, {"user": users})
    table, entity = entity_table("user"), model_for("1.2").entity("user")
    where = FilterCompiler(table, entity, Version.V1P2, SqlDialect(any_engine.dialect.name)).compile(parse(filter_text))
    with any_engine.connect() as connection:
        got = {row[0] for row in connection.execute(select(table.c.sourced_id).where(where))}
    assert got == expected
    reference = compile_filter(parse(filter_text), entity, "1.2")
    assert {u["sourcedId"] for u in users if reference(render("user", u, "1.2"))} == expected
