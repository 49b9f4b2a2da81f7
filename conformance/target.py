"""The endpoint under test: where it is, which version it speaks, what the checker may ask of it (scopes,
writes, time), and the bounded reads the checks share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from rosterlab.conformance.budget import Budget
from rosterlab.conformance.exchange import Exchange
from rosterlab.conformance.model import NotApplicable
from rosterlab.conformance.transport import NoAuth, Transport
from rosterlab.conformance.walk import MAX_PAGES, PAGE, Walk, walk
from rosterlab.consumer.client import OneRosterClient
from rosterlab.spec.endpoints import OpKind, base_path, operation, operations
from rosterlab.spec.model import Service
from rosterlab.spec.scopes import scope_name

SAMPLE = 1_000  # records of a collection the bounded checks look at (--thorough: all)


def granted_scopes(scope: str) -> frozenset[str] | None:
    """The short scope names of a `--scope` value (URIs or short names), or None when none were given."""
    names = frozenset(scope_name(part) for part in scope.split() if part)
    return names or None


@dataclass
class Target:
    """A OneRoster provider to check, reached with an authenticated client."""

    client: OneRosterClient
    version: str
    allow_writes: bool = False
    thorough: bool = False
    scopes: frozenset[str] | None = None  # what the checker asked for (--scope); None: what the credentials hold
    budget: Budget = field(default_factory=Budget)
    transport: Transport | None = None
    examples: int = 3  # requests schemathesis generates per read operation (contract.operations)
    _walks: dict[tuple[Any, ...], Walk] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)  # what one check works out for others to reuse

    def __post_init__(self) -> None:
        if self.transport is None:
            self.transport = Transport(self.client.http, self.client.auth, self.budget)

    @property
    def authenticated(self) -> bool:
        """False when the checker runs without credentials (--no-auth)."""
        return not isinstance(self.client.auth, NoAuth)

    @property
    def root(self) -> str:
        return self.client.base_url.split("/ims/oneroster", 1)[0].rstrip("/")

    # -- what may be asked -------------------------------------------------------------------------

    def in_scope(self, operation_id: str) -> bool:
        """Whether the scopes asked for grant the operation (always, when no scope was named)."""
        if self.scopes is None:
            return True
        return bool(self.scopes.intersection(operation(operation_id).scopes_in(self.version)))

    def serves(self, service: Service) -> bool:
        """Whether the provider serves a service: rostering always (every run starts there), gradebook and
        resources unless their first collection answers 404 (a provider may implement rostering alone)."""
        if service is Service.ROSTERING:
            return True
        key = f"serves {service.value}"
        if key not in self.memo:
            probe = next(
                op.operation_id
                for op in operations(self.version, service)
                if op.kind is OpKind.COLLECTION and not op.parents and op.method == "get"
            )
            answer = self.send("GET", self.url(probe), params={"limit": "1"}) if self.in_scope(probe) else None
            self.memo[key] = answer is None or answer.status != 404
        return self.memo[key]

    def allows(self, operation_id: str) -> bool:
        """Whether the checker may ask for the operation: within the scope asked for, of a service served."""
        return self.in_scope(operation_id) and self.serves(operation(operation_id).service())

    def require(self, operation_id: str) -> None:
        """NotApplicable when the operation lies outside the scope asked for or a service not served."""
        op = operation(operation_id)
        if not self.in_scope(operation_id):
            needed = " or ".join(op.scopes_in(self.version))
            raise NotApplicable(f"{operation_id} needs {needed}, outside the scope asked for (--scope)")
        if not self.serves(op.service()):
            raise NotApplicable(f"the provider does not serve the {op.service().value} service (HTTP 404)")

    # -- requests --------------------------------------------------------------------------------------

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
        """GET an operation (signed, unless `authenticated` is False). A 403 to a read the credentials may
        lack the scope of makes the check not applicable; with --scope naming it, a 403 is the provider's."""
        self.require(operation_id)
        exchange = self.send("GET", self.url(operation_id, **path), params=params, signed=authenticated)
        if exchange.status == 403 and authenticated and self.scopes is None:
            raise NotApplicable(f"{operation_id} answered 403: the credentials lack its scope")
        return exchange

    def fetch(self, url: str) -> Exchange:
        """GET a URL as given (an href), signed."""
        return self.send("GET", url)

    def raw(self, method: str, url: str, **kwargs: Any) -> Exchange:
        """A request sent as given (no signature added)."""
        return self.send(method, url, signed=False, **kwargs)

    def send(self, method: str, url: str, **kwargs: Any) -> Exchange:
        """Any request, through the checker's transport (timeouts, budget, busy answers waited out)."""
        assert self.transport is not None
        return self.transport.send(method, url, **kwargs)

    def transmit(self, request: httpx.Request, shown: str) -> Exchange:
        """A request built and signed by the check itself, within the timeout and the budget."""
        assert self.transport is not None
        return Exchange(shown, self.transport.transmit(request, shown))

    # -- reading what comes back -------------------------------------------------------------------------

    def records(self, exchange: Exchange, operation_id: str) -> list[dict[str, Any]] | None:
        """The records of a collection page: under the version's key, or under the one data key a provider
        with its own envelope names (operations.envelope reports that); None when there is no such list."""
        value = self._payload(exchange, operation_id)
        return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else None

    def single(self, exchange: Exchange, operation_id: str) -> dict[str, Any] | None:
        """The object of a single-object response, read as `records` reads a page."""
        value = self._payload(exchange, operation_id)
        return value if isinstance(value, dict) else None

    def _payload(self, exchange: Exchange, operation_id: str) -> Any:
        body = exchange.body
        if not isinstance(body, dict):
            return None
        if self.key(operation_id) in body:
            return body[self.key(operation_id)]
        data = [value for name, value in body.items() if name != "statusInfoSet"]
        return data[0] if len(data) == 1 else None

    def page(self, exchange: Exchange, operation_id: str) -> list[dict[str, Any]]:
        """The records of a page that must be a 200 with its records; fails otherwise."""
        if exchange.status != 200:
            raise exchange.fail(f"HTTP {exchange.status}")
        found = self.records(exchange, operation_id)
        if found is None:
            raise exchange.fail(f"no {self.key(operation_id)!r} array in a 200")
        return found

    # -- bounded walks ---------------------------------------------------------------------------------------

    def walk(
        self,
        operation_id: str,
        params: dict[str, str] | None = None,
        limit: int = PAGE,
        most: int | None = None,
        **path: str,
    ) -> Walk:
        """Every record a query returns (at most `most`), paging by offset; see rosterlab.conformance.walk."""
        self.require(operation_id)
        asked = dict(params or {})
        limit = min(limit, most) if most else limit

        def fetch(offset: int) -> Exchange:
            return self.get(operation_id, {**asked, "limit": str(limit), "offset": str(offset)}, **path)

        pages = MAX_PAGES * (10 if self.thorough else 1)
        return walk(fetch, lambda exchange: self.page(exchange, operation_id), Walk(operation_id), most, pages)

    def collection(self, operation_id: str) -> Walk:
        """A whole collection in sourcedId order, as served (copies included); read once per run."""
        key = (operation_id, None)
        if key not in self._walks:
            self._walks[key] = self.walk(operation_id, {"sort": "sourcedId", "orderBy": "asc"})
        return self._walks[key]

    def sample(self, operation_id: str) -> Walk:
        """The first SAMPLE records of a collection (all of it with --thorough, or once read whole)."""
        if (operation_id, None) in self._walks or self.thorough:
            return self.collection(operation_id)
        key = (operation_id, SAMPLE)
        if key not in self._walks:
            self._walks[key] = self.walk(operation_id, {"sort": "sourcedId", "orderBy": "asc"}, most=SAMPLE)
        return self._walks[key]

    def bound(self) -> str:
        """How much of each collection the bounded checks look at, said in their messages."""
        return "" if self.thorough else f" (the first {SAMPLE} records of each collection; --thorough: all)"

    def everything(self, operation_id: str) -> list[dict[str, Any]]:
        """Every record of a collection, each sourcedId once."""
        return self.collection(operation_id).unique()

    def some(self, operation_id: str, count: int = 1) -> list[dict[str, Any]]:
        """A few records of a collection, or NotApplicable when it is empty."""
        records = self.sample(operation_id).unique()
        if not records:
            raise NotApplicable(f"{operation_id} returned no records to test with")
        return records[:count]
