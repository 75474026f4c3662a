"""The markup rules and the statement: totals net + VAT + gross by the rules (percentage,
fixed, per-holder override), Italian amounts, the CSV and XLSX, and who may see what."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ledger.models import Ricarico
from ledger.services import markup, statement
from ledger.services.statement import euro, it_amount, this_month

pytestmark = pytest.mark.django_db


def rules():
    """Office: 10% on everything, renewals +2,50 € fixed instead; holder "Alfa": registrations
    at list price + 5,00 € fixed."""
    Ricarico.objects.create(operazione="", percentuale=Decimal("10"))
    Ricarico.objects.create(operazione="rinnovo", fisso=Decimal("2.50"))


def test_italian_amounts():
    assert it_amount(Decimal("1234.5")) == "1.234,50"
    assert euro(Decimal("1234567.891")) == "1.234.567,89 €"
    assert euro(Decimal("-7.5")) == "-7,50 €"
    assert euro(Decimal("0")) == "0,00 €"


def test_statement_totals_follow_the_markup_rules(holder, entry):
    rules()
    alfa, beta = holder("Alfa Srl"), holder("Beta Spa")
    Ricarico.objects.create(titolare=alfa, operazione="registrazione", fisso=Decimal("5"))
    for who in (alfa, beta):
        entry(who, "11.00", "registrazione")
        entry(who, "64.00", "registrazione")
        entry(who, "22.00", "rinnovo")
        entry(who, "5.00", "multiutenza")
    periodo = this_month()

    a = statement.prospetto(alfa, periodo)
    # Alfa: registrations by its override (list + 5), renewal by the office's operation rule
    # (+2,50), the rest by the office's general rule (+10%).
    assert [r.netto for r in a.righe] == [
        Decimal("16.00"),
        Decimal("69.00"),
        Decimal("24.50"),
        Decimal("5.50"),
    ]
    assert a.costo == Decimal("102.00")
    assert a.netto == Decimal("115.00")
    assert a.iva == Decimal("25.30")
    assert a.lordo == Decimal("140.30")

    b = statement.prospetto(beta, periodo)
    assert [r.netto for r in b.righe] == [
        Decimal("12.10"),
        Decimal("70.40"),
        Decimal("24.50"),
        Decimal("5.50"),
    ]
    assert (b.netto, b.iva, b.lordo) == (Decimal("112.50"), Decimal("24.75"), Decimal("137.25"))


def test_no_rule_bills_the_list_price(holder, entry):
    gamma = holder("Gamma")
    entry(gamma, "1000.00", "registrazione")
    p = statement.prospetto(gamma, this_month())
    assert (p.netto, p.iva, p.lordo) == (
        Decimal("1000.00"),
        Decimal("220.00"),
        Decimal("1220.00"),
    )
    assert markup.Regole().per(gamma.pk, "rinnovo") == markup.NESSUNA


def test_statement_page_csv_and_xlsx(office_client, holder, entry):
    rules()
    alfa = holder("Alfa Srl")
    entry(alfa, "1000.00", "registrazione", indirizzo="alfa@pec.it")
    periodo = this_month()
    url = reverse("ledger:prospetto", args=[alfa.pk])
    q = {"dal": periodo.dal.isoformat(), "al": periodo.al.isoformat()}
    page = office_client.get(url, q).content.decode()
    # 1.000 + 10% = 1.100,00; IVA 242,00; gross 1.342,00
    assert "1.100,00 €" in page and "242,00 €" in page and "1.342,00 €" in page

    body = b"".join(office_client.get(url, {**q, "formato": "csv"}).streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][1:] == ["alfa@pec.it", "Registrazione", "1.000,00", "100,00", "1.100,00"]
    assert rows[-1][-1] == "1.342,00" and rows[-2][-1] == "242,00"

    response = office_client.get(url, {**q, "formato": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.values)
    assert values[1][3:] == (1000, 100, 1100)
    assert values[-1][-1] == 1342


def test_ledger_export_has_the_filters_and_the_billed_net(office_client, holder, entry):
    rules()
    alfa, beta = holder("Alfa Srl"), holder("Beta Spa")
    entry(alfa, "11.00")
    entry(beta, "64.00")
    periodo = this_month()
    response = office_client.get(
        reverse("ledger:registro"),
        {
            "dal": periodo.dal.isoformat(),
            "al": periodo.al.isoformat(),
            "titolare": beta.pk,
            "formato": "csv",
        },
    )
    rows = list(
        csv.reader(
            io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert len(rows) == 2
    assert rows[1][1] == "Beta Spa" and rows[1][5:7] == ["64,00", "70,40"]


def test_accountant_sees_only_their_holders(client, accountant_user, holder, entry):
    mine = holder("Mio Cliente", commercialisti=[accountant_user])
    other = holder("Altro Cliente")
    entry(mine, "11.00")
    entry(other, "64.00")
    client.force_login(accountant_user)
    assert client.get(reverse("ledger:prospetto", args=[mine.pk])).status_code == 200
    for name in ("ledger:prospetto", "ledger:riepilogo"):
        assert client.get(reverse(name, args=[other.pk])).status_code == 404
    assert (
        client.get(reverse("ledger:prospetto", args=[other.pk]), {"formato": "pdf"}).status_code
        == 404
    )
    index = client.get(reverse("ledger:index")).content.decode()
    assert "Mio Cliente" in index and "Altro Cliente" not in index
    assert client.get(reverse("ledger:registro")).status_code == 403
    assert client.post(reverse("ledger:riconcilia")).status_code == 403


def test_markups_are_edited_in_admin(admin_client, holder):
    alfa = holder("Alfa Srl")
    response = admin_client.post(
        reverse("admin:ledger_ricarico_add"),
        {"titolare": alfa.pk, "operazione": "rinnovo", "percentuale": "12.5", "fisso": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = Ricarico.objects.get()
    assert rule.percentuale == Decimal("12.5") and rule.titolare == alfa
    assert markup.Regole().per(alfa.pk, "rinnovo").netto(Decimal("10")) == Decimal("12.25")


def test_holder_page_links_to_statement_and_summary(client, accountant_user, holder):
    mine = holder("Mio Cliente", commercialisti=[accountant_user])
    client.force_login(accountant_user)
    page = client.get(reverse("mailboxes:titolare_detail", args=[mine.pk])).content.decode()
    assert reverse("ledger:prospetto", args=[mine.pk]) in page
    summary = reverse("ledger:riepilogo", args=[mine.pk])
    assert summary in page
    assert client.get(summary)["Content-Type"] == "application/pdf"


def test_the_ledger_page_points_at_charges_without_a_holder(office_client, holder, entry):
    entry(holder("Alfa Srl"), "11.00")
    entry(None, "64.00", indirizzo="importata@pec.it")
    url = reverse("ledger:registro")
    page = office_client.get(url).content.decode()
    assert "1 addebito di una casella senza titolare" in page
    assert "75,00 €" in page  # the period's total at list price
    only = office_client.get(url, {"solo": "senza_titolare"}).content.decode()
    assert only.count('id="addebito-') == 1 and "importata@pec.it" in only


def test_the_vat_rate_is_a_setting(holder, entry, settings):
    settings.IVA_PERCENT = "10"
    gamma = holder("Gamma")
    entry(gamma, "100.00")
    p = statement.prospetto(gamma, this_month())
    assert (p.iva, p.lordo) == (Decimal("10.00"), Decimal("110.00"))
