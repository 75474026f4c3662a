"""Importing holders from the office's files (5,000 rows, built here in the awkward forms an
Italian Excel produces): every invalid row in the preview with its reason per field, "all or
nothing" imports nothing, "valid rows only" imports exactly those, a second import of the same
file creates nothing, bad files are refused with a message and never a 500."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook
from stdnum import luhn

from mailboxes.models import Titolare
from portfolio.services import importing

from ..cockpit import portfolio

pytestmark = pytest.mark.django_db

ROWS = 5000
HEADER = importing.template_rows()[0]


def piva(n: int) -> str:
    base = f"{n:07d}001"
    return base + luhn.calc_check_digit(base)


def build_rows() -> tuple[list[list], dict[int, str], int]:
    """(rows, {file row number: the field expected in its reason}, valid count); one row in
    every 50 is broken in one of five ways, one in every 100 is a holder already known."""
    rows, broken, valid = [], {}, 0
    for i in range(ROWS):
        number = i + 2
        code = piva(i + 1)
        row = ["IM", "SI", f"Società Nicolò {i} Srl", "", "", code, code, "Via Garibaldi 1",
               "00184", "Roma", "rm", "IT", "", "", ""]  # fmt: skip
        kind = i % 50
        if kind == 1:
            row[5] = code[:-1] + str((int(code[-1]) + 1) % 10)
            broken[number] = "Codice fiscale"
        elif kind == 2:
            row[8] = "0018"  # a CAP of 4 digits (as text: in Excel a number is padded)
            broken[number] = "CAP"
        elif kind == 3:
            row[2] = ""
            broken[number] = "Ragione sociale"
        elif kind == 4:
            row[10] = "ZZ"
            broken[number] = "Provincia"
        elif kind == 5:
            row[5] = piva(i)  # the previous row's: a duplicate within the file
            broken[number] = "Codice fiscale"
        elif kind == 6:
            row = ["PV", "", "", "D'Àrco", "Nicolò", "rssmra80a01h501u", "", "Via Po 2",
                   "20121", "Milano", "MI", "IT", "", "", ""]  # fmt: skip
            if i != 6:
                broken[number] = "Codice fiscale"  # the same person again
        if number not in broken and i % 100 != 7:
            valid += 1
        rows.append(row)
    return rows, broken, valid


def known_holders(rows) -> int:
    """Holders already in the portal: one in every 100 rows (lower case in the file)."""
    n = 0
    for i in range(7, ROWS, 100):
        portfolio.holder(codice_fiscale=rows[i][5], partita_iva=rows[i][6])
        rows[i][5] = rows[i][5].lower()
        n += 1
    return n


def as_csv(rows) -> bytes:
    lines = [";".join(HEADER)] + [";".join(r) for r in rows]
    return "\ufeff".encode() + "\r\n".join(lines).encode("utf-8")


def as_xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for r in rows:
        # Excel turns a CAP into a number
        sheet.append([int(v) if k == 8 and len(v) == 5 else v for k, v in enumerate(r)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, content: bytes, name: str):
    return client.post("/portafoglio/importa/", {"file": SimpleUploadedFile(name, content)})


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_large_file_in_the_awkward_forms(client, office, form):
    rows, broken, valid = build_rows()
    existing = known_holders(rows)
    content = as_csv(rows) if form == "csv" else as_xlsx(rows)
    client.force_login(office)

    response = upload(client, content, f"clienti.{form}")
    assert response.status_code == 200
    shown = response.context["preview"]
    invalid = {r.number: r for r in shown.rows if r.verdict == importing.INVALID}
    assert set(invalid) == set(broken)
    for number, field in broken.items():
        assert field in invalid[number].errors, (number, invalid[number].errors)
    assert shown.existing == existing and shown.valid == valid
    html = response.content.decode()
    assert "Il CAP ha 5 cifre." in html and "Codice fiscale ripetuto" in html
    before = Titolare.objects.count()

    response = client.post("/portafoglio/importa/", {"modo": "tutto"}, follow=True)
    assert "Nulla importato" in response.content.decode()
    assert Titolare.objects.count() == before

    client.post("/portafoglio/importa/", {"modo": "solo_valide"})
    assert Titolare.objects.count() == before + valid
    person = Titolare.objects.get(codice_fiscale="RSSMRA80A01H501U")
    assert person.cognome == "D'Àrco" and person.provincia == "MI"
    assert Titolare.objects.get(codice_fiscale=rows[0][5]).cap == "00184"

    # The same file again: nothing new.
    response = upload(client, content, f"clienti.{form}")
    assert response.context["preview"].valid == 0
    client.post("/portafoglio/importa/", {"modo": "solo_valide"})
    assert Titolare.objects.count() == before + valid


def test_all_or_nothing_imports_a_clean_file(client, office):
    client.force_login(office)
    content = as_csv(importing.template_rows()[1:])
    upload(client, content, "modello.csv")
    client.post("/portafoglio/importa/", {"modo": "tutto"})
    assert Titolare.objects.count() == 2


def test_the_template_imports_as_is(client, office):
    client.force_login(office)
    response = client.get("/portafoglio/importa/modello/")
    content = b"".join(response.streaming_content)
    assert load_workbook(io.BytesIO(content)).active["F1"].value == "Codice fiscale"
    upload(client, content, "modello.xlsx")
    client.post("/portafoglio/importa/", {"modo": "tutto"})
    assert Titolare.objects.count() == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Il file è vuoto."),
        (b"\x00\x01garbage\xff" * 100, "non è un CSV né un foglio Excel"),
        (b"PK\x03\x04not really a zip", "non è un foglio Excel leggibile"),
        (b"nome;cognome\nMario;Rossi\n", "Manca la colonna «Codice fiscale»"),
        (b"x" * (importing.MAX_BYTES + 1), "troppo grande"),
    ],
)
def test_a_bad_file_is_refused_with_a_message(client, office, content, message):
    client.force_login(office)
    response = upload(client, content, "file.csv")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Titolare.objects.count() == 0


def test_confirming_without_a_file_says_so(client, office):
    client.force_login(office)
    response = client.post("/portafoglio/importa/", {"modo": "tutto"}, follow=True)
    assert "caricalo di nuovo" in response.content.decode()


def test_accountants_cannot_import(client, accountant):
    client.force_login(accountant)
    assert client.get("/portafoglio/importa/").status_code == 403
    assert client.get("/portafoglio/importa/modello/").status_code == 403
