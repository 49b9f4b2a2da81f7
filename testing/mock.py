"""A running mock SIS for tests: a generated (or the demo) district on a free loopback port, with credentials.

    with start_mock_sis(version="1.2", auth="oauth2", users=200) as sis:
        httpx.post(sis.token_url, data={"grant_type": "client_credentials"}, auth=(sis.client_id, sis.client_secret))

The server runs in a background thread of the calling process (uvicorn), on its own SQLite file.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import uvicorn
from sqlalchemy import Engine

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.config import ServerConfig
from rosterlab.server.demo import demo_district
from rosterlab.server.generate import DistrictGenerator, DistrictPlan
from rosterlab.server.quirks.faults import Faults
from rosterlab.server.quirks.profiles import PROFILES, apply_profile
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load

Auth = Literal["oauth2", "oauth1", "none"]
STARTUP_SECONDS = 30


@dataclass(frozen=True)
class MockSIS:
    """Where a running mock SIS answers, and how to authenticate to it."""

    url: str  # http://127.0.0.1:PORT
    version: str  # "1.1" or "1.2": the version the tests are meant to use (the server answers both)
    auth: Auth
    client_id: str | None
    client_secret: str | None
    profile: str
    database_url: str
    engine: Engine

    @property
    def base_url(self) -> str:
        """The rostering base URL of `version`, e.g. http://127.0.0.1:PORT/ims/oneroster/rostering/v1p2."""
        if self.version == "1.1":
            return f"{self.url}/ims/oneroster/v1p1"
        return f"{self.url}/ims/oneroster/rostering/v1p2"

    @property
    def token_url(self) -> str:
        """The OAuth 2.0 token endpoint."""
        return f"{self.url}/oauth/token"


class _Thread:
    def __init__(self, app) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="rosterlab-mock-sis")

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the mock SIS did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextmanager
def start_mock_sis(
    version: str = "1.2",
    auth: Auth = "oauth2",
    profile: str = "strict",
    users: int | None = None,
    seed: int = 1,
    faults: str | None = None,
    folder: Path | None = None,
) -> Iterator[MockSIS]:
    """Run a mock SIS for the duration: the demo district when `users` is None, else a generated district of
    about that many users from `seed`; `auth` "oauth2" (client credentials), "oauth1" (1.1 only) or "none"."""
    if version not in ("1.1", "1.2"):
        raise ValueError(f"version must be 1.1 or 1.2, not {version!r}")
    if auth not in ("oauth2", "oauth1", "none"):
        raise ValueError(f"auth must be oauth2, oauth1 or none, not {auth!r}")
    if auth == "oauth1" and version != "1.1":
        raise ValueError("OAuth 1.0a is OneRoster 1.1's method; use version 1.1 with it")
    if profile not in PROFILES:
        raise ValueError(f"no profile {profile!r}; known: {', '.join(sorted(PROFILES))}")
    with tempfile.TemporaryDirectory(prefix="rosterlab-mock-", dir=folder) as workdir:
        database_url = f"sqlite:///{Path(workdir) / 'sis.db'}"
        engine = connect(database_url)
        records = demo_district() if users is None else DistrictGenerator(DistrictPlan.for_users(users, seed)).streams()
        load(engine, records)
        config = ServerConfig(
            database_url=database_url,
            secret_key_file=Path(workdir) / "secret.key",
            authentication=auth != "none",
        )
        config = apply_profile(config, profile)
        if faults:
            config = replace(config, faults=Faults.parse(faults))
        ensure_demo_clients(registry_for(config, engine))
        server = _Thread(create_app(config, engine=engine))
        url = server.start()
        client = {"oauth2": DEMO_OAUTH2, "oauth1": DEMO_OAUTH1}.get(auth)
        try:
            yield MockSIS(
                url=url,
                version=version,
                auth=auth,
                client_id=client.client_id if client else None,
                client_secret=client.secret if client else None,
                profile=profile,
                database_url=database_url,
                engine=engine,
            )
        finally:
            server.stop()
            engine.dispose()
