"""Refusals in the log: the status, the operation, the client and the reason; never a secret or a token."""

from __future__ import annotations

import logging
from contextvars import ContextVar

log = logging.getLogger("rosterlab.server.refusals")

# The authenticated client and the operation of the request being answered (each request is its own task).
_CALLER: ContextVar[tuple[str, str] | None] = ContextVar("rosterlab_caller", default=None)
MAX_REASON = 300


def admitted(client_id: str, operation_id: str) -> None:
    """Remember who is calling which operation, for a refusal that comes later in the request."""
    _CALLER.set((client_id, operation_id))


def refused(status: int, method: str, path: str, reason: str) -> None:
    """Log one refusal at INFO."""
    client, operation = _CALLER.get() or ("-", "-")
    shown = reason if len(reason) <= MAX_REASON else reason[:MAX_REASON] + "..."
    log.info("%s %s %s %s: %s (client %s)", status, operation, method, path, shown, client)
