"""One request handler per operation, made from the operation table in spec/."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any

from connexion import request as current_request
from sqlalchemy import Connection, Engine
from starlette.responses import Response

from rosterlab.server.auth.guard import Authenticator
from rosterlab.server.config import ServerConfig
from rosterlab.server.errors import OneRosterError
from rosterlab.server.query.params import read_collection_query, read_selection
from rosterlab.server.quirks.views import Views
from rosterlab.server.refusals import admitted
from rosterlab.server.responses import JSON, absolute_hrefs, collection_body, link_header, single_body
from rosterlab.server.store.read import read_one, read_page
from rosterlab.server.write import handlers as writes
from rosterlab.server.write.validate import Leniency
from rosterlab.spec.endpoints import Operation, OpKind
from rosterlab.spec.model import Version

Handler = Callable[..., Awaitable[Response]]


def _named(handler: Handler, operation: Operation) -> Handler:
    """Name the handler after its operation and declare only its path parameters, so that connexion passes
    those and leaves the query string to rosterlab's own checks."""
    handler.__name__ = operation.operation_id
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in operation.path_parameters]
    )
    return handler


def _check_path(params: dict[str, str]) -> None:
    """No sourcedId holds a NUL character (and PostgreSQL cannot even compare one)."""
    for name, value in params.items():
        if "\x00" in value:
            raise OneRosterError(404, "unknownobject", f"no object has the {name} given")


class Handlers:
    """Builds the handlers of one API (a version and its services) over one database."""

    def __init__(
        self,
        engine: Engine,
        config: ServerConfig,
        version: Version,
        authenticator: Authenticator | None = None,
        views: Views | None = None,
    ) -> None:
        self.engine = engine
        self.views = views
        self.config = config
        self.version = version
        self.authenticator = authenticator
        # The data model served: the version's own, unless a quirk serves the 1.2 model on 1.1 paths.
        self.model = Version.V1P2 if version is Version.V1P1 and config.quirks.v1p2_model_on_v1p1 else version

    def _admit(self, request: Any, operation: Operation, params: dict[str, str]) -> tuple[str, ...]:
        """Authenticate and authorize the request, then check its path; the orgs its client is restricted to
        (none: all). Credentials come first, so that an anonymous caller learns nothing about ids."""
        orgs: tuple[str, ...] = ()
        if self.authenticator is not None:
            grant = self.authenticator.authenticate(request, self.version)
            admitted(grant.client_id, operation.operation_id)
            self.authenticator.authorize(grant, operation, self.version)
            orgs = grant.orgs
        else:
            admitted("-", operation.operation_id)
        _check_path(params)
        return orgs

    def reading(self, entity_name: str) -> AbstractContextManager[Connection]:
        """A connection to read `entity_name` from: the store, or its view when views refresh separately."""
        return self.views.reading(entity_name) if self.views is not None else self.engine.connect()

    def hrefs(self, body: bytes, origin: str) -> bytes:
        """Stored hrefs are paths; absolute unless the `relative_hrefs` quirk serves them as they are."""
        return body if self.config.quirks.relative_hrefs else absolute_hrefs(body, origin)

    def origin(self, request: Any) -> str:
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        return f"{request.url.scheme}://{request.url.netloc}"

    def handler(self, operation: Operation) -> Handler:
        """The handler of `operation`."""
        if operation.kind is OpKind.COLLECTION:
            return self._collection(operation)
        if operation.kind is OpKind.SINGLE:
            return self._single(operation)
        return self._write(operation)

    def _query(self, request: Any) -> dict[str, list[str]]:
        query: dict[str, list[str]] = {}
        for name, value in request.query_params.multi_items():
            if "\x00" in value:
                raise OneRosterError(400, "invaliddata", f"{name} contains a NUL character")
            query.setdefault(name, []).append(value)
        return query

    def _collection(self, operation: Operation) -> Handler:
        version, config = self.model, self.config
        entity = operation.entity_in(version)
        key = operation.response_key(version)
        assert key is not None

        async def collection(**params: str) -> Response:
            request = current_request
            orgs = self._admit(request, operation, params)
            query = read_collection_query(self._query(request), entity, version, config)
            with self.reading(entity.name) as connection:
                page = read_page(connection, operation, version, params, query, orgs, config.quirks)
            origin = self.origin(request)
            body = collection_body(key, page.documents, query.selection.fields, version, page.warnings)
            headers = {
                "X-Total-Count": str(page.total),
                "Link": link_header(
                    origin + request.url.path,
                    list(request.query_params.multi_items()),
                    query.limit,
                    query.offset,
                    page.total,
                ),
            }
            return Response(self.hrefs(body, origin), 200, headers, media_type=JSON)

        return _named(collection, operation)

    def _single(self, operation: Operation) -> Handler:
        version, config = self.model, self.config
        entity = operation.entity_in(version)
        key = operation.response_key(version)
        assert key is not None

        async def single(**params: str) -> Response:
            request = current_request
            orgs = self._admit(request, operation, params)
            query = self._query(request)
            selection = read_selection(query.get("fields", []), entity, version, config)
            with self.reading(entity.name) as connection:
                document = read_one(connection, operation, version, params["sourcedId"], orgs, config.quirks)
            body = single_body(key, document, selection.fields, version, selection.warnings)
            return Response(self.hrefs(body, self.origin(request)), 200, media_type=JSON)

        return _named(single, operation)

    def _write(self, operation: Operation) -> Handler:
        version, engine = self.version, self.engine
        leniency = Leniency.from_quirks(self.config.quirks)

        async def write(**params: str) -> Response:
            request = current_request
            orgs = self._admit(request, operation, params)
            if operation.kind is OpKind.DELETE:
                writes.remove(engine, operation, version, params["sourcedId"], orgs)
                return Response(status_code=204)
            body = await request.body()
            if operation.kind is OpKind.PUT:
                status = writes.put(engine, operation, version, params["sourcedId"], body, orgs, leniency=leniency)
                return Response(status_code=status)
            pairs = writes.create_many(engine, operation, version, dict(params), body, orgs, leniency=leniency)
            return Response(pairs, 201, media_type=JSON)

        return _named(write, operation)
