"""The call handler every operation shares (portal/remote_calls.py): ``perform`` reads the box
first and sends only if Openapi still allows it; ``confirm`` settles an unclear outcome by
reading GET /pec/{id}. Each operation's module says what to check, send and look for."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openapi_pec import errors
from portal.history import Sentence
from portal.remote_calls import CallHandler, Confirmed, NotPerformed, Undecided

from ..models import Casella, CasellaCall, TipoEvento
from ..remote import get_client
from ..services.history import record
from ..services.mirror import apply_remote
from ..services.notifications import notify_failure
from .rules import label_of


def _summary(result: Any) -> dict[str, Any] | None:
    if not isinstance(result, dict):
        return None
    keys = (
        "id",
        "stato",
        "tipo_casella",
        "data_scadenza",
        "spazio_disco",
        "spazio_storico",
        "spazio_conservazione",
        "conservazione",
    )
    out = {k: result.get(k) for k in keys if k in result}
    if isinstance(result.get("multiutenza"), list):
        out["utenti"] = len(result["multiutenza"])
    return out


def not_allowed(message: str) -> errors.PreconditionFailed:
    return errors.PreconditionFailed(None, message)


def remote_stato(current) -> str:
    return str(current.stato or "")


def keep_params(call: CasellaCall, **values) -> None:
    """Store facts read just before sending in the intent (to settle an unclear outcome)."""
    params = {**call.params, **values}
    CasellaCall.objects.filter(pk=call.pk).update(params=params)
    call.params = params


class OperationHandler(CallHandler):
    """Shared behaviour: read the box before sending (refuse with Openapi's current state if the
    operation is no longer allowed), apply the answer to the mirror, record the outcome."""

    kind: str = ""

    # -- hooks for subclasses
    def precheck(self, call: CasellaCall, current) -> None:
        """Raise a permanent error if the operation must not be sent now."""

    def send(self, client, call: CasellaCall, casella: Casella):
        raise NotImplementedError

    def reached(self, call: CasellaCall, current) -> bool:
        """Does Openapi show the operation's effect?"""
        raise NotImplementedError

    def done_message(self, call: CasellaCall, casella: Casella) -> Sentence:
        return Sentence(gettext_lazy("Operazione «%(op)s» eseguita."), op=label_of(self.kind))

    # -- CallHandler
    def perform(self, call: CasellaCall) -> dict[str, Any]:
        casella = Casella.objects.get(pk=call.casella_id)
        if not casella.remote_id:
            raise errors.PreconditionFailed(None, _("La casella non è registrata presso Openapi."))
        client = get_client()
        current = client.get_casella(casella.remote_id)
        try:
            self.precheck(call, current)
        except errors.OpenapiError:
            with transaction.atomic():
                locked = Casella.objects.select_for_update().get(pk=casella.pk)
                apply_remote(locked, current.raw, full=True)
            raise
        return self.send(client, call, casella).raw

    def confirm(self, call: CasellaCall):
        casella = Casella.objects.get(pk=call.casella_id)
        try:
            current = get_client().get_casella(casella.remote_id)
        except errors.TransientError:
            return Undecided()
        if self.reached(call, current):
            return Confirmed(current.raw)
        return NotPerformed()

    def summarize(self, result: Any) -> Any:
        return _summary(result)

    def apply(self, call: CasellaCall, result: Any) -> None:
        casella = Casella.objects.select_for_update().get(pk=call.casella_id)
        if isinstance(result, dict) and result:
            apply_remote(casella, result, full=True, source=TipoEvento.OPERAZIONE)
        record(
            casella,
            TipoEvento.OPERAZIONE,
            self.done_message(call, casella),
            user=call.requested_by,
            dati={"operazione": self.kind, "call": call.pk},
        )

    def on_failed(self, call: CasellaCall, error: errors.OpenapiError | None) -> None:
        casella = Casella.objects.get(pk=call.casella_id)
        message = call.last_error or (error.message if error else "")
        record(
            casella,
            TipoEvento.ERRORE,
            Sentence(
                gettext_lazy("Operazione «%(op)s» non riuscita: %(msg)s"),
                op=label_of(self.kind),
                msg=message,
            ),
            dati={
                "operazione": self.kind,
                "http_status": call.http_status,
                "error": call.error_code,
            },
        )
        notify_failure(call, message, credit=isinstance(error, errors.InsufficientCredit))
