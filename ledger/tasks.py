"""The ledger's periodic work: reconcile with the wallet's movements every hour."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from openapi_pec import errors
from portal.openapi import get_client

from .services import reconcile

log = logging.getLogger(__name__)

#: How far back the periodic reconciliation reads the wallet.
LOOKBACK = dt.timedelta(days=35)


@shared_task(name="ledger.reconcile")
def reconcile_recent() -> dict:
    """Record the charged intents and pair them with the wallet's movements of the last
    LOOKBACK; a read Openapi refuses or does not answer is left to the next run."""
    try:
        esito = reconcile.reconcile(get_client(), timezone.now() - LOOKBACK)
    except errors.OpenapiError as exc:
        log.warning("ledger reconciliation: wallet not read (%s)", exc.__class__.__name__)
        return {"read": False}
    return {"read": True, "movements": esito.letti, "new": esito.nuovi, "paired": esito.abbinati}
