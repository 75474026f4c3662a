"""Adopting the boxes the sync imported: the holder their Openapi data names is proposed and
given in one click, many boxes get one holder at once, the cockpit lists the boxes left."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from mailboxes.models import Casella, Evento, Stato
from portfolio import selectors
from portfolio.services import adoption

from ..cockpit import portfolio

pytestmark = pytest.mark.django_db


def imported(payload=None, stato=Stato.EVASA):
    box = portfolio.box(None, stato, importata=True)
    box.last_payload = payload or {}
    box.save(update_fields=["last_payload"])
    return box


def test_the_holder_named_by_the_openapi_data_is_proposed(office):
    company = portfolio.holder(partita_iva="01234567890", codice_fiscale="01234567890")
    person = portfolio.holder(
        tipo_cliente="PF",
        denominazione="",
        nome="Mario",
        cognome="Rossi",
        codice_fiscale="RSSMRA80A01H501U",
        partita_iva="",
    )
    by_piva = imported({"cf_piva_titolare": "it 01234567890"})
    by_requester = imported({"codice_fiscale_richiedente": "rssmra80a01h501u"})
    unknown = imported({"cf_piva_titolare": "99999999999"})
    bare = imported()
    found = selectors.proposals(office, [by_piva, by_requester, unknown, bare])
    assert found[by_piva.pk].titolare == company
    assert found[by_requester.pk].titolare == person
    assert unknown.pk not in found and bare.pk not in found


def test_two_holders_with_the_same_partita_iva_propose_nothing(office):
    portfolio.holder(partita_iva="01234567890")
    portfolio.holder(partita_iva="01234567890")
    box = imported({"cf_piva_titolare": "01234567890"})
    assert selectors.proposals(office, [box]) == {}


def test_one_click_gives_the_proposed_holder(client, office):
    company = portfolio.holder(partita_iva="01234567890")
    box = imported({"cf_piva_titolare": "01234567890"})
    client.force_login(office)
    page = client.get("/portafoglio/da-collegare/").content.decode()
    assert f"Collega a {company.display_name}" in page
    response = client.post("/portafoglio/da-collegare/", {"uno": box.pk}, follow=True)
    box.refresh_from_db()
    assert box.titolare == company
    assert "collegata a" in response.content.decode()
    line = Evento.objects.get(casella=box)
    assert company.display_name in str(line.testo) and line.user == office


def test_many_boxes_get_one_holder_by_codice_fiscale(client, office):
    company = portfolio.holder(partita_iva="01234567890", codice_fiscale="01234567890")
    boxes = [imported() for _ in range(20)]
    client.force_login(office)
    client.post(
        "/portafoglio/da-collegare/",
        {"azione": "titolare", "titolare": " 0123 4567890", "caselle": [b.pk for b in boxes]},
    )
    assert Casella.objects.filter(titolare=company).count() == 20


def test_an_unknown_code_changes_nothing_and_says_why(client, office):
    box = imported()
    client.force_login(office)
    response = client.post(
        "/portafoglio/da-collegare/",
        {"azione": "titolare", "titolare": "XYZ", "caselle": [box.pk]},
        follow=True,
    )
    assert "Nessun titolare con questo codice fiscale" in response.content.decode()
    box.refresh_from_db()
    assert box.titolare is None


def test_the_proposed_holders_for_the_ticked_boxes(client, office):
    a = portfolio.holder(partita_iva="01234567890")
    b = portfolio.holder(partita_iva="09876543210")
    box_a = imported({"cf_piva_titolare": "01234567890"})
    box_b = imported({"cf_piva_titolare": "09876543210"})
    lone = imported()
    client.force_login(office)
    response = client.post(
        "/portafoglio/da-collegare/",
        {"azione": "proposti", "caselle": [box_a.pk, box_b.pk, lone.pk]},
        follow=True,
    )
    assert Casella.objects.get(pk=box_a.pk).titolare == a
    assert Casella.objects.get(pk=box_b.pk).titolare == b
    assert Casella.objects.get(pk=lone.pk).titolare is None
    assert "1 casella senza titolare proposto" in response.content.decode()


def test_a_box_that_has_a_holder_keeps_it(office):
    first = portfolio.holder()
    second = portfolio.holder()
    box = portfolio.box(first, Stato.EVASA)
    assert adoption.adopt(office, [box.pk], second) == 0
    box.refresh_from_db()
    assert box.titolare == first


def test_accountants_cannot_adopt(client, accountant):
    mine = portfolio.holder(commercialisti=[accountant])
    other = portfolio.holder()
    box = imported({"cf_piva_titolare": other.partita_iva})
    client.force_login(accountant)
    assert client.get("/portafoglio/da-collegare/").status_code == 403
    assert client.post("/portafoglio/da-collegare/", {"uno": box.pk}).status_code == 403
    # Nor through the service: the box is not theirs to see, the other holder neither.
    with pytest.raises(PermissionDenied):
        adoption.adopt(accountant, [box.pk], other)
    assert adoption.adopt(accountant, [box.pk], mine) == 0
    assert selectors.proposals(accountant, [box]) == {}
    box.refresh_from_db()
    assert box.titolare is None


def test_the_cockpit_sends_the_boxes_without_holder_to_the_adoption_page(client, office, credit):
    imported()
    client.force_login(office)
    page = client.get("/").content.decode()
    assert 'href="/portafoglio/da-collegare/#casella-' in page
    assert "Collega la casella al suo titolare." in page
