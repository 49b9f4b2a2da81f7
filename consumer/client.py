"""A OneRoster REST client that survives real providers.

Paging follows the rule that loses no record against any provider in the field notes: ask for records in
sourcedId order, advance the offset by the number of records actually received (providers cap `limit`
silently), follow a `Link: rel="next"` when there is one, and stop on an empty page or when the total is
reached. If the total changes between pages, the data set changed mid-pull and the pull starts again
(a bounded number of times). A 200 without its envelope key is an error, never an empty roster.

Reads are retried with exponential backoff and jitter on 429, 502, 503, 504 and connection failures,
honouring `Retry-After`; writes are never retried blindly.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from rosterlab.consumer.auth import Authenticator

RETRYABLE = {429, 502, 503, 504}
REDIRECTS = {301, 302, 303, 307, 308}
CONNECT_RETRIES = 2
MAX_REDIRECTS = 5
LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class SyncError(Exception):
    """A pull that cannot be completed; the message names the cause."""


class Truncated(SyncError):
    """A response whose body is not the JSON it should be (cut off, most often)."""


@dataclass(frozen=True)
class ClientSettings:
    page_size: int = 1000
    timeout: float = 30.0
    retries: int = 6  # a burst of faults at a large provider outlasts a few quick retries
    backoff: float = 0.5  # seconds, doubled at each retry (plus jitter), at most `max_backoff`
    max_backoff: float = 30.0
    max_restarts: int = 3  # of a collection whose total changes mid-pull


class OneRosterClient:
    """Reads (and writes) one provider's OneRoster REST API."""

    def __init__(
        self,
        base_url: str,
        auth: Authenticator,
        settings: ClientSettings = ClientSettings(),
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.settings = settings
        self.sleep = sleep
        self.http = httpx.Client(timeout=settings.timeout, follow_redirects=False, transport=transport)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> OneRosterClient:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    # -- requests ------------------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self._signed(method, url, True, **kwargs)
        if response.status_code == 401 and self.auth.refresh(self.http):
            response = self._signed(method, url, True, **kwargs)
        return response

    def _signed(self, method: str, url: str, credentials: bool, **kwargs: Any) -> httpx.Response:
        """Send, following redirects by hand: credentials go only to the origin they were given for, and an
        OAuth 1.0a signature is made again for each URL it signs."""
        origin = self.base_url
        for _ in range(MAX_REDIRECTS + 1):
            request = self.http.build_request(method, url, **kwargs)
            if credentials:
                self.auth.sign(request, self.http)
            response = self.http.send(request)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or not location:
                return response
            url = str(response.url.join(location))
            kwargs.pop("params", None)  # the Location carries its own query
            credentials = credentials and _same_origin(url, origin)
            if response.status_code == 303:
                method, kwargs = "GET", {}
        raise SyncError(f"{method} {urlsplit(url).path}: more than {MAX_REDIRECTS} redirects")

    def get(self, path_or_url: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        """GET with retries (reads are safe to repeat)."""
        return self._retried("GET", path_or_url, params=params)

    def put(self, path_or_url: str, body: Any) -> httpx.Response:
        """PUT with retries: the same body to the same sourcedId is idempotent, so repeating it is safe."""
        return self._retried("PUT", path_or_url, json=body)

    def _retried(self, method: str, path_or_url: str, **kwargs: Any) -> httpx.Response:
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        attempt = 0
        while True:
            try:
                response = self._send(method, url, **kwargs)
            except httpx.TransportError as error:
                # a host that refuses connections is down, not busy: give up sooner
                limit = min(self.settings.retries, CONNECT_RETRIES) if isinstance(error, httpx.ConnectError) else None
                if attempt >= (self.settings.retries if limit is None else limit):
                    parts = urlsplit(url)
                    raise SyncError(
                        f"{method} {parts.path}: cannot reach the provider at {parts.netloc} "
                        f"({error.__class__.__name__} after {attempt + 1} tries)"
                    ) from None
            else:
                if response.status_code not in RETRYABLE or attempt >= self.settings.retries:
                    return response
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    self.sleep(float(retry_after))
                    attempt += 1
                    continue
            self.sleep(self._backoff(attempt))
            attempt += 1

    def write(self, method: str, path: str, body: Any) -> httpx.Response:
        """POST/DELETE once: a failed write is reported, never repeated blindly."""
        return self._send(method, self.base_url + path, json=body)

    # -- collections ----------------------------------------------------------------------------

    @staticmethod
    def _payload(response: httpx.Response, key: str, path: str) -> list[dict[str, Any]]:
        if response.status_code != 200:
            raise SyncError(f"GET {path}: HTTP {response.status_code}: {reason(response)}")
        try:
            body = _json(response)
        except ValueError:
            raise Truncated(f"GET {path}: the response is not JSON (truncated?)") from None
        if not isinstance(body, dict) or not isinstance(body.get(key), list):
            raise SyncError(f"GET {path}: HTTP 200 without the {key!r} array; refusing to read it as empty")
        return body[key]

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff, capped, with jitter (between half and all of the step)."""
        step = min(self.settings.max_backoff, self.settings.backoff * 2**attempt)
        return step * (0.5 + random.random() / 2)

    def _page(self, path: str, key: str, url: str | None, params: dict[str, str]) -> tuple[httpx.Response, list]:
        """One page; a 200 whose JSON is cut off is read again (reads are safe to repeat)."""
        for attempt in range(self.settings.retries + 1):
            response = self.get(url) if url else self.get(path, params)
            try:
                return response, self._payload(response, key, path)
            except Truncated:
                if attempt == self.settings.retries:
                    raise
                self.sleep(self._backoff(attempt))
        raise AssertionError("unreachable")

    def collection(
        self,
        path: str,
        key: str,
        params: Mapping[str, str] | None = None,
        on_page: Callable[[int, int | None], None] | None = None,
        into: Callable[[], Any] = list,
    ) -> Any:
        """Every record of a collection, complete or not at all, gathered in a new `into()` (a list, or anything
        with `append` and `len`, such as a spool on disk); `on_page(received, total)` after each page."""
        for _ in range(self.settings.max_restarts + 1):
            records = self._pull(path, key, dict(params or {}), on_page, into)
            if records is not None:
                return records
        raise SyncError(f"GET {path}: the data kept changing during the pull ({self.settings.max_restarts + 1} tries)")

    def _pull(self, path: str, key: str, params: dict[str, str], on_page, into) -> Any:
        records = into()
        seen: set[str] = set()
        offset, total = 0, None
        next_url: str | None = None
        base = {**params, "sort": "sourcedId", "orderBy": "asc", "limit": str(self.settings.page_size)}
        while True:
            response, page = self._page(path, key, next_url, {**base, "offset": str(offset)})
            header_total = response.headers.get("X-Total-Count")
            if header_total is not None and header_total.isdigit():
                if total is not None and int(header_total) != total:
                    return None  # the data set changed mid-pull: start again
                total = int(header_total)
            if not page:
                break
            fresh = [record for record in page if record.get("sourcedId") not in seen]
            if not fresh:
                break  # a page of records already received: the provider ignores paging; stop rather than loop
            for record in fresh:
                seen.add(record.get("sourcedId"))
                records.append(record)
            offset += len(page)
            if on_page:
                on_page(len(records), total)
            if total is not None and offset >= total:
                break
            match = LINK_NEXT.search(response.headers.get("Link", ""))
            next_url = match.group(1) if match and _same_origin(match.group(1), self.base_url) else None
            if next_url and f"offset={offset}" not in next_url:
                next_url = None  # a Link that does not continue where we are is not trusted
        if total is not None and len(records) < total:
            raise SyncError(f"GET {path}: received {len(records)} of the {total} records announced")
        return records


def _json(response: httpx.Response) -> Any:
    """The body as JSON: orjson for speed, the standard library for what orjson refuses (integers beyond 64
    bits, encodings other than UTF-8)."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.json()


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def reason(response: httpx.Response) -> str:
    """What a refusal says: its description and code minor, from 1.1, 1.2 or a flattened envelope."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(body, dict):
        return str(body)[:200]
    info = body.get("statusInfoSet", [body])
    info = info[0] if isinstance(info, list) and info and isinstance(info[0], dict) else body
    text = str(info.get("imsx_description") or info.get("error_description") or info.get("error") or "")
    minor = info.get("imsx_codeMinor") or info.get("imsx_CodeMinor")
    if isinstance(minor, dict):
        fields = minor.get("imsx_codeMinorField") or []
        minor = ", ".join(str(f.get("imsx_codeMinorFieldValue")) for f in fields if isinstance(f, dict))
    if minor and str(minor) not in text:
        text = f"{text} ({minor})" if text else str(minor)
    return (text or str(body))[:200]
