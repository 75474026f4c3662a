"""The boxes as a remote resource (portal/polling.py): the boxes in_evasione are polled, one
GET /pec for many, GET /pec/{id} each for a few; Openapi's callbacks queue the same read."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy

from portal import polling
from portal.remote_calls import enqueue_on_commit

from ..models import Casella, Stato, TipoEvento
from .mirror import SUMMARY_FIELDS, apply_remote, summary_differs


class Boxes(polling.MirrorResource):
    name = "mailboxes"
    model = Casella
    missing_message = gettext_lazy("la casella non compare in GET /pec")
    settings_prefix = "MAILBOX"
    compare_fields = SUMMARY_FIELDS
    callback_route = "mailboxes:casella_callback"

    def moving(self):
        return Casella.objects.filter(stato=Stato.IN_EVASIONE)

    def read(self, client, obj):
        return client.get_casella(obj.remote_id)

    def list(self, client):
        return {s.id: s for s in client.list_caselle()}

    def differs(self, row, item) -> bool:
        return summary_differs(row, item)

    def apply_read(self, pk: int, answer, *, now: dt.datetime) -> bool | None:
        with transaction.atomic():
            casella = Casella.objects.select_for_update().get(pk=pk)
            if casella.stato == Stato.NUOVA:
                return None  # the registration intent settles it (at most once)
            changed = apply_remote(casella, answer.raw, full=True, source=TipoEvento.STATO, now=now)
            if casella.stato == Stato.IN_EVASIONE:
                polling.schedule_poll(casella, now=now)  # slower while callbacks arrive
        return bool(changed)

    def apply_listed(self, pk: int, item, client, *, now: dt.datetime, position: int) -> int:
        with transaction.atomic():
            casella = Casella.objects.select_for_update().get(pk=pk)
            apply_remote(casella, item.raw, full=False, source=TipoEvento.STATO, now=now)
            if casella.stato == Stato.IN_EVASIONE:
                polling.schedule_poll(casella, now=now)
            else:
                # Settled: GET /pec lacks the activation date and spaces; one GET /pec/{id}
                # each, by a task (a box settles once in its life).
                enqueue_on_commit(
                    "mailboxes.refresh_casella", pk, countdown=min(60.0, position * 0.2)
                )
        return 0

    def claimed_state(self, payload):
        if not isinstance(payload, dict) or not isinstance(payload.get("stato"), str):
            return None
        ts = payload.get("timestamp")
        changed = ts.get("ultima_modifica") if isinstance(ts, dict) else None
        return payload["stato"], changed if isinstance(changed, int) else None

    def last_change(self, obj):
        return obj.ts_ultima_modifica


BOXES = polling.register(Boxes())
