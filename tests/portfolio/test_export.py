"""Exports: the lists with their current filters as CSV (Italian Excel: BOM, ``;``,
dd/mm/yyyy) and XLSX, streamed; accountants export only their holders' data."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from mailboxes.models import Stato

from ..cockpit import portfolio

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def _xlsx(response) -> list[tuple]:
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


@pytest.fixture
def boxes(accountant):
    mine = portfolio.holder(denominazione="Città Srl", commercialisti=[accountant])
    other = portfolio.holder(denominazione="Altra Spa")
    expiry = dt.date(2027, 3, 5)
    return {
        "active": portfolio.box(mine, Stato.EVASA, scadenza=expiry),
        "waiting": portfolio.box(mine, Stato.REGISTRATA),
        "other": portfolio.box(other, Stato.EVASA),
    }


def test_boxes_as_csv_with_the_list_filters(client, office, boxes):
    client.force_login(office)
    response = client.get("/portafoglio/esporta/caselle/", {"stato": "evasa", "sort": "indirizzo"})
    assert response["Content-Disposition"].startswith('attachment; filename="caselle-')
    table = _csv(response)
    assert table[0][:4] == ["Casella PEC", "Gestore", "Tipo casella", "Stato"]
    addresses = [r[0] for r in table[1:]]
    assert addresses == sorted([boxes["active"].casella_pec, boxes["other"].casella_pec])
    row = next(r for r in table if r[0] == boxes["active"].casella_pec)
    assert row[3] == "Attiva" and "Città Srl" in row and "05/03/2027" in row


def test_boxes_as_xlsx(client, office, boxes):
    client.force_login(office)
    response = client.get("/portafoglio/esporta/caselle/", {"formato": "xlsx"})
    assert response["Content-Disposition"].startswith("attachment; filename=")
    table = _xlsx(response)
    assert table[0][0] == "Casella PEC" and len(table) == 4
    row = next(r for r in table if r[0] == boxes["active"].casella_pec)
    assert dt.datetime(2027, 3, 5) in row


def test_an_accountant_exports_only_their_holders(client, accountant, boxes):
    client.force_login(accountant)
    boxes_csv = _csv(client.get("/portafoglio/esporta/caselle/"))
    assert {r[0] for r in boxes_csv[1:]} == {
        boxes["active"].casella_pec,
        boxes["waiting"].casella_pec,
    }
    holders = _xlsx(client.get("/portafoglio/esporta/titolari/", {"formato": "xlsx"}))
    assert [r[2] for r in holders[1:]] == ["Città Srl"]
    assert client.get("/portafoglio/esporta/scadenze/").status_code == 403


def test_holders_with_the_search(client, office, boxes):
    client.force_login(office)
    table = _csv(client.get("/portafoglio/esporta/titolari/", {"q": "citta"}))
    assert [r[2] for r in table[1:]] == ["Città Srl"]


def test_expiries_within_the_window(client, office, boxes):
    soon = portfolio.box(
        boxes["other"].titolare, Stato.EVASA, scadenza=dt.date.today() + dt.timedelta(days=20)
    )
    client.force_login(office)
    table = _csv(client.get("/portafoglio/esporta/scadenze/", {"entro": "30"}))
    assert [r[1] for r in table[1:]] == [soon.casella_pec]


def test_the_lists_link_their_exports_with_the_filters(client, office, boxes):
    client.force_login(office)
    page = client.get("/caselle/", {"stato": "evasa"}).content.decode()
    assert 'href="/portafoglio/esporta/caselle/?stato=evasa&amp;formato=xlsx"' in page
