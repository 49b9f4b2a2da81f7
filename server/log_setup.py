"""How `rosterlab serve` logs: a level for uvicorn's and rosterlab's loggers, as text or one JSON object a line."""

from __future__ import annotations

import json
import logging
from typing import Any

LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (and the exception, when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_config(level: str, form: str) -> dict[str, Any]:
    """A logging.config dictionary for uvicorn's `log_config`: every logger at `level`, in `form`."""
    formatter: dict[str, Any] = {"()": f"{__name__}.JsonFormatter"} if form == "json" else {"format": TEXT}
    handler = {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
    logger = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {name: logger for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "rosterlab")},
    }
