"""Registering a box (POST /pec, paid): the intent is recorded with the box and its requester
in one transaction, and sent at most once by a task (portal/remote_calls.py)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openapi_pec import prices
from openapi_pec.types import RegistrationRequest
from portal.callbacks import callback_for
from portal.history import Sentence
from portal.remote_calls import enqueue_call, recorded_intent

from ..models import CallKind, Casella, CasellaCall, Richiedente, Stato, TipoEvento, Titolare
from .history import record
from .polling import BOXES


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
            return _record_intent(
                casella,
                intent_key=intent_key,
                user=user,
                message=gettext_lazy("Registrazione richiesta (costo %(price)s €)."),
            )
    except IntegrityError:
        # The same address, or this very intent, recorded by a concurrent submit.
        return _recorded_by_another(intent_key, address)


def retry_registration(*, casella: Casella, intent_key: str, user) -> CasellaCall:
    """A refused registration, tried again (a new intent, charged again if it succeeds)."""
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
            return _record_intent(
                casella,
                intent_key=intent_key,
                user=user,
                message=gettext_lazy("Registrazione richiesta di nuovo (costo %(price)s €)."),
                before=Stato.NON_REGISTRATA,
            )
    except IntegrityError:
        return _recorded_by_another(intent_key, casella.casella_pec)


def _record_intent(
    casella: Casella, *, intent_key: str, user, message, before: str = ""
) -> CasellaCall:
    """The POST /pec intent of a box now nuova, its history line, its task after commit."""
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
        Sentence(message, price=call.price),
        da=before,
        a=Stato.NUOVA,
        user=user,
    )
    enqueue_call(call)
    return call


def _recorded_by_another(intent_key: str, address: str) -> CasellaCall:
    """After an IntegrityError: this intent, recorded by a concurrent submit; or the address,
    registered by another one."""
    again = registration_intent(intent_key)
    if again:
        return again
    raise ValidationError(
        _("L'indirizzo %(address)s è già registrato nel portale.") % {"address": address},
        code="duplicate",
    ) from None


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
        callback=callback_for(BOXES, casella.pk, data_key="casella"),
        tipo_documento=r.tipo_documento,
        numero_documento=r.numero_documento,
        data_scadenza_documento=r.data_scadenza_documento,
        documento_rilasciato_da=r.documento_rilasciato_da,
        data_rilascio_documento=r.data_rilascio_documento,
    )
