"""What the comunica flow does (writes): new requests, the two Openapi calls, polling, sync.

Every paid or state-changing call goes through :mod:`portal.remote_calls`: the intent row is
written in the same transaction as the user's action and run by a task after commit.

- POST /comunica_pec (``create``, paid): an unclear outcome is settled by listing
  GET /comunica_pec and looking for a request for the same address, made after the intent and
  not already linked to another local request.
- PATCH /comunica_pec/{id} (``upload``): settled by GET /comunica_pec/{id}: the upload happened
  when the status has left ``in_attesa_di_documenti``.

Polling is driven by ``next_poll_at``: one GET /comunica_pec refreshes every due request, the
detail is read only for those whose status changed; the interval doubles while nothing changes
and polling stops at ``comunicazione_evasa``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openapi_pec import errors, prices, types
from portal import history, private_files, remote_calls
from portal.history import Sentence
from portal.remote_calls import CallHandler, CallState, Confirmed, NotPerformed

from .models import (
    ORDER,
    REMOTE_STATI,
    ComunicaCall,
    Evento,
    ProcuraFirmata,
    RichiestaComunicazione,
    Stato,
)

log = logging.getLogger(__name__)

#: Clock skew tolerated between the portal and Openapi when matching a request to an intent.
CLOCK_SKEW = dt.timedelta(minutes=5)
#: Longest wait between two polls of a request that does not move.
POLL_CAP = dt.timedelta(minutes=30)
#: After comunicazione_evasa without the receipts' names, how long to keep asking for them.
RECEIPTS_WAIT = dt.timedelta(days=7)


def client():
    from portal.openapi import get_client

    return get_client()


def price():
    return prices.price(prices.Operation.COMUNICA)


def poll_base() -> float:
    return max(float(settings.POLL_TICK_SECONDS), 1.0)


def _event(richiesta, tipo, messaggio: Sentence | str = "", *, stato="", user=None) -> Evento:
    return Evento.objects.create(
        richiesta=richiesta, tipo=tipo, **history.stored(messaggio), stato=stato, user=user
    )


def _schedule(richiesta, *, now, reset: bool) -> None:
    """Set the next poll: soon after a change, then doubling up to POLL_CAP; none when done
    (comunicazione_evasa with its receipts, or RECEIPTS_WAIT after it without)."""
    if not richiesta.remote_id or _finished(richiesta, now):
        richiesta.next_poll_at = None
        richiesta.poll_interval = 0
        return
    base = poll_base()
    if reset or not richiesta.poll_interval:
        interval = base
    else:
        interval = min(richiesta.poll_interval * 2, POLL_CAP.total_seconds())
    richiesta.poll_interval = interval
    richiesta.next_poll_at = now + dt.timedelta(seconds=interval)


def _finished(richiesta, now) -> bool:
    if richiesta.stato != Stato.COMUNICAZIONE_EVASA:
        return False
    if richiesta.documenti_registro_imprese:
        return True
    return bool(richiesta.evasa_at and now - richiesta.evasa_at > RECEIPTS_WAIT)


def notify(richiesta, subject: str, body: str, *, user=None, office: bool = False) -> None:
    """E-mail the user who asked (and, with ``office``, every active office user)."""
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail
    from django.db.models import Q

    from accounts import roles

    to = set()
    for who in (user, richiesta.created_by):
        if who is not None and who.email:
            to.add(who.email)
    if office:
        users = get_user_model().objects.filter(
            Q(groups__name=roles.OFFICE) | Q(is_superuser=True), is_active=True
        )
        to.update(users.exclude(email="").values_list("email", flat=True))
    if to:
        send_mail(subject, body, None, sorted(to), fail_silently=True)


# --------------------------------------------------------------------------- remote -> local


def _fit(model, name: str, value) -> str:
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
            r.codice_registro_imprese = _fit(
                RichiestaComunicazione, "codice_registro_imprese", remote.codice_registro_imprese
            )
        receipts_new = bool(remote.documenti_registro_imprese) and not r.documenti_registro_imprese
        if remote.documenti_registro_imprese:
            r.documenti_registro_imprese = list(remote.documenti_registro_imprese)
        if remote.timestamp:
            r.remote_timestamp = remote.timestamp
        if remote.owner:
            r.owner = _fit(RichiestaComunicazione, "owner", remote.owner)
        if remote.raw:
            r.last_payload = remote.raw
        r.last_synced_at = now
        r.last_error = ""
        if changed and r.stato == Stato.COMUNICAZIONE_EVASA:
            r.evasa_at = now
        _schedule(r, now=now, reset=changed)
        r.save()
        if changed:
            message = Sentence(Stato(r.stato).label)
            if r.stato == Stato.COMUNICAZIONE_EVASA and r.codice_registro_imprese:
                message = Sentence(
                    _("%(stato)s: codice Registro Imprese %(codice)s"),
                    stato=Stato(r.stato).label,
                    codice=r.codice_registro_imprese,
                )
            _event(r, Evento.Tipo.STATO, message, stato=r.stato)
            if r.stato in (Stato.IN_ATTESA_DI_DOCUMENTI, Stato.COMUNICAZIONE_EVASA):
                transaction.on_commit(lambda: _notify_stato(r.pk, str(message)))
        elif receipts_new:
            _event(
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


def _notify_stato(pk: int, message: str) -> None:
    r = RichiestaComunicazione.objects.select_related("created_by").get(pk=pk)
    body = message
    if r.stato == Stato.IN_ATTESA_DI_DOCUMENTI:
        body = gettext(
            "La procura per %(pec)s (%(impresa)s) è pronta: scaricarla dal portale, farla "
            "firmare digitalmente a %(who)s e caricare il file .p7m."
        ) % {"pec": r.casella_pec, "impresa": r.ragione_sociale, "who": r.richiedente}
    notify(
        r,
        gettext("Comunicazione PEC %(pec)s: %(stato)s")
        % {"pec": r.casella_pec, "stato": r.get_stato_display()},
        body,
    )


# --------------------------------------------------------------------------- the two calls


def _request_body(r: RichiestaComunicazione) -> types.ComunicaRequest:
    return types.ComunicaRequest(
        casella_pec=r.casella_pec,
        cf=r.cf,
        nome=r.nome,
        cognome=r.cognome,
        qualifica=r.qualifica,
        email=r.email,
        cellulare=r.cellulare,
        ragione_sociale=r.ragione_sociale,
        cf_piva=r.cf_piva,
        comune=r.comune,
        provincia=r.provincia,
        pec_amministratore=r.pec_amministratore,
    )


class CreateHandler(CallHandler):
    """POST /comunica_pec (paid)."""

    def perform(self, call):
        return client().create_comunica(_request_body(call.richiesta))

    def confirm(self, call):
        r = call.richiesta
        api = client()
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
        _event(
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

    def summarize(self, result):
        return {"id": result.id, "stato": str(result.stato)}

    def on_failed(self, call, error):
        r = call.richiesta
        message = call.last_error or (error.message if error else "")
        RichiestaComunicazione.objects.filter(pk=r.pk, remote_id=None).update(
            stato=Stato.NON_INVIATA, last_error=message[:2000], updated_at=timezone.now()
        )
        text = Sentence(_("Openapi ha rifiutato la richiesta: %(msg)s"), msg=message)
        if isinstance(error, errors.InsufficientCredit):
            text = Sentence(
                _(
                    "Credito Openapi insufficiente: nulla è stato addebitato. Ricaricare il "
                    "portafoglio e riprovare. (%(msg)s)"
                ),
                msg=message,
            )
        _event(r, Evento.Tipo.ERRORE, text, stato=Stato.NON_INVIATA)
        notify(
            r,
            gettext("Comunicazione PEC %(pec)s: invio non riuscito") % {"pec": r.casella_pec},
            str(text),
            user=call.requested_by,
            office=isinstance(error, errors.InsufficientCredit),
        )


class UploadHandler(CallHandler):
    """PATCH /comunica_pec/{id} with the signed .p7m."""

    def perform(self, call):
        from . import files

        data = files.read(call.procura.file)
        return client().upload_comunica(call.richiesta.remote_id, [data])

    def confirm(self, call):
        remote = client().get_comunica(call.richiesta.remote_id)
        if str(remote.stato) in (
            Stato.DOCUMENTI_CARICATI,
            Stato.COMUNICAZIONE_EVASA,
        ):
            return Confirmed(remote)
        return NotPerformed()

    def apply(self, call, result):
        r = call.richiesta
        ProcuraFirmata.objects.filter(pk=call.procura_id).update(inviata_at=timezone.now())
        _event(
            r,
            Evento.Tipo.PROCURA,
            Sentence(_("Procura firmata inviata a Openapi.")),
            user=call.requested_by,
        )
        apply_remote(r, result)

    def summarize(self, result):
        return {"id": result.id, "stato": str(result.stato)}

    def on_failed(self, call, error):
        r = call.richiesta
        message = call.last_error or (error.message if error else "")
        RichiestaComunicazione.objects.filter(pk=r.pk).update(last_error=message[:2000])
        text = Sentence(_("Openapi ha rifiutato la procura: %(msg)s"), msg=message)
        _event(r, Evento.Tipo.ERRORE, text)
        notify(
            r,
            gettext("Comunicazione PEC %(pec)s: procura rifiutata") % {"pec": r.casella_pec},
            str(text),
            user=call.requested_by,
        )


HANDLERS = {ComunicaCall.Kind.CREATE: CreateHandler(), ComunicaCall.Kind.UPLOAD: UploadHandler()}


def run_comunica_call(pk: int, *, now: dt.datetime | None = None) -> str:
    call = ComunicaCall.objects.filter(pk=pk).only("kind").first()
    if call is None:
        return CallState.FAILED
    return remote_calls.run_call(ComunicaCall, pk, HANDLERS[call.kind], now=now)


def run_due_calls(*, now: dt.datetime | None = None) -> int:
    count = 0
    for pk in remote_calls.due_calls(ComunicaCall, now=now).values_list("pk", flat=True)[:50]:
        run_comunica_call(pk, now=now)
        count += 1
    return count


def _enqueue(call: ComunicaCall) -> None:
    from . import tasks

    remote_calls.enqueue_on_commit(tasks.run_call, call.pk)


# --------------------------------------------------------------------------- user actions


@dataclass
class Created:
    """The POST intent of a confirmation: recorded now, or found (``repeated``)."""

    call: ComunicaCall

    @property
    def richiesta(self) -> RichiestaComunicazione:
        return self.call.richiesta

    @property
    def new(self) -> bool:
        return not self.call.repeated


def create_intent(intent_key: str) -> ComunicaCall | None:
    """The POST intent of the confirmation with ``intent_key`` if it was recorded already."""
    if not intent_key:
        return None
    return remote_calls.recorded_intent(
        ComunicaCall, f"comunica:create:{intent_key}", related=("richiesta",)
    )


def _open_calls(**filters):
    return ComunicaCall.objects.filter(state__in=remote_calls.OPEN_STATES, **filters)


def create_richiesta(*, data: dict, user, intent_key: str, titolare=None, casella=None) -> Created:
    """Record a new request and its POST intent (one per ``intent_key``: a double submit gives
    back the first request). Raises ValidationError when a request for the same address is
    already being sent."""
    key = f"comunica:create:{intent_key}"
    existing = create_intent(intent_key)
    if existing:
        return Created(existing)
    address = data["casella_pec"].strip().lower()
    if titolare is None or casella is None:
        # linked to the holder (and box) when the company is one of the office's holders
        found_titolare, found_casella = _link_holder(data.get("cf_piva", ""), address)
        titolare = titolare or found_titolare
        if (
            casella is None
            and found_casella is not None
            and (titolare is None or found_casella.titolare_id in (None, titolare.pk))
        ):
            casella = found_casella
    try:
        with transaction.atomic():
            if _open_calls(kind=ComunicaCall.Kind.CREATE, richiesta__casella_pec=address).exists():
                # The request being sent may be this very one, from a concurrent submit of
                # the same confirmation (this read sees what that one committed).
                if same := create_intent(intent_key):
                    return Created(same)
                raise ValidationError(
                    _("Una richiesta per %(pec)s è già in invio a Openapi: attenderne l'esito."),
                    params={"pec": address},
                    code="in_flight",
                )
            richiesta = RichiestaComunicazione.objects.create(
                **{**data, "casella_pec": address},
                titolare=titolare,
                casella=casella,
                created_by=user,
                stato=Stato.NUOVA,
            )
            call = ComunicaCall.objects.create(
                richiesta=richiesta,
                kind=ComunicaCall.Kind.CREATE,
                intent_key=key,
                price=price(),
                requested_by=user,
            )
            _event(
                richiesta,
                Evento.Tipo.CREATA,
                Sentence(
                    _("Richiesta creata; invio a Openapi (costo %(price)s €)."), price=call.price
                ),
                stato=Stato.NUOVA,
                user=user,
            )
            _enqueue(call)
    except IntegrityError:
        existing = create_intent(intent_key)
        if existing is None:
            raise
        return Created(existing)
    return Created(call)


def retry_create(*, richiesta: RichiestaComunicazione, user, intent_key: str) -> ComunicaCall:
    """Send a refused request again (e.g. after topping up the wallet): a new paid intent. The
    same ``intent_key`` again gives back that intent (``repeated``)."""
    key = f"comunica:create:{intent_key}"
    if existing := create_intent(intent_key):
        return existing
    with transaction.atomic():
        r = RichiestaComunicazione.objects.select_for_update().get(pk=richiesta.pk)
        # A concurrent submit of the same button may have recorded it while this one waited.
        if existing := create_intent(intent_key):
            return existing
        if r.stato != Stato.NON_INVIATA or r.remote_id:
            raise ValidationError(_("La richiesta non è da inviare di nuovo."), code="state")
        if _open_calls(
            kind=ComunicaCall.Kind.CREATE, richiesta__casella_pec=r.casella_pec
        ).exists():
            raise ValidationError(_("Un invio per questo indirizzo è già in corso."), code="busy")
        r.stato = Stato.NUOVA
        r.last_error = ""
        r.save(update_fields=["stato", "last_error", "updated_at"])
        call = ComunicaCall.objects.create(
            richiesta=r,
            kind=ComunicaCall.Kind.CREATE,
            intent_key=key,
            price=price(),
            requested_by=user,
        )
        _event(
            r,
            Evento.Tipo.INVIO,
            Sentence(_("Nuovo invio a Openapi (costo %(price)s €)."), price=call.price),
            stato=Stato.NUOVA,
            user=user,
        )
        _enqueue(call)
    return call


def signer_warnings(richiesta: RichiestaComunicazione, signer) -> dict[str, bool]:
    now = timezone.now()
    return {
        "cf_diverso": (signer.codice_fiscale or "").upper() != richiesta.cf.upper(),
        "certificato_scaduto": not signer.is_valid_at(now),
    }


def upload_procura(
    *, richiesta: RichiestaComunicazione, info, original_name: str, user, intent_key: str
) -> ProcuraFirmata:
    """Store a checked .p7m (privately) and, when the signer is the applicant with a valid
    certificate, record the PATCH intent at once; otherwise it waits for "send anyway"."""
    from . import files

    key = f"comunica:upload:{intent_key}"
    existing = ComunicaCall.objects.filter(intent_key=key).select_related("procura").first()
    if existing:
        return existing.procura
    if not richiesta.can_upload:
        raise ValidationError(
            _("La procura si carica solo quando la richiesta è in attesa dei documenti."),
            code="state",
        )
    signer = info.signer
    warnings = signer_warnings(richiesta, signer)
    with private_files.uploading() as written:
        name = files.save(written, info.der)
        with transaction.atomic():
            r = RichiestaComunicazione.objects.select_for_update().get(pk=richiesta.pk)
            if not r.can_upload or _open_calls(kind=ComunicaCall.Kind.UPLOAD, richiesta=r).exists():
                raise ValidationError(
                    _("Una procura per questa richiesta è già in invio a Openapi."), code="busy"
                )
            procura = ProcuraFirmata.objects.create(
                richiesta=r,
                file=name,
                nome_originale=_fit(ProcuraFirmata, "nome_originale", original_name),
                sha256=info.sha256,
                size=len(info.der),
                firmatario=_fit(ProcuraFirmata, "firmatario", signer.display_name),
                firmatario_cf=signer.codice_fiscale,
                certificato_soggetto=_fit(ProcuraFirmata, "certificato_soggetto", signer.subject),
                certificato_emittente=_fit(ProcuraFirmata, "certificato_emittente", signer.issuer),
                certificato_seriale=_fit(
                    ProcuraFirmata, "certificato_seriale", signer.serial_number
                ),
                valido_dal=signer.not_before,
                valido_al=signer.not_after,
                firmato_il=signer.signing_time,
                firma_verificata=signer.signature_verified,
                uploaded_by=user,
                **warnings,
            )
            _event(
                r,
                Evento.Tipo.PROCURA,
                Sentence(
                    _("Procura firmata caricata (firmatario: %(who)s, CF %(cf)s)."),
                    who=procura.firmatario or "?",
                    cf=procura.firmatario_cf or "?",
                ),
                stato=r.stato,
                user=user,
            )
            if not procura.has_warnings:
                _start_upload(r, procura, user=user, key=key)
    return procura


def _start_upload(r, procura, *, user, key: str) -> ComunicaCall:
    call = ComunicaCall.objects.create(
        richiesta=r,
        procura=procura,
        kind=ComunicaCall.Kind.UPLOAD,
        intent_key=key,
        requested_by=user,
    )
    _enqueue(call)
    return call


def send_anyway(*, procura: ProcuraFirmata, user, intent_key: str) -> bool:
    """The office has seen the warnings about the signer and sends the procura all the same."""
    key = f"comunica:upload:{intent_key}"
    if ComunicaCall.objects.filter(intent_key=key).exists():
        return False
    with transaction.atomic():
        r = RichiestaComunicazione.objects.select_for_update().get(pk=procura.richiesta_id)
        latest = r.procure.order_by("-uploaded_at", "-pk").first()
        if (
            not r.can_upload
            or latest is None
            or latest.pk != procura.pk
            or procura.calls.exists()
            or _open_calls(kind=ComunicaCall.Kind.UPLOAD, richiesta=r).exists()
        ):
            raise ValidationError(
                _("Questa procura non si può più inviare: ricaricare la pagina."), code="state"
            )
        ProcuraFirmata.objects.filter(pk=procura.pk).update(conferma_forzata=True)
        _event(
            r,
            Evento.Tipo.PROCURA,
            Sentence(_("Inviata nonostante gli avvisi sul firmatario.")),
            stato=r.stato,
            user=user,
        )
        _start_upload(r, procura, user=user, key=key)
    return True


# --------------------------------------------------------------------------- polling and sync


def poll_due(*, now: dt.datetime | None = None) -> int:
    """Refresh the requests whose ``next_poll_at`` is due with one GET /comunica_pec; the detail
    only where the status moved. Returns how many requests were looked at."""
    now = now or timezone.now()
    due = list(
        RichiestaComunicazione.objects.filter(next_poll_at__lte=now)
        .exclude(remote_id=None)
        .order_by("next_poll_at")[:500]
    )
    if not due:
        return 0
    api = client()
    try:
        listed = {item.id: item for item in api.list_comunica()}
    except errors.OpenapiError as exc:
        log.warning("comunica poll: GET /comunica_pec failed (%s)", exc.__class__.__name__)
        for r in due:
            _backoff(r, now=now, error=exc)
        return len(due)
    for r in due:
        item = listed.get(r.remote_id)
        try:
            waiting_receipts = r.stato == Stato.COMUNICAZIONE_EVASA  # still without them
            if item is None or str(item.stato) != r.stato or waiting_receipts:
                apply_remote(r, api.get_comunica(r.remote_id), now=now)
            else:
                _backoff(r, now=now)
        except errors.OpenapiError as exc:
            _backoff(r, now=now, error=exc)
    return len(due)


def _backoff(r: RichiestaComunicazione, *, now, error: errors.OpenapiError | None = None):
    _schedule(r, now=now, reset=False)
    fields = {"next_poll_at": r.next_poll_at, "poll_interval": r.poll_interval}
    if error is None:
        fields["last_synced_at"] = now
    else:
        fields["last_error"] = (error.message or str(error))[:2000]
    RichiestaComunicazione.objects.filter(pk=r.pk).update(**fields)


def refresh(richiesta: RichiestaComunicazione) -> RichiestaComunicazione:
    """Read one request now (GET /comunica_pec/{id})."""
    if not richiesta.remote_id:
        return richiesta
    return apply_remote(richiesta, client().get_comunica(richiesta.remote_id))


def _link_holder(cf_piva: str, casella_pec: str):
    from mailboxes.models import Casella, Titolare

    titolare = None
    if cf_piva:
        titolare = (
            Titolare.objects.filter(codice_fiscale=cf_piva).first()
            or Titolare.objects.filter(partita_iva=cf_piva).first()
        )
    casella = Casella.objects.filter(casella_pec__iexact=casella_pec).first()
    if titolare is None and casella is not None:
        titolare = casella.titolare
    return titolare, casella


@dataclass
class SyncResult:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


def sync_account(*, now: dt.datetime | None = None) -> SyncResult:
    """GET /comunica_pec: update the known requests, import those started elsewhere."""
    now = now or timezone.now()
    api = client()
    result = SyncResult()
    items = api.list_comunica()
    known = {
        r.remote_id: r
        for r in RichiestaComunicazione.objects.filter(remote_id__in=[i.id for i in items if i.id])
    }
    # A request whose POST outcome is still unclear may be one of these: never import it.
    sending = set(
        _open_calls(kind=ComunicaCall.Kind.CREATE).values_list("richiesta__casella_pec", flat=True)
    )
    for item in items:
        if not item.id:
            continue
        r = known.get(item.id)
        if r is not None:
            if str(item.stato) != r.stato or r.last_synced_at is None:
                apply_remote(r, api.get_comunica(item.id), now=now)
                result.updated += 1
            else:
                RichiestaComunicazione.objects.filter(pk=r.pk).update(last_synced_at=now)
                result.unchanged += 1
            continue
        if item.casella_pec.strip().lower() in sending:
            result.skipped += 1
            continue
        _import(api.get_comunica(item.id), now=now)
        result.imported += 1
    return result


def _import(remote: types.Comunica, *, now) -> RichiestaComunicazione | None:
    M = RichiestaComunicazione
    with transaction.atomic():
        if M.objects.filter(remote_id=remote.id).exists():
            return None
        titolare, casella = _link_holder(remote.cf_piva.upper(), remote.casella_pec)
        r = M.objects.create(
            remote_id=remote.id,
            casella_pec=_fit(M, "casella_pec", remote.casella_pec.strip().lower()),
            pec_amministratore=bool(remote.pec_amministratore),
            ragione_sociale=_fit(M, "ragione_sociale", remote.ragione_sociale),
            cf_piva=_fit(M, "cf_piva", remote.cf_piva.upper()),
            comune=_fit(M, "comune", remote.comune),
            provincia=_fit(M, "provincia", remote.provincia.upper()),
            cf=_fit(M, "cf", remote.cf.upper()),
            nome=_fit(M, "nome", remote.nome),
            cognome=_fit(M, "cognome", remote.cognome),
            qualifica=_fit(M, "qualifica", remote.qualifica),
            email=_fit(M, "email", remote.email),
            cellulare=_fit(M, "cellulare", remote.cellulare),
            stato=Stato.NUOVA,
            importata=True,
            titolare=titolare,
            casella=casella,
        )
        _event(
            r, Evento.Tipo.SYNC, Sentence(_("Importata da Openapi (avviata fuori dal portale)."))
        )
    return apply_remote(r, remote, now=now)
