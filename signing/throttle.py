"""Requests to the link pages, counted per link and per client address in the cache (shared by
the web processes: Redis in production). Beyond ``SIGNING_LINK_RATE`` requests in
``WINDOW_SECONDS`` the page answers 429."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from portal.proxy import client_address

WINDOW_SECONDS = 600


def _hit(key: str) -> int:
    if cache.add(key, 1, timeout=WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        return 1


def over_limit(request, token_hash: str) -> bool:
    """Count this request for its address and its link; True when either is over the limit.
    Wrong tokens count for the address (their hash is no link's, so their own counter is
    harmless)."""
    limit = settings.SIGNING_LINK_RATE
    address = client_address(request) or "?"
    by_address = _hit(f"signing:rate:addr:{address}")
    by_link = _hit(f"signing:rate:link:{token_hash}")
    return by_address > limit or by_link > limit
