"""The boxes list's search: what it finds (address, holder, codice fiscale; words in any order,
accents and case ignored) is what it found before its columns moved into the boxes' rows
(mailboxes/box_search.py), and it follows every change of a box, its holder or its requester."""

import datetime as dt

import pytest
from django.db.models import Q

from mailboxes import selectors
from mailboxes.models import Casella, Richiedente, Titolare
from portal import search

from .conftest import richiedente_data

pytestmark = pytest.mark.django_db

LIST = "/caselle/"


def _before(q: str) -> Q:
    """The search as it was written before (one UNION of per-table searches per word): the
    reference the new one must equal, row for row."""
    cond = Q()
    for word in search.words(q):
        parts = [
            Casella.objects.filter(
                titolare_id__in=Titolare.objects.filter(search_text__contains=word).values("pk")
            )
            .values("pk")
            .order_by(),
            Casella.objects.filter(casella_pec__icontains=word).values("pk").order_by(),
        ]
        if word.isalnum():
            parts.append(
                Richiedente.objects.filter(codice_fiscale__istartswith=word)
                .values("casella_id")
                .order_by()
            )
        cond &= Q(pk__in=parts[0].union(*parts[1:]))
    return cond


def _holder(i, **kw):
    data = {
        "tipo_cliente": "IM",
        "codice_fiscale": f"{i:011d}",
        "partita_iva": f"{i:011d}",
        "indirizzo": "Via Roma 1",
        "comune": "Roma",
        "cap": "00100",
        "provincia": "RM",
    }
    data.update(kw)
    return Titolare.objects.create(**data)


def _box(address, holder=None, cf=None, **kw):
    box = Casella.objects.create(
        casella_pec=address, titolare=holder, tipo_casella="STANDARD", **kw
    )
    if cf:
        Richiedente.objects.create(casella=box, **richiedente_data(codice_fiscale=cf))
    return box


@pytest.fixture
def portfolio():
    edil = _holder(1, denominazione="Edil Nord Rossi Srl")
    nord = _holder(2, denominazione="Nord Impianti Srl", comune="Forlì")
    nicolo = _holder(3, tipo_cliente="PV", nome="Nicolò", cognome="D'Àrco", comune="Cantù")
    bianchi = _holder(4, denominazione="Bianchi Edilizia Spa", comune="Milano")
    boxes = [
        _box("edilnord.1@legalmail.it", edil, cf="RSSMRA85T10H501Z"),
        _box("info@legalmail.it", edil),
        _box("nordimpianti@legalmail.it", nord, cf="BNCLRA80A41F205X"),
        _box("edil.sede@legalmail.it", nord),  # "edil" in the address, "nord" in the holder
        _box("nicolo.darco@pec.it", nicolo, cf="DRCNCL70C10B639K"),
        _box("BIANCHI.Edilizia@Legalmail.IT", bianchi),  # upper case as typed by hand
        _box("senza.titolare.nord@legalmail.it"),
        _box("rssmra.studio@legalmail.it", None, cf="VRDGPP60A01H501U"),
    ]
    return boxes


QUERIES = [
    "Edil Nord",
    "nord edil",
    "NORD   EDIL",
    "edil",
    "nord",
    "Nicolò D'Arco",
    "nicolo darco",
    "d'àrco",
    "arco nicolo",
    "cantu",
    "forli nord",
    "RSSMRA",
    "rssmra85",
    "85T10",  # inside a requester's codice fiscale: not its start
    "bncl nord",
    "00000000002",
    "0000000000",
    "legalmail.it",
    "@pec.it",
    "edilizia bianchi",
    "BIANCHI.EDILIZIA",
    "senza nord",
    "nessuno",
    "rossi edil nord srl",
    "_",
    "%",
]


@pytest.mark.parametrize("q", QUERIES)
def test_the_search_finds_the_same_boxes_in_the_same_order_as_before(portfolio, office_user, q):
    for sort in ("", "indirizzo", "-scadenza", "titolare"):
        now = selectors.search_caselle(office_user, q=q, sort=sort)
        before = selectors.caselle_for(office_user).filter(_before(q))
        before = before.order_by(*selectors.sort_order(sort))
        assert [b.pk for b in now] == [b.pk for b in before], (q, sort)


def _found(client, q):
    html = client.get(LIST, {"q": q}).content.decode()
    return {b.casella_pec for b in Casella.objects.all() if b.casella_pec in html}


def test_words_in_any_order_accents_case_codice_fiscale_and_address(portfolio, office_client):
    both = {"edilnord.1@legalmail.it", "info@legalmail.it", "edil.sede@legalmail.it"}
    assert _found(office_client, "Edil Nord") == both
    assert _found(office_client, "nord EDIL") == both
    nicolo = {"nicolo.darco@pec.it"}
    assert _found(office_client, "Nicolò D'Àrco") == nicolo
    assert _found(office_client, "NICOLO darco") == nicolo
    assert _found(office_client, "cantù") == nicolo
    # the requester's codice fiscale by its start, the holder's anywhere in the holder's text
    assert _found(office_client, "rssmra85") == {"edilnord.1@legalmail.it"}
    assert _found(office_client, "RSSMRA") == {
        "edilnord.1@legalmail.it",
        "rssmra.studio@legalmail.it",
    }
    assert _found(office_client, "85T10") == set()
    assert _found(office_client, "00000000002") == {
        "nordimpianti@legalmail.it",
        "edil.sede@legalmail.it",
    }
    assert _found(office_client, "bianchi.edilizia@legalmail.it") == {
        "BIANCHI.Edilizia@Legalmail.IT"
    }


def test_the_search_follows_the_holder_the_box_and_the_requester(portfolio, office_user):
    def found(q):
        return set(selectors.search_caselle(office_user, q=q).values_list("casella_pec", flat=True))

    edil = Titolare.objects.get(denominazione="Edil Nord Rossi Srl")
    # the holder renamed: its boxes are found by the new name only
    edil.denominazione = "Costruzioni Sud Srl"
    edil.save()
    assert found("costruzioni sud") == {"edilnord.1@legalmail.it", "info@legalmail.it"}
    assert "info@legalmail.it" not in found("edil nord")
    # a box given to another holder (save, update(), bulk_update as the adoption does)
    box = Casella.objects.get(casella_pec="info@legalmail.it")
    box.titolare = Titolare.objects.get(denominazione="Bianchi Edilizia Spa")
    box.save()
    assert "info@legalmail.it" in found("bianchi milano")
    Casella.objects.filter(pk=box.pk).update(titolare=None)
    assert "info@legalmail.it" not in found("bianchi milano")
    box.titolare = edil
    Casella.objects.bulk_update([box], ["titolare"])
    assert "info@legalmail.it" in found("costruzioni")
    # boxes written in bulk, with only the holder's id
    Casella.objects.bulk_create(
        [Casella(casella_pec="bulk@legalmail.it", titolare_id=edil.pk, tipo_casella="GOLD")]
    )
    assert "bulk@legalmail.it" in found("sud costruzioni")
    # the requester: added, changed, deleted
    requester = Richiedente.objects.create(
        casella=box, **richiedente_data(codice_fiscale="GLLLCU75M12F205W")
    )
    assert found("gllluc") == set() and found("glllcu") == {"info@legalmail.it"}
    requester.codice_fiscale = "FRRSRA90D45L219T"
    requester.save()
    assert found("glllcu") == set() and found("frrsra") == {"info@legalmail.it"}
    requester.delete()
    assert found("frrsra") == set()
    # an address corrected, and a box saved whole from an old copy keeps its search columns
    stale = Casella.objects.get(pk=box.pk)
    Richiedente.objects.create(casella=box, **richiedente_data(codice_fiscale="PLLNNA88E50H501K"))
    stale.casella_pec = "info.sud@legalmail.it"
    stale.data_scadenza = dt.date(2030, 1, 1)
    stale.save()
    assert found("info.sud") == {"info.sud@legalmail.it"}
    assert found("pllnna") == {"info.sud@legalmail.it"}
    assert found("costruzioni info.sud") == {"info.sud@legalmail.it"}
