"""The errors a sync fails with; each message names the cause in words a user can act on."""

from __future__ import annotations


class SyncError(Exception):
    """A pull that cannot be completed; the message names the cause."""


class HttpError(SyncError):
    """A provider's refusal of a request, with its HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Truncated(SyncError):
    """A response whose body is not the JSON it should be (cut off, most often)."""


class UnknownConnection(LookupError):
    """No connection has the name given."""
