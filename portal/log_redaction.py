"""What a log line may say: no callback secret, and no query string in a request line.

Openapi's callback URL carries the box's secret in its path (mailboxes/urls.py); Django logs
the path of every answer of 500 and above ("Service Unavailable: /caselle/1/callback/…/").
Searches carry codici fiscali in their query string ("GET /caselle/?q=RSSMRA85T10A562S").
gunicorn and the proxy apply the same rules to their own access logs (deploy/)."""

import logging
import re

#: Openapi's callback secret, and the token of a client's signing link (/firma/<token>/).
_CALLBACK_SECRET = re.compile(r"(/callback/|/firma/)(?!fatto/)[^/\s?\"']+")
_QUERY = re.compile(r"\?[^\s\"]*")


def redact(text: str) -> str:
    return _CALLBACK_SECRET.sub(r"\1[secret]", text)


def without_secrets(text: str) -> str:
    return redact(_QUERY.sub("", text))


class RedactSecrets(logging.Filter):
    """Every handler: callback secrets out of the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class RequestLineFilter(logging.Filter):
    """Request loggers (runserver's ``django.server`` access log, ``django.request``): query
    strings dropped and secrets masked in the message and in each argument holding a URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = without_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                without_secrets(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True
