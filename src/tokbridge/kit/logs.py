"""Logging set-up, with a last line of defence that masks secrets in any log message."""

from __future__ import annotations

import logging
import re

# key=value, "key": "value" and header-style key: value for names that carry secrets.
_SECRET = re.compile(
    r"(?i)((?:access_token|refresh_token|app_secret|client_secret|password|x-tts-access-token|"
    r"x-shopify-access-token|authorization|secret_key|encryption_keys)[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,}]+)"
)


def redact(text: str) -> str:
    return _SECRET.sub(lambda m: m.group(1) + "***", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Huey logs every task it runs at INFO; the job table already records that.
    logging.getLogger("huey").setLevel(max(logging.WARNING, root.level))
