"""The signed procura (.p7m): stored privately and sent to Openapi (PATCH
/comunica_pec/{id}) at once when the signer is the applicant with a valid certificate; otherwise
it waits for the office's "send anyway"."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import private_files
from portal.history import Sentence

from .. import files
from ..models import ComunicaCall, ComunicaCallKind, Evento, ProcuraFirmata, RichiestaComunicazione
from .calls import open_calls
from .creation import enqueue
from .history import record
from .mirror import fit


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
            if not r.can_upload or open_calls(kind=ComunicaCallKind.UPLOAD, richiesta=r).exists():
                raise ValidationError(
                    _("Una procura per questa richiesta è già in invio a Openapi."), code="busy"
                )
            procura = ProcuraFirmata.objects.create(
                richiesta=r,
                file=name,
                nome_originale=fit(ProcuraFirmata, "nome_originale", original_name),
                sha256=info.sha256,
                size=len(info.der),
                firmatario=fit(ProcuraFirmata, "firmatario", signer.display_name),
                firmatario_cf=signer.codice_fiscale,
                certificato_soggetto=fit(ProcuraFirmata, "certificato_soggetto", signer.subject),
                certificato_emittente=fit(ProcuraFirmata, "certificato_emittente", signer.issuer),
                certificato_seriale=fit(
                    ProcuraFirmata, "certificato_seriale", signer.serial_number
                ),
                valido_dal=signer.not_before,
                valido_al=signer.not_after,
                firmato_il=signer.signing_time,
                firma_verificata=signer.signature_verified,
                uploaded_by=user,
                **warnings,
            )
            record(
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
        kind=ComunicaCallKind.UPLOAD,
        intent_key=key,
        requested_by=user,
    )
    enqueue(call)
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
            or open_calls(kind=ComunicaCallKind.UPLOAD, richiesta=r).exists()
        ):
            raise ValidationError(
                _("Questa procura non si può più inviare: ricaricare la pagina."), code="state"
            )
        ProcuraFirmata.objects.filter(pk=procura.pk).update(conferma_forzata=True)
        record(
            r,
            Evento.Tipo.PROCURA,
            Sentence(_("Inviata nonostante gli avvisi sul firmatario.")),
            stato=r.stato,
            user=user,
        )
        _start_upload(r, procura, user=user, key=key)
    return True
