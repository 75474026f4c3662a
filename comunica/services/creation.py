"""A new request (POST /comunica_pec, paid): recorded with its intent in one transaction, sent
at most once by a task; a refused one can be sent again."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from mailboxes.models import Casella, Titolare
from openapi_pec import prices
from portal import remote_calls
from portal.history import Sentence

from ..models import ComunicaCall, ComunicaCallKind, Evento, RichiestaComunicazione, StatoRichiesta
from .calls import open_calls
from .history import record


def price():
    return prices.price(prices.Operation.COMUNICA)


def enqueue(call: ComunicaCall) -> None:
    remote_calls.enqueue_call(call)


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
        found_titolare, found_casella = link_holder(data.get("cf_piva", ""), address)
        titolare = titolare or found_titolare
        if (
            casella is None
            and found_casella is not None
            and (titolare is None or found_casella.titolare_id in (None, titolare.pk))
        ):
            casella = found_casella
    try:
        with transaction.atomic():
            if open_calls(kind=ComunicaCallKind.CREATE, richiesta__casella_pec=address).exists():
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
                stato=StatoRichiesta.NUOVA,
            )
            call = _record_intent(
                richiesta,
                key=key,
                user=user,
                tipo=Evento.Tipo.CREATA,
                message=_("Richiesta creata; invio a Openapi (costo %(price)s €)."),
            )
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
        if r.stato != StatoRichiesta.NON_INVIATA or r.remote_id:
            raise ValidationError(_("La richiesta non è da inviare di nuovo."), code="state")
        if open_calls(kind=ComunicaCallKind.CREATE, richiesta__casella_pec=r.casella_pec).exists():
            raise ValidationError(_("Un invio per questo indirizzo è già in corso."), code="busy")
        r.stato = StatoRichiesta.NUOVA
        r.last_error = ""
        r.save(update_fields=["stato", "last_error", "updated_at"])
        return _record_intent(
            r,
            key=key,
            user=user,
            tipo=Evento.Tipo.INVIO,
            message=_("Nuovo invio a Openapi (costo %(price)s €)."),
        )


def _record_intent(richiesta, *, key: str, user, tipo: str, message) -> ComunicaCall:
    """The POST intent of a request now nuova, its timeline line, its task after commit."""
    call = ComunicaCall.objects.create(
        richiesta=richiesta,
        kind=ComunicaCallKind.CREATE,
        intent_key=key,
        price=price(),
        requested_by=user,
    )
    record(
        richiesta,
        tipo,
        Sentence(message, price=call.price),
        stato=StatoRichiesta.NUOVA,
        user=user,
    )
    enqueue(call)
    return call


def link_holder(cf_piva: str, casella_pec: str):
    """The office's holder (and box) a request is for, when the company is one of them."""
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
