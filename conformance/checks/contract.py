"""The contract under generated requests: schemathesis sends requests for every read operation of spec/'s
documents and checks status codes, content types, headers and response schemas. Hypothesis keeps its files
(caches only: no example database) in the system's temporary folder, never in the user's."""

from __future__ import annotations

import getpass
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, configuration, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rosterlab.conformance.model import Evidence, Failed, Level, check
from rosterlab.conformance.target import Target
from rosterlab.spec import documents
from rosterlab.spec.openapi import DOCUMENTS

CONTRACT = "OpenAPI documents of the REST binding: response status, content type and schema"
SCHEMATHESIS_CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
HOME = "__hypothesis_home_directory"  # hypothesis.configuration's module global


def cache_folder() -> Path:
    """Where hypothesis keeps its caches for the checker: the system's temporary folder, one per user."""
    return Path(tempfile.gettempdir()) / f"rosterlab-hypothesis-{getpass.getuser()}"


@contextmanager
def hypothesis_home() -> Iterator[None]:
    """Hypothesis's storage in `cache_folder()` for the duration, instead of .hypothesis/ where it runs."""
    previous = getattr(configuration, HOME, None)
    configuration.set_hypothesis_home_dir(cache_folder())
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)


def _read_operations(document) -> tuple[schemathesis.BaseSchema, list[tuple[str, str]]]:
    spec = documents.load(document)
    paths = [(path, item["get"]["operationId"]) for path, item in spec["paths"].items() if "get" in item]
    return schemathesis.openapi.from_dict(spec), paths


def _exercise(target: Target, operation_, base: str, path: str, failures: list[tuple[str, Evidence]]) -> None:
    """Send the target's number of generated requests for one operation and keep what broke the contract."""

    @settings(max_examples=target.examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])  # fmt: skip
    @given(case=operation_.as_strategy())
    def call(case) -> None:
        sent = case.as_transport_kwargs(base_url=base)
        try:
            exchange = target.send("GET", sent["url"], params=sent.get("params"))
        except Failed as failure:  # no answer in time
            failures.append((f"GET {path}: {failure}", failure.evidence or Evidence(f"GET {sent['url']}")))
            return
        try:
            case.validate_response(exchange.response, checks=SCHEMATHESIS_CHECKS)
        except (Exception, BaseExceptionGroup) as error:  # schemathesis reports groups of check failures
            failures.append((f"GET {path}: {str(error).splitlines()[0][:200]}", exchange.evidence()))

    call()


@check("contract.operations", "Every read operation answers as the documents say (schemathesis)", CONTRACT, Level.MUST)
def operations_conform(target: Target) -> None:
    failures: list[tuple[str, Evidence]] = []
    with hypothesis_home():
        for document in (d for d in DOCUMENTS if d.version.value == target.version):
            schema, paths = _read_operations(document)
            for path, operation_id in paths:
                if target.allows(operation_id):
                    _exercise(target, schema[path]["GET"], target.root + document.base_path, path, failures)
    if failures:
        message, evidence = failures[0]
        raise Failed(f"{len(failures)} generated request(s) broke the contract; first: {message}", evidence)
