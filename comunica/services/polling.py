"""The comunica requests as a remote resource (portal/polling.py): a request is read again soon
after a change, then less often, and never once it is done (comunicazione_evasa with the
Registro Imprese's receipts, or RECEIPTS_WAIT after it without them); one GET /comunica_pec for
many due requests, GET /comunica_pec/{id} each for a few or where the list shows a change.
Openapi's callbacks queue the same read."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext_lazy

from portal import polling
from portal.openapi import get_client

from ..models import RichiestaComunicazione, StatoRichiesta
from .mirror import apply_remote

#: After comunicazione_evasa without the receipts' names, how long to keep asking for them.
RECEIPTS_WAIT = dt.timedelta(days=7)


class Requests(polling.MirrorResource):
    name = "comunica"
    model = RichiestaComunicazione
    missing_message = gettext_lazy("la richiesta non compare in GET /comunica_pec")
    settings_prefix = "COMUNICA"  # its first interval is the beat tick (min_seconds)
    compare_fields = ("stato",)
    callback_route = "comunica:richiesta_callback"

    def min_seconds(self) -> float:
        """Soon after a change: the next beat tick."""
        return max(float(settings.POLL_TICK_SECONDS), 1.0)

    def keeps_polling(self, obj, now) -> bool:
        if obj.stato != StatoRichiesta.COMUNICAZIONE_EVASA:
            return True
        if obj.documenti_registro_imprese:
            return False
        return not (obj.evasa_at and now - obj.evasa_at > RECEIPTS_WAIT)

    def moving(self):
        return RichiestaComunicazione.objects.all()  # those with a next poll (see keeps_polling)

    def read(self, client, obj):
        return client.get_comunica(obj.remote_id)

    def list(self, client):
        return {item.id: item for item in client.list_comunica()}

    def differs(self, row, item) -> bool:
        (stato,) = row
        # A request evasa without its receipts yet is read in full: only the detail has them.
        return str(item.stato) != stato or stato == StatoRichiesta.COMUNICAZIONE_EVASA

    def apply_read(self, pk: int, answer, *, now: dt.datetime) -> bool:
        richiesta = RichiestaComunicazione.objects.get(pk=pk)
        before = richiesta.stato
        return apply_remote(richiesta, answer, now=now).stato != before

    def apply_listed(self, pk: int, item, client, *, now: dt.datetime, position: int) -> int:
        self.apply_read(pk, client.get_comunica(item.id), now=now)
        return 1

    def claimed_state(self, payload):
        if not isinstance(payload, dict) or not isinstance(payload.get("stato"), str):
            return None
        changed = payload.get("timestamp")
        return payload["stato"], changed if isinstance(changed, int) else None

    def last_change(self, obj):
        return obj.remote_timestamp


REQUESTS = polling.register(Requests())


def refresh_richiesta(richiesta: RichiestaComunicazione) -> RichiestaComunicazione:
    """Read one request now (GET /comunica_pec/{id})."""
    if not richiesta.remote_id:
        return richiesta
    return apply_remote(richiesta, get_client().get_comunica(richiesta.remote_id))
