"""A sample portfolio for the demo (``SAMPLE=1 make run``, or ``manage.py sample_portfolio``):
holders of every kind, boxes in several states seeded at the built-in sandbox and imported by
the portal's own sync, and a comunica request on its way. Only against the demo's sandbox, and
only once (a second run finds the sample's holders and does nothing)."""

from __future__ import annotations

import uuid

import requests
from django.conf import settings
from django.db import transaction

from comunica.services import creation
from mailboxes.models import Casella, Titolare
from mailboxes.services import sync

#: (ragione sociale / nome cognome, tipo, codice fiscale, partita IVA, comune, provincia, cap)
HOLDERS = [
    ("Rossi & Bianchi Srl", "IM", "SI", "00743110157", "00743110157", "Milano", "MI", "20121"),
    ("Ferrari Costruzioni Spa", "IM", "ED", "01234560017", "01234560017", "Torino", "TO", "10121"),
    ("Comunità Montana Alta Valle", "PL", "LM", "80012340018", "", "Sondrio", "SO", "23100"),
    ("Mario Rossi", "PS", "PC", "RSSMRA85T10A562S", "12345678903", "Roma", "RM", "00184"),
]
#: Boxes seeded at the sandbox: (status, how many, type).
BOXES = [
    ("evasa", 5, "STANDARD"),
    ("evasa", 1, "GOLD"),
    ("evasa", 1, "DOMICILIODIGITALE"),
    ("registrata", 2, "STANDARD"),
    ("in_evasione", 1, "STANDARD"),
    ("documenti_errati", 1, "STANDARD"),
    ("revocata", 1, "STANDARD"),
]
PREFIX = "esempio-"


class SampleError(Exception):
    """The sample cannot be made here (not the demo, or its sandbox does not answer)."""


def _seed(stato: str, n: int, tipo: str) -> None:
    body = {"n": n, "stato": stato, "tipo": tipo, "prefix": f"{PREFIX}{stato[:4]}-"}
    try:
        response = requests.post(
            f"{settings.SANDBOX_URL.rstrip('/')}/_sandbox/seed", json=body, timeout=10
        )
        response.raise_for_status()
    except requests.RequestException as exc:
        raise SampleError(f"the sandbox at {settings.SANDBOX_URL} does not answer ({exc})") from exc


def make_sample(*, user) -> dict[str, int]:
    """Make the sample portfolio; what was made (empty when it was already there)."""
    if not settings.OPENAPI_DEMO:
        raise SampleError("a sample portfolio is made only in the demo (the built-in sandbox)")
    if Titolare.objects.filter(codice_fiscale=HOLDERS[0][3]).exists():
        return {}
    for stato, n, tipo in BOXES:
        _seed(stato, n, tipo)
    sync.sync_account()
    with transaction.atomic():
        holders = []
        for name, tipo, sottotipo, cf, piva, comune, provincia, cap in HOLDERS:
            person = tipo == "PS"
            nome, cognome = name.split(" ", 1) if person else ("", "")
            holders.append(
                Titolare.objects.create(
                    tipo_cliente=tipo,
                    sottotipo_cliente=sottotipo,
                    denominazione="" if person else name,
                    nome=nome,
                    cognome=cognome,
                    codice_fiscale=cf,
                    partita_iva=piva,
                    indirizzo="Via Roma 1",
                    comune=comune,
                    provincia=provincia,
                    cap=cap,
                    email=f"info{len(holders) + 1}@esempio.invalid",
                )
            )
        boxes = list(
            Casella.objects.filter(casella_pec__startswith=PREFIX, titolare__isnull=True)
            .order_by("casella_pec")
            .only("pk")
        )
        for i, box in enumerate(boxes):
            box.titolare = holders[i % len(holders)]
        Casella.objects.bulk_update(boxes, ["titolare"])
    active = (
        Casella.objects.filter(titolare=holders[0], stato="evasa").order_by("casella_pec").first()
    )
    first = holders[0]
    creation.create_richiesta(
        data={
            "pec_amministratore": False,
            "casella_pec": active.casella_pec if active else "rossibianchi@legalmail.it",
            "pec_impresa": "",
            "ragione_sociale": first.denominazione,
            "cf_piva": first.partita_iva,
            "comune": first.comune,
            "provincia": first.provincia,
            "nome": "Mario",
            "cognome": "Rossi",
            "cf": "RSSMRA85T10A562S",
            "qualifica": "LEGALE_RAPPRESENTANTE",
            "email": "mario.rossi@esempio.invalid",
            "cellulare": "3471234567",
        },
        user=user,
        intent_key=f"sample-{uuid.uuid4()}",
        titolare=first,
        casella=active,
    )
    return {"holders": len(holders), "boxes": len(boxes), "comunica": 1}
