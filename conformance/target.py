"""The endpoint under test: where it is, which version it speaks, and recorded requests to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import quote

import httpx

from rosterlab.conformance.model import Evidence, Failed, NotApplicable
from rosterlab.consumer.client import OneRosterClient
from rosterlab.spec.endpoints import base_path, operation

EXCERPT = 600


@dataclass
class Exchange:
    """One request and its response, as a check sees it."""

    request: str
    response: httpx.Response

    @property
    def status(self) -> int:
        return self.response.status_code

    @cached_property
    def body(self) -> Any:
        try:
            return self.response.json()
        except ValueError:
            return None

    def evidence(self) -> Evidence:
        return Evidence(self.request, self.status, self.response.text[:EXCERPT])

    def fail(self, message: str) -> Failed:
        return Failed(message, self.evidence())


@dataclass
class Target:
    """A OneRoster provider to check, reached with an authenticated client."""

    client: OneRosterClient
    version: str
    allow_writes: bool = False
    _collections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def root(self) -> str:
        return self.client.base_url.split("/ims/oneroster", 1)[0].rstrip("/")

    def url(self, operation_id: str, **path: str) -> str:
        """The URL of an operation, its path parameters filled in."""
        op = operation(operation_id)
        text = op.path
        for name, value in path.items():
            text = text.replace("{" + name + "}", quote(value, safe=""))
        return self.root + base_path(self.version, op.service()) + text

    def key(self, operation_id: str) -> str:
        """The envelope key of an operation's response in this version."""
        key = operation(operation_id).response_key(self.version)
        assert key is not None
        return key

    def get(
        self, operation_id: str, params: dict[str, str] | None = None, authenticated: bool = True, **path: str
    ) -> Exchange:
        """GET an operation (signed, unless `authenticated` is False)."""
        url = self.url(operation_id, **path)
        shown = url + ("?" + str(httpx.QueryParams(params)) if params else "")
        response = self.client.get(url, params) if authenticated else self.client.http.get(url, params=params)
        return Exchange(f"GET {shown}", response)

    def fetch(self, url: str) -> Exchange:
        """GET a URL as given (an href), signed."""
        return Exchange(f"GET {url}", self.client.get(url))

    def raw(self, method: str, url: str, **kwargs: Any) -> Exchange:
        """A request sent as given (no signature added)."""
        response = self.client.http.request(method, url, **kwargs)
        return Exchange(f"{method} {url}", response)

    def everything(self, operation_id: str) -> list[dict[str, Any]]:
        """Every record of a collection, read once per run with the robust pull of the sync engine."""
        if operation_id not in self._collections:
            self._collections[operation_id] = self.client.collection(self.url(operation_id), self.key(operation_id))
        return self._collections[operation_id]

    def walk(self, operation_id: str, params: dict[str, str], **path: str) -> tuple[list[dict[str, Any]], Exchange]:
        """Every record a query returns, paging by offset until an empty page (totals are not trusted here);
        the records and the last exchange. Fails on a page that is not a 200 with its envelope key."""
        records: list[dict[str, Any]] = []
        offset = 0
        while True:
            exchange = self.get(operation_id, {**params, "limit": "500", "offset": str(offset)}, **path)
            if exchange.status != 200 or not isinstance(exchange.body, dict):
                raise exchange.fail(f"HTTP {exchange.status}")
            page = exchange.body.get(self.key(operation_id))
            if not isinstance(page, list):
                raise exchange.fail(f"no {self.key(operation_id)!r} array in a 200")
            if not page:
                return records, exchange
            records += page
            offset += len(page)

    def some(self, operation_id: str, count: int = 1) -> list[dict[str, Any]]:
        """A few records of a collection, or NotApplicable when it is empty."""
        records = self.everything(operation_id)
        if not records:
            raise NotApplicable(f"{operation_id} returned no records to test with")
        return records[:count]
