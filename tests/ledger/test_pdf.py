"""The printable documents, read back with pypdf: the statement holds its totals; the client
summary its boxes with expiry and status, what is left to sign and the period's costs."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from ledger.models import Ricarico
from ledger.services.statement import this_month
from mailboxes.models import Casella, Stato

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_statement_pdf_holds_the_totals(office_client, holder, entry):
    Ricarico.objects.create(operazione="", percentuale=Decimal("10"))
    alfa = holder("Alfa Srl")
    entry(alfa, "1000.00", "registrazione", indirizzo="alfa@pec.it")
    entry(alfa, "22.00", "rinnovo", indirizzo="alfa@pec.it")
    periodo = this_month()
    response = office_client.get(
        reverse("ledger:prospetto", args=[alfa.pk]),
        {"dal": periodo.dal.isoformat(), "al": periodo.al.isoformat(), "formato": "pdf"},
    )
    text = text_of(response)
    # 1.100,00 + 24,20 = 1.124,20 net; IVA 22% 247,32; gross 1.371,52
    for expected in (
        "Prospetto dei costi PEC",
        "Alfa Srl",
        alfa.codice_fiscale,
        "alfa@pec.it",
        "1.100,00 €",
        "24,20 €",
        "Totale imponibile",
        "1.124,20 €",
        "IVA 22%",
        "247,32 €",
        "1.371,52 €",
        f"{periodo.dal:%d/%m/%Y}",
    ):
        assert expected in text, (expected, text)


def test_statement_pdf_of_many_entries_runs_over_pages(office_client, holder, entry):
    alfa = holder("Alfa Srl")
    for _ in range(120):
        entry(alfa, "11.00")
    response = office_client.get(reverse("ledger:prospetto", args=[alfa.pk]), {"formato": "pdf"})
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) > 1
    assert "1.320,00 €" in reader.pages[-1].extract_text()  # 120 × 11,00


def test_client_summary_pdf(office_client, holder, entry):
    alfa = holder("Alfa Srl")
    expiry = dt.date.today() + dt.timedelta(days=40)
    Casella.objects.create(
        titolare=alfa,
        casella_pec="attiva@pec.it",
        tipo_casella="STANDARD",
        stato=Stato.EVASA,
        data_scadenza=expiry,
    )
    Casella.objects.create(
        titolare=alfa, casella_pec="dafirmare@pec.it", tipo_casella="GOLD", stato=Stato.REGISTRATA
    )
    entry(alfa, "64.00", indirizzo="dafirmare@pec.it")
    text = text_of(office_client.get(reverse("ledger:riepilogo", args=[alfa.pk])))
    for expected in (
        "Riepilogo del cliente",
        "Alfa Srl",
        "attiva@pec.it",
        f"{expiry:%d/%m/%Y}",
        "Attiva",
        "dafirmare@pec.it",
        "Da firmare",
        "Modulo di attivazione della casella dafirmare@pec.it",
        "64,00 €",
        "78,08 €",  # 64,00 + IVA 22%
    ):
        assert expected in text, (expected, text)
