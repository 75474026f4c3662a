"""Writes of the mailboxes app: registration and activation intents, the mirror of Openapi's
boxes (one place where a box changes status), polling, sync and the purge of ID documents.

Views and tasks call these with keyword arguments; nothing here renders or parses HTTP.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles
from openapi_pec import domains, errors, prices
from openapi_pec.types import (
    Callback,
    CasellaSummary,
    RegistrationRequest,
    Timestamps,
    parse_date,
)
from openapi_pec.types import Casella as RemoteCasella
from portal import history, private_files
from portal.history import Sentence
from portal.pdf import CheckedPdf, merge_pdfs
from portal.remote_calls import OPEN_STATES, CallState, enqueue_on_commit, recorded_intent

from .models import (
    ACTIVATABLE,
    CallKind,
    Casella,
    CasellaCall,
    Documento,
    Evento,
    Richiedente,
    Stato,
    TipoCasellaChoices,
    TipoDocumentoCaricato,
    TipoEvento,
    Titolare,
)
from .remote import get_client, is_sandbox

log = logging.getLogger(__name__)

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


POLL_LOCK_KEY = "mailboxes:poll-lock"

#: Polling: first interval, growth factor, ceiling (seconds).
POLL_MIN = float(getattr(settings, "MAILBOX_POLL_MIN_SECONDS", 2.0))
POLL_FACTOR = 2.0
POLL_MAX = float(getattr(settings, "MAILBOX_POLL_MAX_SECONDS", 600.0))
#: From this many due boxes, one GET /pec refreshes them all.
POLL_BULK_THRESHOLD = int(getattr(settings, "MAILBOX_POLL_BULK_THRESHOLD", 3))
#: A claimed poll is retried after this long if its worker died.
POLL_LEASE = dt.timedelta(seconds=60)
#: At most this many boxes per polling cycle (one GET /pec serves them all).
POLL_CLAIM_MAX = int(getattr(settings, "MAILBOX_POLL_CLAIM_MAX", 20000))
#: While callbacks arrive, a box that asked for them is polled at most this often.
CALLBACK_POLL_SECONDS = float(getattr(settings, "MAILBOX_CALLBACK_POLL_SECONDS", 300.0))
CALLBACKS_ALIVE_KEY = "mailboxes:callbacks-alive"
CALLBACKS_ALIVE_SECONDS = 3600
#: A callback's read stays queued (further callbacks for the box queue nothing) this long at
#: most: if its task were lost, a callback after this queues a new one.
REFRESH_QUEUED_SECONDS = 120
#: A callback's read holds the box's "running" mark this long at most (a worker killed
#: mid-read does not block the box).
REFRESH_RUNNING_SECONDS = 2 * float(getattr(settings, "OPENAPI_TIMEOUT", 20.0)) + 10
#: Sync: boxes compared per batch; up to IMPORT_FULL_MAX new boxes are read in full.
SYNC_BATCH = 2000
IMPORT_FULL_MAX = 20
SYNC_ALWAYS_FIELDS = (
    "last_payload",
    "last_synced_at",
    "updated_at",
    "attempts",
    "last_error",
    "evasa_at",
    "next_poll_at",
    "poll_interval",
)


# --------------------------------------------------------------------------- address check


@dataclass(frozen=True)
class AddressCheck:
    ok: bool
    message: str
    field: str = "casella_pec"


def expected_domain(tipo_casella: str) -> str:
    return domains.expected_domain(tipo_casella, is_sandbox())


def check_address(*, tipo_casella: str, address: str, use_cache: bool = True) -> AddressCheck:
    """The domain rule for the type, a custom domain through domini_pec, then verifica_pec."""
    from django.core.validators import validate_email

    address = (address or "").strip().lower()
    if not address:
        return AddressCheck(False, _("Scrivi l'indirizzo della casella."))
    try:
        validate_email(address)
    except ValidationError:
        return AddressCheck(False, _("Non è un indirizzo e-mail valido."))
    if not tipo_casella:
        return AddressCheck(False, _("Scegli prima il tipo di casella."), "tipo_casella")
    local, domain = address.split("@", 1)
    expected = expected_domain(tipo_casella)
    if len(local) < 3:
        return AddressCheck(False, _("Il nome della casella (prima di @) ha almeno 3 caratteri."))
    if Casella.objects.filter(casella_pec=address).exclude(stato=Stato.NON_REGISTRATA).exists():
        return AddressCheck(False, _("Questo indirizzo è già registrato nel portale."))
    key = f"mailboxes:check:{tipo_casella}:{address}"
    if use_cache and (hit := cache.get(key)) is not None:
        return AddressCheck(*hit)
    client = get_client()
    try:
        if domain != expected:
            found = client.domini_pec(domain).found
            if not found:
                result = AddressCheck(
                    False,
                    _(
                        "Per una casella %(tipo)s l'indirizzo deve finire in @%(domain)s, "
                        "oppure usare un dominio certificato del tuo account: %(custom)s non lo è."
                    )
                    % {"tipo": tipo_casella, "domain": expected, "custom": domain},
                )
                cache.set(key, (result.ok, result.message, result.field), 60)
                return result
        available = client.verifica_pec(address)
    except errors.TransientError:
        return AddressCheck(False, _("Openapi non risponde: riprova tra poco."))
    except errors.OpenapiError as exc:
        return AddressCheck(
            False, _("Openapi rifiuta l'indirizzo: %(msg)s") % {"msg": exc.message or exc.status}
        )
    if available:
        result = AddressCheck(True, _("%(address)s è disponibile.") % {"address": address})
    else:
        result = AddressCheck(False, _("%(address)s è già occupato.") % {"address": address})
    cache.set(key, (result.ok, result.message, result.field), 30)
    return result


# --------------------------------------------------------------------------- history


def record(
    casella: Casella,
    tipo: str,
    messaggio: Sentence | str = "",
    *,
    da: str = "",
    a: str = "",
    user=None,
    dati: dict | None = None,
) -> Evento:
    return Evento.objects.create(
        casella=casella,
        tipo=tipo,
        **history.stored(messaggio),
        da_stato=da,
        a_stato=a,
        user=user,
        dati=dati or {},
    )


# --------------------------------------------------------------------------- registration


def registration_price(tipo_casella: str):
    return prices.price(prices.Operation.REGISTRAZIONE, tipo_casella)


def register_casella(**kwargs) -> Casella:
    """:func:`request_registration`, for callers that want the box."""
    return request_registration(**kwargs).casella


def registration_intent(intent_key: str) -> CasellaCall | None:
    """The registration recorded under ``intent_key`` (a repeated confirmation), or None."""
    return recorded_intent(
        CasellaCall, intent_key, related=("casella",), kind=CallKind.REGISTRAZIONE
    )


def request_registration(
    *,
    titolare: Titolare,
    tipo_casella: str,
    casella_pec: str,
    richiedente: dict[str, Any],
    autorinnovo: bool,
    intent_key: str,
    user,
) -> CasellaCall:
    """Record the box, its requester and the registration intent in one transaction; the task
    that sends POST /pec is enqueued after commit. A repeated intent_key returns the intent
    recorded first (``repeated``), whatever the order in which concurrent submits arrive."""
    from . import tasks

    address = casella_pec.strip().lower()
    existing = registration_intent(intent_key)
    if existing:
        return existing
    try:
        with transaction.atomic():
            casella = Casella.objects.create(
                titolare=titolare,
                casella_pec=address,
                tipo_casella=tipo_casella,
                stato=Stato.NUOVA,
                autorinnovo=autorinnovo,
                registered_by=user,
            )
            Richiedente.objects.create(casella=casella, **richiedente)
            call = CasellaCall.objects.create(
                casella=casella,
                kind=CallKind.REGISTRAZIONE,
                intent_key=intent_key,
                params={"casella_pec": address, "tipo_casella": tipo_casella},
                price=registration_price(tipo_casella),
                requested_by=user,
            )
            record(
                casella,
                TipoEvento.REGISTRAZIONE,
                Sentence(
                    gettext_lazy("Registrazione richiesta (costo %(price)s €)."), price=call.price
                ),
                a=Stato.NUOVA,
                user=user,
            )
            enqueue_on_commit(tasks.run_casella_call, call.pk)
    except IntegrityError:
        # The same address, or this very intent, recorded by a concurrent submit.
        again = registration_intent(intent_key)
        if again:
            return again
        raise ValidationError(
            _("L'indirizzo %(address)s è già registrato nel portale.") % {"address": address},
            code="duplicate",
        ) from None
    return call


def retry_registration(*, casella: Casella, intent_key: str, user) -> CasellaCall:
    """A refused registration, tried again (a new intent, charged again if it succeeds)."""
    from . import tasks

    existing = registration_intent(intent_key)
    if existing:
        return existing
    try:
        with transaction.atomic():
            casella = Casella.objects.select_for_update().get(pk=casella.pk)
            # A concurrent submit of the same button may have recorded it while this one
            # waited for the lock (the box is no longer non_registrata because of it).
            existing = registration_intent(intent_key)
            if existing:
                return existing
            if casella.stato != Stato.NON_REGISTRATA:
                raise ValidationError(
                    _("Solo una registrazione non riuscita si può riprovare."), code="state"
                )
            casella.stato = Stato.NUOVA
            casella.last_error = ""
            casella.save(update_fields=["stato", "last_error", "updated_at"])
            call = CasellaCall.objects.create(
                casella=casella,
                kind=CallKind.REGISTRAZIONE,
                intent_key=intent_key,
                params={"casella_pec": casella.casella_pec, "tipo_casella": casella.tipo_casella},
                price=registration_price(casella.tipo_casella),
                requested_by=user,
            )
            record(
                casella,
                TipoEvento.REGISTRAZIONE,
                Sentence(
                    gettext_lazy("Registrazione richiesta di nuovo (costo %(price)s €)."),
                    price=call.price,
                ),
                da=Stato.NON_REGISTRATA,
                a=Stato.NUOVA,
                user=user,
            )
            enqueue_on_commit(tasks.run_casella_call, call.pk)
    except IntegrityError:
        again = registration_intent(intent_key)
        if again:
            return again
        raise ValidationError(
            _("L'indirizzo %(address)s è già registrato nel portale.")
            % {"address": casella.casella_pec},
            code="duplicate",
        ) from None
    return call


# --------------------------------------------------------------------------- callbacks


def public_url() -> str:
    """Where Openapi can reach the portal (callbacks are asked for only when it is set)."""
    return str(settings.PORTAL_PUBLIC_URL).rstrip("/")


def callback_token(casella_pk: int) -> str:
    """The box's callback secret: an HMAC of its pk under SECRET_KEY (nothing stored; a call
    without it is refused; with it, a caller can at most make the portal re-read the box)."""
    return salted_hmac("mailboxes.callback", str(casella_pk), algorithm="sha256").hexdigest()[:40]


def check_callback_token(casella_pk: int, token: str) -> bool:
    return constant_time_compare(callback_token(casella_pk), token or "")


def callback_for(casella: Casella) -> Callback | None:
    base = public_url()
    if not base:
        return None
    path = reverse("mailboxes:casella_callback", args=[casella.pk, callback_token(casella.pk)])
    return Callback(url=base + path, field="data", method="POST", data={"casella": casella.pk})


def claimed_state(payload: Any) -> tuple[str, int | None] | None:
    """(stato, timestamp.ultima_modifica) as a callback's payload claims them, if it does."""
    if not isinstance(payload, dict):
        return None
    ts = payload.get("timestamp")
    changed = ts.get("ultima_modifica") if isinstance(ts, dict) else None
    stato = payload.get("stato")
    if not isinstance(stato, str):
        return None
    return stato, changed if isinstance(changed, int) else None


def handle_callback(
    casella_pk: int, *, claimed: tuple[str, int | None] | None = None, now=None
) -> bool | None:
    """Openapi says the box changed: queue a read of it (GET /pec/{id}, by a worker: the web
    request makes no Openapi call) whose answer is applied as any other; the payload is
    trusted for nothing. It is only used to skip the read when it claims exactly what the
    portal already has (same status, same last change): such a callback could change nothing.
    Returns whether a read was asked for; None when the box is not (yet) linked to Openapi
    (the registration call will settle it)."""
    now = now or timezone.now()
    casella = Casella.objects.filter(pk=casella_pk).first()
    if casella is None or not casella.remote_id:
        return None
    cache.set(CALLBACKS_ALIVE_KEY, 1, CALLBACKS_ALIVE_SECONDS)
    known = casella.ts_ultima_modifica
    if (
        claimed is not None
        and claimed[0] == casella.stato
        and claimed[1] is not None
        and known is not None
        and int(known.timestamp()) == claimed[1]
    ):
        if casella.stato == Stato.IN_EVASIONE:
            schedule_poll(casella, now=now)  # slower while callbacks arrive
        return False
    request_refresh(casella.pk)
    return True


def _refresh_key(state: str, casella_pk: int) -> str:
    return f"mailboxes:callback-refresh:{state}:{casella_pk}"


def request_refresh(casella_pk: int) -> bool:
    """Queue one read of the box, unless one is queued already: a thousand callbacks for a box
    make one task (and the read it makes sees all their changes). Returns whether it queued."""
    from . import tasks

    if not cache.add(_refresh_key("queued", casella_pk), 1, timeout=REFRESH_QUEUED_SECONDS):
        return False
    enqueue_on_commit(tasks.refresh_after_callback, casella_pk)
    return True


def refresh_after_callback(casella_pk: int, *, now: dt.datetime | None = None) -> str:
    """The read callbacks asked for (the worker's side of request_refresh): GET /pec/{id},
    applied with apply_remote. At most one runs per box: another one finding it running answers
    "busy" (the task comes back later). The "queued" mark is cleared before reading, so a
    callback arriving during the read queues one more read, which will see its change.
    Raises OpenapiError when the read fails (the task retries; polling remains)."""
    running = _refresh_key("running", casella_pk)
    if not cache.add(running, 1, timeout=REFRESH_RUNNING_SECONDS):
        return "busy"
    try:
        cache.delete(_refresh_key("queued", casella_pk))
        casella = Casella.objects.filter(pk=casella_pk).first()
        if casella is None or not casella.remote_id:
            return "gone"
        remote = get_client().get_casella(casella.remote_id)
        now = now or timezone.now()
        with transaction.atomic():
            casella = Casella.objects.select_for_update().get(pk=casella.pk)
            if casella.stato == Stato.NUOVA:
                return "gone"  # the registration intent settles it (at most once)
            changed = apply_remote(casella, remote.raw, full=True, source=TipoEvento.STATO, now=now)
            if casella.stato == Stato.IN_EVASIONE:
                schedule_poll(casella, now=now)  # the safety net, slower while callbacks arrive
        return "changed" if changed else "unchanged"
    finally:
        cache.delete(running)


def registration_request(casella: Casella) -> RegistrationRequest:
    t = casella.titolare
    r = casella.richiedente
    return RegistrationRequest(
        casella_pec=casella.casella_pec,
        tipo_casella=casella.tipo_casella,
        tipo_cliente=t.tipo_cliente,
        sottotipo_cliente=t.sottotipo_cliente or None,
        sottotipo_cliente_altro=t.sottotipo_cliente_altro or None,
        nome_richiedente=r.nome,
        cognome_richiedente=r.cognome,
        email=r.email,
        telefono=r.telefono,
        cellulare=r.cellulare or None,
        codice_fiscale_richiedente=r.codice_fiscale,
        data_nascita_richiedente=r.data_nascita,
        sesso_richiedente=r.sesso,
        nazione_nascita_richiedente=r.nazione_nascita,
        comune_nascita_richiedente=r.comune_nascita or None,
        provincia_nascita_richiedente=r.provincia_nascita or None,
        denominazione_titolare=t.denominazione or t.display_name,
        cf_piva_titolare=t.partita_iva or t.codice_fiscale,
        indirizzo_titolare=t.indirizzo,
        comune_titolare=t.comune,
        cap_titolare=t.cap,
        nazione_titolare=t.nazione,
        provincia_titolare=t.provincia,
        autorinnovo=casella.autorinnovo,
        callback=callback_for(casella),
        tipo_documento=r.tipo_documento,
        numero_documento=r.numero_documento,
        data_scadenza_documento=r.data_scadenza_documento,
        documento_rilasciato_da=r.documento_rilasciato_da,
        data_rilascio_documento=r.data_rilascio_documento,
    )


# --------------------------------------------------------------------------- activation


def open_call(casella: Casella, kind: str) -> CasellaCall | None:
    return casella.calls.filter(kind=kind, state__in=OPEN_STATES).first()


def upload_documents(
    *,
    casella: Casella,
    modulo: CheckedPdf | None,
    identita: CheckedPdf | None,
    unico: CheckedPdf | None = None,
    intent_key: str,
    user,
) -> CasellaCall:
    """Store the checked PDFs and record the activation intent (one transaction); the task that
    sends PATCH /pec/{id}/attivazione is enqueued after commit. If anything fails on the way (a
    full disk, the database), the files written so far are deleted and a ValidationError says
    so: nothing is recorded."""
    from . import tasks

    existing = CasellaCall.objects.filter(intent_key=intent_key).first()
    if existing:
        return existing
    if casella.needs_single_pdf:
        if unico is None:
            merged = merge_pdfs(modulo.content, identita.content)
            files = [
                (
                    TipoDocumentoCaricato.UNICO,
                    merged,
                    modulo.pages + identita.pages,
                    hashlib.sha256(merged).hexdigest(),
                    f"{modulo.name} + {identita.name}",
                )
            ]
        else:
            files = [(TipoDocumentoCaricato.UNICO, *_parts(unico))]
    else:
        files = [
            (TipoDocumentoCaricato.MODULO, *_parts(modulo)),
            (TipoDocumentoCaricato.IDENTITA, *_parts(identita)),
        ]
    with private_files.uploading() as written, transaction.atomic():
        casella = Casella.objects.select_for_update().get(pk=casella.pk)
        if not casella.can_upload:
            raise ValidationError(
                _("La casella è nello stato «%(stato)s»: ora non si possono inviare documenti.")
                % {"stato": casella.get_stato_display()},
                code="state",
            )
        if open_call(casella, CallKind.ATTIVAZIONE):
            raise ValidationError(
                _("I documenti sono già in invio: attendi l'esito."), code="in_progress"
            )
        stored = [
            store_document(written, casella, tipo, content, pages, sha, name, user=user)
            for tipo, content, pages, sha, name in files
        ]
        call = CasellaCall.objects.create(
            casella=casella,
            kind=CallKind.ATTIVAZIONE,
            intent_key=intent_key,
            params={
                "documenti": [d.pk for d in stored],
                "stato_prima": casella.stato,
                "ultima_modifica_prima": casella.ts_ultima_modifica.timestamp()
                if casella.ts_ultima_modifica
                else None,
            },
            requested_by=user,
        )
        record(
            casella,
            TipoEvento.DOCUMENTI,
            Sentence(
                gettext_lazy("Documenti caricati (%(n)d PDF): invio a Openapi in corso."),
                n=len(stored),
            ),
            user=user,
        )
        enqueue_on_commit(tasks.run_casella_call, call.pk)
    return call


def _parts(pdf: CheckedPdf) -> tuple[bytes, int, str, str]:
    return pdf.content, pdf.pages, pdf.sha256, pdf.name


def store_document(
    written: private_files.Written,
    casella: Casella,
    tipo: str,
    content: bytes,
    pages: int,
    sha256: str,
    name: str,
    *,
    user,
) -> Documento:
    """Write one checked PDF under a generated name and its row (inside the caller's
    transaction and ``private_files.uploading()`` block)."""
    doc = Documento(
        casella=casella,
        tipo=tipo,
        nome_originale=name,
        dimensione=len(content),
        pagine=pages,
        sha256=sha256 or hashlib.sha256(content).hexdigest(),
        uploaded_by=user,
    )
    doc.file.name = written.save(doc.file.field.generate_filename(doc, "documento.pdf"), content)
    doc.save()
    return doc


def documents_for_call(call: CasellaCall) -> list[bytes]:
    out = []
    for doc in Documento.objects.filter(pk__in=call.params.get("documenti", [])).order_by("pk"):
        if not doc.available:
            raise errors.PreconditionFailed(
                None, _("Un documento da inviare non è più disponibile: caricalo di nuovo.")
            )
        with doc.file.open("rb") as fh:
            out.append(fh.read())
    return out


# --------------------------------------------------------------------------- the mirror


def _merge_remote(
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
    casella.attempts = 0
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
    changed = _merge_remote(casella, payload, full=full, now=now)
    event, notify = _effects(casella, changed, source=source, now=now)
    casella.save()
    if event is not None:
        event.save()
    if notify:
        pk = casella.pk
        transaction.on_commit(lambda: notify_active(pk))
    return list(changed)


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


def _effects(
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
            _next_poll(casella, reset=True, now=now)
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


def notify_active(casella_pk: int) -> None:
    """E-mail the staff member who registered the box: it is active."""
    casella = Casella.objects.select_related("registered_by").filter(pk=casella_pk).first()
    if not casella or not casella.registered_by or not casella.registered_by.email:
        return
    # Absolute when the deployment says where the portal lives (no such setting yet).
    base = settings.PORTAL_PUBLIC_URL.rstrip("/")
    url = base + reverse("mailboxes:casella_detail", args=[casella.pk])
    scadenza = casella.data_scadenza.strftime("%d/%m/%Y") if casella.data_scadenza else "—"
    send_mail(
        _("Casella PEC attiva: %(address)s") % {"address": casella.casella_pec},
        _(
            "La casella %(address)s è attiva.\nScadenza: %(scadenza)s.\n\nDettagli nel portale: "
            "%(url)s\n"
        )
        % {"address": casella.casella_pec, "scadenza": scadenza, "url": url},
        None,
        [casella.registered_by.email],
        fail_silently=True,
    )


def notify_failure(call: CasellaCall, message: str, *, credit: bool) -> None:
    """Tell the requester (and, on insufficient credit, every office user) that a call failed."""
    User = get_user_model()
    to = set()
    if call.requested_by and call.requested_by.email:
        to.add(call.requested_by.email)
    if credit:
        office = User.objects.filter(
            Q(groups__name=roles.OFFICE) | Q(is_superuser=True), is_active=True
        ).exclude(email="")
        to.update(office.values_list("email", flat=True))
    if not to:
        return
    send_mail(
        _("Operazione non riuscita su %(address)s") % {"address": call.casella.casella_pec},
        _("%(kind)s non riuscita.\nMotivo: %(msg)s\n")
        % {
            "kind": call.get_kind_display() if hasattr(call, "get_kind_display") else call.kind,
            "msg": message,
        },
        None,
        sorted(to),
        fail_silently=True,
    )


# --------------------------------------------------------------------------- polling


def callbacks_alive() -> bool:
    """Has Openapi called back recently? Then polling is only the safety net."""
    return bool(cache.get(CALLBACKS_ALIVE_KEY))


def _next_poll(casella: Casella, *, reset: bool = False, now: dt.datetime) -> None:
    """Set the box's next poll in memory: exponential backoff from POLL_MIN to POLL_MAX; a box
    that asked Openapi to call back is polled at most every CALLBACK_POLL_SECONDS while
    callbacks arrive."""
    interval = (
        POLL_MIN
        if reset or not casella.poll_interval
        else min(POLL_MAX, casella.poll_interval * POLL_FACTOR)
    )
    if has_callback(casella) and callbacks_alive():
        interval = max(interval, CALLBACK_POLL_SECONDS)
    casella.poll_interval = interval
    casella.next_poll_at = now + dt.timedelta(seconds=interval)


def has_callback(casella: Casella) -> bool:
    payload = casella.last_payload if isinstance(casella.last_payload, dict) else {}
    return isinstance(payload.get("callback"), dict)


def schedule_poll(casella: Casella, *, reset: bool = False, now: dt.datetime | None = None) -> None:
    _next_poll(casella, reset=reset, now=now or timezone.now())
    Casella.objects.filter(pk=casella.pk).update(
        poll_interval=casella.poll_interval, next_poll_at=casella.next_poll_at
    )


def due_polls(now: dt.datetime | None = None):
    now = now or timezone.now()
    return Casella.objects.filter(
        next_poll_at__lte=now, remote_id__isnull=False, stato=Stato.IN_EVASIONE
    )


def seconds_to_next_poll(now: dt.datetime | None = None) -> float | None:
    """Seconds until the next box is due a poll (None when nothing is moving)."""
    now = now or timezone.now()
    nxt = (
        Casella.objects.filter(
            next_poll_at__isnull=False, remote_id__isnull=False, stato=Stato.IN_EVASIONE
        )
        .order_by("next_poll_at")
        .values_list("next_poll_at", flat=True)
        .first()
    )
    return None if nxt is None else max(0.0, (nxt - now).total_seconds())


def _claim_polls(now: dt.datetime, limit: int | None = None) -> list[int]:
    """The due boxes, for one poller at a time: a lock in the shared cache, held for
    POLL_LEASE at most (a crashed poller's boxes are still due when it expires). No write per
    box: the only write is the next poll, once the answer is in."""
    limit = limit or POLL_CLAIM_MAX
    if not cache.add(POLL_LOCK_KEY, 1, timeout=POLL_LEASE.total_seconds()):
        return []  # another poller is at it
    pks = list(due_polls(now).order_by("next_poll_at").values_list("pk", flat=True)[:limit])
    if not pks:
        cache.delete(POLL_LOCK_KEY)
    return pks


def poll_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Refresh the boxes whose next poll is due: one GET /pec for many, GET /pec/{id} for fewer
    than POLL_BULK_THRESHOLD, so at most POLL_BULK_THRESHOLD - 1 calls (2) per cycle, whatever
    the number of boxes. Unchanged boxes only get their next poll (a few UPDATEs grouped by
    interval); changed ones go through apply_remote. Returns figures (boxes, calls, changed)."""
    now = now or timezone.now()
    pks = _claim_polls(now)
    if not pks:
        return {"boxes": 0, "calls": 0, "changed": 0}
    try:
        return _poll(pks, now)
    finally:
        cache.delete(POLL_LOCK_KEY)


def _poll(pks: list[int], now: dt.datetime) -> dict[str, int]:
    client = get_client()
    if len(pks) < POLL_BULK_THRESHOLD:
        return _poll_each(client, pks, now)
    try:
        summaries = {s.id: s for s in client.list_caselle()}
    except errors.OpenapiError as exc:
        _polls_failed(pks, exc, now)
        return {"boxes": len(pks), "calls": 1, "changed": 0}
    changed: list[int] = []
    missing: list[int] = []
    unchanged: dict[float, list[int]] = {}
    callback_boxes: set[int] = set()
    rows = Casella.objects.filter(pk__in=pks).values_list(
        "pk", "poll_interval", "last_payload__callback", *SUMMARY_FIELDS
    )
    alive = callbacks_alive()
    for pk, interval, callback, *row in rows.iterator(chunk_size=2000):
        summary = summaries.get(row[3])
        if summary is None:
            missing.append(pk)
        elif summary_differs(tuple(row), summary):
            changed.append(pk)
        else:
            nxt = POLL_MIN if not interval else min(POLL_MAX, interval * POLL_FACTOR)
            if alive and isinstance(callback, dict):
                nxt = max(nxt, CALLBACK_POLL_SECONDS)
                callback_boxes.add(pk)
            unchanged.setdefault(nxt, []).append(pk)
    for interval, group in unchanged.items():
        for chunk in _chunks(group, 5000):
            Casella.objects.filter(pk__in=chunk).update(
                poll_interval=interval,
                next_poll_at=now + dt.timedelta(seconds=interval),
                last_synced_at=now,
                attempts=0,
                last_error="",
            )
    if missing:
        _polls_failed(missing, None, now)
    details = 0
    for pk in changed:
        with transaction.atomic():
            casella = Casella.objects.select_for_update().get(pk=pk)
            summary = summaries[casella.remote_id]
            apply_remote(casella, summary.raw, full=False, source=TipoEvento.STATO, now=now)
            if casella.stato == Stato.IN_EVASIONE:
                schedule_poll(casella, now=now)
            else:
                # Settled: GET /pec lacks the activation date and spaces; one GET /pec/{id}
                # each, by a task (a box settles once in its life).
                details += 1
                _enqueue_refresh(casella.pk, countdown=min(60.0, details * 0.2))
    return {"boxes": len(pks), "calls": 1, "changed": len(changed)}


def _enqueue_refresh(pk: int, countdown: float) -> None:
    from . import tasks

    transaction.on_commit(lambda: tasks.refresh_casella.apply_async((pk,), countdown=countdown))


def _poll_each(client, pks: list[int], now) -> dict[str, int]:
    calls = changed = 0
    for casella in Casella.objects.filter(pk__in=pks):
        try:
            calls += 1
            remote = client.get_casella(casella.remote_id)
        except errors.OpenapiError as exc:
            _polls_failed([casella.pk], exc, now)
            continue
        with transaction.atomic():
            casella = Casella.objects.select_for_update().get(pk=casella.pk)
            if apply_remote(casella, remote.raw, full=True, source=TipoEvento.STATO, now=now):
                changed += 1
            if casella.stato == Stato.IN_EVASIONE:
                schedule_poll(casella, now=now)
    return {"boxes": len(pks), "calls": calls, "changed": changed}


def _polls_failed(pks: list[int], exc: errors.OpenapiError | None, now) -> None:
    message = str(exc.message if exc else _("la casella non compare in GET /pec"))[:500]
    for casella in Casella.objects.filter(pk__in=pks).only("pk", "poll_interval", "last_payload"):
        _next_poll(casella, now=now)
        Casella.objects.filter(pk=casella.pk).update(
            attempts=F("attempts") + 1,
            last_error=message,
            poll_interval=casella.poll_interval,
            next_poll_at=casella.next_poll_at,
        )


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --------------------------------------------------------------------------- sync


def sync_account(*, user=None, now: dt.datetime | None = None) -> dict[str, int]:
    """GET /pec: import the boxes registered outside the portal, update the known ones.

    Built for 100,000 boxes: the known boxes are compared in memory, batch by batch, with
    values_list (no model instances); only the rows that differ are locked, merged, written with
    bulk_update and their history added with bulk_create; unchanged rows are not written at all
    (their "last updated" keeps meaning "last changed"). New boxes are bulk-created."""
    now = now or timezone.now()
    client = get_client()
    items = _list_raw(client)
    figures = {"remote": len(items), "imported": 0, "updated": 0, "unchanged": 0}
    by_id = {item["id"]: _RawSummary(item) for item in items}
    unknown: list[CasellaSummary] = []
    for batch in _chunks(list(by_id), SYNC_BATCH):
        known = {}
        for pk, *row in Casella.objects.filter(remote_id__in=batch).values_list(
            "pk", *SUMMARY_FIELDS
        ):
            known[row[3]] = (pk, tuple(row))
        differing = []
        for remote_id in batch:
            hit = known.get(remote_id)
            if hit is None:
                unknown.append(CasellaSummary.from_raw(by_id[remote_id].raw))
            elif hit[1][0] == Stato.NUOVA:
                continue  # the registration intent settles this one (at most once)
            elif summary_differs(hit[1], by_id[remote_id]):
                differing.append(hit[0])
            else:
                figures["unchanged"] += 1
        if differing:
            n = _write_changes(differing, by_id, now=now)
            figures["updated"] += n
            figures["unchanged"] += len(differing) - n
    if unknown:
        unknown = _link_by_address(unknown, figures, now=now)
    if unknown:
        figures["imported"] += _import_many(client, unknown, user=user, now=now)
    return figures


def _list_raw(client) -> list[dict[str, Any]]:
    """GET /pec's items as dicts with an id. The items are parsed lazily (_RawSummary): at
    100,000 boxes, parsing each into a CasellaSummary would be half of the daily sync."""
    raw = getattr(client, "_list", None)
    if raw is None:  # a client without the raw list: parse them all
        return [s.raw for s in client.list_caselle() if s.id]
    return [item for item in raw("/pec") if isinstance(item.get("id"), str) and item["id"]]


@functools.lru_cache(maxsize=8192)
def _date(value: str):
    return parse_date(value)


class _RawSummary:
    """The fields of a GET /pec item that summary_differs() reads, parsed on demand (the dates
    of 100,000 boxes repeat: they are parsed once each)."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw

    @property
    def id(self) -> str:
        return self.raw["id"]

    @property
    def stato(self) -> str:
        return str(self.raw.get("stato") or "")

    @property
    def tipo_casella(self) -> str:
        return str(self.raw.get("tipo_casella") or "").upper()

    @property
    def data_scadenza(self):
        value = self.raw.get("data_scadenza")
        return _date(value) if isinstance(value, str) else parse_date(value)

    @property
    def timestamp(self) -> Timestamps:
        return Timestamps.from_raw(self.raw.get("timestamp"))


def _write_changes(pks: list[int], by_id: dict[str, Any], *, now) -> int:
    """Lock, merge and write the boxes that differ from GET /pec (one batch)."""
    with transaction.atomic():
        boxes = list(Casella.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
        to_save, events, fields, notify = [], [], set(SYNC_ALWAYS_FIELDS), []
        for casella in boxes:
            summary = by_id.get(casella.remote_id)
            if summary is None or casella.stato == Stato.NUOVA:
                continue
            changed = _merge_remote(casella, summary.raw, full=False, now=now)
            if not changed:
                continue
            event, tell = _effects(casella, changed, source=TipoEvento.SYNC, now=now)
            casella.updated_at = now
            fields.update(changed)
            to_save.append(casella)
            if event is not None:
                events.append(event)
            if tell:
                notify.append(casella.pk)
        if to_save:
            _bulk_write(to_save, sorted(fields))
            Evento.objects.bulk_create(events, batch_size=1000)
        for pk in notify:
            transaction.on_commit(lambda pk=pk: notify_active(pk))
    return len(to_save)


def _bulk_write(boxes: list[Casella], fields: list[str]) -> None:
    """Write ``fields`` of many boxes: on PostgreSQL one UPDATE ... FROM (VALUES ...) per 1,000
    rows (bulk_update's CASE WHEN costs seconds of Python per 1,000 rows); elsewhere
    bulk_update."""
    from django.db import connection

    if connection.vendor != "postgresql":
        Casella.objects.bulk_update(boxes, fields, batch_size=500)
        return
    qn = connection.ops.quote_name
    cols = [Casella._meta.get_field(name) for name in fields]
    assignments = ", ".join(
        f"{qn(f.column)} = v.{qn(f.column)}::{f.db_type(connection)}" for f in cols
    )
    names = ", ".join(["id", *(qn(f.column) for f in cols)])
    row = "(" + ", ".join(["%s::bigint", *(["%s"] * len(cols))]) + ")"
    for chunk in _chunks(boxes, 1000):
        params: list[Any] = []
        for box in chunk:
            params.append(box.pk)
            params.extend(f.get_db_prep_save(getattr(box, f.attname), connection) for f in cols)
        # Names from the model's meta, values as parameters.
        values = ", ".join([row] * len(chunk))
        table = qn(Casella._meta.db_table)
        sql = f"UPDATE {table} AS c SET {assignments} FROM (VALUES {values}) AS v({names}) "  # noqa: S608  # nosec B608 - names from the model, values as parameters
        sql += "WHERE c.id = v.id"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _link_by_address(
    unknown: list[CasellaSummary], figures: dict[str, int], *, now
) -> list[CasellaSummary]:
    """Boxes the portal registered whose POST /pec answer was lost: link them by address."""
    left = []
    for batch in _chunks(unknown, SYNC_BATCH):
        addresses = {s.casella_pec.lower(): s for s in batch}
        local = {
            c.casella_pec: c
            for c in Casella.objects.filter(
                casella_pec__in=list(addresses), remote_id__isnull=True
            ).exclude(stato=Stato.NON_REGISTRATA)
        }
        for address, summary in addresses.items():
            casella = local.get(address)
            if casella is None:
                left.append(summary)
                continue
            if casella.stato == Stato.NUOVA:
                continue
            with transaction.atomic():
                casella = Casella.objects.select_for_update().get(pk=casella.pk)
                changed = apply_remote(casella, summary.raw, full=False, now=now)
            figures["updated" if changed else "unchanged"] += 1
    return left


def _import_many(client, unknown: list[CasellaSummary], *, user, now) -> int:
    """Import the boxes registered outside the portal. A few are read in full (GET /pec/{id});
    many are created from GET /pec alone (bulk), their details read when refreshed."""
    if len(unknown) <= IMPORT_FULL_MAX:
        for summary in unknown:
            with transaction.atomic():
                _import(client, summary, user=user, now=now)
        return len(unknown)
    created = 0
    message = history.stored(
        Sentence(gettext_lazy("Casella registrata fuori dal portale, importata da Openapi."))
    )
    for batch in _chunks(unknown, SYNC_BATCH):
        boxes = []
        for summary in batch:
            casella = Casella(
                remote_id=summary.id,
                casella_pec=summary.casella_pec.lower(),
                tipo_casella=str(summary.tipo_casella or "STANDARD"),
                stato=Stato.REGISTRATA,
                importata=True,
                created_at=now,
                updated_at=now,
            )
            _merge_remote(casella, summary.raw, full=False, now=now)
            if casella.stato == Stato.IN_EVASIONE:
                _next_poll(casella, reset=True, now=now)
            boxes.append(casella)
        with transaction.atomic():
            Casella.objects.bulk_create(boxes, batch_size=1000, ignore_conflicts=True)
            ids = dict(
                Casella.objects.filter(remote_id__in=[b.remote_id for b in boxes]).values_list(
                    "remote_id", "pk"
                )
            )
            Evento.objects.bulk_create(
                [
                    Evento(
                        casella_id=ids[b.remote_id],
                        at=now,
                        tipo=TipoEvento.IMPORT,
                        **message,
                        a_stato=b.stato,
                        user=user,
                    )
                    for b in boxes
                    if b.remote_id in ids
                ],
                batch_size=1000,
            )
        created += len(ids)
    return created


def _import(client, summary: CasellaSummary, *, user, now) -> Casella:
    tipo = str(summary.tipo_casella or "STANDARD")
    casella = Casella.objects.create(
        remote_id=summary.id,
        casella_pec=summary.casella_pec.lower(),
        tipo_casella=tipo,
        stato=str(summary.stato) if str(summary.stato) in Stato.values else Stato.REGISTRATA,
        importata=True,
    )
    payload, full = summary.raw, False
    with contextlib.suppress(errors.OpenapiError):
        payload, full = client.get_casella(summary.id).raw, True
    record(
        casella,
        TipoEvento.IMPORT,
        Sentence(gettext_lazy("Casella registrata fuori dal portale, importata da Openapi.")),
        a=casella.stato,
        user=user,
    )
    apply_remote(casella, payload, full=full, source=TipoEvento.IMPORT, now=now)
    if casella.stato == Stato.IN_EVASIONE:
        schedule_poll(casella, reset=True, now=now)
    return casella


def refresh_casella(casella: Casella, *, now: dt.datetime | None = None) -> list[str]:
    """GET /pec/{id} now (staff "refresh status")."""
    if not casella.remote_id:
        return []
    remote = get_client().get_casella(casella.remote_id)
    with transaction.atomic():
        casella = Casella.objects.select_for_update().get(pk=casella.pk)
        return apply_remote(casella, remote.raw, full=True, now=now)


# --------------------------------------------------------------------------- retention


#: Openapi's Casella fields about the requester and their ID document. The portal keeps its
#: own record of the requester (Richiedente) and never reads these from a payload, so they are
#: not stored in Casella.last_payload.
REQUESTER_PAYLOAD_FIELDS = frozenset(
    {
        "nome_richiedente",
        "cognome_richiedente",
        "email",
        "telefono",
        "cellulare",
        "codice_fiscale_richiedente",
        "data_nascita_richiedente",
        "sesso_richiedente",
        "nazione_nascita_richiedente",
        "comune_nascita_richiedente",
        "provincia_nascita_richiedente",
        "tipo_documento",
        "numero_documento",
        "data_scadenza_documento",
        "documento_rilasciato_da",
        "data_rilascio_documento",
    }
)
#: What replaces the requester's codice fiscale and document number where the purge finds them
#: (history lines, the calls' errors and parameters).
SCRUBBED = "[rimosso]"


def without_requester(payload: Any) -> Any:
    if not isinstance(payload, dict):
        return payload
    return {k: v for k, v in payload.items() if k not in REQUESTER_PAYLOAD_FIELDS}


def _id_documents_due(now: dt.datetime):
    """The ID documents (identity document, or the single PDF holding one) to delete now:
    - of boxes active for ID_DOCUMENT_RETENTION_DAYS days (Openapi has processed them);
    - uploaded ID_DOCUMENT_MAX_AGE_DAYS days ago, whatever became of the box (never active,
      refused, revoked...), unless Openapi may still need them: the activation call sending
      them is still open (pending, in flight or unclear: it may send them again), or the box
      is in_evasione (Openapi is examining them; once it decides, the rules above apply).
    Yields (document, reason, days)."""
    retention = settings.ID_DOCUMENT_RETENTION_DAYS
    max_age = settings.ID_DOCUMENT_MAX_AGE_DAYS
    still_needed: set[int] = set()
    for params in CasellaCall.objects.filter(
        kind=CallKind.ATTIVAZIONE, state__in=OPEN_STATES
    ).values_list("params", flat=True):
        still_needed.update(p for p in (params or {}).get("documenti", []) if isinstance(p, int))
    docs = (
        Documento.objects.filter(
            tipo__in=[TipoDocumentoCaricato.IDENTITA, TipoDocumentoCaricato.UNICO],
            deleted_at__isnull=True,
        )
        .filter(
            Q(casella__evasa_at__lte=now - dt.timedelta(days=retention))
            | (
                Q(uploaded_at__lte=now - dt.timedelta(days=max_age))
                & ~Q(casella__stato=Stato.IN_EVASIONE)
                & ~Q(pk__in=still_needed)
            )
        )
        .select_related("casella")
    )
    for doc in docs:
        evasa = doc.casella.evasa_at
        if evasa is not None and evasa <= now - dt.timedelta(days=retention):
            yield (
                doc,
                _("Conservazione scaduta (%(days)d giorni dall'attivazione).")
                % {"days": retention},
                retention,
            )
        else:
            yield (
                doc,
                _("Conservazione scaduta (%(days)d giorni dal caricamento).") % {"days": max_age},
                max_age,
            )


def purge_documents(*, now: dt.datetime | None = None) -> int:
    """Delete the ID documents due (see _id_documents_due), record each deletion in the box's
    history, and scrub the requester's personal data that outlived them (scrub_requester).
    Returns how many files were deleted."""
    now = now or timezone.now()
    count = 0
    for doc, reason, days in _id_documents_due(now):
        with transaction.atomic():
            locked = Documento.objects.select_for_update().filter(
                pk=doc.pk, deleted_at__isnull=True
            )
            if not locked.exists():
                continue
            name = doc.file.name
            if name:
                doc.file.storage.delete(name)
            Documento.objects.filter(pk=doc.pk).update(
                file="", deleted_at=now, deleted_reason=reason
            )
            record(
                doc.casella,
                TipoEvento.ELIMINAZIONE,
                Sentence(
                    gettext_lazy(
                        "Eliminato il file «%(tipo)s» (documento d'identità) dopo %(days)d giorni."
                    ),
                    tipo=TipoDocumentoCaricato(doc.tipo).label,
                    days=days,
                ),
            )
            scrub_requester(doc.casella_id)
            count += 1
    return count


def scrub_requester(casella_pk: int) -> None:
    """Once a box's ID document is deleted, its data go too: the requester's fields leave the
    stored Openapi payload, the document number and issuer leave the requester's record, and
    the codice fiscale and document number are replaced by SCRUBBED wherever else they were
    copied for this box (history lines, the calls' parameters, results and errors). Kept: the
    requester's name, codice fiscale and birth data in Richiedente, the record of who asked for
    the box (deleted with it)."""
    casella = Casella.objects.select_for_update().get(pk=casella_pk)
    payload = casella.last_payload if isinstance(casella.last_payload, dict) else {}
    secrets = {
        str(payload.get("codice_fiscale_richiedente") or ""),
        str(payload.get("numero_documento") or ""),
    }
    requester = Richiedente.objects.filter(casella=casella).first()
    if requester is not None:
        secrets.update({requester.codice_fiscale, requester.numero_documento})
        Richiedente.objects.filter(pk=requester.pk).update(
            numero_documento="", documento_rilasciato_da=""
        )
    if payload and REQUESTER_PAYLOAD_FIELDS & payload.keys():
        Casella.objects.filter(pk=casella.pk).update(last_payload=without_requester(payload))
    secrets = {s for s in secrets if len(s) >= 5}
    if not secrets:
        return

    def scrub(value: Any) -> Any:
        text = json.dumps(value) if not isinstance(value, str) else value
        if not any(s in text for s in secrets):
            return value
        for secret in secrets:
            text = text.replace(secret, SCRUBBED)
        return json.loads(text) if not isinstance(value, str) else text

    for evento in Evento.objects.filter(casella=casella).only("messaggio", "parametri", "dati"):
        fields = {"messaggio": evento.messaggio, "parametri": evento.parametri, "dati": evento.dati}
        scrubbed = {k: scrub(v) for k, v in fields.items()}
        if scrubbed != fields:
            Evento.objects.filter(pk=evento.pk).update(**scrubbed)
    for call in CasellaCall.objects.filter(casella=casella).only("params", "result", "last_error"):
        fields = {"params": call.params, "result": call.result, "last_error": call.last_error}
        scrubbed = {k: scrub(v) for k, v in fields.items()}
        if scrubbed != fields:
            CasellaCall.objects.filter(pk=call.pk).update(**scrubbed)


def is_activatable(stato: str) -> bool:
    return stato in ACTIVATABLE


__all__ = [
    "AddressCheck",
    "CallState",
    "apply_remote",
    "check_address",
    "parse_date",
    "poll_due",
    "purge_documents",
    "refresh_casella",
    "register_casella",
    "sync_account",
    "upload_documents",
]
