"""Celery tasks of the compliance app: thin, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from portal.remote_calls import Intents, register_intents

from .company import enabled
from .models import MonitorCall
from .services import checks, filing, findings, monitors

register_intents(Intents(MonitorCall, monitors.handler_for))


@shared_task(name="compliance.refresh")
def refresh(refresh: bool = False) -> dict:
    """Check every client company (answers kept within COMPANY_API_CACHE_SECONDS are not
    asked for again) and recompute the findings. Nothing when the Company API is off."""
    if not enabled():
        return {}
    return findings.refresh(refresh=refresh)


@shared_task(name="compliance.recompute")
def recompute() -> dict:
    """Recompute the findings from the stored checks (no Company API call): boxes registered,
    activated or revoked and comunica requests filed since show up within the hour."""
    if not enabled():
        return {}
    return findings.compute_findings()


@shared_task(name="compliance.advance_campaigns")
def advance_campaigns() -> int:
    """File the comunica of each campaign director whose new box is now active (once)."""
    return filing.advance()


@shared_task(name="compliance.check_holder")
def check_holder(titolare_pk: int, refresh: bool = True) -> dict:
    """Check one company again (the office asked for it), then recompute the findings."""
    if not enabled():
        return {}
    holder = checks.company_holders().filter(pk=titolare_pk)
    checks.check_portfolio(refresh=refresh, holders=holder)
    return findings.compute_findings()


@shared_task(
    name="compliance.monitor_changed", autoretry_for=(Exception,), max_retries=5, retry_backoff=True
)
def monitor_changed(monitor_pk: int) -> str:
    """A monitor called back: re-read it at Openapi and apply what it saw."""
    return monitors.reread(monitor_pk)
