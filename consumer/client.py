"""A OneRoster REST client that survives real providers.

Collections are paged as consumer/paging.py says (every record once, or an error naming why not); if the
total changes between pages, the data set changed mid-pull and the pull starts again (a bounded number of
times). A 200 without its envelope key is an error, never an empty roster.

Reads are retried with exponential backoff and jitter on 429, 502, 503, 504 and connection failures,
honouring `Retry-After`; writes are never retried blindly.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from rosterlab.consumer.auth import Authenticator
from rosterlab.consumer.errors import HttpError, SyncError, Truncated
from rosterlab.consumer.paging import Paged, Restart, page_through, same_origin

__all__ = ["ClientSettings", "OneRosterClient", "Paged", "SyncError", "Truncated", "reason"]

RETRYABLE = {429, 502, 503, 504}
REDIRECTS = {301, 302, 303, 307, 308}
CONNECT_RETRIES = 2
MAX_REDIRECTS = 5


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
            credentials = credentials and same_origin(url, origin)
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
    def _payload(response: httpx.Response, key: str, path: str, many: bool = True) -> Any:
        if response.status_code != 200:
            raise HttpError(f"GET {path}: HTTP {response.status_code}: {reason(response)}", response.status_code)
        try:
            body = _json(response)
        except ValueError:
            raise Truncated(f"GET {path}: the response is not JSON (truncated?)") from None
        if not isinstance(body, dict) or not isinstance(body.get(key), list if many else dict):
            what = f"the {key!r} array" if many else f"the {key!r} object"
            raise SyncError(f"GET {path}: HTTP 200 without {what}; refusing to read it as empty")
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
        return self.read_collection(path, key, params, on_page, into).records

    def read_collection(
        self,
        path: str,
        key: str,
        params: Mapping[str, str] | None = None,
        on_page: Callable[[int, int | None], None] | None = None,
        into: Callable[[], Any] = list,
    ) -> Paged:
        """A collection read whole, with what the reading saw (a total, a restart, sourcedIds served twice);
        a total that changes mid-pull starts the pull again, a bounded number of times."""
        for attempt in range(self.settings.max_restarts + 1):
            try:
                paged = page_through(self, path, key, dict(params or {}), on_page, into)
            except Restart:
                continue
            paged.restarted = attempt > 0
            return paged
        raise SyncError(f"GET {path}: the data kept changing during the pull ({self.settings.max_restarts + 1} tries)")

    def read_one(self, path: str, key: str) -> dict[str, Any] | None:
        """One record by its URL; None when the provider says there is no such record (404)."""
        response = self.get(path)
        if response.status_code == 404:
            return None
        record = self._payload(response, key, path, many=False)
        return record if isinstance(record, dict) else None


def _json(response: httpx.Response) -> Any:
    """The body as JSON: orjson for speed, the standard library for what orjson refuses (integers beyond 64
    bits, encodings other than UTF-8)."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.json()


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
