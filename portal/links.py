"""Absolute links for e-mails: a recipient reads them outside the portal."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def absolute_url(path: str) -> str:
    """``path`` on the portal's address (settings.PORTAL_LINK_URL; relative when unknown)."""
    return settings.PORTAL_LINK_URL.rstrip("/") + path


def absolute_reverse(viewname: str, *args) -> str:
    return absolute_url(reverse(viewname, args=args))
