"""The one place the portal builds its Openapi PEC client, from the OPENAPI_* settings.

Minted tokens are shared between processes (web, workers, beat) through Django's cache
framework (Redis in production), so a token is minted once and renewed once, not per process.
Going to production is one switch: set OPENAPI_PEC_URL=https://pec.openapi.it and
OPENAPI_OAUTH_URL=https://oauth.openapi.com with production credentials.
"""

from __future__ import annotations

import os
import threading

from django.conf import settings
from django.core.cache import cache

from openapi_pec import PecClient

__all__ = ["DjangoCacheTokenStore", "get_client"]


class DjangoCacheTokenStore:
    """openapi_pec token store backed by ``django.core.cache.cache``."""

    def __repr__(self) -> str:
        return "DjangoCacheTokenStore()"

    def get(self, key: str) -> dict | None:
        value = cache.get(key)
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict, ttl_seconds: int) -> None:
        cache.set(key, value, timeout=max(1, int(ttl_seconds)))


_clients: dict[tuple, PecClient] = {}
_lock = threading.Lock()


def _config() -> tuple:
    return (
        os.getpid(),  # a forked worker never reuses its parent's pooled sockets
        settings.OPENAPI_PEC_URL,
        settings.OPENAPI_OAUTH_URL,
        settings.OPENAPI_TOKEN or None,
        settings.OPENAPI_EMAIL or None,
        settings.OPENAPI_APIKEY or None,
        float(settings.OPENAPI_TIMEOUT),
    )


def get_client() -> PecClient:
    """The process's PecClient for the current settings (one pooled session per config)."""
    config = _config()
    with _lock:
        client = _clients.get(config)
        if client is None:
            _pid, pec_url, oauth_url, token, email, apikey, timeout = config
            client = PecClient(
                pec_url=pec_url,
                oauth_url=oauth_url,
                token=token,
                email=email,
                apikey=apikey,
                token_store=DjangoCacheTokenStore(),
                timeout=timeout,
            )
            _clients[config] = client
        return client
