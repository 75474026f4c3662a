"""Polling the requests whose next poll is due (see next_poll.py for when): one
GET /comunica_pec refreshes every due request, the detail is read only where the status moved."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from openapi_pec import errors
from portal.openapi import get_client

from ..models import RichiestaComunicazione, StatoRichiesta
from .mirror import apply_remote
from .next_poll import set_next_poll

log = logging.getLogger(__name__)


def poll_due(*, now: dt.datetime | None = None) -> int:
    """Refresh the requests whose ``next_poll_at`` is due with one GET /comunica_pec; the detail
    only where the status moved. Returns how many requests were looked at."""
    now = now or timezone.now()
    due = list(
        RichiestaComunicazione.objects.filter(next_poll_at__lte=now)
        .exclude(remote_id=None)
        .order_by("next_poll_at")[:500]
    )
    if not due:
        return 0
    api = get_client()
    try:
        listed = {item.id: item for item in api.list_comunica()}
    except errors.OpenapiError as exc:
        log.warning("comunica poll: GET /comunica_pec failed (%s)", exc.__class__.__name__)
        for r in due:
            _backoff(r, now=now, error=exc)
        return len(due)
    for r in due:
        item = listed.get(r.remote_id)
        try:
            waiting_receipts = r.stato == StatoRichiesta.COMUNICAZIONE_EVASA  # still without them
            if item is None or str(item.stato) != r.stato or waiting_receipts:
                apply_remote(r, api.get_comunica(r.remote_id), now=now)
            else:
                _backoff(r, now=now)
        except errors.OpenapiError as exc:
            _backoff(r, now=now, error=exc)
    return len(due)


def _backoff(r: RichiestaComunicazione, *, now, error: errors.OpenapiError | None = None):
    set_next_poll(r, now=now, reset=False)
    fields = {"next_poll_at": r.next_poll_at, "poll_interval": r.poll_interval}
    if error is None:
        fields["last_synced_at"] = now
    else:
        fields["last_error"] = (error.message or str(error))[:2000]
    RichiestaComunicazione.objects.filter(pk=r.pk).update(**fields)


def refresh_richiesta(richiesta: RichiestaComunicazione) -> RichiestaComunicazione:
    """Read one request now (GET /comunica_pec/{id})."""
    if not richiesta.remote_id:
        return richiesta
    return apply_remote(richiesta, get_client().get_comunica(richiesta.remote_id))
