"""Build OneRoster response bodies and paging headers from stored JSON text."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import orjson

from rosterlab.server.errors import warning_info
from rosterlab.spec.model import Version

JSON = "application/json"


def absolute_hrefs(body: bytes, origin: str) -> bytes:
    """Stored hrefs are paths from the host's root; prefix them with scheme://host[:port]."""
    return body.replace(b'"href":"/', b'"href":"' + origin.encode() + b"/")


def select_fields(document: str, fields: list[str] | None) -> bytes:
    """The stored document, or only the selected fields of it (in the model's order)."""
    if fields is None:
        return document.encode()
    parsed = orjson.loads(document)
    wanted = set(fields)
    return orjson.dumps({key: value for key, value in parsed.items() if key in wanted})


def _with_warnings(body: bytes, version: Version, warnings: list[tuple[str, str]]) -> bytes:
    if not warnings or version is not Version.V1P1:
        return body
    infos = orjson.dumps([warning_info(code, description) for code, description in warnings])
    return body[:-1] + b',"statusInfoSet":' + infos + b"}"


def collection_body(
    key: str, documents: list[str], fields: list[str] | None, version: Version, warnings: list[tuple[str, str]]
) -> bytes:
    """`{"<key>":[...]}`, with 1.1 warnings beside the data."""
    items = b",".join(select_fields(document, fields) for document in documents)
    return _with_warnings(b'{"' + key.encode() + b'":[' + items + b"]}", version, warnings)


def single_body(key: str, document: str, fields: list[str] | None, version: Version, warnings) -> bytes:
    """`{"<key>":{...}}`, with 1.1 warnings beside the data."""
    return _with_warnings(b'{"' + key.encode() + b'":' + select_fields(document, fields) + b"}", version, warnings)


def link_header(url: str, params: list[tuple[str, str]], limit: int, offset: int, total: int) -> str:
    """RFC 8288 links to the first, prev, next and last pages; query values percent-encoded (RFC 3986)."""
    kept = [(name, value) for name, value in params if name not in ("limit", "offset")]

    def page(at: int) -> str:
        query = urlencode([*kept, ("limit", str(limit)), ("offset", str(at))], quote_via=quote, safe="")
        return f"<{url}?{query}>"

    last = ((total - 1) // limit) * limit if total > 0 else 0
    links = [f'{page(0)}; rel="first"']
    if offset > 0:
        links.append(f'{page(max(min(offset - limit, last), 0))}; rel="prev"')
    if offset + limit < total:
        links.append(f'{page(offset + limit)}; rel="next"')
    links.append(f'{page(last)}; rel="last"')
    return ", ".join(links)
