"""Celery tasks of the comunica flow: thin, idempotent, taking primary keys only. The intents,
polls and callbacks' reads run through the portal's tasks (portal/tasks.py), declared here and
in services/polling.py."""

from __future__ import annotations

import logging

from celery import shared_task

from portal.remote_calls import Intents, register_intents

from .models import ComunicaCall
from .services import calls
from .services import sync as comunica_sync

log = logging.getLogger(__name__)

register_intents(Intents(ComunicaCall, calls.handler_for))


@shared_task(name="comunica.sync_account", ignore_result=True)
def sync_account() -> dict:
    """GET /comunica_pec: update the known requests, import the others."""
    result = comunica_sync.sync_account()
    log.info("comunica sync: %s", result)
    return result.__dict__
