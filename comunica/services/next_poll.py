"""When a request is read again: soon after a change, then doubling up to POLL_CAP; never once
it is done (comunicazione_evasa with the Registro Imprese's receipts, or RECEIPTS_WAIT after it
without them)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from ..models import StatoRichiesta

#: Longest wait between two polls of a request that does not move.
POLL_CAP = dt.timedelta(minutes=30)
#: After comunicazione_evasa without the receipts' names, how long to keep asking for them.
RECEIPTS_WAIT = dt.timedelta(days=7)


def poll_base() -> float:
    return max(float(settings.POLL_TICK_SECONDS), 1.0)


def set_next_poll(richiesta, *, now, reset: bool) -> None:
    """Set the request's next poll in memory (no query)."""
    if not richiesta.remote_id or finished(richiesta, now):
        richiesta.next_poll_at = None
        richiesta.poll_interval = 0
        return
    base = poll_base()
    if reset or not richiesta.poll_interval:
        interval = base
    else:
        interval = min(richiesta.poll_interval * 2, POLL_CAP.total_seconds())
    richiesta.poll_interval = interval
    richiesta.next_poll_at = now + dt.timedelta(seconds=interval)


def finished(richiesta, now) -> bool:
    if richiesta.stato != StatoRichiesta.COMUNICAZIONE_EVASA:
        return False
    if richiesta.documenti_registro_imprese:
        return True
    return bool(richiesta.evasa_at and now - richiesta.evasa_at > RECEIPTS_WAIT)
