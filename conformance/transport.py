"""How the checker sends a request: signed (or not), within the request timeout and the run's budget, waiting
out a 429 or 503 that says how long to wait, following same-origin redirects. A request that gets no answer in
time fails the check that sent it, with the request as evidence; a provider that cannot be reached, or
credentials the token endpoint refuses, mean the check could not run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from rosterlab.conformance.budget import Budget
from rosterlab.conformance.exchange import Exchange
from rosterlab.conformance.model import CouldNotRun, Evidence, Failed
from rosterlab.consumer.auth import Authenticator, AuthError

BUSY = (429, 503)
WAITS = 4  # times a busy answer is waited out
LONGEST_WAIT = 65.0  # seconds: a rate limit's window
REDIRECTS = (301, 302, 303, 307, 308)


class NoCredentials(CouldNotRun):
    """The token endpoint refused or could not be reached: nothing to sign the request with."""


class NoAuth:
    """No credentials at all (`--no-auth`)."""

    def sign(self, request: httpx.Request, http: httpx.Client) -> None:
        return None

    def refresh(self, http: httpx.Client) -> bool:
        return False


def _same_origin(a: str, b: str) -> bool:
    x, y = urlsplit(a), urlsplit(b)
    return (x.scheme, x.netloc) == (y.scheme, y.netloc)


def _wait_for(response: httpx.Response, attempt: int) -> float:
    said = response.headers.get("Retry-After", "").strip()
    return float(said) if said.isdigit() else float(2**attempt)


@dataclass
class Transport:
    """Sends the checker's requests over one httpx client."""

    http: httpx.Client
    auth: Authenticator
    budget: Budget = field(default_factory=Budget)
    on_request: Callable[[str], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    sent: int = 0

    def send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        auth: Authenticator | None = None,
        label: str = "",
    ) -> Exchange:
        """One request and its answer; busy answers are waited out while the budget allows."""
        shown = f"{method} {url}" + ("?" + str(httpx.QueryParams(params)) if params else "") + label
        refreshed = False
        attempt = 0
        while True:
            response = self._once(method, url, params, json, headers, (auth or self.auth) if signed else None, shown)
            if response.status_code == 401 and signed and auth is None and not refreshed:
                refreshed = True
                if self.auth.refresh(self.http):  # a token that expired during the run
                    continue
            if response.status_code in BUSY and attempt < WAITS:
                wait = min(LONGEST_WAIT, _wait_for(response, attempt))
                if self.budget.allows_wait(wait):
                    self.sleep(wait)
                    attempt += 1
                    continue
            return Exchange(shown, response)

    def transmit(self, request: httpx.Request, shown: str) -> httpx.Response:
        """Send a request built (and signed) elsewhere, within the timeout and the budget."""
        self.budget.require()
        timeout = self.budget.timeout()
        request.extensions["timeout"] = httpx.Timeout(timeout).as_dict()
        self.sent += 1
        if self.on_request:
            self.on_request(shown)
        try:
            return self.http.send(request)
        except httpx.TimeoutException:
            self.budget.require()  # cut short by the budget: the check could not finish, the provider is not at fault
            raise Failed(
                f"no answer within {timeout:g} s", Evidence(shown, None, f"no answer within {timeout:g} s")
            ) from None
        except httpx.ConnectError as error:
            raise CouldNotRun(f"cannot reach the provider at {request.url.netloc.decode()}: {error}") from None
        except httpx.TransportError as error:
            raise Failed(
                f"the connection failed mid-answer ({error.__class__.__name__})",
                Evidence(shown, None, str(error)[:200]),
            ) from None

    def _once(self, method, url, params, json, headers, auth, shown) -> httpx.Response:
        origin = url
        for _ in range(len(REDIRECTS) + 1):
            request = self.http.build_request(method, url, params=params, json=json, headers=headers)
            if auth is not None and _same_origin(url, origin):
                self.budget.require()
                try:
                    auth.sign(request, self.http)
                except AuthError as error:
                    raise NoCredentials(f"no credentials to send: {error}") from None
                except httpx.TimeoutException:
                    raise NoCredentials("the token endpoint did not answer in time") from None
                except httpx.TransportError as error:
                    raise NoCredentials(f"cannot reach the token endpoint: {error}") from None
            response = self.transmit(request, shown)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or not location:
                return response
            url, params = str(response.url.join(location)), None
            if response.status_code == 303:
                method, json = "GET", None
        return response
