"""Applying Openapi's answer: what a GET /pec/{id} (a Casella) or a GET /pec item says of a box
is copied onto it here, the one place a box changes status, along the API's state graph."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from openapi_pec.types import Casella as RemoteCasella
from openapi_pec.types import CasellaSummary, Timestamps
from portal import history
from portal.history import Sentence
from portal.polling import set_next_poll

from ..models import Casella, Evento, Stato, TipoCasellaChoices, TipoEvento
from .notifications import notify_active, notify_form_waiting
from .retention import without_requester

#: Casella.timestamp's names (ts_<name> fields of the model).
TS_NAMES = ("registrazione", "ultima_modifica", "evasione", "scadenza", "revoca")
#: What summary_differs() compares, in its order.
SUMMARY_FIELDS = (
    "stato",
    "tipo_casella",
    "data_scadenza",
    "remote_id",
    *(f"ts_{n}" for n in TS_NAMES),
)
TIPI_CASELLA = frozenset(c for c, _l in TipoCasellaChoices.choices)
STATI = frozenset(Stato.values)

#: The moves Openapi's box state graph allows (openapi-notes.md §2): attivazione, processing,
#: re-upload, revoke, renew (which also reactivates a revoked box), closing.
FORWARD = {
    Stato.REGISTRATA: {Stato.IN_EVASIONE, Stato.REGISTRAZIONE_ANNULLATA},
    Stato.IN_EVASIONE: {Stato.EVASA, Stato.DOCUMENTI_ERRATI},
    Stato.DOCUMENTI_ERRATI: {Stato.IN_EVASIONE, Stato.REGISTRAZIONE_ANNULLATA},
    Stato.EVASA: {Stato.REVOCATA, Stato.CHIUSA},
    Stato.REVOCATA: {Stato.EVASA, Stato.CHIUSA},
    Stato.CHIUSA: {Stato.EVASA},
}


def _reachable(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    closure = {state: set(nexts) for state, nexts in graph.items()}
    changed = True
    while changed:
        changed = False
        for nexts in closure.values():
            more = set().union(*(closure.get(n, set()) for n in nexts)) - nexts
            if more:
                nexts |= more
                changed = True
    return closure


#: Where each state can lead, in one step or several (polling may miss the steps between).
REACHABLE = _reachable(FORWARD)


def _moves_forward(old: str, new: str) -> bool:
    """Can the API's graph lead from ``old`` to ``new``? Local states go anywhere; a state we
    do not know of is taken as it comes."""
    if old == new or old not in REACHABLE or new not in STATI:
        return True
    return new in REACHABLE[old]


def merge_remote(
    casella: Casella, payload: dict[str, Any], *, full: bool, now: dt.datetime
) -> dict[str, tuple[Any, Any]]:
    """Copy an Openapi Casella (``full``) or a GET /pec item onto ``casella`` in memory (no
    query). Returns {field: (old, new)} of what changed."""
    if full:
        remote = RemoteCasella.from_raw(payload)
        ts = remote.timestamp
    else:
        remote = CasellaSummary.from_raw(payload)
        ts = remote.timestamp
    changed: dict[str, tuple[Any, Any]] = {}
    # A snapshot older than what the box already shows (e.g. a GET /pec list read before the
    # last change and applied after it) is ignored; one of the same second may still move the
    # box only along the API's graph, never backwards.
    incoming = ts.ultima_modifica if isinstance(ts, Timestamps) else None
    known = casella.ts_ultima_modifica
    if incoming is not None and known is not None and incoming < known:
        return changed
    newer = incoming is not None and (known is None or incoming > known)

    def put(name: str, value: Any) -> None:
        old = getattr(casella, name)
        if old != value:
            changed[name] = (old, value)
            setattr(casella, name, value)

    if remote.id and casella.remote_id != remote.id:
        put("remote_id", remote.id)
    stato = str(remote.stato or "")
    if stato and stato in STATI and (newer or _moves_forward(casella.stato, stato)):
        put("stato", stato)
    if remote.tipo_casella and str(remote.tipo_casella) in TIPI_CASELLA:
        put("tipo_casella", str(remote.tipo_casella))
    if remote.data_scadenza or "data_scadenza" in payload:
        put("data_scadenza", remote.data_scadenza)
    if full:
        put("data_attivazione", remote.data_attivazione)
        for name in ("spazio_disco", "spazio_storico", "spazio_conservazione"):
            put(name, getattr(remote, name))
        put("conservazione", remote.conservazione)
        put("autorinnovo", remote.autorinnovo)
    if isinstance(ts, Timestamps):
        for name in TS_NAMES:
            value = getattr(ts, name)
            if value is not None:
                put(f"ts_{name}", value)
    if casella.stato == Stato.EVASA and casella.evasa_at is None:
        casella.evasa_at = now
    if full or not casella.last_payload:
        casella.last_payload = without_requester(payload)
    else:
        casella.last_payload = {**casella.last_payload, **without_requester(payload)}
    casella.last_synced_at = now
    casella.poll_failures = 0
    casella.last_error = ""
    return changed


def summary_differs(row: tuple, summary: CasellaSummary) -> bool:
    """Would a GET /pec item change a box? ``row`` is (stato, tipo_casella, data_scadenza,
    remote_id, *ts_fields) as in SUMMARY_FIELDS. Pure Python: no query, no save."""
    stato, tipo, scadenza, remote_id, *stamps = row
    if summary.id and summary.id != remote_id:
        return True
    new_stato = str(summary.stato or "")
    if new_stato and new_stato in STATI and new_stato != stato:
        return True
    new_tipo = str(summary.tipo_casella or "")
    if new_tipo and new_tipo in TIPI_CASELLA and new_tipo != tipo:
        return True
    if (summary.data_scadenza or "data_scadenza" in summary.raw) and (
        summary.data_scadenza != scadenza
    ):
        return True
    ts = summary.timestamp
    if isinstance(ts, Timestamps):
        for name, old in zip(TS_NAMES, stamps, strict=True):
            value = getattr(ts, name)
            if value is not None and value != old:
                return True
    return False


def apply_remote(
    casella: Casella,
    payload: dict[str, Any],
    *,
    full: bool,
    source: str = TipoEvento.SYNC,
    now: dt.datetime | None = None,
) -> list[str]:
    """Copy an Openapi Casella (``full``) or a GET /pec item onto ``casella`` and record what
    changed. The one place a box changes status. Returns the names of changed fields."""
    now = now or timezone.now()
    changed = merge_remote(casella, payload, full=full, now=now)
    event, notify = effects(casella, changed, source=source, now=now)
    casella.save()
    if event is not None:
        event.save()
    if notify:
        pk = casella.pk
        transaction.on_commit(lambda: notify_active(pk))
    if "stato" in changed and casella.stato in FORM_WAITING and not casella.importata:
        pk = casella.pk
        transaction.on_commit(lambda: notify_form_waiting(pk))
    return list(changed)


#: Statuses in which the signed form waits for the holder's accountant (told by e-mail).
FORM_WAITING = (Stato.REGISTRATA, Stato.DOCUMENTI_ERRATI)


STATUS_MESSAGES = {
    Stato.REGISTRATA: gettext_lazy(
        "Registrata presso Openapi: scarica il modulo, firmalo e caricalo "
        "con il documento d'identità."
    ),
    Stato.IN_EVASIONE: gettext_lazy("Documenti ricevuti da Openapi: attivazione in corso."),
    Stato.EVASA: gettext_lazy("La casella è attiva."),
    Stato.DOCUMENTI_ERRATI: gettext_lazy(
        "Openapi ha respinto i documenti: carica di nuovo il modulo "
        "firmato e il documento d'identità."
    ),
    Stato.REVOCATA: gettext_lazy("La casella è stata revocata."),
}


def effects(
    casella: Casella, changed: dict[str, tuple[Any, Any]], *, source: str, now: dt.datetime
) -> tuple[Evento | None, bool]:
    """What a change means, in memory: the history line to add (unsaved), the next poll (set
    on ``casella``), and whether to tell the registrant the box is active."""
    if "stato" in changed:
        old, new = changed["stato"][0], casella.stato
        message = Sentence(STATUS_MESSAGES[new]) if new in STATUS_MESSAGES else None
        message = message or Sentence(
            gettext_lazy("Nuovo stato: %(stato)s."),
            stato=Stato(new).label if new in Stato.values else new,
        )
        event = Evento(
            casella=casella,
            tipo=TipoEvento.STATO,
            **history.stored(message),
            da_stato=old,
            a_stato=new,
        )
        if new == Stato.IN_EVASIONE:
            set_next_poll(casella, reset=True, now=now)
        elif new != Stato.NUOVA:
            casella.next_poll_at, casella.poll_interval = None, 0
        notify = new == Stato.EVASA and old != Stato.EVASA and not casella.importata
        return event, notify
    interesting = {
        k: v for k, v in changed.items() if k in ("data_scadenza", "tipo_casella", "remote_id")
    }
    if interesting and source == TipoEvento.SYNC:
        event = Evento(
            casella=casella,
            tipo=TipoEvento.SYNC,
            **history.stored(
                Sentence(
                    gettext_lazy("Aggiornata da Openapi: %(fields)s."),
                    fields=[Casella._meta.get_field(k).verbose_name for k in interesting],
                )
            ),
            dati={k: [str(a), str(b)] for k, (a, b) in interesting.items()},
        )
        return event, False
    return None, False
