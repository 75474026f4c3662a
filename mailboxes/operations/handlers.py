"""The call handler every operation shares (portal/remote_calls.py): ``perform`` reads the box
first and sends only if Openapi still allows it; ``confirm`` settles an unclear outcome by
reading GET /pec/{id}. Each operation's module says what to check, send and look for."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from openapi_pec import errors
from portal import openapi_messages
from portal.history import Sentence
from portal.remote_calls import CallHandler, Confirmed, NotPerformed, Undecided

from ..models import Casella, CasellaCall, Stato, TipoEvento
from ..remote import get_client
from ..services.history import record
from ..services.mirror import apply_remote
from ..services.notifications import notify_failure
from .rules import LEGALMAIL, label_of

#: What the intent of an operation keeps of Openapi's answer (the box as GET /pec/{id} shows it).
OPERATION_SUMMARY = (
    "id",
    "stato",
    "tipo_casella",
    "data_scadenza",
    "spazio_disco",
    "spazio_storico",
    "spazio_conservazione",
    "conservazione",
)


def summary_of(result: Any, keys) -> dict[str, Any] | None:
    if not isinstance(result, dict):
        return None
    return {k: result.get(k) for k in keys if k in result}


def not_allowed(message: str) -> errors.PreconditionFailed:
    return errors.PreconditionFailed(None, message)


def remote_stato(current) -> str:
    return str(current.stato or "")


def keep_params(call: CasellaCall, **values) -> None:
    """Store facts read just before sending in the intent (to settle an unclear outcome)."""
    params = {**call.params, **values}
    CasellaCall.objects.filter(pk=call.pk).update(params=params)
    call.params = params


class BoxCallHandler(CallHandler):
    """A call on a box registered at Openapi: read the box first and send only if Openapi still
    allows it (else refuse with Openapi's current state, applied to the mirror); settle an
    unclear outcome by reading GET /pec/{id}; a failure is a history line and a notice."""

    #: Openapi's states in which the call may be sent (empty: any) ...
    remote_states: tuple[str, ...] = ()
    #: ... and the refusal in another one, naming it as %(stato)s
    not_sent: Any = ""
    #: the refusal for a box that is not Legalmail (empty: any type may take it)
    not_for_type: Any = ""
    unregistered: Any = gettext_lazy("La casella non è registrata presso Openapi.")
    #: what the intent keeps of Openapi's answer
    summary_keys: tuple[str, ...] = ("id", "stato", "casella_pec", "tipo_casella")

    # -- hooks for subclasses
    def precheck(self, call: CasellaCall, current) -> None:
        """Raise a permanent error if the call must not be sent now."""
        if self.not_for_type and str(current.tipo_casella) not in LEGALMAIL:
            raise not_allowed(str(self.not_for_type))
        if self.remote_states and remote_stato(current) not in self.remote_states:
            raise not_allowed(str(self.not_sent) % {"stato": remote_stato(current)})

    def send(self, client, call: CasellaCall, casella: Casella):
        raise NotImplementedError

    def settle(self, call: CasellaCall, current):
        """The outcome of an unclear call, from the box as Openapi shows it now."""
        raise NotImplementedError

    def failure(self, call: CasellaCall, message: str) -> tuple[Sentence, dict[str, Any]]:
        """The history line of a failed call and its data."""
        raise NotImplementedError

    # -- CallHandler
    def perform(self, call: CasellaCall) -> dict[str, Any]:
        casella = Casella.objects.get(pk=call.casella_id)
        if not casella.remote_id:
            raise errors.PreconditionFailed(None, str(self.unregistered))
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
        return self.settle(call, current)

    def summarize(self, result: Any) -> Any:
        return summary_of(result, self.summary_keys)

    def on_failed(self, call: CasellaCall, error: errors.OpenapiError | None) -> None:
        casella = Casella.objects.get(pk=call.casella_id)
        message = call.last_error or (error.message if error else "")
        line, dati = self.failure(call, message)
        dati.update(http_status=call.http_status, error=call.error_code)
        record(casella, TipoEvento.ERRORE, line, dati=dati)
        notify_failure(call, message, credit=isinstance(error, errors.InsufficientCredit))


class OperationHandler(BoxCallHandler):
    """An operation on an active box: confirmed when Openapi shows its effect; its outcome is
    applied to the mirror and recorded under the operation's name."""

    kind: str = ""
    endpoint: str = ""  #: Openapi's call, e.g. "GET /pec/{id}/rinnovo"
    remote_states = (Stato.EVASA,)

    def reached(self, call: CasellaCall, current) -> bool:
        """Does Openapi show the operation's effect?"""
        raise NotImplementedError

    def done_message(self, call: CasellaCall, casella: Casella) -> Sentence:
        return Sentence(gettext_lazy("Operazione «%(op)s» eseguita."), op=label_of(self.kind))

    def settle(self, call: CasellaCall, current):
        return Confirmed(current.raw) if self.reached(call, current) else NotPerformed()

    def summarize(self, result: Any) -> Any:
        out = summary_of(result, OPERATION_SUMMARY)
        if out is not None and isinstance(result.get("multiutenza"), list):
            out["utenti"] = len(result["multiutenza"])
        return out

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

    def failure(self, call, message):
        line = Sentence(
            gettext_lazy("Operazione «%(op)s» non riuscita: %(msg)s"),
            op=label_of(self.kind),
            msg=openapi_messages.call_sentence(call, message),
        )
        return line, {"operazione": self.kind}
