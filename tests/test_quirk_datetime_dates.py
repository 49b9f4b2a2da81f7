"""The `datetime_dates` quirk over real HTTP: a gradebook write may send a date-time where the model says
date, and the date (in the date-time's own offset) is kept; strict, the same write is refused 422."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import ensure_demo_clients
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.switches import Quirks
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.spec.endpoints import OpKind, base_path, operations
from rosterlab.spec.entities import VersionModel, model_for
from rosterlab.spec.model import Field, Kind, Nested, Scalar, Service, Version
from tests.conftest import fetch_token, server_config
from tests.live import LiveServer


def _date_paths(fields: tuple[Field, ...], model: VersionModel, prefix: tuple[str, ...] = ()):
    """The paths of the date fields among `fields`, nested structures included (a list's items as `name[]`)."""
    for field in fields:
        name = field.name + ("[]" if field.many else "")
        if isinstance(field.type, Scalar) and field.type.kind is Kind.DATE:
            yield (*prefix, name)
        elif isinstance(field.type, Nested):
            yield from _date_paths(model.structure(field.type.structure).fields, model, (*prefix, name))


def date_fields() -> list[tuple[Version, str, tuple[str, ...]]]:
    """Every (version, entity, path) that the model types as a date in an object the API lets clients write."""
    found = []
    for version in Version:
        model = model_for(version)
        written = sorted({op.entity for op in operations(version) if op.kind in (OpKind.PUT, OpKind.CREATE_MANY)})
        for name in written:
            found += [(version, name, path) for path in _date_paths(model.entity(name).all_fields, model)]
    return found


DATE_FIELDS = date_fields()

# A valid body of each writable entity that has a date, over the demo district.
BODIES: dict[tuple[Version, str], dict] = {
    (Version.V1P1, "result"): {
        "lineItem": {"sourcedId": "li-class-1-0-0-1"},
        "student": {"sourcedId": "user-20"},
        "scoreStatus": "fully graded",
        "score": 17,
        "scoreDate": "2024-10-09",
    },
    (Version.V1P2, "result"): {
        "lineItem": {"sourcedId": "li-class-1-0-0-1"},
        "student": {"sourcedId": "user-20"},
        "scoreStatus": "fully graded",
        "score": 81.5,
        "scoreDate": "2024-10-09",
        "comment": "graded in Classroom",
    },
    (Version.V1P2, "assessmentResult"): {
        "assessmentLineItem": {"sourcedId": "ali-state-math"},
        "student": {"sourcedId": "user-5"},
        "scoreStatus": "fully graded",
        "score": 402.0,
        "scoreDate": "2024-11-02",
    },
}

# (sent, the date kept): the date is the one written, in the date-time's own offset, never moved to UTC.
DATE_TIMES = [
    ("2024-10-01T08:00:00Z", "2024-10-01"),
    ("2024-10-01T23:30:00-05:00", "2024-10-01"),  # 2024-10-02 in UTC
    ("2024-10-02T00:30:00+02:00", "2024-10-02"),  # 2024-10-01 in UTC
    ("2024-10-01t08:00:00.123456789z", "2024-10-01"),
    ("2024-02-29T12:00:00+00:00", "2024-02-29"),
]

MALFORMED = [
    "2024-13-01",
    "2024-02-30",
    "2024-10-1",
    "2024-W40-2",  # an ISO 8601 week date, not YYYY-MM-DD
    "20241001T0",
    "2024-10-01T08:00:00",  # no offset: not RFC 3339
    "2024-10-01T25:00:00Z",
    "2024-02-30T08:00:00Z",
    "2024-10-01T08:00:00+05:99",
    "2024-10-01T08:00:00+24:00",
    "2024-10-01T08:00Z",
    "2024-10-01T08:00:00Z trailing",
    "yesterday",
]


def _key(case) -> str:
    version, entity, path = case
    return f"{version.slug}-{entity}.{'.'.join(path)}"


def test_the_date_fields_found_in_the_model():
    assert {_key(case) for case in DATE_FIELDS} == {
        "v1p1-result.scoreDate",
        "v1p2-result.scoreDate",
        "v1p2-assessmentResult.scoreDate",
    }
    assert {(version, entity) for version, entity, _ in DATE_FIELDS} <= set(BODIES)


def _serve(tmp_path_factory, *switches: str):
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('dates') / 'sis.db'}")
    load(engine, demo_district())
    config = replace(server_config(), quirks=Quirks().switched(list(switches)))
    ensure_demo_clients(registry_for(config, engine))
    with LiveServer(create_app(config, engine=engine)) as live, httpx.Client(base_url=live.url, timeout=30) as http:
        http.headers["Authorization"] = f"Bearer {fetch_token(live.url)}"
        yield http
    engine.dispose()


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    """The mock SIS as the standard is written, over a demo district of its own."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="module")
def lenient(tmp_path_factory):
    """The mock SIS with the datetime_dates quirk, over a demo district of its own."""
    yield from _serve(tmp_path_factory, "datetime_dates")


def _url(version: Version, entity: str, sourced_id: str) -> str:
    return f"{base_path(version, Service.GRADEBOOK)}/{model_for(version).entity(entity).plural}/{sourced_id}"


def _body(version: Version, entity: str, path: tuple[str, ...], value: str) -> dict:
    body = {key: dict(item) if isinstance(item, dict) else item for key, item in BODIES[(version, entity)].items()}
    inner = body
    for name in path[:-1]:
        inner = inner.setdefault(name, {})
    inner[path[-1]] = value
    return {model_for(version).entity(entity).single: body}


def _at(document: dict, path: tuple[str, ...]):
    for name in path:
        document = document[name]
    return document


def _refused(response: httpx.Response, says: str) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    info = body["statusInfoSet"][0] if "statusInfoSet" in body else body
    assert info["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == "invaliddata"
    assert says in info["imsx_description"], info["imsx_description"]
    return info["imsx_description"]


def _id(prefix: str, case, index: int) -> str:
    return f"{prefix}-{_key(case).replace('.', '-')}-{index}"


@pytest.mark.parametrize("case", DATE_FIELDS, ids=_key)
@pytest.mark.parametrize(("index", "sent"), list(enumerate(sent for sent, _ in DATE_TIMES)))
def test_strict_refuses_a_date_time_in_a_date_field(strict, case, index, sent):
    version, entity, path = case
    url = _url(version, entity, _id("strict", case, index))
    described = _refused(strict.put(url, json=_body(version, entity, path, sent)), f"{entity}.{'.'.join(path)}")
    assert repr(sent) in described and "date-time" in described
    assert strict.get(url).status_code == 404


@pytest.mark.parametrize("case", DATE_FIELDS, ids=_key)
@pytest.mark.parametrize(("index", "sent", "kept"), [(i, *pair) for i, pair in enumerate(DATE_TIMES)])
def test_the_quirk_keeps_the_date_of_a_date_time(lenient, case, index, sent, kept):
    version, entity, path = case
    url = _url(version, entity, _id("lenient", case, index))
    single = model_for(version).entity(entity).single
    created = lenient.put(url, json=_body(version, entity, path, sent))
    assert created.status_code == 201, created.text
    assert _at(lenient.get(url).json()[single], path) == kept
    replaced = lenient.put(url, json=_body(version, entity, path, "2024-12-24T10:00:00+01:00"))
    assert replaced.status_code == 200, replaced.text
    assert _at(lenient.get(url).json()[single], path) == "2024-12-24"


@pytest.mark.parametrize("case", DATE_FIELDS, ids=_key)
def test_a_plain_date_is_kept_as_it_is_in_both_modes(strict, lenient, case):
    version, entity, path = case
    single = model_for(version).entity(entity).single
    for http, mode in ((strict, "strict"), (lenient, "lenient")):
        url = _url(version, entity, _id(f"plain-{mode}", case, 0))
        assert http.put(url, json=_body(version, entity, path, "2024-10-05")).status_code == 201
        assert _at(http.get(url).json()[single], path) == "2024-10-05"


@pytest.mark.parametrize("case", DATE_FIELDS, ids=_key)
@pytest.mark.parametrize(("index", "sent"), list(enumerate(MALFORMED)))
def test_a_malformed_date_is_refused_in_both_modes(strict, lenient, case, index, sent):
    version, entity, path = case
    for http, mode in ((strict, "strict"), (lenient, "lenient")):
        url = _url(version, entity, _id(f"malformed-{mode}", case, index))
        described = _refused(http.put(url, json=_body(version, entity, path, sent)), f"{entity}.{'.'.join(path)}")
        assert repr(sent) in described
        assert http.get(url).status_code == 404


def test_create_many_keeps_the_date_with_the_quirk_and_refuses_it_without(strict, lenient):
    body = dict(BODIES[(Version.V1P2, "result")], sourcedId="many-1", scoreDate="2024-10-01T23:30:00-05:00")
    del body["lineItem"]
    path = f"{base_path(Version.V1P2, Service.GRADEBOOK)}/lineItems/li-class-1-0-0-1/results"
    _refused(strict.post(path, json={"results": [body]}), "[0] result.scoreDate")
    created = lenient.post(path, json={"results": [body]})
    assert created.status_code == 201, created.text
    allocated = created.json()["sourcedIdPairs"][0]["allocatedSourcedId"]
    stored = lenient.get(_url(Version.V1P2, "result", allocated)).json()["result"]
    assert stored["scoreDate"] == "2024-10-01"


def test_date_time_fields_are_unchanged_by_the_quirk(lenient):
    line_item = {
        "title": "Quiz",
        "assignDate": "2024-10-01T08:00:00-05:00",
        "dueDate": "2024-10-08",  # a date where the model says date-time stays refused
        "class": {"sourcedId": "class-1-0-0"},
        "school": {"sourcedId": "school-1"},
        "category": {"sourcedId": "cat-homework"},
    }
    url = _url(Version.V1P2, "lineItem", "dates-li")
    _refused(lenient.put(url, json={"lineItem": line_item}), "lineItem.dueDate")
    line_item["dueDate"] = "2024-10-08T08:00:00+02:00"
    assert lenient.put(url, json={"lineItem": line_item}).status_code == 201
    stored = lenient.get(url).json()["lineItem"]
    assert (stored["assignDate"], stored["dueDate"]) == ("2024-10-01T13:00:00.000Z", "2024-10-08T06:00:00.000Z")
