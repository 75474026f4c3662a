"""The box calls made at most once (portal/remote_calls.py): POST /pec and
PATCH /pec/{id}/attivazione."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from openapi_pec import errors
from portal import openapi_messages
from portal.history import Sentence
from portal.remote_calls import CallHandler, Confirmed, NotPerformed

from .models import ACTIVATABLE, CallKind, Casella, CasellaCall, Documento, Stato, TipoEvento
from .operations.handlers import BoxCallHandler
from .operations.registry import OPERATIONS
from .remote import get_client
from .services.activation import documents_for_call
from .services.history import record
from .services.mirror import apply_remote
from .services.notifications import notify_failure
from .services.registration import registration_request

log = logging.getLogger(__name__)


class RegistrazioneHandler(BoxCallHandler):
    """POST /pec: paid. Settled against GET /pec (is the address among the account's boxes?)."""

    def perform(self, call: CasellaCall) -> dict[str, Any]:
        casella = Casella.objects.select_related("titolare", "richiedente").get(pk=call.casella_id)
        client = get_client()
        if casella.remote_id:  # already linked (sync found it): never POST again
            return client.get_casella(casella.remote_id).raw
        return client.register_casella(registration_request(casella)).raw

    def confirm(self, call: CasellaCall):
        client = get_client()
        address = call.params["casella_pec"].lower()
        for summary in client.list_caselle():
            if summary.casella_pec.lower() == address:
                try:
                    return Confirmed(client.get_casella(summary.id).raw)
                except errors.OpenapiError:
                    return Confirmed(summary.raw)
        return NotPerformed()

    def apply(self, call: CasellaCall, result: Any) -> None:
        casella = Casella.objects.select_for_update().get(pk=call.casella_id)
        full = isinstance(result, dict) and "tipo_cliente" in result
        apply_remote(casella, result, full=full, source=TipoEvento.REGISTRAZIONE)

    def on_failed(self, call: CasellaCall, error: errors.OpenapiError | None) -> None:
        message = call.last_error or (error.message if error else "")
        with transaction.atomic():
            casella = Casella.objects.select_for_update().get(pk=call.casella_id)
            old = casella.stato
            casella.stato = Stato.NON_REGISTRATA
            casella.last_error = message[:2000]
            casella.save(update_fields=["stato", "last_error", "updated_at"])
            record(
                casella,
                TipoEvento.ERRORE,
                Sentence(
                    gettext_lazy("Openapi ha rifiutato la registrazione: %(msg)s"),
                    msg=openapi_messages.call_sentence(call, message),
                ),
                da=old,
                a=Stato.NON_REGISTRATA,
                dati={"http_status": call.http_status, "error": call.error_code},
            )
        notify_failure(call, message, credit=isinstance(error, errors.InsufficientCredit))


class AttivazioneHandler(BoxCallHandler):
    """PATCH /pec/{id}/attivazione: sent only while the box is registrata or documenti_errati
    (checked at Openapi just before sending). Settled against GET /pec/{id}."""

    remote_states = tuple(ACTIVATABLE)
    not_sent = gettext_lazy("Documenti non inviati: la casella è già nello stato «%(stato)s».")
    unregistered = gettext_lazy("La casella non è ancora registrata.")

    def send(self, client, call, casella):
        return client.attivazione(casella.remote_id, documents_for_call(call))

    def settle(self, call: CasellaCall, current):
        stato = str(current.stato)
        if stato in (Stato.IN_EVASIONE, Stato.EVASA):
            return Confirmed(current.raw)
        before = call.params.get("ultima_modifica_prima")
        changed_at = current.timestamp.ultima_modifica
        if (
            stato == Stato.DOCUMENTI_ERRATI
            and changed_at is not None
            and (before is None or changed_at.timestamp() > before)
            and call.params.get("stato_prima") == Stato.DOCUMENTI_ERRATI
        ):
            return Confirmed(current.raw)  # sent, processed, and refused again
        if stato == Stato.DOCUMENTI_ERRATI and call.params.get("stato_prima") == Stato.REGISTRATA:
            return Confirmed(current.raw)
        if stato in ACTIVATABLE:
            return NotPerformed()
        return Confirmed(current.raw)  # moved on (revoked, closed...): nothing to resend

    def apply(self, call: CasellaCall, result: Any) -> None:
        casella = Casella.objects.select_for_update().get(pk=call.casella_id)
        now = timezone.now()
        Documento.objects.filter(pk__in=call.params.get("documenti", [])).update(sent_at=now)
        apply_remote(casella, result, full=True, source=TipoEvento.DOCUMENTI, now=now)

    def failure(self, call, message):
        return Sentence(gettext_lazy("Invio dei documenti non riuscito: %(msg)s"), msg=message), {}


HANDLERS: dict[str, CallHandler] = {
    CallKind.REGISTRAZIONE: RegistrazioneHandler(),
    CallKind.ATTIVAZIONE: AttivazioneHandler(),
}


def handler_for(kind: str) -> CallHandler:
    """The handler of a registration call or of an operation on an active box."""
    if kind in HANDLERS:
        return HANDLERS[kind]
    return OPERATIONS[kind].handler
