"""An ASGI entry point configured by environment variables, for servers that start several workers.

    uvicorn --factory rosterlab.server.asgi:create_from_environment --workers 2

ROSTERLAB_DATABASE_URL (else ROSTERLAB_DATABASE, the store every command uses), ROSTERLAB_MAX_LIMIT,
ROSTERLAB_PUBLIC_URL, ROSTERLAB_AUTHENTICATION (0 or 1), ROSTERLAB_SECRET_KEY, ROSTERLAB_SECRET_KEY_FILE,
ROSTERLAB_TOKEN_PATH, ROSTERLAB_TOKEN_LIFETIME, ROSTERLAB_OAUTH1_WINDOW, ROSTERLAB_PROFILE, ROSTERLAB_QUIRKS,
ROSTERLAB_FAULTS, ROSTERLAB_RECORD_REQUESTS and ROSTERLAB_CONSOLE configure it (`rosterlab serve` sets them from its
options). Each worker says when it starts loading the application and when it is ready to answer.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from rosterlab.server.config import ServerConfig
from rosterlab.server.quirks.faults import Faults
from rosterlab.server.quirks.profiles import apply_profile
from rosterlab.server.store.database import DEFAULT_URL


def _database_url() -> str:
    """The store: the URL `rosterlab serve` passes on, else the one every command defaults to."""
    return os.environ.get("ROSTERLAB_DATABASE_URL") or os.environ.get("ROSTERLAB_DATABASE") or DEFAULT_URL


def _say(message: str) -> None:
    """One line of what this worker is doing while it starts (workers share the terminal)."""
    print(f"rosterlab: worker {os.getpid()} {message}", flush=True)


def config_from_environment() -> ServerConfig:
    """A ServerConfig from ROSTERLAB_* environment variables."""
    config = ServerConfig(
        database_url=_database_url(),
        max_limit=int(os.environ.get("ROSTERLAB_MAX_LIMIT", "1000")),
        max_body_bytes=int(os.environ.get("ROSTERLAB_MAX_BODY_BYTES", "1048576")),
        public_url=os.environ.get("ROSTERLAB_PUBLIC_URL") or None,
        authentication=os.environ.get("ROSTERLAB_AUTHENTICATION", "1") != "0",
        secret_key=os.environ.get("ROSTERLAB_SECRET_KEY") or None,
        secret_key_file=Path(os.environ.get("ROSTERLAB_SECRET_KEY_FILE", ".rosterlab/secret.key")),
        token_path=os.environ.get("ROSTERLAB_TOKEN_PATH", "/oauth/token"),
        token_lifetime=int(os.environ.get("ROSTERLAB_TOKEN_LIFETIME", "3600")),
        oauth1_window=int(os.environ.get("ROSTERLAB_OAUTH1_WINDOW", "600")),
        admin_password=os.environ.get("ROSTERLAB_ADMIN_PASSWORD") or None,
    )
    quirks = tuple(q for q in os.environ.get("ROSTERLAB_QUIRKS", "").split(",") if q)
    config = apply_profile(config, os.environ.get("ROSTERLAB_PROFILE") or "strict", quirks)
    faults = os.environ.get("ROSTERLAB_FAULTS")
    recording = os.environ.get("ROSTERLAB_RECORD_REQUESTS") == "1"
    console = os.environ.get("ROSTERLAB_CONSOLE") == "1"
    return replace(config, faults=Faults.parse(faults) if faults else None, record_requests=recording, console=console)


def create_from_environment() -> Any:
    """The mock SIS configured from the environment."""
    started = time.monotonic()
    _say("loading the application")
    from rosterlab.server.app import create_app  # the bulk of a worker's start, timed with the rest

    app = create_app(config_from_environment())
    _say(f"ready to answer (loaded in {time.monotonic() - started:.1f} s)")
    return app
