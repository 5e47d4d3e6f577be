"""Logging set-up, with a last line of defence that masks secrets in any log line, tracebacks included."""

from __future__ import annotations

import logging
import re

# key=value, "key": "value" and header-style key: value for names that carry secrets. Platforms send
# their tokens as X-<platform>-Access-Token: one pattern covers every store plugin's header.
_SECRET = re.compile(
    r"(?i)((?:access_token|refresh_token|app_secret|client_secret|password|x-[\w-]*access-token|"
    r"authorization|secret_key|encryption_keys)[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,}]+)"
)
# A bearer credential wherever it is written ("Authorization: Bearer …" masks only the word Bearer above),
# and TokBridge's own API tokens by their shape.
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"'&,}]+")
_API_TOKEN = re.compile(r"tbk_[\w-]{8,}")
# The values SQLAlchemy prints after a failed statement (emails, names, tokens): never worth a log line.
_SQL_PARAMETERS = re.compile(r"\[(?:SQL )?parameters: [^\n]*")
_EMAIL_LOCAL_PART = re.compile(r"[\w.+%-]+(@[\w-]+(?:\.[\w-]+)+)")


def redact(text: str) -> str:
    text = _BEARER.sub(lambda m: m.group(1) + "***", text)
    text = _API_TOKEN.sub("tbk_***", text)
    text = _SECRET.sub(lambda m: m.group(1) + "***", text)
    text = _SQL_PARAMETERS.sub("[parameters: hidden]", text)
    return _EMAIL_LOCAL_PART.sub(r"***\1", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactingFormatter(logging.Formatter):
    """Masks the whole formatted line: a filter sees only the message, not the traceback under it."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Huey logs every task it runs at INFO; the job table already records that.
    logging.getLogger("huey").setLevel(max(logging.WARNING, root.level))


# For uvicorn.run / uvicorn.Config: no logging set-up of uvicorn's own (its handlers would print
# tracebacks and access lines unmasked); its loggers then go through the root handler above.
UVICORN_LOGGING = {"log_config": None}
