"""Celery tasks of the comunica flow: thin, idempotent, taking primary keys only."""

from __future__ import annotations

import logging

from celery import shared_task

from .services import calls, polling
from .services import sync as comunica_sync

log = logging.getLogger(__name__)


@shared_task(name="comunica.run_call", ignore_result=True)
def run_call(pk: int) -> str:
    """Run one POST/PATCH intent (at most once; safe to deliver twice)."""
    return calls.run_comunica_call(pk)


@shared_task(name="comunica.poll_due", ignore_result=True)
def poll_due() -> int:
    """Beat tick: (re)run the due intents, then refresh the requests whose poll is due."""
    calls.run_due_calls()
    return polling.poll_due()


@shared_task(name="comunica.sync_account", ignore_result=True)
def sync_account() -> dict:
    """GET /comunica_pec: update the known requests, import the others."""
    result = comunica_sync.sync_account()
    log.info("comunica sync: %s", result)
    return result.__dict__
