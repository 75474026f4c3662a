"""Legal preservation: PATCH /pec/{id}/conservazione, for an active Legalmail box without it;
the signed preservation form and the requester's ID document (PDF) are uploaded on the
confirmation page. Confirmed when Openapi shows conservazione active; the ID document is deleted
once the call is over (Openapi keeps its own copy)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openapi_pec import prices
from portal import private_files
from portal.history import Sentence
from portal.pdf import CheckedPdf
from portal.remote_calls import OPEN_STATES

from ..forms import SignedDocumentsForm
from ..models import Casella, CasellaCall, Documento, TipoDocumentoCaricato, TipoEvento
from ..services.activation import documents_for_call, store_document
from ..services.history import record
from .declare import declare
from .forms import AdminBatchForm, OperationForm
from .handlers import OperationHandler, not_allowed
from .intents import once, record_intent, refuse
from .pricing import cost_text, price_label
from .rules import ALLOWED, Verdict, active_legalmail

KIND = "conservazione"
STEP = 512
#: Largest preservation space (MB) one request may ask: a typo cannot cost a fortune.
MAX_MB = 20 * 512


def conservazione_price(spazio: int = STEP) -> Decimal:
    return prices.price(prices.Operation.CONSERVAZIONE, spazio_conservazione=spazio)


def price_of(casella: Casella, values) -> Decimal:
    return conservazione_price(values.get("spazio") or STEP)


def allowed(casella: Casella) -> Verdict:
    if not (verdict := active_legalmail(casella)):
        return verdict
    if casella.conservazione:
        return Verdict(False, _("La conservazione a norma è già attiva."))
    return ALLOWED


@once(KIND)
def enable_preservation(
    *,
    casella: Casella,
    modulo: CheckedPdf,
    identita: CheckedPdf,
    spazio: int = STEP,
    intent_key: str,
    user,
) -> CasellaCall:
    """Store the signed preservation form and the ID document, then PATCH /pec/{id}/conservazione
    once. The ID document is deleted once Openapi has it (or the request failed)."""
    try:
        spazio = int(spazio)
    except (TypeError, ValueError):
        spazio = 0
    if spazio <= 0 or spazio % STEP or spazio > MAX_MB:
        raise refuse(
            _("Lo spazio di conservazione va da 512 a %(max)d MB, a multipli di 512.")
            % {"max": MAX_MB},
            "size",
        )
    if modulo is None or identita is None:
        raise refuse(_("Servono il modulo firmato e il documento d'identità."), "documents")
    if modulo.sha256 == identita.sha256:
        raise refuse(
            _("Hai caricato due volte lo stesso file: servono il modulo e il documento."),
            "same_file",
        )
    price = conservazione_price(spazio)

    def store(locked: Casella) -> dict[str, Any]:
        docs = [
            store_document(
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
        return record_intent(
            casella,
            KIND,
            intent_key,
            user,
            params={"spazio_conservazione": spazio},
            price=price,
            message=Sentence(
                gettext_lazy(
                    "Attivazione della conservazione a norma richiesta, %(mb)d MB (%(cost)s)."
                ),
                mb=spazio,
                cost=cost_text(price),
            ),
            before_create=store,
        )


class ConservazioneHandler(OperationHandler):
    """Confirmed when Openapi shows conservazione active. The ID document is deleted once the
    call is over (Openapi keeps its own copy)."""

    kind = KIND
    endpoint = "PATCH /pec/{id}/conservazione"
    not_for_type = gettext_lazy("Conservazione non disponibile per questo tipo di casella.")
    not_sent = gettext_lazy("Conservazione non inviata: per Openapi la casella è «%(stato)s».")

    def precheck(self, call, current):
        super().precheck(call, current)
        if current.conservazione:
            raise not_allowed(_("Per Openapi la conservazione a norma è già attiva."))

    def send(self, client, call, casella):
        documents = documents_for_call(call)
        return client.conservazione(
            casella.remote_id,
            documents,
            spazio_conservazione=int(call.params.get("spazio_conservazione", STEP)),
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
        record(
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
    for call in CasellaCall.objects.filter(kind=KIND).exclude(state__in=OPEN_STATES):
        if Documento.objects.filter(
            pk__in=call.params.get("documenti", []),
            tipo=TipoDocumentoCaricato.IDENTITA_CONSERVAZIONE,
            deleted_at__isnull=True,
        ).exists():
            pks.add(call.pk)
    return sum(purge_preservation_identity(pk) for pk in pks)


class ConservazioneForm(OperationForm):
    spazio = forms.TypedChoiceField(label=gettext_lazy("Spazio di conservazione"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spazio"].choices = [
            (mb, f"{mb} MB — {price_label(conservazione_price(mb))}")
            for mb in range(STEP, STEP * 10 + 1, STEP)
        ]
        self.initial.setdefault("spazio", STEP)

    def summary(self):
        return [(_("Spazio di conservazione"), f"{self.cleaned_data['spazio']} MB")]


class ConservazioneDocumentiForm(SignedDocumentsForm):
    modulo = forms.FileField(label=gettext_lazy("Modulo di conservazione firmato (PDF)"))


class ConservazioneAdminForm(AdminBatchForm):
    spazio = forms.TypedChoiceField(label=gettext_lazy("Spazio (MB)"), coerce=int, initial=STEP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spazio"].choices = [(n * STEP, str(n * STEP)) for n in range(1, 11)]


SPEC = declare(
    __name__,
    label=gettext_lazy("Conservazione a norma"),
    title=gettext_lazy("Attiva la conservazione a norma"),
    order=50,
    uploads=ConservazioneDocumentiForm,
    admin_single_box=gettext_lazy(
        "La conservazione si attiva una casella alla volta: selezionane una."
    ),
    intro=lambda casella: _(
        "Dopo aver scelto lo spazio scarichi il modulo di conservazione, lo fai firmare e lo "
        "carichi con il documento d'identità del richiedente."
    ),
    confirm_template="mailboxes/operations/conservazione.html",
    priced_by_type=False,
)
