"""Small helpers the checks share."""

from __future__ import annotations

import re
from typing import Any

from rosterlab.conformance.exchange import Exchange

LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([a-z]+)"?')


def status_info(exchange: Exchange, version: str) -> dict[str, Any] | None:
    """The imsx_StatusInfo of an error response: at the top level in 1.2, first of statusInfoSet in 1.1."""
    body = exchange.body
    if not isinstance(body, dict):
        return None
    if version == "1.1":
        infos = body.get("statusInfoSet")
        return infos[0] if isinstance(infos, list) and infos and isinstance(infos[0], dict) else None
    return body if "imsx_codeMajor" in body else None


def code_minor(info: dict[str, Any]) -> str | None:
    """The code minor value of a status info in the standard's nested form, or None."""
    minor = info.get("imsx_CodeMinor")
    if not isinstance(minor, dict):
        return None
    fields = minor.get("imsx_codeMinorField")
    if not isinstance(fields, list) or not fields or not isinstance(fields[0], dict):
        return None
    return fields[0].get("imsx_codeMinorFieldValue")


def links(exchange: Exchange) -> dict[str, str]:
    """The Link header's targets by relation."""
    return {rel: url for url, rel in LINK.findall(exchange.response.headers.get("Link", ""))}
