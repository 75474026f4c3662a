"""Applying Openapi's answer: what GET /comunica_pec/{id} says of a request is recorded here,
the one place a request changes status (never backwards)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openapi_pec import types
from portal.history import Sentence
from portal.polling import set_next_poll

from ..models import ORDER, REMOTE_STATI, Evento, RichiestaComunicazione, StatoRichiesta
from .history import record
from .notifications import notify_stato


def fit(model, name: str, value) -> str:
    text = "" if value is None else str(value)
    return text[: model._meta.get_field(name).max_length]


def apply_remote(
    richiesta: RichiestaComunicazione,
    remote: types.Comunica,
    *,
    now: dt.datetime | None = None,
    source: str = "",
) -> RichiestaComunicazione:
    """Record what Openapi says of a request (inside a transaction, on a locked row). The status
    never moves backwards (a stale read after an upload would)."""
    now = now or timezone.now()
    with transaction.atomic():
        r = RichiestaComunicazione.objects.select_for_update().get(pk=richiesta.pk)
        if r.remote_id is None and remote.id:
            r.remote_id = remote.id
        new = str(remote.stato or "")
        old = r.stato
        changed = False
        if new in REMOTE_STATI and (
            old not in REMOTE_STATI or ORDER.get(new, 0) > ORDER.get(old, 0)
        ):
            r.stato = new
            changed = True
        if remote.codice_registro_imprese:
            r.codice_registro_imprese = fit(
                RichiestaComunicazione, "codice_registro_imprese", remote.codice_registro_imprese
            )
        receipts_new = bool(remote.documenti_registro_imprese) and not r.documenti_registro_imprese
        if remote.documenti_registro_imprese:
            r.documenti_registro_imprese = list(remote.documenti_registro_imprese)
        if remote.timestamp:
            r.remote_timestamp = remote.timestamp
        if remote.owner:
            r.owner = fit(RichiestaComunicazione, "owner", remote.owner)
        if remote.raw:
            r.last_payload = remote.raw
        r.last_synced_at = now
        r.last_error = ""
        if changed and r.stato == StatoRichiesta.COMUNICAZIONE_EVASA:
            r.evasa_at = now
        set_next_poll(r, now=now, reset=changed)
        r.save()
        if changed:
            message = Sentence(StatoRichiesta(r.stato).label)
            if r.stato == StatoRichiesta.COMUNICAZIONE_EVASA and r.codice_registro_imprese:
                message = Sentence(
                    _("%(stato)s: codice Registro Imprese %(codice)s"),
                    stato=StatoRichiesta(r.stato).label,
                    codice=r.codice_registro_imprese,
                )
            record(r, Evento.Tipo.STATO, message, stato=r.stato)
            if r.stato in (
                StatoRichiesta.IN_ATTESA_DI_DOCUMENTI,
                StatoRichiesta.COMUNICAZIONE_EVASA,
            ):
                transaction.on_commit(lambda: notify_stato(r.pk, str(message)))
        elif receipts_new:
            record(
                r,
                Evento.Tipo.STATO,
                Sentence(
                    _("Ricevute del Registro Imprese disponibili: %(docs)s"),
                    docs=", ".join(r.documenti_registro_imprese),
                ),
                stato=r.stato,
            )
    richiesta.refresh_from_db()
    return r
