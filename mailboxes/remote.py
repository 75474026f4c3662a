"""The Openapi client the mailboxes app uses, and whether it points at a sandbox."""

from __future__ import annotations

from django.conf import settings

from openapi_pec import PecClient
from openapi_pec.domains import is_sandbox_url
from portal.openapi import get_client as _portal_client


def get_client() -> PecClient:
    return _portal_client()


def is_sandbox() -> bool:
    return is_sandbox_url(settings.OPENAPI_PEC_URL)
