"""The portal's own exports import back as they are: a portfolio (holders of every client type,
Openapi boxes, boxes of other providers) exported as CSV and as XLSX through the list views,
its holders and other providers' boxes wiped, the files imported through the import page: the
same holders with the same fields, the same other providers' boxes with provider, expiry and
holder; the Openapi boxes recognised by address and skipped; a second import creates nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from stdnum.it import codicefiscale

from mailboxes.models import Casella, Evento, Gestore, Stato, Titolare
from portfolio.services import columns, importing, other_providers

from ..cockpit import portfolio
from .test_import import piva

pytestmark = pytest.mark.django_db

COMPANIES = 60


def person_cf(n: int) -> str:
    base = f"RSSMRA80A{n % 28 + 1:02d}H{501 + n // 28:03d}"
    return base + codicefiscale.calc_check_digit(base)


def holder(code: str, **kw) -> Titolare:
    data = {
        "tipo_cliente": "IM",
        "sottotipo_cliente": "SI",
        "denominazione": "",
        "codice_fiscale": code,
        "partita_iva": "",
        "indirizzo": "Via Garibaldi 1",
        "cap": "00184",
        "comune": "Roma",
        "provincia": "RM",
        "nazione": "IT",
    } | kw
    return Titolare.objects.create(**data)


def build(office) -> None:
    """Holders of each client type, companies with boxes at Openapi and at other providers, an
    Openapi box without holder."""
    n = iter(range(1, 10_000))
    typed = [
        holder(piva(next(n)), denominazione="Società Nicolò Srl", partita_iva=piva(1),
               email="info@nicolo.it", telefono="0612345678",
               note="Cliente dal 2019; paga a 30 giorni\nseconda riga"),
        holder(piva(next(n)), sottotipo_cliente="X", sottotipo_cliente_altro="Cantine",
               denominazione="Cantina «Sociale» Scarl"),
        holder(person_cf(1), tipo_cliente="PS", sottotipo_cliente="PA", cognome="D'Àrco",
               nome="Nicolò", partita_iva=piva(next(n)), provincia="MI", comune="Milano",
               cap="20121"),
        holder(piva(next(n)), tipo_cliente="PL", sottotipo_cliente="LC",
               denominazione="Comune di Città Sant'Angelo", provincia="PE", cap="65013",
               comune="Città Sant'Angelo"),
        holder(piva(next(n)), tipo_cliente="PC", sottotipo_cliente="",
               denominazione="Ministero dell'Esempio"),
        holder(piva(next(n)), tipo_cliente="A", sottotipo_cliente="",
               denominazione="Associazione Amici; del Borgo"),
        holder(person_cf(2), tipo_cliente="PV", sottotipo_cliente="", cognome="Rossi",
               nome="Maria", indirizzo="Piazza Navona 3, int. 2"),
        holder(piva(next(n)), tipo_cliente="X", sottotipo_cliente="", denominazione="Ente Altro",
               nazione="IT"),
    ]  # fmt: skip
    providers = [g for g in Gestore.values if g != Gestore.OPENAPI]
    expiry = dt.date(2027, 1, 31)
    for i in range(COMPANIES):
        company = holder(piva(next(n)), denominazione=f"Impresa {i} Srl", partita_iva="")
        for k in range(2):
            other_providers.add_box(
                titolare=company,
                casella_pec=f"impresa{i}.{k}@pec.altro.it",
                gestore=providers[(i + k) % len(providers)],
                data_scadenza=expiry + dt.timedelta(days=i * 3 + k),
                user=office,
            )
        if i % 3 == 0:
            portfolio.box(company, Stato.EVASA, scadenza=expiry)
    for i, t in enumerate(typed):
        other_providers.add_box(
            titolare=t,
            casella_pec=f"tipo{i}@pec.aruba.it",
            gestore=Gestore.ARUBA,
            data_scadenza=expiry,
            user=office,
        )
    portfolio.box(typed[0], Stato.REGISTRATA)  # an Openapi box not active yet
    portfolio.box(None, Stato.EVASA, scadenza=expiry)  # the sync's, no holder yet


def snapshot() -> tuple[dict, dict, dict]:
    """(holders by codice fiscale with their columns' fields, the other providers' boxes,
    the Openapi boxes): what an export and its import keep."""
    holders = {t["codice_fiscale"]: t for t in Titolare.objects.values(*columns.HOLDER_FIELDS)}
    boxes = Casella.objects.order_by("casella_pec")
    others = {
        b[0]: b[1:]
        for b in boxes.exclude(gestore=Gestore.OPENAPI).values_list(
            "casella_pec", "gestore", "data_scadenza", "stato", "titolare__codice_fiscale"
        )
    }
    openapi = {
        b[0]: b[1:]
        for b in boxes.filter(gestore=Gestore.OPENAPI).values_list(
            "casella_pec", "stato", "remote_id", "titolare_id", "data_scadenza"
        )
    }
    return holders, others, openapi


def download(client, what: str, form: str) -> bytes:
    response = client.get(f"/portafoglio/esporta/{what}/", {"formato": form})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def import_file(client, content: bytes, name: str) -> importing.Preview:
    """Upload, check the preview has no invalid row and no unknown column, import all."""
    response = client.post("/portafoglio/importa/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200, response.content.decode()[:2000]
    preview = response.context["preview"]
    assert preview.unknown_columns == []
    assert preview.invalid == 0, [(r.number, r.errors) for r in preview.rows if r.errors]
    assert not preview.to_register  # nothing of an export asks for a new Openapi box
    response = client.post("/portafoglio/importa/", {"modo": "tutto"}, follow=True)
    assert "Nulla importato" not in response.content.decode()
    return preview


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_the_exports_import_back_to_the_same_data(client, office, form):
    build(office)
    holders, others, openapi = snapshot()
    client.force_login(office)
    page = client.get("/portafoglio/importa/").content.decode()
    assert "Anche gli export delle caselle e dei titolari del portale si importano" in page
    boxes_file = download(client, "caselle", form)
    holders_file = download(client, "titolari", form)
    if form == "csv":
        assert boxes_file.startswith("\ufeff".encode()) and b";" in boxes_file.splitlines()[0]

    # Wipe what an import brings back: other providers' boxes, and every holder the Openapi
    # boxes (kept: the sync's) do not hold.
    Casella.objects.exclude(gestore=Gestore.OPENAPI).delete()
    Titolare.objects.filter(caselle__isnull=True).delete()
    kept = Titolare.objects.count()
    assert kept < len(holders) and not Casella.objects.exclude(gestore=Gestore.OPENAPI).exists()

    # The boxes export alone brings back the boxes and the holders that have one.
    preview = import_file(client, boxes_file, f"caselle.{form}")
    assert preview.other_boxes == len(others)
    assert preview.existing == len(openapi)  # by address, the unassigned one too
    assert set(Casella.objects.exclude(gestore=Gestore.OPENAPI).values_list(
        "casella_pec", flat=True)) == set(others)  # fmt: skip
    # ... and the holders export the rest.
    import_file(client, holders_file, f"titolari.{form}")

    assert snapshot() == (holders, others, openapi)
    # each box of another provider has its history line, as one entered by hand
    other_boxes = Evento.objects.exclude(casella__gestore=Gestore.OPENAPI)
    assert other_boxes.count() == len(others)

    # The same files again: every row already there, nothing created.
    for content, name in ((boxes_file, "caselle"), (holders_file, "titolari")):
        preview = import_file(client, content, f"{name}.{form}")
        assert preview.valid == 0 and preview.existing == len(preview.rows)
    assert snapshot() == (holders, others, openapi)


def test_an_english_export_imports_too(client, office):
    """The header row is in the reader's language: the import knows it in every language."""
    build(office)
    holders, others, openapi = snapshot()
    client.force_login(office)
    client.cookies["django_language"] = "en"
    boxes_file = download(client, "caselle", "csv")
    assert boxes_file.decode("utf-8-sig").startswith("PEC mailbox;")
    client.cookies["django_language"] = "it"
    Casella.objects.exclude(gestore=Gestore.OPENAPI).delete()
    Titolare.objects.filter(caselle__isnull=True).delete()
    import_file(client, boxes_file, "caselle.csv")
    now = snapshot()
    assert now[1:] == (others, openapi)
    assert {cf: holders[cf] for cf in now[0]} == now[0]


def test_an_exported_openapi_box_missing_here_is_not_registered_again(client, office):
    company = holder(piva(1), denominazione="Impresa Srl")
    box = portfolio.box(company, Stato.EVASA)
    client.force_login(office)
    boxes_file = download(client, "caselle", "csv")
    box.delete()
    response = client.post(
        "/portafoglio/importa/", {"file": SimpleUploadedFile("caselle.csv", boxes_file)}
    )
    (row,) = response.context["preview"].rows
    assert row.verdict == importing.INVALID and not response.context["preview"].to_register
    assert "già registrata su Openapi" in response.content.decode()


def test_a_boxes_export_of_the_old_columns_imports_too(client, office):
    """Before one vocabulary the boxes export called the box's address "Indirizzo" (the
    holders' street): a file kept from then still brings back its boxes."""
    company = holder(piva(1), denominazione="Impresa Srl")
    box = portfolio.box(company, Stato.EVASA)
    old = [
        "Indirizzo;Tipo;Stato;Titolare;Cognome;Nome;Codice fiscale del titolare;Scadenza;"
        "Attivata il;Rinnovo automatico;Id Openapi;Gestore",
        f"{box.casella_pec};STANDARD;Attiva;Impresa Srl;;;{piva(1)};;;no;{box.remote_id};Openapi",
        f"impresa@pec.aruba.it;;Attiva;Impresa Srl;;;{piva(1)};31/01/2027;;no;;Aruba",
    ]
    client.force_login(office)
    preview = import_file(client, "\ufeff".encode() + "\r\n".join(old).encode(), "old.csv")
    assert (preview.existing, preview.other_boxes) == (1, 1)
    aruba = Casella.objects.get(casella_pec="impresa@pec.aruba.it")
    assert (aruba.gestore, aruba.data_scadenza, aruba.titolare) == (
        Gestore.ARUBA,
        dt.date(2027, 1, 31),
        company,
    )
