"""OneRoster's error envelopes: 1.2 `imsx_StatusInfo`, 1.1 the same inside a `statusInfoSet` array."""

from __future__ import annotations

from typing import Any

import orjson

from rosterlab.spec.model import Version

V1P1_PREFIX = "/ims/oneroster/v1p1"

# HTTP status -> the codeMinor that explains it when nothing more precise is known.
DEFAULT_CODE_MINOR = {
    400: "invaliddata",
    401: "unauthorisedrequest",
    403: "forbidden",
    404: "unknownobject",
    405: "invaliddata",
    406: "invaliddata",
    415: "invaliddata",
    422: "invaliddata",
    429: "server_busy",
    500: "internal_server_error",
}


class OneRosterError(Exception):
    """A refusal with an HTTP status, a codeMinor and a description safe to show the client."""

    def __init__(self, status: int, code_minor: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.code_minor = code_minor
        self.description = description
        self.headers = headers or {}


def status_info(code_major: str, severity: str, code_minor: str, description: str) -> dict[str, Any]:
    """One imsx_StatusInfo object."""
    return {
        "imsx_codeMajor": code_major,
        "imsx_severity": severity,
        "imsx_description": description,
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": code_minor}
            ]
        },
    }


def version_of_path(path: str) -> Version:
    """The OneRoster version a request path belongs to (1.2 for anything that is not 1.1)."""
    return Version.V1P1 if path.startswith(V1P1_PREFIX) else Version.V1P2


def error_body(version: Version, code_minor: str, description: str) -> bytes:
    """The JSON body of a failure in the version's envelope."""
    info = status_info("failure", "error", code_minor, description)
    return orjson.dumps({"statusInfoSet": [info]} if version is Version.V1P1 else info)


def warning_info(code_minor: str, description: str) -> dict[str, Any]:
    """A 1.1 warning that travels beside the data (unknown sort or selection field)."""
    return status_info("success", "warning", code_minor, description)
