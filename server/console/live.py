"""Behaviour switched while the mock SIS runs: the console stores a profile and a fault mix in the store,
and every worker (on one database, in any process) rebuilds its application when it sees them change."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from rosterlab.server.config import ServerConfig
from rosterlab.server.quirks.faults import Faults
from rosterlab.server.quirks.profiles import PROFILES, apply_profile
from rosterlab.server.store.tables import sis_state

PROFILE_KEY = "live_profile"
FAULTS_KEY = "live_faults"
CHECK_EVERY = 1.0  # seconds between looks at the store


def stored_settings(engine: Engine) -> tuple[str | None, str | None]:
    """The profile and fault mix the console chose (None: as the server was started)."""
    with engine.connect() as connection:
        rows = dict(connection.execute(select(sis_state.c.key, sis_state.c.value)).all())
    return rows.get(PROFILE_KEY), rows.get(FAULTS_KEY)


def store_settings(engine: Engine, profile: str, faults: str) -> None:
    """Choose a profile and a fault mix (`faults` "" for none) for every worker; raises ValueError when
    either is unknown."""
    if profile not in PROFILES:
        raise ValueError(f"no profile {profile!r}")
    if faults:
        Faults.parse(faults)
    with engine.begin() as connection:
        connection.execute(delete(sis_state).where(sis_state.c.key.in_((PROFILE_KEY, FAULTS_KEY))))
        connection.execute(
            insert(sis_state), [{"key": PROFILE_KEY, "value": profile}, {"key": FAULTS_KEY, "value": faults}]
        )


def configured(base: ServerConfig, profile: str | None, faults: str | None) -> ServerConfig:
    """The server's configuration with the console's choices applied."""
    config = base if profile is None else apply_profile(replace(base, quirks=type(base.quirks)()), profile)
    if faults is not None:
        config = replace(config, faults=Faults.parse(faults) if faults else None)
    return config


class LiveSettings:
    """An ASGI application that rebuilds the mock SIS when the stored profile or fault mix changes."""

    def __init__(self, build: Callable[[ServerConfig], Any], base: ServerConfig, engine: Engine) -> None:
        self.build, self.base, self.engine = build, base, engine
        self.lock = threading.Lock()
        self.chosen = stored_settings(engine)
        self.app = build(configured(base, *self.chosen))
        self.checked = time.monotonic()

    def current(self) -> Any:
        """The application for the settings stored now (looked up at most once a second)."""
        if time.monotonic() - self.checked >= CHECK_EVERY:
            with self.lock:
                self.checked = time.monotonic()
                chosen = stored_settings(self.engine)
                if chosen != self.chosen:
                    self.app = self.build(configured(self.base, *chosen))
                    self.chosen = chosen
        return self.app

    async def __call__(self, scope, receive, send) -> None:
        await self.current()(scope, receive, send)
