"""The wallet credit as the cockpit shows it: one Openapi read per few minutes for every page
view and every user (the credit changes only when the office pays or tops up)."""

from __future__ import annotations

from decimal import Decimal

from django.core.cache import cache

from mailboxes import expiry

CACHE_KEY = "cockpit:wallet-credit"
#: How long a credit read is reused; an unanswered read is tried again sooner.
FRESH_SECONDS = 300
RETRY_SECONDS = 60


def credit() -> Decimal | None:
    """The wallet credit, or None when the credentials do not allow reading it or Openapi does
    not answer (the page then says the credit is unknown)."""
    hit = cache.get(CACHE_KEY)
    if hit is not None:
        return hit["credit"]
    info = expiry.wallet_info(limit=0)
    cache.set(
        CACHE_KEY,
        {"credit": info.credit},
        FRESH_SECONDS if info.available else RETRY_SECONDS,
    )
    return info.credit
