"""Activating a box: the signed form and the ID document are stored (privately) with the
activation intent, which a task sends at most once (PATCH /pec/{id}/attivazione)."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openapi_pec import errors
from portal import private_files
from portal.history import Sentence
from portal.pdf import CheckedPdf, merge_pdfs
from portal.remote_calls import OPEN_STATES, enqueue_call

from ..models import CallKind, Casella, CasellaCall, Documento, TipoDocumentoCaricato, TipoEvento
from .history import record


def open_call(casella: Casella, kind: str) -> CasellaCall | None:
    return casella.calls.filter(kind=kind, state__in=OPEN_STATES).first()


def upload_documents(
    *,
    casella: Casella,
    modulo: CheckedPdf,
    identita: CheckedPdf,
    intent_key: str,
    user,
) -> CasellaCall:
    """Store the checked PDFs and record the activation intent (one transaction); the task that
    sends PATCH /pec/{id}/attivazione is enqueued after commit. If anything fails on the way (a
    full disk, the database), the files written so far are deleted and a ValidationError says
    so: nothing is recorded."""
    existing = CasellaCall.objects.filter(intent_key=intent_key).first()
    if existing:
        return existing
    if casella.needs_single_pdf:  # the portal joins them in the one PDF Openapi asks for
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
        enqueue_call(call)
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
