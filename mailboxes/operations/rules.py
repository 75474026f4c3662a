"""Which operation a box can take now: the checks every operation shares, then its spec's own.

The same answer for the page (offer it or not) and for the service (refuse it if forced).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from openapi_pec.types import LEGALMAIL_TYPES, TIPO_CASELLA_RANK, TipoCasella
from portal.remote_calls import OPEN_STATES

from ..models import Casella, CasellaCall, Stato
from .registry import OPERATIONS

LEGALMAIL = {str(t) for t in LEGALMAIL_TYPES}


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


ALLOWED = Verdict(True)


def users_of(casella: Casella) -> list[dict[str, Any]]:
    """The extra users Openapi last showed for the box (GET /pec/{id} ``multiutenza``)."""
    payload = casella.last_payload or {}
    users = payload.get("multiutenza")
    return [u for u in users if isinstance(u, dict)] if isinstance(users, list) else []


def higher_types(tipo: str) -> list[str]:
    """Legalmail types the box can be upgraded to (strictly higher)."""
    if tipo not in LEGALMAIL:
        return []
    rank = TIPO_CASELLA_RANK[TipoCasella(tipo)]
    return [str(t) for t, r in sorted(TIPO_CASELLA_RANK.items(), key=lambda x: x[1]) if r > rank]


def open_operation(casella: Casella) -> CasellaCall | None:
    return (
        CasellaCall.objects.filter(casella=casella, state__in=OPEN_STATES)
        .order_by("-created_at")
        .first()
    )


def state_label(casella: Casella) -> str:
    return casella.get_stato_display()


def label_of(kind: str) -> str:
    spec = OPERATIONS.get(kind)
    return spec.label if spec else kind


def busy_reason(running: CasellaCall | None) -> str:
    """Why a new operation is refused while another one runs: which one, since when."""
    if running is None:
        return _("Un'altra operazione è in corso su questa casella: attendi il suo esito.")
    spec = OPERATIONS.get(running.kind)
    return _(
        "Un'altra operazione («%(op)s», richiesta il %(when)s) è in corso su questa casella: "
        "attendi il suo esito."
    ) % {
        "op": spec.label if spec else running.get_kind_display(),
        "when": date_format(timezone.localtime(running.created_at), "d/m/Y H:i"),
    }


def not_managed(casella: Casella) -> Verdict:
    """A box of another provider takes no operation: the portal only records it."""
    return Verdict(
        False,
        _(
            "Casella gestita da %(gestore)s, non tramite Openapi: rinnovi e modifiche si fanno "
            "presso il gestore."
        )
        % {"gestore": casella.get_gestore_display()},
    )


def in_states(casella: Casella, states, refusal: str) -> Verdict:
    """Is the box in one of ``states``? ``refusal`` names its state as ``%(stato)s``."""
    if casella.stato in states:
        return ALLOWED
    return Verdict(False, refusal % {"stato": state_label(casella)})


def active_legalmail(casella: Casella) -> Verdict:
    """The condition of the Legalmail-only operations: a Legalmail box, active."""
    if casella.tipo_casella not in LEGALMAIL:
        return Verdict(
            False,
            _("Operazione disponibile solo per le caselle Legalmail, non per %(tipo)s.")
            % {"tipo": casella.get_tipo_casella_display()},
        )
    return in_states(
        casella,
        (Stato.EVASA,),
        _("Operazione disponibile solo per caselle attive (questa è «%(stato)s»)."),
    )


def check(casella: Casella, kind: str, *, busy: bool | CasellaCall | None = None) -> Verdict:
    """May ``casella`` take operation ``kind`` now? ``busy``: the operation open on the box (or
    whether there is one), when the caller already knows."""
    spec = OPERATIONS.get(kind)
    if spec is None:
        return Verdict(False, _("Operazione sconosciuta."))
    if not casella.managed:
        return not_managed(casella)
    if not casella.remote_id:
        return Verdict(False, _("La casella non è ancora registrata presso Openapi."))
    if busy is None:
        busy = open_operation(casella) or False
    if busy:
        return Verdict(False, busy_reason(busy if isinstance(busy, CasellaCall) else None))
    return spec.allowed(casella)


def offered(casella: Casella) -> dict[str, Verdict]:
    """kind -> verdict for each operation (one query for the open-operation check)."""
    busy = open_operation(casella) or False
    return {kind: check(casella, kind, busy=busy) for kind in OPERATIONS}
