"""Operations on active boxes: renew, revoke, enlarge, legal preservation, upgrade, extra users.

Three layers, all here:

- the **rules** (which operation a box can take, per the spec; openapi-notes.md section 3):

  ============== ======================= ============= ===================================
  operation      call                    status        types / limits
  ============== ======================= ============= ===================================
  rinnovo        GET /pec/{id}/rinnovo   evasa,        every type; 1-5 years
                                         revocata
  revoca         DELETE /pec/{id}        evasa         every type; irreversible (the user
                                                       types the address to confirm)
  modifica       PATCH .../modifica      evasa         Legalmail; upgrades only; multiples
                                                       of 1024 MB (512 for preservation);
                                                       ABSOLUTE sizes are sent
  conservazione  PATCH .../conservazione evasa         Legalmail; not yet active; signed
                                                       form + ID document (PDF)
  trasformazione PATCH .../trasformazione evasa        Legalmail; upgrades only
  multiutenza    POST .../multiutenza    evasa         Legalmail; at most 25 users
  ============== ======================= ============= ===================================

- the **services** that record an intent (a :class:`CasellaCall` with the user's intent key, in
  the same transaction as the request; the task is enqueued after commit). A refused request
  raises ``ValidationError`` with an Italian message and changes nothing.
- the **call handlers** (portal/remote_calls.py): ``perform`` reads the box first and sends only
  if Openapi still allows it; ``confirm`` settles an unclear outcome by reading GET /pec/{id}.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from openapi_pec import errors, prices
from openapi_pec.types import LEGALMAIL_TYPES, TIPO_CASELLA_RANK, TipoCasella
from portal import private_files
from portal.history import Sentence
from portal.pdf import CheckedPdf
from portal.remote_calls import (
    OPEN_STATES,
    CallHandler,
    Confirmed,
    NotPerformed,
    Undecided,
    enqueue_on_commit,
    recorded_intent,
)

from . import services
from .models import (
    OPERATION_KINDS,
    CallKind,
    Casella,
    CasellaCall,
    Documento,
    Stato,
    TipoCasellaChoices,
    TipoDocumentoCaricato,
    TipoEvento,
)
from .remote import get_client

log = logging.getLogger(__name__)

MAX_USERS = 25
MAX_YEARS = 5
DISK_STEP = 1024
PRESERVATION_STEP = 512
#: Largest space (MB) one request may add, per field: a typo cannot cost a fortune.
MAX_ADD_MB = 20 * 1024
MAX_PRESERVATION_MB = 20 * 512

LEGALMAIL = {str(t) for t in LEGALMAIL_TYPES}

LABELS = {
    CallKind.RINNOVO: gettext_lazy("Rinnovo"),
    CallKind.REVOCA: gettext_lazy("Revoca"),
    CallKind.MODIFICA: gettext_lazy("Aumento spazio"),
    CallKind.CONSERVAZIONE: gettext_lazy("Conservazione a norma"),
    CallKind.TRASFORMAZIONE: gettext_lazy("Cambio tipo"),
    CallKind.MULTIUTENZA: gettext_lazy("Utente aggiuntivo"),
}


# =========================================================================== rules


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


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


def _state_label(casella: Casella) -> str:
    return casella.get_stato_display()


def busy_reason(running: CasellaCall | None) -> str:
    """Why a new operation is refused while another one runs: which one, since when."""
    if running is None:
        return _("Un'altra operazione è in corso su questa casella: attendi il suo esito.")
    return _(
        "Un'altra operazione («%(op)s», richiesta il %(when)s) è in corso su questa casella: "
        "attendi il suo esito."
    ) % {
        "op": LABELS.get(running.kind, running.get_kind_display()),
        "when": date_format(timezone.localtime(running.created_at), "d/m/Y H:i"),
    }


def check(casella: Casella, kind: str, *, busy: bool | CasellaCall | None = None) -> Verdict:
    """May ``casella`` take operation ``kind`` now? The same answer for the page (offer it or
    not) and for the service (refuse it if forced). ``busy``: the operation open on the box
    (or whether there is one), when the caller already knows."""
    if kind not in OPERATION_KINDS:
        return Verdict(False, _("Operazione sconosciuta."))
    if not casella.remote_id:
        return Verdict(False, _("La casella non è ancora registrata presso Openapi."))
    if busy is None:
        busy = open_operation(casella) or False
    if busy:
        return Verdict(False, busy_reason(busy if isinstance(busy, CasellaCall) else None))
    stato = casella.stato
    legalmail = casella.tipo_casella in LEGALMAIL
    if kind == CallKind.RINNOVO:
        if stato not in (Stato.EVASA, Stato.REVOCATA):
            return Verdict(
                False,
                _("Si rinnovano solo caselle attive o revocate (questa è «%(stato)s»).")
                % {"stato": _state_label(casella)},
            )
        return Verdict(True)
    if kind == CallKind.REVOCA:
        if stato != Stato.EVASA:
            return Verdict(
                False,
                _("Si revocano solo caselle attive (questa è «%(stato)s»).")
                % {"stato": _state_label(casella)},
            )
        return Verdict(True)
    # The Legalmail-only operations.
    if not legalmail:
        return Verdict(
            False,
            _("Operazione disponibile solo per le caselle Legalmail, non per %(tipo)s.")
            % {"tipo": casella.get_tipo_casella_display()},
        )
    if stato != Stato.EVASA:
        return Verdict(
            False,
            _("Operazione disponibile solo per caselle attive (questa è «%(stato)s»).")
            % {"stato": _state_label(casella)},
        )
    if kind == CallKind.MODIFICA:
        if casella.spazio_disco is None and casella.spazio_storico is None:
            return Verdict(False, _("Spazio attuale sconosciuto: aggiorna lo stato da Openapi."))
        return Verdict(True)
    if kind == CallKind.CONSERVAZIONE:
        if casella.conservazione:
            return Verdict(False, _("La conservazione a norma è già attiva."))
        return Verdict(True)
    if kind == CallKind.TRASFORMAZIONE:
        if not higher_types(casella.tipo_casella):
            return Verdict(False, _("La casella è già del tipo più alto (Gold)."))
        return Verdict(True)
    if kind == CallKind.MULTIUTENZA:
        if len(users_of(casella)) >= MAX_USERS:
            return Verdict(
                False, _("La casella ha già %(n)d utenti, il massimo.") % {"n": MAX_USERS}
            )
        return Verdict(True)
    return Verdict(False, _("Operazione sconosciuta."))


def offered(casella: Casella) -> dict[str, Verdict]:
    """kind -> verdict for each operation (one query for the open-operation check)."""
    busy = open_operation(casella) or False
    return {kind: check(casella, kind, busy=busy) for kind in OPERATION_KINDS}


# =========================================================================== prices


def renewal_price(tipo_casella: str, anni: int = 1) -> Decimal:
    return prices.price(prices.Operation.RINNOVO, tipo_casella, anni=anni)


def modifica_price(*, disco_mb: int = 0, storico_mb: int = 0, conservazione_mb: int = 0):
    return prices.price(
        prices.Operation.MODIFICA,
        disco_mb=disco_mb,
        storico_mb=storico_mb,
        conservazione_mb=conservazione_mb,
    )


def conservazione_price(spazio: int = PRESERVATION_STEP) -> Decimal:
    return prices.price(prices.Operation.CONSERVAZIONE, spazio_conservazione=spazio)


def trasformazione_price(da: str, a: str) -> Decimal:
    return prices.price(prices.Operation.TRASFORMAZIONE, a, da=da)


def multiutenza_price() -> Decimal:
    return prices.price(prices.Operation.MULTIUTENZA)


def is_assumed(kind: str, tipo: str = "") -> bool:
    """Is the price a placeholder (openapi_pec.prices.ASSUMED)?"""
    return kind in prices.ASSUMED or tipo in prices.ASSUMED


def euro(amount: Decimal | None) -> str:
    return number_format(amount or Decimal("0"), 2)


# =========================================================================== services


def _refuse(message: str, code: str = "refused") -> ValidationError:
    return ValidationError(message, code=code)


def recorded(casella: Casella, kind: str, intent_key: str) -> CasellaCall | None:
    """The intent of this confirmation if it was recorded already (a repeated submit)."""
    return recorded_intent(CasellaCall, intent_key, casella=casella, kind=kind)


def _recorded_for(casella: Casella, kind: str, intent_key: str) -> CasellaCall | None:
    """As :func:`recorded`; a key recorded for another box or operation is a forged or stale
    page, refused."""
    existing = recorded_intent(CasellaCall, intent_key)
    if existing and (existing.casella_id != casella.pk or existing.kind != kind):
        raise _refuse(_("Richiesta non valida: ricarica la pagina."), "intent")
    return existing


def _record_intent(
    *,
    casella: Casella,
    kind: str,
    params: dict[str, Any],
    price: Decimal | None,
    intent_key: str,
    user,
    message: Sentence,
    validate=None,
    before_create=None,
) -> CasellaCall:
    """The common path: same key -> same intent; lock the box, check the rules again, record
    the intent and its history line, enqueue the task after commit."""
    from . import tasks

    existing = _recorded_for(casella, kind, intent_key)
    if existing:
        return existing
    try:
        with transaction.atomic():
            locked = Casella.objects.select_for_update().get(pk=casella.pk)
            # A concurrent submit of the same confirmation may have recorded it while this one
            # waited for the lock: that intent is this request's, not "another operation".
            existing = _recorded_for(casella, kind, intent_key)
            if existing:
                return existing
            verdict = check(locked, kind)
            if not verdict:
                raise _refuse(verdict.reason, "state")
            if validate is not None:
                validate(locked)
            if before_create is not None:
                params = {**params, **before_create(locked)}
            call = CasellaCall.objects.create(
                casella=locked,
                kind=kind,
                intent_key=intent_key,
                params=params,
                price=price,
                requested_by=user,
            )
            services.record(
                locked,
                TipoEvento.OPERAZIONE,
                message,
                user=user,
                dati={"operazione": kind, "call": call.pk},
            )
            enqueue_on_commit(tasks.run_casella_call, call.pk)
    except IntegrityError:
        again = _recorded_for(casella, kind, intent_key)
        if again:
            return again
        raise _refuse(busy_reason(open_operation(casella)), "in_progress") from None
    return call


def _cost_text(price: Decimal | None) -> Sentence:
    if not price:
        return Sentence(gettext_lazy("nessun costo"))
    return Sentence(gettext_lazy("costo %(price)s € + IVA"), price=price)


def renew(*, casella: Casella, anni: int, intent_key: str, user) -> CasellaCall:
    """GET /pec/{id}/rinnovo?anni=N, once. The expiry date seen now is recorded: the renewal is
    confirmed when Openapi shows a later one."""
    if same := _recorded_for(casella, CallKind.RINNOVO, intent_key):
        return same  # a repeated submit: its values were checked when it was recorded
    try:
        anni = int(anni)
    except (TypeError, ValueError):
        anni = 0
    if not 1 <= anni <= MAX_YEARS:
        raise _refuse(_("Scegli da 1 a %(max)d anni.") % {"max": MAX_YEARS}, "anni")
    price = renewal_price(casella.tipo_casella, anni)
    return _record_intent(
        casella=casella,
        kind=CallKind.RINNOVO,
        params={"anni": anni},
        price=price,
        intent_key=intent_key,
        user=user,
        message=Sentence(
            ngettext_lazy(
                "Rinnovo di %(n)d anno richiesto (%(cost)s).",
                "Rinnovo di %(n)d anni richiesto (%(cost)s).",
                "n",
            ),
            n=anni,
            cost=_cost_text(price),
        ),
        before_create=lambda c: {
            "scadenza_prima": c.data_scadenza.isoformat() if c.data_scadenza else None,
            "stato_prima": c.stato,
        },
    )


def revoke(*, casella: Casella, conferma: str, intent_key: str, user) -> CasellaCall:
    """DELETE /pec/{id}, once; irreversible: ``conferma`` must be the box's address."""
    if same := _recorded_for(casella, CallKind.REVOCA, intent_key):
        return same  # a repeated submit: its values were checked when it was recorded
    if (conferma or "").strip().lower() != casella.casella_pec.lower():
        raise _refuse(
            _("Per confermare la revoca scrivi esattamente l'indirizzo %(address)s.")
            % {"address": casella.casella_pec},
            "conferma",
        )
    return _record_intent(
        casella=casella,
        kind=CallKind.REVOCA,
        params={},
        price=None,
        intent_key=intent_key,
        user=user,
        message=Sentence(gettext_lazy("Revoca richiesta (irreversibile).")),
    )


def modifica_targets(
    casella: Casella, *, disco_add: int = 0, storico_add: int = 0, conservazione_add: int = 0
) -> dict[str, int]:
    """The ABSOLUTE sizes to send for the space to add (validated; raises ValidationError)."""
    out: dict[str, int] = {}
    for name, add, step, cap, current in (
        ("spazio_disco", disco_add, DISK_STEP, MAX_ADD_MB, casella.spazio_disco),
        ("spazio_storico", storico_add, DISK_STEP, MAX_ADD_MB, casella.spazio_storico),
        (
            "spazio_conservazione",
            conservazione_add,
            PRESERVATION_STEP,
            MAX_PRESERVATION_MB,
            casella.spazio_conservazione,
        ),
    ):
        try:
            add = int(add or 0)
        except (TypeError, ValueError):
            raise _refuse(_("Spazio non valido."), "size") from None
        if add == 0:
            continue
        if add < 0:
            raise _refuse(_("Si può solo aumentare lo spazio, non ridurlo."), "size")
        if add % step:
            raise _refuse(
                _("Lo spazio si aggiunge a multipli di %(step)d MB.") % {"step": step}, "size"
            )
        if add > cap:
            raise _refuse(
                _("Al massimo %(max)d MB per richiesta.") % {"max": cap},
                "size",
            )
        if name == "spazio_conservazione" and not casella.conservazione:
            raise _refuse(_("Attiva prima la conservazione a norma."), "size")
        out[name] = int(current or 0) + add
    if not out:
        raise _refuse(_("Indica quanto spazio aggiungere."), "size")
    return out


def enlarge(
    *,
    casella: Casella,
    disco_add: int = 0,
    storico_add: int = 0,
    conservazione_add: int = 0,
    intent_key: str,
    user,
) -> CasellaCall:
    """PATCH /pec/{id}/modifica with ABSOLUTE sizes (current + added, computed now), so a repeat
    can never add twice."""
    if same := _recorded_for(casella, CallKind.MODIFICA, intent_key):
        return same  # a repeated submit: its values were checked when it was recorded

    def compute(locked: Casella) -> dict[str, Any]:
        targets = modifica_targets(
            locked,
            disco_add=disco_add,
            storico_add=storico_add,
            conservazione_add=conservazione_add,
        )
        added = {k: v - int(getattr(locked, k) or 0) for k, v in targets.items()}
        return {"targets": targets, "added": added}

    # Validate before taking the lock too, for the price in the intent's history line.
    targets = modifica_targets(
        casella, disco_add=disco_add, storico_add=storico_add, conservazione_add=conservazione_add
    )
    added = {k: v - int(getattr(casella, k) or 0) for k, v in targets.items()}
    price = modifica_price(
        disco_mb=added.get("spazio_disco", 0),
        storico_mb=added.get("spazio_storico", 0),
        conservazione_mb=added.get("spazio_conservazione", 0),
    )
    return _record_intent(
        casella=casella,
        kind=CallKind.MODIFICA,
        params={},
        price=price,
        intent_key=intent_key,
        user=user,
        message=Sentence(
            gettext_lazy("Aumento di spazio richiesto: %(what)s (%(cost)s)."),
            what=describe_sizes(targets),
            cost=_cost_text(price),
        ),
        before_create=compute,
    )


SIZE_LABELS = {
    "spazio_disco": gettext_lazy("spazio casella"),
    "spazio_storico": gettext_lazy("spazio archivio"),
    "spazio_conservazione": gettext_lazy("spazio conservazione"),
}


def describe_sizes(targets: dict[str, int]) -> list[Sentence]:
    return [
        Sentence(gettext_lazy("%(what)s %(mb)d MB"), what=SIZE_LABELS[k], mb=v)
        for k, v in targets.items()
    ]


def enable_preservation(
    *,
    casella: Casella,
    modulo: CheckedPdf,
    identita: CheckedPdf,
    spazio: int = PRESERVATION_STEP,
    intent_key: str,
    user,
) -> CasellaCall:
    """Store the signed preservation form and the ID document, then PATCH /pec/{id}/conservazione
    once. The ID document is deleted once Openapi has it (or the request failed)."""
    if same := _recorded_for(casella, CallKind.CONSERVAZIONE, intent_key):
        return same  # a repeated submit: its values were checked when it was recorded
    try:
        spazio = int(spazio)
    except (TypeError, ValueError):
        spazio = 0
    if spazio <= 0 or spazio % PRESERVATION_STEP or spazio > MAX_PRESERVATION_MB:
        raise _refuse(
            _("Lo spazio di conservazione va da 512 a %(max)d MB, a multipli di 512.")
            % {"max": MAX_PRESERVATION_MB},
            "size",
        )
    if modulo is None or identita is None:
        raise _refuse(_("Servono il modulo firmato e il documento d'identità."), "documents")
    if modulo.sha256 == identita.sha256:
        raise _refuse(
            _("Hai caricato due volte lo stesso file: servono il modulo e il documento."),
            "same_file",
        )
    price = conservazione_price(spazio)

    def store(locked: Casella) -> dict[str, Any]:
        docs = [
            services.store_document(
                written, locked, tipo, pdf.content, pdf.pages, pdf.sha256, pdf.name, user=user
            )
            for tipo, pdf in (
                (TipoDocumentoCaricato.MODULO_CONSERVAZIONE, modulo),
                (TipoDocumentoCaricato.IDENTITA_CONSERVAZIONE, identita),
            )
        ]
        return {"documenti": [d.pk for d in docs]}

    # A failure after a file was written (full disk, database) deletes it and says so.
    with private_files.uploading() as written:
        return _record_intent(
            casella=casella,
            kind=CallKind.CONSERVAZIONE,
            params={"spazio_conservazione": spazio},
            price=price,
            intent_key=intent_key,
            user=user,
            message=Sentence(
                gettext_lazy(
                    "Attivazione della conservazione a norma richiesta, %(mb)d MB (%(cost)s)."
                ),
                mb=spazio,
                cost=_cost_text(price),
            ),
            before_create=store,
        )


def upgrade(*, casella: Casella, tipo: str, intent_key: str, user) -> CasellaCall:
    """PATCH /pec/{id}/trasformazione to a higher Legalmail type, once."""
    if same := _recorded_for(casella, CallKind.TRASFORMAZIONE, intent_key):
        return same  # a repeated submit: its values were checked when it was recorded
    tipo = (tipo or "").upper()
    if tipo not in higher_types(casella.tipo_casella):
        if casella.tipo_casella in LEGALMAIL and tipo in LEGALMAIL:
            raise _refuse(
                _("Si può solo passare a un tipo superiore: %(tipi)s.")
                % {
                    "tipi": ", ".join(higher_types(casella.tipo_casella))
                    or _("nessuno disponibile")
                },
                "tipo",
            )
        verdict = check(casella, CallKind.TRASFORMAZIONE)
        raise _refuse(verdict.reason if not verdict else _("Tipo non valido."), "tipo")
    price = trasformazione_price(casella.tipo_casella, tipo)
    return _record_intent(
        casella=casella,
        kind=CallKind.TRASFORMAZIONE,
        params={"a": tipo},
        price=price,
        intent_key=intent_key,
        user=user,
        message=Sentence(
            gettext_lazy("Passaggio a %(tipo)s richiesto (%(cost)s)."),
            tipo=TipoCasellaChoices(tipo).label,
            cost=_cost_text(price),
        ),
        before_create=lambda c: {"da": c.tipo_casella},
    )


def add_user(
    *,
    casella: Casella,
    nome: str,
    cognome: str,
    descrizione: str,
    email_gestione_password: str,
    intent_key: str,
    user,
) -> CasellaCall:
    """POST /pec/{id}/multiutenza, once (at most 25 users)."""
    if same := _recorded_for(casella, CallKind.MULTIUTENZA, intent_key):
        return same  # a repeated submit: its values were checked when it was recorded
    from django.core.validators import validate_email

    values = {
        "nome": (nome or "").strip(),
        "cognome": (cognome or "").strip(),
        "descrizione": (descrizione or "").strip(),
        "email_gestione_password": (email_gestione_password or "").strip().lower(),
    }
    if not all(values.values()):
        raise _refuse(
            _("Nome, cognome, descrizione ed e-mail per la password sono obbligatori."), "fields"
        )
    try:
        validate_email(values["email_gestione_password"])
    except ValidationError:
        raise _refuse(_("L'e-mail per la password non è valida."), "email") from None
    price = multiutenza_price()
    return _record_intent(
        casella=casella,
        kind=CallKind.MULTIUTENZA,
        params=values,
        price=price,
        intent_key=intent_key,
        user=user,
        message=Sentence(
            gettext_lazy("Utente aggiuntivo %(nome)s %(cognome)s richiesto (%(cost)s)."),
            nome=values["nome"],
            cognome=values["cognome"],
            cost=_cost_text(price),
        ),
    )


# =========================================================================== the call handlers


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
        return Sentence(gettext_lazy("Operazione «%(op)s» eseguita."), op=LABELS[self.kind])

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
                services.apply_remote(locked, current.raw, full=True)
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
            services.apply_remote(casella, result, full=True, source=TipoEvento.OPERAZIONE)
        services.record(
            casella,
            TipoEvento.OPERAZIONE,
            self.done_message(call, casella),
            user=call.requested_by,
            dati={"operazione": self.kind, "call": call.pk},
        )

    def on_failed(self, call: CasellaCall, error: errors.OpenapiError | None) -> None:
        casella = Casella.objects.get(pk=call.casella_id)
        message = call.last_error or (error.message if error else "")
        services.record(
            casella,
            TipoEvento.ERRORE,
            Sentence(
                gettext_lazy("Operazione «%(op)s» non riuscita: %(msg)s"),
                op=LABELS[self.kind],
                msg=message,
            ),
            dati={
                "operazione": self.kind,
                "http_status": call.http_status,
                "error": call.error_code,
            },
        )
        services.notify_failure(call, message, credit=isinstance(error, errors.InsufficientCredit))


def _not_allowed(message: str) -> errors.PreconditionFailed:
    return errors.PreconditionFailed(None, message)


def _remote_stato(current) -> str:
    return str(current.stato or "")


class RinnovoHandler(OperationHandler):
    """Confirmed when Openapi's data_scadenza moved past the one recorded before sending."""

    kind = CallKind.RINNOVO

    def precheck(self, call, current):
        if _remote_stato(current) not in (Stato.EVASA, Stato.REVOCATA):
            raise _not_allowed(
                _("Rinnovo non inviato: per Openapi la casella è «%(stato)s».")
                % {"stato": _remote_stato(current)}
            )
        # The baseline for settling an unclear outcome is Openapi's own date, just before
        # sending (the mirror may be behind, e.g. after an automatic renewal).
        params = {
            **call.params,
            "scadenza_prima": current.data_scadenza.isoformat() if current.data_scadenza else None,
            "stato_prima": _remote_stato(current),
        }
        CasellaCall.objects.filter(pk=call.pk).update(params=params)
        call.params = params

    def send(self, client, call, casella):
        return client.rinnovo(casella.remote_id, int(call.params.get("anni", 1)))

    def reached(self, call, current) -> bool:
        before = call.params.get("scadenza_prima")
        after = current.data_scadenza
        if after is None:
            return False
        if not before:
            return True  # an expiry date appeared where there was none
        return after > dt.date.fromisoformat(before)

    def done_message(self, call, casella):
        return Sentence(
            ngettext_lazy(
                "Rinnovata per %(n)d anno: nuova scadenza %(d)s.",
                "Rinnovata per %(n)d anni: nuova scadenza %(d)s.",
                "n",
            ),
            n=int(call.params.get("anni", 1)),
            d=casella.data_scadenza or "—",
        )


class RevocaHandler(OperationHandler):
    """Confirmed when Openapi shows the box revoked."""

    kind = CallKind.REVOCA

    def precheck(self, call, current):
        if _remote_stato(current) != Stato.EVASA:
            raise _not_allowed(
                _("Revoca non inviata: per Openapi la casella è «%(stato)s».")
                % {"stato": _remote_stato(current)}
            )

    def send(self, client, call, casella):
        return client.revoke_casella(casella.remote_id)

    def reached(self, call, current) -> bool:
        return _remote_stato(current) == Stato.REVOCATA

    def done_message(self, call, casella):
        return Sentence(gettext_lazy("Revoca eseguita."))


class ModificaHandler(OperationHandler):
    """Absolute sizes; confirmed when every size reached its target."""

    kind = CallKind.MODIFICA

    def _targets(self, call) -> dict[str, int]:
        return {k: int(v) for k, v in (call.params.get("targets") or {}).items()}

    def precheck(self, call, current):
        if str(current.tipo_casella) not in LEGALMAIL:
            raise _not_allowed(_("Aumento di spazio non disponibile per questo tipo di casella."))
        if _remote_stato(current) != Stato.EVASA:
            raise _not_allowed(
                _("Aumento di spazio non inviato: per Openapi la casella è «%(stato)s».")
                % {"stato": _remote_stato(current)}
            )
        if self.reached(call, current):
            raise _not_allowed(
                _("Openapi mostra già lo spazio richiesto: nessuna modifica inviata, nessun costo.")
            )

    def send(self, client, call, casella):
        return client.modifica(casella.remote_id, **self._targets(call))

    def reached(self, call, current) -> bool:
        targets = self._targets(call)
        return bool(targets) and all((getattr(current, k) or 0) >= v for k, v in targets.items())

    def done_message(self, call, casella):
        return Sentence(
            gettext_lazy("Spazio aumentato: %(what)s."), what=describe_sizes(self._targets(call))
        )


class ConservazioneHandler(OperationHandler):
    """Confirmed when Openapi shows conservazione active. The ID document is deleted once the
    call is over (Openapi keeps its own copy)."""

    kind = CallKind.CONSERVAZIONE

    def precheck(self, call, current):
        if str(current.tipo_casella) not in LEGALMAIL:
            raise _not_allowed(_("Conservazione non disponibile per questo tipo di casella."))
        if current.conservazione:
            raise _not_allowed(_("Per Openapi la conservazione a norma è già attiva."))
        if _remote_stato(current) != Stato.EVASA:
            raise _not_allowed(
                _("Conservazione non inviata: per Openapi la casella è «%(stato)s».")
                % {"stato": _remote_stato(current)}
            )

    def send(self, client, call, casella):
        documents = services.documents_for_call(call)
        return client.conservazione(
            casella.remote_id,
            documents,
            spazio_conservazione=int(call.params.get("spazio_conservazione", PRESERVATION_STEP)),
        )

    def reached(self, call, current) -> bool:
        return bool(current.conservazione)

    def done_message(self, call, casella):
        return Sentence(
            gettext_lazy("Conservazione a norma attiva (%(mb)s MB)."),
            mb=casella.spazio_conservazione or call.params.get("spazio_conservazione"),
        )

    def apply(self, call, result):
        super().apply(call, result)
        now = timezone.now()
        Documento.objects.filter(pk__in=call.params.get("documenti", [])).update(sent_at=now)
        transaction.on_commit(lambda: purge_preservation_identity(call.pk))

    def on_failed(self, call, error):
        super().on_failed(call, error)
        purge_preservation_identity(call.pk)


class TrasformazioneHandler(OperationHandler):
    """Confirmed when Openapi shows the target type (or a higher one)."""

    kind = CallKind.TRASFORMAZIONE

    def precheck(self, call, current):
        target = call.params.get("a", "")
        if _remote_stato(current) != Stato.EVASA:
            raise _not_allowed(
                _("Cambio tipo non inviato: per Openapi la casella è «%(stato)s».")
                % {"stato": _remote_stato(current)}
            )
        if not prices.is_upgrade(str(current.tipo_casella), target):
            raise _not_allowed(
                _("Cambio tipo non inviato: per Openapi la casella è già %(tipo)s.")
                % {"tipo": current.tipo_casella}
            )

    def send(self, client, call, casella):
        return client.trasformazione(casella.remote_id, call.params["a"])

    def reached(self, call, current) -> bool:
        target = call.params.get("a", "")
        tipo = str(current.tipo_casella)
        return tipo == target or prices.is_upgrade(target, tipo)

    def done_message(self, call, casella):
        tipo = casella.tipo_casella
        return Sentence(
            gettext_lazy("La casella ora è %(tipo)s."),
            tipo=TipoCasellaChoices(tipo).label if tipo in TipoCasellaChoices.values else tipo,
        )


def _matching_users(call, current) -> int:
    p = call.params
    return sum(
        1
        for u in current.multiutenza
        if u.email_gestione_password.lower() == p.get("email_gestione_password", "")
        and u.nome.strip().lower() == p.get("nome", "").lower()
        and u.cognome.strip().lower() == p.get("cognome", "").lower()
    )


class MultiutenzaHandler(OperationHandler):
    """Confirmed when Openapi lists one more user with these name and e-mail than before."""

    kind = CallKind.MULTIUTENZA

    def precheck(self, call, current):
        if str(current.tipo_casella) not in LEGALMAIL:
            raise _not_allowed(_("Utenti aggiuntivi non disponibili per questo tipo di casella."))
        if len(current.multiutenza) >= MAX_USERS:
            raise _not_allowed(
                _("Utente non aggiunto: la casella ha già %(n)d utenti.") % {"n": MAX_USERS}
            )
        params = {**call.params, "presenti_prima": _matching_users(call, current)}
        CasellaCall.objects.filter(pk=call.pk).update(params=params)
        call.params = params

    def send(self, client, call, casella):
        p = call.params
        return client.multiutenza(
            casella.remote_id,
            nome=p["nome"],
            cognome=p["cognome"],
            descrizione=p["descrizione"],
            email_gestione_password=p["email_gestione_password"],
        )

    def reached(self, call, current) -> bool:
        return _matching_users(call, current) > int(call.params.get("presenti_prima", 0))

    def done_message(self, call, casella):
        return Sentence(
            gettext_lazy("Utente aggiuntivo %(nome)s %(cognome)s creato."),
            nome=call.params.get("nome", ""),
            cognome=call.params.get("cognome", ""),
        )


HANDLERS: dict[str, CallHandler] = {
    CallKind.RINNOVO: RinnovoHandler(),
    CallKind.REVOCA: RevocaHandler(),
    CallKind.MODIFICA: ModificaHandler(),
    CallKind.CONSERVAZIONE: ConservazioneHandler(),
    CallKind.TRASFORMAZIONE: TrasformazioneHandler(),
    CallKind.MULTIUTENZA: MultiutenzaHandler(),
}


# =========================================================================== documents


def purge_preservation_identity(call_pk: int) -> int:
    """Delete the ID document of a finished preservation request (Openapi has it, or the
    request failed and a new one needs a new upload). Returns how many files were deleted."""
    call = CasellaCall.objects.filter(pk=call_pk).select_related("casella").first()
    if call is None or call.is_open:
        return 0
    now = timezone.now()
    count = 0
    docs = Documento.objects.filter(
        pk__in=call.params.get("documenti", []),
        tipo=TipoDocumentoCaricato.IDENTITA_CONSERVAZIONE,
        deleted_at__isnull=True,
    )
    for doc in docs:
        if doc.file.name:
            doc.file.storage.delete(doc.file.name)
        Documento.objects.filter(pk=doc.pk).update(
            file="",
            deleted_at=now,
            deleted_reason=_("Richiesta di conservazione conclusa."),
        )
        services.record(
            call.casella,
            TipoEvento.ELIMINAZIONE,
            Sentence(
                gettext_lazy("Eliminato il documento d'identità della richiesta di conservazione.")
            ),
        )
        count += 1
    return count


def purge_finished_preservation_documents() -> int:
    """Safety net for the periodic purge: ID documents of preservation requests that ended
    (e.g. a worker died between the answer and the deletion)."""
    pks = set()
    for call in CasellaCall.objects.filter(kind=CallKind.CONSERVAZIONE).exclude(
        state__in=OPEN_STATES
    ):
        if Documento.objects.filter(
            pk__in=call.params.get("documenti", []),
            tipo=TipoDocumentoCaricato.IDENTITA_CONSERVAZIONE,
            deleted_at__isnull=True,
        ).exists():
            pks.add(call.pk)
    return sum(purge_preservation_identity(pk) for pk in pks)


__all__ = [
    "HANDLERS",
    "LABELS",
    "Verdict",
    "add_user",
    "check",
    "enable_preservation",
    "enlarge",
    "offered",
    "renew",
    "revoke",
    "upgrade",
]
