"""The two at-most-once calls of a request (portal/remote_calls.py):

- POST /comunica_pec (``create``, paid): an unclear outcome is settled by listing
  GET /comunica_pec and looking for a request for the same address, made after the intent and
  not already linked to another local request.
- PATCH /comunica_pec/{id} (``upload``): settled by GET /comunica_pec/{id}: the upload happened
  when the status has left ``in_attesa_di_documenti``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openapi_pec import errors, types
from portal import openapi_messages, remote_calls
from portal.callbacks import callback_for
from portal.history import Sentence
from portal.openapi import get_client
from portal.remote_calls import CallHandler, Confirmed, NotPerformed

from .. import files
from ..models import (
    ComunicaCall,
    ComunicaCallKind,
    Evento,
    ProcuraFirmata,
    RichiestaComunicazione,
    StatoRichiesta,
)
from .history import record
from .mirror import apply_remote
from .notifications import notify
from .polling import REQUESTS

#: Clock skew tolerated between the portal and Openapi when matching a request to an intent.
CLOCK_SKEW = dt.timedelta(minutes=5)


def _request_body(r: RichiestaComunicazione) -> types.ComunicaRequest:
    """POST /comunica_pec's body: each of its fields is the request's field of the same name."""
    names = [f.name for f in dataclasses.fields(types.ComunicaRequest) if f.name != "callback"]
    return types.ComunicaRequest(
        **{name: getattr(r, name) for name in names},
        callback=callback_for(REQUESTS, r.pk, data_key="richiesta"),
    )


class _ComunicaHandler(CallHandler):
    def summarize(self, result):
        return {"id": result.id, "stato": str(result.stato)}


class CreateHandler(_ComunicaHandler):
    """POST /comunica_pec (paid)."""

    def perform(self, call):
        return get_client().create_comunica(_request_body(call.richiesta))

    def confirm(self, call):
        r = call.richiesta
        api = get_client()
        linked = set(
            RichiestaComunicazione.objects.exclude(pk=r.pk)
            .exclude(remote_id=None)
            .values_list("remote_id", flat=True)
        )
        since = call.created_at - CLOCK_SKEW
        matches = [
            item
            for item in api.list_comunica()
            if item.casella_pec.strip().lower() == r.casella_pec.lower()
            and item.id not in linked
            and (item.timestamp is None or item.timestamp >= since)
        ]
        if not matches:
            return NotPerformed()
        first = min(matches, key=lambda i: i.timestamp or timezone.now())
        return Confirmed(api.get_comunica(first.id))

    def apply(self, call, result):
        r = call.richiesta
        record(
            r,
            Evento.Tipo.INVIO,
            Sentence(
                _("Richiesta accettata da Openapi (id %(id)s), costo %(price)s €."),
                id=result.id,
                price=call.price,
            ),
            user=call.requested_by,
        )
        apply_remote(r, result)

    def on_failed(self, call, error):
        r = call.richiesta
        message = call.last_error or (error.message if error else "")
        RichiestaComunicazione.objects.filter(pk=r.pk, remote_id=None).update(
            stato=StatoRichiesta.NON_INVIATA, last_error=message[:2000], updated_at=timezone.now()
        )
        text = Sentence(
            _("Openapi ha rifiutato la richiesta: %(msg)s"),
            msg=openapi_messages.call_sentence(call, message),
        )
        if isinstance(error, errors.InsufficientCredit):
            text = Sentence(
                _("Nulla è stato addebitato. %(msg)s"),
                msg=openapi_messages.call_sentence(call, message),
            )
        record(r, Evento.Tipo.ERRORE, text, stato=StatoRichiesta.NON_INVIATA)
        notify(
            r,
            gettext("Comunicazione PEC %(pec)s: invio non riuscito") % {"pec": r.casella_pec},
            str(text),
            user=call.requested_by,
            office=isinstance(error, errors.InsufficientCredit),
        )


class UploadHandler(_ComunicaHandler):
    """PATCH /comunica_pec/{id} with the signed .p7m."""

    def perform(self, call):
        data = files.read(call.procura.file)
        return get_client().upload_comunica(call.richiesta.remote_id, [data])

    def confirm(self, call):
        remote = get_client().get_comunica(call.richiesta.remote_id)
        if str(remote.stato) in (
            StatoRichiesta.DOCUMENTI_CARICATI,
            StatoRichiesta.COMUNICAZIONE_EVASA,
        ):
            return Confirmed(remote)
        return NotPerformed()

    def apply(self, call, result):
        r = call.richiesta
        ProcuraFirmata.objects.filter(pk=call.procura_id).update(inviata_at=timezone.now())
        record(
            r,
            Evento.Tipo.PROCURA,
            Sentence(_("Procura firmata inviata a Openapi.")),
            user=call.requested_by,
        )
        apply_remote(r, result)

    def on_failed(self, call, error):
        r = call.richiesta
        message = call.last_error or (error.message if error else "")
        RichiestaComunicazione.objects.filter(pk=r.pk).update(last_error=message[:2000])
        text = Sentence(
            _("Openapi ha rifiutato la procura: %(msg)s"),
            msg=openapi_messages.call_sentence(call, message),
        )
        record(r, Evento.Tipo.ERRORE, text)
        notify(
            r,
            gettext("Comunicazione PEC %(pec)s: procura rifiutata") % {"pec": r.casella_pec},
            str(text),
            user=call.requested_by,
        )


HANDLERS = {ComunicaCallKind.CREATE: CreateHandler(), ComunicaCallKind.UPLOAD: UploadHandler()}


def handler_for(kind: str) -> CallHandler:
    return HANDLERS[kind]


def open_calls(**filters):
    return ComunicaCall.objects.filter(state__in=remote_calls.OPEN_STATES, **filters)
