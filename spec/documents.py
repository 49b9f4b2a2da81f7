"""The committed OpenAPI documents under spec/openapi/: render, write, load and check for drift.

Run `python -m rosterlab.spec.documents` (or `make spec`) after changing the model.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from rosterlab.spec.openapi import DOCUMENTS, Document, build

OPENAPI_DIR = Path(__file__).parent / "openapi"


def render(document: Document) -> str:
    """The document as the exact text committed under spec/openapi/."""
    return json.dumps(build(document), indent=2, ensure_ascii=False) + "\n"


def path_of(document: Document) -> Path:
    """Where the document is committed."""
    return OPENAPI_DIR / document.filename


@cache
def load(document: Document) -> dict[str, Any]:
    """The committed document, parsed."""
    return json.loads(path_of(document).read_text(encoding="utf-8"))


def stale() -> list[Document]:
    """The documents whose committed text differs from what the model renders."""
    return [
        doc for doc in DOCUMENTS if not path_of(doc).exists() or path_of(doc).read_text(encoding="utf-8") != render(doc)
    ]


def write_all() -> list[Path]:
    """Render every document into spec/openapi/; return the paths written."""
    OPENAPI_DIR.mkdir(exist_ok=True)
    written = []
    for doc in DOCUMENTS:
        path_of(doc).write_text(render(doc), encoding="utf-8")
        written.append(path_of(doc))
    return written


def main(argv: list[str] | None = None) -> int:
    """Write the documents, or with `--check` report stale ones and exit 1."""
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        outdated = stale()
        for doc in outdated:
            print(f"stale: {path_of(doc)} (run `make spec`)", file=sys.stderr)
        return 1 if outdated else 0
    for path in write_all():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
