"""Structured log lines on stderr: one JSON object per record, without personal data.

Only the logger name, level, message and explicitly whitelisted extra fields are written;
request bodies, transcripts and e-mail addresses are never passed to loggers by our code.
"""

import json
import logging
from datetime import UTC, datetime

SAFE_EXTRA = ("operation", "run_id", "task_id", "status", "count", "duration_ms", "path")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in SAFE_EXTRA:
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)
