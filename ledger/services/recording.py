"""Writing the ledger: one entry per paid intent, when the intent is marked done.

``portal.remote_calls.call_done`` is sent in the transaction that marks an intent done, so the
entry commits with it (or not at all). The entry is unique per intent (``fonte``, ``call_id``):
an intent that was retried, settled after a lost answer, or run by two workers is one row of
the intents' table and one entry here. :func:`record_charges` catches up the intents charged
before the ledger existed (and fills in the holder of a box adopted since)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from comunica.models import ComunicaCall, ComunicaCallKind
from mailboxes.models import Casella, CasellaCall, Stato, Titolare
from portal.remote_calls import CallState, call_done

from ..models import Addebito, Fonte, Operazione

PAID_BOX_KINDS = tuple(
    op for op in Operazione.values if op != Operazione.COMUNICA
)  # CasellaCall.kind spells them as openapi_pec.prices does


def _box_entry(call: CasellaCall) -> Addebito:
    casella = call.casella
    return Addebito(
        fonte=Fonte.CASELLA,
        call_id=call.pk,
        operazione=call.kind,
        titolare_id=casella.titolare_id,
        casella=casella,
        indirizzo=casella.casella_pec,
        prezzo=call.price,
        richiesto_il=call.created_at,
        addebitato_il=call.finished_at,
    )


def holder_by_code(code: str) -> Titolare | None:
    code = (code or "").strip().upper()
    if code.startswith("IT") and len(code) == 13:
        code = code[2:]
    if not code:
        return None
    return (
        Titolare.objects.filter(Q(codice_fiscale__iexact=code) | Q(partita_iva__iexact=code))
        .order_by("pk")
        .first()
    )


def _comunica_entry(call: ComunicaCall) -> Addebito:
    richiesta = call.richiesta
    casella = (
        Casella.objects.filter(casella_pec__iexact=richiesta.casella_pec)
        .exclude(stato=Stato.NON_REGISTRATA)
        .first()
    )
    titolare = holder_by_code(richiesta.cf_piva)
    if titolare is None and casella is not None:
        titolare = casella.titolare
    return Addebito(
        fonte=Fonte.COMUNICA,
        call_id=call.pk,
        operazione=Operazione.COMUNICA,
        titolare=titolare,
        casella=casella,
        indirizzo=richiesta.casella_pec,
        prezzo=call.price,
        richiesto_il=call.created_at,
        addebitato_il=call.finished_at,
    )


def entry_for(call) -> Addebito | None:
    """The ledger entry of a done intent, or None when it cost nothing."""
    if not call.price or call.price <= 0 or call.finished_at is None:
        return None
    if isinstance(call, CasellaCall):
        return _box_entry(call) if call.kind in PAID_BOX_KINDS else None
    if isinstance(call, ComunicaCall):
        return _comunica_entry(call) if call.kind == ComunicaCallKind.CREATE else None
    return None


def on_call_done(sender, call, **kwargs) -> None:
    entry = entry_for(call)
    if entry is not None:
        Addebito.objects.bulk_create([entry], ignore_conflicts=True)


def connect() -> None:
    call_done.connect(on_call_done, dispatch_uid="ledger.on_call_done")


def record_charges(batch: int = 500) -> int:
    """Record the charged intents the ledger does not have yet; returns how many."""
    created = 0
    sources = (
        (
            Fonte.CASELLA,
            CasellaCall.objects.filter(kind__in=PAID_BOX_KINDS).select_related("casella"),
        ),
        (
            Fonte.COMUNICA,
            ComunicaCall.objects.filter(kind=ComunicaCallKind.CREATE).select_related("richiesta"),
        ),
    )
    for fonte, qs in sources:
        missing = (
            qs.filter(state=CallState.DONE, price__gt=0, finished_at__isnull=False)
            .exclude(Exists(Addebito.objects.filter(fonte=fonte, call_id=OuterRef("pk"))))
            .order_by("pk")
        )
        entries = []
        for call in missing.iterator(chunk_size=batch):
            entry = entry_for(call)
            if entry is not None:
                entries.append(entry)
            if len(entries) >= batch:
                created += len(Addebito.objects.bulk_create(entries, ignore_conflicts=True))
                entries = []
        if entries:
            created += len(Addebito.objects.bulk_create(entries, ignore_conflicts=True))
    # A box adopted after it was charged: its entries get the holder it has now.
    for casella_id, titolare_id in (
        Addebito.objects.filter(titolare__isnull=True, casella__titolare__isnull=False)
        .values_list("casella_id", "casella__titolare_id")
        .distinct()
    ):
        Addebito.objects.filter(casella_id=casella_id, titolare__isnull=True).update(
            titolare_id=titolare_id
        )
    return created
