"""Importing boxes with their holders (5,000 rows, built here as an Italian Excel writes them:
``;`` and a BOM, accented names, dates as dd/mm/yyyy, ISO or Excel serial numbers, codici
fiscali in lower case, duplicates within the file and against the portal): every invalid row in
the preview with the reason per field; "all or nothing" writes nothing; "valid rows only" writes
exactly the valid holders and boxes of other providers and leads to the batch registration of
the new Openapi boxes (total price against the credit); a second import of the same file
creates nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from mailboxes.models import Casella, CasellaCall, Gestore, Stato, Titolare
from mailboxes.services.address import expected_domain
from mailboxes.services.registration import registration_price
from portfolio.services import import_boxes, importing

from ..cockpit import portfolio
from .test_import import piva

pytestmark = pytest.mark.django_db

ROWS = 5000
TODAY = timezone.localdate()
REQUESTER = {
    "r_cognome": "Rossi",
    "r_nome": "Mario",
    "r_codice_fiscale": "rssmra80a01h501u",  # lower case, as typed
    "r_sesso": "M",
    "r_data_nascita": dt.date(1980, 1, 1),
    "r_nazione_nascita": "IT",
    "r_comune_nascita": "Roma",
    "r_provincia_nascita": "rm",
    "r_email": "mario.rossi@esempio.it",
    "r_telefono": "0612345678",
    "r_tipo_documento": "CARTA_D_IDENTITA",
    "r_numero_documento": "CA12345AB",
    "r_documento_rilasciato_da": "Comune di Roma",
    "r_data_rilascio_documento": TODAY - dt.timedelta(days=300),
    "r_data_scadenza_documento": TODAY + dt.timedelta(days=2000),
}


def header() -> list[str]:
    return importing.template_rows()[0]


def keys() -> list[str]:
    return [c.field for c in (*importing.HOLDER_COLUMNS, *import_boxes.COLUMNS)]


class Portfolio:
    """The file's rows as dicts, what each broken row's reason names, the expected counts."""

    def __init__(self):
        self.rows: list[dict] = []
        self.broken: dict[int, str] = {}
        self.existing = 0
        self.registrations: list[int] = []
        self.serial_expiry: tuple[str, dt.date] | None = None
        domain = expected_domain("STANDARD")
        other = portfolio.holder(denominazione="Altro Titolare Srl")
        known_holders, known_boxes = [], []
        for i in range(ROWS):
            number = i + 2
            code = piva(i + 1)
            row = {
                "tipo_cliente": "IM",
                "sottotipo_cliente": "SI",
                "denominazione": f"Società Nicolò {i} Srl",
                "codice_fiscale": code,
                "partita_iva": code,
                "indirizzo": "Via Garibaldi 1",
                "cap": "00184",
                "comune": "Roma",
                "provincia": "rm",
                "nazione": "IT",
            }
            kind = i % 25
            expiry = TODAY + dt.timedelta(days=30 + i % 300)
            if kind == 0:  # a new holder with a box at Aruba; the expiry in three forms
                row |= {"casella_pec": f"c{i}@pec.it", "gestore": "aruba pec"}
                row["data_scadenza"] = (expiry, ("serial", expiry), expiry.isoformat())[i % 3]
                if i % 3 == 1 and self.serial_expiry is None:
                    self.serial_expiry = (f"c{i}@pec.it", expiry)
            elif kind == 1:  # another box of the holder of the row above (its data not repeated)
                row = {
                    "codice_fiscale": piva(i),
                    "casella_pec": f"R{i}@Pec.it",
                    "gestore": "Register.it",
                    "data_scadenza": expiry.strftime("%d/%m/%Y"),
                }
            elif kind == 2:
                row |= {"casella_pec": f"x{i}@pec.it", "gestore": "Pippo Mail"}
                self.broken[number] = "Gestore"
            elif kind == 3:
                row |= {"casella_pec": f"x{i}@pec.it", "gestore": "Namirial"}
                self.broken[number] = "Scadenza"
            elif kind == 4:
                row |= {
                    "casella_pec": f"x{i}@pec.it",
                    "gestore": "Aruba",
                    "data_scadenza": "31/02/2027",
                }
                self.broken[number] = "Scadenza"
            elif kind == 5:  # the address of the Aruba box five rows above
                row |= {
                    "casella_pec": f"c{i - 5}@pec.it",
                    "gestore": "Aruba",
                    "data_scadenza": "01/01/2028",
                }
                self.broken[number] = "Casella PEC"
            elif kind == 6:  # an address the portal has, of another holder
                known_boxes.append(
                    Casella(
                        titolare=other,
                        casella_pec=f"presa{i}@pec.it",
                        gestore=Gestore.ARUBA,
                        stato=Stato.EVASA,
                    )
                )
                row |= {
                    "casella_pec": f"presa{i}@pec.it",
                    "gestore": "Aruba",
                    "data_scadenza": "01/01/2028",
                }
                self.broken[number] = "Casella PEC"
            elif kind == 7:
                row |= {"casella_pec": f"x{i}@{domain}", "tipo_casella": "Platinum", **REQUESTER}
                self.broken[number] = "Tipo casella"
            elif kind in (8, 9):  # a holder the portal has: a new box / its box already there
                known_holders.append(Titolare(**row | {"provincia": "RM"}))
                row = {
                    "codice_fiscale": code,
                    "casella_pec": f"k{i}@pec.it",
                    "gestore": "Aruba",
                    "data_scadenza": expiry.strftime("%d/%m/%Y"),
                }
                if kind == 9:
                    known_boxes.append(("k", i, code))
                    self.existing += 1
            elif kind == 10:
                row |= {"casella_pec": f"x{i}@gmail.com", "tipo_casella": "STANDARD", **REQUESTER}
                self.broken[number] = "Casella PEC"
            elif kind == 11:  # the requester's codice fiscale does not match the birth date
                row |= {
                    "casella_pec": f"x{i}@{domain}",
                    "tipo_casella": "STANDARD",
                    **REQUESTER,
                    "r_data_nascita": dt.date(1981, 1, 1),
                }
                self.broken[number] = "Richiedente: Data di nascita"
            elif kind == 12 and i < 100:  # a new Openapi box to register
                row |= {
                    "casella_pec": f"nuova{i}@{domain}",
                    "tipo_casella": "Legalmail Standard",
                    "gestore": "",
                    "autorinnovo": "sì",
                    **REQUESTER,
                }
                self.registrations.append(number)
            elif kind == 13:
                row["cap"] = "0018"
                self.broken[number] = "CAP"
            self.rows.append(row)
        Titolare.objects.bulk_create(known_holders)
        ids = dict(Titolare.objects.values_list("codice_fiscale", "pk"))
        boxes = [b for b in known_boxes if isinstance(b, Casella)]
        boxes += [
            Casella(
                titolare_id=ids[code],
                casella_pec=f"{p}{i}@pec.it",
                gestore=Gestore.ARUBA,
                stato=Stato.EVASA,
            )
            for p, i, code in (b for b in known_boxes if isinstance(b, tuple))
        ]
        Casella.objects.bulk_create(boxes)
        self.valid = ROWS - len(self.broken) - self.existing
        self.new_holders = self.valid - 2 * (ROWS // 25)  # kinds 1 and 8 bring no holder
        self.other_boxes = 3 * (ROWS // 25)  # kinds 0, 1 and 8

    def csv(self) -> bytes:
        def cell(v):
            if isinstance(v, tuple):  # an Excel serial number, as a CSV of Excel shows it
                return str((v[1] - dt.date(1899, 12, 30)).days)
            return v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else str(v)

        lines = [";".join(header())]
        lines += [";".join(cell(r.get(k, "")) for k in keys()) for r in self.rows]
        return "\ufeff".encode() + "\r\n".join(lines).encode("utf-8")

    def xlsx(self) -> bytes:
        def cell(v):
            return (v[1] - dt.date(1899, 12, 30)).days if isinstance(v, tuple) else v

        workbook = Workbook()
        sheet = workbook.active
        sheet.append(header())
        for r in self.rows:
            values = [cell(r.get(k, "")) for k in keys()]
            if "r_data_rilascio_documento" in r:  # a serial number in a requester's date
                at = keys().index("r_data_rilascio_documento")
                values[at] = (values[at] - dt.date(1899, 12, 30)).days
            sheet.append(values)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()


def upload(client, content: bytes, name: str):
    return client.post("/portafoglio/importa/", {"file": SimpleUploadedFile(name, content)})


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_boxes_and_holders_in_the_awkward_forms(client, office, form):
    made = Portfolio()
    content = made.csv() if form == "csv" else made.xlsx()
    client.force_login(office)
    holders, boxes = Titolare.objects.count(), Casella.objects.count()

    response = upload(client, content, f"portafoglio.{form}")
    assert response.status_code == 200
    shown = response.context["preview"]
    invalid = {r.number: r for r in shown.rows if r.verdict == importing.INVALID}
    assert set(invalid) == set(made.broken)
    for number, label in made.broken.items():
        assert label in invalid[number].errors, (number, invalid[number].errors)
    assert (shown.valid, shown.existing) == (made.valid, made.existing)
    assert [r.number for r in shown.to_register] == made.registrations
    html = response.content.decode()
    assert "Gestore sconosciuto «Pippo Mail»" in html
    assert "Data non valida «31/02/2027»" in html
    assert "Casella ripetuta: è già alla riga" in html
    assert "La casella è già nel portale con un altro titolare." in html
    assert 'id="da-registrare"' in html

    response = client.post("/portafoglio/importa/", {"modo": "tutto"}, follow=True)
    assert "Nulla importato" in response.content.decode()
    assert (Titolare.objects.count(), Casella.objects.count()) == (holders, boxes)

    response = client.post("/portafoglio/importa/", {"modo": "solo_valide"})
    assert response.status_code == 302 and response.url == "/portafoglio/importa/registrazioni/"
    assert Titolare.objects.count() == holders + made.new_holders
    assert Casella.objects.count() == boxes + made.other_boxes
    assert not CasellaCall.objects.exists()  # nothing is registered before it is confirmed
    address, expiry = made.serial_expiry
    box = Casella.objects.get(casella_pec=address)
    assert (box.data_scadenza, box.gestore, box.stato) == (expiry, "aruba", Stato.EVASA)
    second = Casella.objects.get(casella_pec="r26@pec.it")  # lower case, the holder of row 27
    assert second.titolare.codice_fiscale == piva(26) and second.gestore == "register"
    assert second.eventi.count() == 1

    confirm = client.get("/portafoglio/importa/registrazioni/")
    plan = confirm.context["plan"]
    assert [r.number for r in plan.rows] == made.registrations
    price = registration_price("STANDARD")
    assert plan.total == price * len(made.registrations) > Decimal("0")
    assert f"{confirm.context['total_text']} € + IVA" in confirm.content.decode()

    # The same file again: nothing new (the boxes to register are still to register).
    response = upload(client, content, f"portafoglio.{form}")
    again = response.context["preview"]
    assert again.invalid == len(made.broken)
    assert again.valid == len(made.registrations) and not again.other_boxes
    client.post("/portafoglio/importa/", {"modo": "solo_valide"})
    assert Titolare.objects.count() == holders + made.new_holders
    assert Casella.objects.count() == boxes + made.other_boxes


def test_the_template_has_a_box_of_each_kind(client, office):
    client.force_login(office)
    response = client.get("/portafoglio/importa/modello/?formato=csv")
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeff".encode())
    result = upload(client, content, "modello.csv").context["preview"]
    assert result.invalid == 0, [r.errors for r in result.rows]
    assert result.other_boxes == 1 and len(result.to_register) == 1
    client.post("/portafoglio/importa/", {"modo": "tutto"})
    assert Casella.objects.get().gestore == "aruba"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2027, 3, 1), "01/03/2027"),
        (dt.datetime(2027, 3, 1, 0, 0), "01/03/2027"),
        (46447, "01/03/2027"),
        (46447.0, "01/03/2027"),
        ("46447", "01/03/2027"),
        ("2027-03-01", "01/03/2027"),
        ("1/3/2027", "01/03/2027"),
        ("01.03.2027", "01/03/2027"),
        ("31/02/2027", "31/02/2027"),
        ("domani", "domani"),
    ],
)
def test_dates_as_excel_writes_them(value, expected):
    assert import_boxes.date_text(value) == expected


def test_the_batch_page_warns_when_the_credit_is_short(client, office, monkeypatch):
    from mailboxes import expiry

    monkeypatch.setattr(expiry, "wallet_info", lambda limit=10: expiry.WalletInfo(Decimal("5")))
    client.force_login(office)
    assert (
        "caricalo di nuovo"
        in client.get("/portafoglio/importa/registrazioni/", follow=True).content.decode()
    )
    content = b"".join(client.get("/portafoglio/importa/modello/?formato=csv").streaming_content)
    upload(client, content, "modello.csv")
    client.post("/portafoglio/importa/", {"modo": "tutto"})
    page = client.get("/portafoglio/importa/registrazioni/")
    assert page.context["plan"].total > Decimal("5")
    assert 'id="credito-insufficiente"' in page.content.decode()
    bad = "/portafoglio/importa/registrazioni/avanzamento/?lotto=nope"
    assert client.get(bad).status_code == 404
    refused = client.post("/portafoglio/importa/registrazioni/", {"lotto": "nope"}, follow=True)
    assert "Richiesta non valida" in refused.content.decode()
    assert not CasellaCall.objects.exists()
