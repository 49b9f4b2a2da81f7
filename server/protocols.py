"""uvicorn's HTTP protocols, refusing what they cannot parse in the OneRoster envelope.

A request the HTTP parser refuses before the application sees it (a request line beyond the parser's limit,
about 64 KB for httptools and 16 KB for h11, headers over 64 KB in all, or bytes that are not HTTP) gets
uvicorn's plain-text 400; these protocols answer the same 400 as JSON, `invaliddata` in the envelope of the
path's version when the parser got as far as the path. `rosterlab serve` runs uvicorn with `HTTP_PROTOCOL`.
"""

from __future__ import annotations

import logging

from uvicorn.protocols.http.h11_impl import H11Protocol

from rosterlab.server.errors import error_body, version_of_path
from rosterlab.server.responses import JSON

log = logging.getLogger("rosterlab.server.refusals")

DESCRIPTION = "the request could not be read as HTTP (a request line or header too long, or malformed)"
MAX_HEADER_BYTES = 65_536  # as h11 and httptools bound the request line


class HeadersTooLarge(Exception):
    """The request's headers are longer than MAX_HEADER_BYTES in all."""


def refusal(path: bytes) -> bytes:
    """The whole HTTP/1.1 400 response, in the envelope of `path`'s version."""
    body = error_body(version_of_path(path.decode("latin-1")), "invaliddata", DESCRIPTION)
    head = (
        b"HTTP/1.1 400 Bad Request\r\n"
        + b"content-type: "
        + JSON.encode()
        + b"\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: close\r\n\r\n"
    )
    return head + body


class EnvelopeH11Protocol(H11Protocol):
    """h11, answering unparseable requests in the envelope."""

    def send_400_response(self, msg: str) -> None:
        log.info("400 unreadable request: %s", msg)
        self.transport.write(refusal(b""))
        self.transport.close()


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional; uvicorn then speaks h11
    HTTP_PROTOCOL: type = EnvelopeH11Protocol
else:

    class EnvelopeHttpToolsProtocol(HttpToolsProtocol):
        """httptools, answering unparseable requests in the envelope of the path, when read that far, and
        refusing headers beyond `MAX_HEADER_BYTES` in all (httptools itself sets no bound)."""

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.header_bytes = 0

        def on_header(self, name: bytes, value: bytes) -> None:
            self.header_bytes += len(name) + len(value)
            if self.header_bytes > MAX_HEADER_BYTES:
                raise HeadersTooLarge  # the parser stops, and uvicorn answers send_400_response
            super().on_header(name, value)

        def send_400_response(self, msg: str) -> None:
            log.info("400 unreadable request: %s", msg)
            self.transport.write(refusal(bytes(getattr(self, "url", b"") or b"")))
            self.transport.close()

    HTTP_PROTOCOL = EnvelopeHttpToolsProtocol
