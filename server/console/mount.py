"""Serve the console under a path prefix beside the mock SIS, in one ASGI application."""

from __future__ import annotations

from typing import Any

from a2wsgi import WSGIMiddleware

PREFIX = "/console"


class WithConsole:
    """Requests under `/console` go to the console (a WSGI app), every other one to the mock SIS."""

    def __init__(self, sis: Any, console_wsgi: Any) -> None:
        self.sis = sis
        self.console = WSGIMiddleware(console_wsgi)

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == PREFIX or path.startswith(PREFIX + "/")):
            scope = {**scope, "root_path": scope.get("root_path", "") + PREFIX}  # the WSGI side strips it off
            await self.console(scope, receive, send)
            return
        await self.sis(scope, receive, send)
