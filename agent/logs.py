"""How the long-running processes log (`sdr serve`): the level from `SDR_LOG_LEVEL`, and with
`SDR_LOG_JSON=1` one JSON object per line (python-json-logger), for a log collector to parse.

The configuration is a `logging.config.dictConfig` document, the form uvicorn takes, so the
server's own lines and the agent's come out alike.
"""

from __future__ import annotations

from typing import Any

from agent.settings import Settings

_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The fields each JSON line carries; `message` is the rendered message.
_JSON = "%(asctime)s %(levelname)s %(name)s %(message)s"


def log_config(settings: Settings) -> dict[str, Any]:
    formatter: dict[str, Any] = (
        {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": _JSON, "rename_fields": {"levelname": "level"}}
        if settings.log_json
        else {"format": _TEXT}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    level = settings.log_level
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            name: {"handlers": ["main"], "level": level, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "agent", "tools")
        },
    }
