"""Secrets that travel in URLs never reach a log line.

Openapi's callback URL carries the box's secret in its path (mailboxes/urls.py); Django logs
the path of every answer of 500 and above ("Service Unavailable: /caselle/1/callback/…/").
gunicorn and the proxy redact it in their own access logs (deploy/)."""

import logging
import re

_CALLBACK_SECRET = re.compile(r"(/callback/)[^/\s?\"']+")


def redact(text: str) -> str:
    return _CALLBACK_SECRET.sub(r"\1[secret]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True
