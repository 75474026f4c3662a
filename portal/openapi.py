"""The one place the portal builds its Openapi PEC client, from the OPENAPI_* settings.

Minted tokens are shared between processes (web, workers, beat) through Django's cache
framework (Redis in production), so a token is minted once and renewed once, not per process.
Going to production is one switch: set OPENAPI_PEC_URL=https://pec.openapi.it and
OPENAPI_OAUTH_URL=https://oauth.openapi.com with production credentials.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from openapi_pec import PecClient

__all__ = [
    "DjangoCacheTokenStore",
    "forget_clients",
    "get_client",
    "pooled_client",
]

T = TypeVar("T")


class DjangoCacheTokenStore:
    """openapi_pec token store backed by ``django.core.cache.cache``."""

    def __repr__(self) -> str:
        return "DjangoCacheTokenStore()"

    def get(self, key: str) -> dict | None:
        value = cache.get(key)
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict, ttl_seconds: int) -> None:
        cache.set(key, value, timeout=max(1, int(ttl_seconds)))


_clients: dict[tuple, Any] = {}
_lock = threading.Lock()


def _credentials() -> dict[str, Any]:
    """The OPENAPI_* account settings every Openapi client (PEC, Company) is built with."""
    return {
        "oauth_url": settings.OPENAPI_OAUTH_URL,
        "token": settings.OPENAPI_TOKEN or None,
        "email": settings.OPENAPI_EMAIL or None,
        "apikey": settings.OPENAPI_APIKEY or None,
        "timeout": float(settings.OPENAPI_TIMEOUT),
    }


def pooled_client(factory: Callable[..., T], **options: Any) -> T:
    """The process's client ``factory(**credentials, **options, token_store=...)``: one pooled
    session per factory, process and settings (``options`` are hashable settings values)."""
    config = {**_credentials(), **options}
    # a forked worker never reuses its parent's pooled sockets
    key = (factory, os.getpid(), tuple(sorted(config.items())))
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = factory(**config, token_store=DjangoCacheTokenStore())
            _clients[key] = client
        return client


def forget_clients(factory: Callable[..., Any]) -> None:
    """Close and drop the process's clients built by ``factory`` (tests: a fresh process)."""
    with _lock:
        for key in [key for key in _clients if key[0] is factory]:
            _clients.pop(key).close()


def get_client() -> PecClient:
    """The process's PecClient for the current settings (one pooled session per config)."""
    return pooled_client(PecClient, pec_url=settings.OPENAPI_PEC_URL)
