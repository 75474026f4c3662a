"""What the portal keeps of a requester's personal data, and for how long: the ID documents are
deleted when no longer needed, and the data copied from them scrubbed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.history import Sentence
from portal.remote_calls import OPEN_STATES

from ..models import (
    CallKind,
    Casella,
    CasellaCall,
    Documento,
    Evento,
    Richiedente,
    Stato,
    TipoDocumentoCaricato,
    TipoEvento,
)
from .history import record

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
