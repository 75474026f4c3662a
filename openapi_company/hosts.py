"""Hosts and token scopes of the Company API (company.openapi.json ``servers``; scopes in the
platform's ``METHOD:host/first-path-segment`` form, openapi-notes.md section 1)."""

from __future__ import annotations

from urllib.parse import urlparse

from openapi_pec.domains import is_sandbox_url

__all__ = [
    "COMPANY_SCOPE_METHODS",
    "PRODUCTION_COMPANY_HOST",
    "SANDBOX_COMPANY_HOST",
    "company_host_for_url",
    "company_scopes",
    "is_sandbox_url",
]

PRODUCTION_COMPANY_HOST = "company.openapi.com"
SANDBOX_COMPANY_HOST = "test.company.openapi.com"

#: The scopes the client needs: METHOD -> first path segment.
COMPANY_SCOPE_METHODS: tuple[tuple[str, str], ...] = (
    ("GET", "IT-pec"),
    ("GET", "IT-stakeholders"),
    ("GET", "IT-check_id"),
    ("GET", "IT-closed"),
    ("GET", "IT-advanced"),
    ("GET", "monitor"),
    ("POST", "monitor"),
    ("DELETE", "monitor"),
)


def company_host_for_url(company_url: str) -> str:
    """The host for token scopes: a local sandbox (loopback) stands for the test host."""
    host = (urlparse(company_url).hostname or "").lower()
    if not host or (is_sandbox_url(company_url) and not host.startswith("test.")):
        return SANDBOX_COMPANY_HOST
    return host


def company_scopes(company_url: str) -> list[str]:
    host = company_host_for_url(company_url)
    return [f"{method}:{host}/{segment}" for method, segment in COMPANY_SCOPE_METHODS]
