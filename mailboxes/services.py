"""Writes of the mailboxes app: registration and activation intents, the mirror of Openapi's
boxes (one place where a box changes status), polling, sync and the purge of ID documents.

Views and tasks call these with keyword arguments; nothing here renders or parses HTTP.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts import roles
from openapi_pec import domains, errors, prices
from openapi_pec.types import Casella as RemoteCasella
from openapi_pec.types import CasellaSummary, RegistrationRequest, Timestamps, parse_date
from portal.remote_calls import OPEN_STATES, CallState, enqueue_on_commit

from .models import (
    ACTIVATABLE,
    CallKind,
    Casella,
    CasellaCall,
    Documento,
    Evento,
    Richiedente,
    Stato,
    TipoDocumentoCaricato,
    TipoEvento,
    Titolare,
)
from .pdf import CheckedPdf, merge_pdfs
from .remote import get_client, is_sandbox

log = logging.getLogger(__name__)

#: Polling: first interval, growth factor, ceiling (seconds).
POLL_MIN = float(getattr(settings, "MAILBOX_POLL_MIN_SECONDS", 2.0))
POLL_FACTOR = 2.0
POLL_MAX = float(getattr(settings, "MAILBOX_POLL_MAX_SECONDS", 600.0))
#: From this many due boxes, one GET /pec refreshes them all.
POLL_BULK_THRESHOLD = int(getattr(settings, "MAILBOX_POLL_BULK_THRESHOLD", 3))
#: A claimed poll is retried after this long if its worker died.
POLL_LEASE = dt.timedelta(seconds=60)


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
    messaggio: str = "",
    *,
    da: str = "",
    a: str = "",
    user=None,
    dati: dict | None = None,
) -> Evento:
    return Evento.objects.create(
        casella=casella,
        tipo=tipo,
        messaggio=messaggio,
        da_stato=da,
        a_stato=a,
        user=user,
        dati=dati or {},
    )


# --------------------------------------------------------------------------- registration


def registration_price(tipo_casella: str):
    return prices.price(prices.Operation.REGISTRAZIONE, tipo_casella)


def register_casella(
    *,
    titolare: Titolare,
    tipo_casella: str,
    casella_pec: str,
    richiedente: dict[str, Any],
    autorinnovo: bool,
    intent_key: str,
    user,
) -> Casella:
    """Record the box, its requester and the registration intent in one transaction; the task
    that sends POST /pec is enqueued after commit. A repeated intent_key returns the same box."""
    from . import tasks

    address = casella_pec.strip().lower()
    existing = CasellaCall.objects.filter(intent_key=intent_key).select_related("casella").first()
    if existing:
        return existing.casella
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
                _("Registrazione richiesta (costo %(price)s €).")
                % {"price": number_format(call.price, 2)},
                a=Stato.NUOVA,
                user=user,
            )
            enqueue_on_commit(tasks.run_casella_call, call.pk)
    except IntegrityError:
        again = CasellaCall.objects.filter(intent_key=intent_key).select_related("casella").first()
        if again:
            return again.casella
        raise ValidationError(
            _("L'indirizzo %(address)s è già registrato nel portale.") % {"address": address},
            code="duplicate",
        ) from None
    return casella


def retry_registration(*, casella: Casella, intent_key: str, user) -> CasellaCall:
    """A refused registration, tried again (a new intent, charged again if it succeeds)."""
    from . import tasks

    existing = CasellaCall.objects.filter(intent_key=intent_key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            casella = Casella.objects.select_for_update().get(pk=casella.pk)
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
                _("Registrazione richiesta di nuovo (costo %(price)s €).")
                % {"price": number_format(call.price, 2)},
                da=Stato.NON_REGISTRATA,
                a=Stato.NUOVA,
                user=user,
            )
            enqueue_on_commit(tasks.run_casella_call, call.pk)
    except IntegrityError:
        raise ValidationError(
            _("L'indirizzo %(address)s è già registrato nel portale.")
            % {"address": casella.casella_pec},
            code="duplicate",
        ) from None
    return call


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
    sends PATCH /pec/{id}/attivazione is enqueued after commit."""
    from . import tasks

    existing = CasellaCall.objects.filter(intent_key=intent_key).first()
    if existing:
        return existing
    with transaction.atomic():
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
        stored: list[Documento] = []

        def store(tipo: str, content: bytes, pages: int, sha: str, name: str) -> Documento:
            doc = Documento(
                casella=casella,
                tipo=tipo,
                nome_originale=name,
                dimensione=len(content),
                pagine=pages,
                sha256=sha,
                uploaded_by=user,
            )
            doc.file.save("documento.pdf", ContentFile(content), save=False)
            doc.save()
            stored.append(doc)
            return doc

        if casella.needs_single_pdf:
            if unico is not None:
                store(
                    TipoDocumentoCaricato.UNICO,
                    unico.content,
                    unico.pages,
                    unico.sha256,
                    unico.name,
                )
            else:
                import hashlib

                merged = merge_pdfs(modulo.content, identita.content)
                store(
                    TipoDocumentoCaricato.UNICO,
                    merged,
                    modulo.pages + identita.pages,
                    hashlib.sha256(merged).hexdigest(),
                    f"{modulo.name} + {identita.name}",
                )
        else:
            store(
                TipoDocumentoCaricato.MODULO,
                modulo.content,
                modulo.pages,
                modulo.sha256,
                modulo.name,
            )
            store(
                TipoDocumentoCaricato.IDENTITA,
                identita.content,
                identita.pages,
                identita.sha256,
                identita.name,
            )
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
            _("Documenti caricati (%(n)d PDF): invio a Openapi in corso.") % {"n": len(stored)},
            user=user,
        )
        enqueue_on_commit(tasks.run_casella_call, call.pk)
    return call


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
    if full:
        remote = RemoteCasella.from_raw(payload)
        ts = remote.timestamp
    else:
        remote = CasellaSummary.from_raw(payload)
        ts = remote.timestamp
    changed: dict[str, tuple[Any, Any]] = {}

    def put(name: str, value: Any) -> None:
        old = getattr(casella, name)
        if old != value:
            changed[name] = (old, value)
            setattr(casella, name, value)

    if remote.id and casella.remote_id != remote.id:
        put("remote_id", remote.id)
    stato = str(remote.stato or "")
    if stato and stato in Stato.values:
        put("stato", stato)
    if remote.tipo_casella and str(remote.tipo_casella) in {
        c for c, _l in Casella._meta.get_field("tipo_casella").choices
    }:
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
        for name in ("registrazione", "ultima_modifica", "evasione", "scadenza", "revoca"):
            value = getattr(ts, name)
            if value is not None:
                put(f"ts_{name}", value)
    old_stato = changed.get("stato", (casella.stato, casella.stato))[0]
    new_stato = casella.stato
    if new_stato == Stato.EVASA and casella.evasa_at is None:
        casella.evasa_at = now
    if full or not casella.last_payload:
        casella.last_payload = payload
    else:
        casella.last_payload = {**casella.last_payload, **payload}
    casella.last_synced_at = now
    casella.attempts = 0
    casella.last_error = ""
    casella.save()
    if "stato" in changed:
        _on_status_change(casella, old_stato, new_stato, source=source)
    else:
        interesting = {
            k: v for k, v in changed.items() if k in ("data_scadenza", "tipo_casella", "remote_id")
        }
        if interesting and source == TipoEvento.SYNC:
            record(
                casella,
                TipoEvento.SYNC,
                _("Aggiornata da Openapi: %(fields)s.")
                % {
                    "fields": ", ".join(
                        str(Casella._meta.get_field(k).verbose_name) for k in interesting
                    )
                },
                dati={k: [str(a), str(b)] for k, (a, b) in interesting.items()},
            )
    return list(changed)


def _on_status_change(casella: Casella, old: str, new: str, *, source: str) -> None:
    messages = {
        Stato.REGISTRATA: _(
            "Registrata presso Openapi: scarica il modulo, firmalo e caricalo "
            "con il documento d'identità."
        ),
        Stato.IN_EVASIONE: _("Documenti ricevuti da Openapi: attivazione in corso."),
        Stato.EVASA: _("La casella è attiva."),
        Stato.DOCUMENTI_ERRATI: _(
            "Openapi ha respinto i documenti: carica di nuovo il modulo "
            "firmato e il documento d'identità."
        ),
        Stato.REVOCATA: _("La casella è stata revocata."),
    }
    record(
        casella,
        TipoEvento.STATO,
        messages.get(
            new,
            _("Nuovo stato: %(stato)s.")
            % {"stato": Stato(new).label if new in Stato.values else new},
        ),
        da=old,
        a=new,
    )
    if new in (Stato.IN_EVASIONE,):
        schedule_poll(casella, reset=True)
    elif new not in (Stato.NUOVA,):
        casella.next_poll_at, casella.poll_interval = None, 0
        Casella.objects.filter(pk=casella.pk).update(next_poll_at=None, poll_interval=0)
    if new == Stato.EVASA and old != Stato.EVASA and not casella.importata:
        transaction.on_commit(lambda: notify_active(casella.pk))


def notify_active(casella_pk: int) -> None:
    """E-mail the staff member who registered the box: it is active."""
    casella = Casella.objects.select_related("registered_by").filter(pk=casella_pk).first()
    if not casella or not casella.registered_by or not casella.registered_by.email:
        return
    # Absolute when the deployment says where the portal lives (no such setting yet).
    base = str(getattr(settings, "PORTAL_BASE_URL", "")).rstrip("/")
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


def schedule_poll(casella: Casella, *, reset: bool = False, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    interval = (
        POLL_MIN
        if reset or not casella.poll_interval
        else min(POLL_MAX, casella.poll_interval * POLL_FACTOR)
    )
    casella.poll_interval = interval
    casella.next_poll_at = now + dt.timedelta(seconds=interval)
    Casella.objects.filter(pk=casella.pk).update(
        poll_interval=interval, next_poll_at=casella.next_poll_at
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


def _claim_polls(now: dt.datetime, limit: int = 500) -> list[Casella]:
    claimed = []
    for casella in due_polls(now).order_by("next_poll_at")[:limit]:
        n = Casella.objects.filter(pk=casella.pk, next_poll_at=casella.next_poll_at).update(
            next_poll_at=now + POLL_LEASE
        )
        if n:
            claimed.append(casella)
    return claimed


def poll_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Refresh the boxes whose next poll is due: one GET /pec for many, GET /pec/{id} for few.
    Returns figures (boxes, calls)."""
    now = now or timezone.now()
    boxes = _claim_polls(now)
    if not boxes:
        return {"boxes": 0, "calls": 0}
    client = get_client()
    calls = 0
    if len(boxes) >= POLL_BULK_THRESHOLD:
        try:
            summaries = {s.id: s for s in client.list_caselle()}
            calls += 1
        except errors.OpenapiError as exc:
            for casella in boxes:
                _poll_failed(casella, exc, now)
            return {"boxes": len(boxes), "calls": 1}
        for casella in boxes:
            summary = summaries.get(casella.remote_id)
            if summary is None:
                _poll_failed(casella, None, now)
                continue
            with transaction.atomic():
                casella = Casella.objects.select_for_update().get(pk=casella.pk)
                apply_remote(casella, summary.raw, full=False, source=TipoEvento.STATO, now=now)
                if casella.stato != Stato.IN_EVASIONE:
                    calls += _fetch_full(client, casella, now)
                else:
                    schedule_poll(casella, now=now)
    else:
        for casella in boxes:
            try:
                remote = client.get_casella(casella.remote_id)
                calls += 1
            except errors.OpenapiError as exc:
                calls += 1
                _poll_failed(casella, exc, now)
                continue
            with transaction.atomic():
                casella = Casella.objects.select_for_update().get(pk=casella.pk)
                apply_remote(casella, remote.raw, full=True, source=TipoEvento.STATO, now=now)
                if casella.stato == Stato.IN_EVASIONE:
                    schedule_poll(casella, now=now)
    return {"boxes": len(boxes), "calls": calls}


def _fetch_full(client, casella: Casella, now) -> int:
    """After a box settled, one GET /pec/{id} for the fields GET /pec does not list."""
    try:
        remote = client.get_casella(casella.remote_id)
    except errors.OpenapiError:
        return 1
    apply_remote(casella, remote.raw, full=True, source=TipoEvento.STATO, now=now)
    return 1


def _poll_failed(casella: Casella, exc: errors.OpenapiError | None, now) -> None:
    message = exc.message if exc else _("la casella non compare in GET /pec")
    Casella.objects.filter(pk=casella.pk).update(
        attempts=casella.attempts + 1, last_error=str(message)[:500]
    )
    casella.attempts += 1
    schedule_poll(casella, now=now)


# --------------------------------------------------------------------------- sync


def sync_account(*, user=None, now: dt.datetime | None = None) -> dict[str, int]:
    """GET /pec: import the boxes registered outside the portal, update the known ones."""
    now = now or timezone.now()
    client = get_client()
    summaries = client.list_caselle()
    figures = {"remote": len(summaries), "imported": 0, "updated": 0, "unchanged": 0}
    for summary in summaries:
        if not summary.id:
            continue
        with transaction.atomic():
            casella = (
                Casella.objects.select_for_update().filter(remote_id=summary.id).first()
                or Casella.objects.select_for_update()
                .filter(casella_pec__iexact=summary.casella_pec, remote_id__isnull=True)
                .exclude(stato=Stato.NON_REGISTRATA)
                .first()
            )
            if casella is None:
                _import(client, summary, user=user, now=now)
                figures["imported"] += 1
                continue
            if casella.stato == Stato.NUOVA:
                # The registration intent settles this one (at most once); leave it alone.
                continue
            changed = apply_remote(casella, summary.raw, full=False, now=now)
            figures["updated" if changed else "unchanged"] += 1
    return figures


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
        _("Casella registrata fuori dal portale, importata da Openapi."),
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


def purge_documents(*, now: dt.datetime | None = None) -> int:
    """Delete the ID documents of boxes active for more than ID_DOCUMENT_RETENTION_DAYS days;
    the deletion is recorded in the box's history. Returns how many files were deleted."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.ID_DOCUMENT_RETENTION_DAYS)
    docs = Documento.objects.filter(
        tipo__in=[TipoDocumentoCaricato.IDENTITA, TipoDocumentoCaricato.UNICO],
        deleted_at__isnull=True,
        casella__evasa_at__lte=cutoff,
    ).select_related("casella")
    count = 0
    for doc in docs:
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
                file="",
                deleted_at=now,
                deleted_reason=_("Conservazione scaduta (%(days)d giorni dall'attivazione).")
                % {"days": settings.ID_DOCUMENT_RETENTION_DAYS},
            )
            record(
                doc.casella,
                TipoEvento.ELIMINAZIONE,
                _("Eliminato il file «%(tipo)s» (documento d'identità) dopo %(days)d giorni.")
                % {"tipo": doc.get_tipo_display(), "days": settings.ID_DOCUMENT_RETENTION_DAYS},
            )
            count += 1
    return count


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
