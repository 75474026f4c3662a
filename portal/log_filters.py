"""Logging filters: what a request line may say in the portal's own logs."""

import logging
import re

from portal.log_redaction import redact

# "GET /caselle/?q=RSSMRA85T10A562S HTTP/1.1": searches carry codici fiscali in the query, and
# Openapi's callbacks carry their secret in the path.
_QUERY = re.compile(r"\?[^\s\"]*")


def without_secrets(text: str) -> str:
    return redact(_QUERY.sub("", text))


class RequestLineFilter(logging.Filter):
    """Drop query strings and callback secrets from logged request lines (runserver's
    ``django.server`` access log, and any message or argument holding a URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = without_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                without_secrets(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True
