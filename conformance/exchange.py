"""One request and its response as a check sees it, and the evidence a failure carries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import httpx

from rosterlab.conformance.model import Evidence, Failed

EXCERPT = 600


def shown(value: Any) -> str:
    """A record (or a few) as evidence: compact JSON, cut at EXCERPT characters."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    return text if len(text) <= EXCERPT else text[: EXCERPT - 3] + "..."


@dataclass
class Exchange:
    """One request and its response."""

    request: str
    response: httpx.Response

    @property
    def status(self) -> int:
        return self.response.status_code

    @cached_property
    def body(self) -> Any:
        try:
            return self.response.json()
        except ValueError:
            return None

    def said(self) -> str:
        """What a refusal says about itself: its imsx_description (1.2 body, 1.1 statusInfoSet) or error."""
        body = self.body
        infos = body.get("statusInfoSet", [body]) if isinstance(body, dict) else []
        info = infos[0] if isinstance(infos, list) and infos and isinstance(infos[0], dict) else {}
        return str(info.get("imsx_description") or info.get("error_description") or info.get("error") or "")[:200]

    def evidence(self, record: Any = None) -> Evidence:
        """The request and an excerpt: of `record` when given (what is at fault), else of the response."""
        excerpt = shown(record) if record is not None else self.response.text[:EXCERPT]
        return Evidence(self.request, self.status, excerpt)

    def fail(self, message: str, record: Any = None) -> Failed:
        """A failure with this exchange as evidence, pointing at `record` when given."""
        return Failed(message, self.evidence(record))
