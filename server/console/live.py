"""Behaviour switched while the mock SIS runs: the console stores a profile, quirk switches on top of it and a
fault mix in the store, and every worker (on one database, in any process) rebuilds its application when it
sees them change."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from rosterlab.server.config import ServerConfig
from rosterlab.server.quirks.faults import Faults
from rosterlab.server.quirks.profiles import PROFILES, apply_profile
from rosterlab.server.quirks.switches import Quirks
from rosterlab.server.store.tables import sis_state

PROFILE_KEY = "live_profile"
FAULTS_KEY = "live_faults"
QUIRKS_KEY = "live_quirks"
KEYS = (PROFILE_KEY, FAULTS_KEY, QUIRKS_KEY)
CHECK_EVERY = 1.0  # seconds between looks at the store


def split_switches(text: str | None) -> tuple[str, ...]:
    """Comma-separated `NAME[=VALUE]` quirk switches (what `--quirk` takes, one each) as a tuple."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def switches_beyond(quirks: Quirks, profile: str) -> list[str]:
    """The switches that make `quirks` out of profile `profile`'s own, as `name=value` settings."""
    own = PROFILES[profile].quirks if profile in PROFILES else Quirks()
    changed = [f.name for f in fields(quirks) if getattr(quirks, f.name) != getattr(own, f.name)]
    return [f"{name}={_text(getattr(quirks, name))}" for name in changed]


def _text(value: bool | int | str) -> str:
    if isinstance(value, str):
        return value or "off"  # an empty choice is the switch turned off
    return str(int(value))


def stored_settings(engine: Engine) -> tuple[str | None, str | None, str | None]:
    """The profile, fault mix and quirk switches the console chose (None: as the server was started)."""
    with engine.connect() as connection:
        rows = dict(connection.execute(select(sis_state.c.key, sis_state.c.value)).all())
    return rows.get(PROFILE_KEY), rows.get(FAULTS_KEY), rows.get(QUIRKS_KEY)


def store_settings(engine: Engine, profile: str, faults: str, quirks: str = "") -> None:
    """Choose a profile, a fault mix (`faults` "" for none) and quirk switches on top of the profile
    (`quirks` comma-separated NAME[=VALUE], "" for none) for every worker; raises ValueError, storing
    nothing, when any of them is unknown or badly set."""
    if profile not in PROFILES:
        raise ValueError(f"no profile {profile!r}")
    if faults:
        Faults.parse(faults)
    switches = split_switches(quirks)
    PROFILES[profile].quirks.switched(switches)
    values = {PROFILE_KEY: profile, FAULTS_KEY: faults, QUIRKS_KEY: ",".join(switches)}
    with engine.begin() as connection:
        connection.execute(delete(sis_state).where(sis_state.c.key.in_(KEYS)))
        connection.execute(insert(sis_state), [{"key": key, "value": value} for key, value in values.items()])


def configured(base: ServerConfig, profile: str | None, faults: str | None, quirks: str | None = None) -> ServerConfig:
    """The server's configuration with the console's choices applied: the profile, then the quirk switches
    on top of it, then the fault mix."""
    switches = split_switches(quirks)
    if profile is not None:
        config = apply_profile(replace(base, quirks=type(base.quirks)()), profile, switches)
    elif switches:
        config = replace(base, quirks=base.quirks.switched(switches))
    else:
        config = base
    if faults is not None:
        config = replace(config, faults=Faults.parse(faults) if faults else None)
    return config


class LiveSettings:
    """An ASGI application that rebuilds the mock SIS when the stored profile, quirks or fault mix change."""

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
