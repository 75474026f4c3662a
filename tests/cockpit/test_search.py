"""Search that finds people: one matching for the header search, the boxes list and the holders
list; words matched independently, accents and case ignored (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import re

import pytest

from accounts import roles
from mailboxes.models import Stato

from . import portfolio

pytestmark = pytest.mark.django_db

MARIO_CF = "RSSMRA85T10L219X"


@pytest.fixture
def people(make_user):
    mario = portfolio.holder(
        tipo_cliente="PV",
        sottotipo_cliente="",
        denominazione="",
        nome="Mario",
        cognome="Rossi",
        codice_fiscale=MARIO_CF,
        partita_iva="",
        comune="Torino",
    )
    nicolo = portfolio.holder(
        tipo_cliente="PV",
        sottotipo_cliente="",
        denominazione="",
        nome="Nicolò",
        cognome="D'Àrco",
        codice_fiscale="DRCNCL70A01D704Z",
        partita_iva="",
        comune="Forlì",
    )
    societa = portfolio.holder(
        denominazione="Società Edile Nord Srl", partita_iva="00743110157", comune="Cantù"
    )
    other = portfolio.holder(nome="Maria", cognome="Bianchi", denominazione="", comune="Roma")
    boxes = {
        name: portfolio.box(t, Stato.EVASA)
        for name, t in (
            ("mario", mario),
            ("nicolo", nicolo),
            ("societa", societa),
            ("other", other),
        )
    }
    return {"mario": mario, "nicolo": nicolo, "societa": societa, "other": other}, boxes


CASES = [
    ("Rossi Mario", "mario"),
    ("Mario Rossi", "mario"),
    ("mario  ROSSI", "mario"),
    ("RSSMRA", "mario"),
    ("rssmra85", "mario"),
    ("Torino", "mario"),
    ("rossi torino", "mario"),
    ("nicolo darco", "nicolo"),
    ("NICOLÒ", "nicolo"),
    ("d'arco forli", "nicolo"),
    ("forlì", "nicolo"),
    ("societa edile", "societa"),
    ("Edile SOCIETÀ", "societa"),
    ("cantu", "societa"),
    ("00743", "societa"),
]


@pytest.mark.parametrize(("q", "who"), CASES)
def test_every_list_finds_the_person(client, office_user, people, q, who):
    holders, boxes = people
    client.force_login(office_user)
    titolari = client.get("/caselle/titolari/", {"q": q}).content.decode()
    assert set(re.findall(r'href="/caselle/titolari/(\d+)/"', titolari)) == {str(holders[who].pk)}
    caselle = client.get("/caselle/", {"q": q}).content.decode()
    assert set(re.findall(r'href="/caselle/(\d+)/"', caselle)) == {str(boxes[who].pk)}
    header = client.get("/cruscotto/cerca/", {"q": q}).content.decode()
    assert f'href="/caselle/titolari/{holders[who].pk}/"' in header
    assert f'href="/caselle/{boxes[who].pk}/"' in header
    assert f'href="/caselle/titolari/{holders["other"].pk}/"' not in header


@pytest.mark.parametrize("q", ["Rossi Bianchi", "mario roma", "torino forli", "zzz"])
def test_every_word_must_match(client, office_user, people, q):
    client.force_login(office_user)
    page = client.get("/cruscotto/cerca/", {"q": q}).content.decode()
    assert "Nessun risultato." in page


def test_results_are_grouped_by_kind_and_include_requests(client, office_user, people):
    from comunica.models import RichiestaComunicazione

    richiesta = RichiestaComunicazione.objects.create(
        casella_pec="info@pec.societa-edile.it",
        ragione_sociale="Società Edile Nord Srl",
        cf_piva="00743110157",
        comune="Cantù",
        provincia="CO",
        cf=MARIO_CF,
        nome="Mario",
        cognome="Rossi",
        qualifica="AMMINISTRATORE",
        email="mario@example.com",
    )
    client.force_login(office_user)
    page = client.get("/cruscotto/cerca/", {"q": "edile cantu"}).content.decode()
    assert 'id="risultati-titolari"' in page and 'id="risultati-caselle"' in page
    assert f'href="/comunica/{richiesta.pk}/"' in page
    listed = client.get("/comunica/", {"q": "SOCIETÀ nord"}).content.decode()
    assert f"/comunica/{richiesta.pk}/" in listed


def test_an_accountant_finds_only_their_holders(client, make_user, people):
    holders, _boxes = people
    accountant = make_user(roles.ACCOUNTANT)
    holders["nicolo"].commercialisti.add(accountant)
    client.force_login(accountant)
    assert f"/caselle/titolari/{holders['mario'].pk}/" not in (
        client.get("/cruscotto/cerca/", {"q": "rossi"}).content.decode()
    )
    page = client.get("/cruscotto/cerca/", {"q": "nicolo"}).content.decode()
    assert f"/caselle/titolari/{holders['nicolo'].pk}/" in page


def test_an_edited_holder_is_found_by_its_new_name(client, office_user, people):
    holders, _boxes = people
    holders["other"].cognome = "Bianchì"
    holders["other"].save(update_fields=["cognome"])
    client.force_login(office_user)
    page = client.get("/caselle/titolari/", {"q": "bianchi maria"}).content.decode()
    assert f"/caselle/titolari/{holders['other'].pk}/" in page
