"""The mock SIS with its console: switchable behaviour, and the console's pages under /console."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from rosterlab.server.auth.registry import Registry
from rosterlab.server.auth.secrets import SecretBox
from rosterlab.server.config import ServerConfig
from rosterlab.server.console.app import create_sis_console
from rosterlab.server.console.live import LiveSettings
from rosterlab.server.console.mount import WithConsole
from rosterlab.server.store.load import create_schema


def with_console(config: ServerConfig, engine: Engine, build: Callable[[ServerConfig], Any]) -> Any:
    """The application `build` makes, rebuilt when the console switches behaviour, with the console beside it."""
    if not config.admin_password:
        raise ValueError("the console needs an admin password (its login)")
    create_schema(engine)
    registry = Registry(engine, SecretBox.from_configuration(config.secret_key, config.secret_key_file))
    console = create_sis_console(engine, config, registry, config.admin_password)
    return WithConsole(LiveSettings(build, config, engine), console)
