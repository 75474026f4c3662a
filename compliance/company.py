"""The portal's Company API client (openapi_company), from the COMPANY_API_* settings.

Every lookup is paid: the answers are kept in Django's cache (Redis in production, files in the
demo), shared by web, workers and beat and kept across restarts, so a company is not asked for
again within COMPANY_API_CACHE_SECONDS whichever process asks.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache

from openapi_company import CompanyClient
from portal import openapi

__all__ = ["DjangoResultCache", "enabled", "get_company_client"]


def enabled() -> bool:
    """Whether the office turned the Company API on (COMPANY_API_ENABLED)."""
    return bool(settings.COMPANY_API_ENABLED)


class DjangoResultCache:
    """openapi_company's ResultCache backed by ``django.core.cache.cache``."""

    PREFIX = "company-api:"

    def __repr__(self) -> str:
        return "DjangoResultCache()"

    def _key(self, key: str) -> str:
        # a short, safe key whatever the code holds (memcached refuses some characters)
        return self.PREFIX + hashlib.sha256(key.encode()).hexdigest()

    def get(self, key: str) -> Any | None:
        return cache.get(self._key(key))

    def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        cache.set(self._key(key), value, timeout=max(1, int(ttl_seconds)))


def _build(**kwargs: Any) -> CompanyClient:
    return CompanyClient(cache=DjangoResultCache(), **kwargs)


def get_company_client() -> CompanyClient:
    """The process's CompanyClient for the current settings."""
    return openapi.pooled_client(
        _build,
        company_url=settings.OPENAPI_COMPANY_URL,
        cache_ttl=int(settings.COMPANY_API_CACHE_SECONDS),
    )


def forget_clients() -> None:
    """Drop the per-process clients (tests: a fresh process)."""
    openapi.forget_clients(_build)
