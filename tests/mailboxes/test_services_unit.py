"""Sync, polling, retention, validators and admin actions."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from mailboxes import validators
from mailboxes.models import Casella, Documento, Evento, Stato
from mailboxes.services import activation, retention
from mailboxes.services import sync as box_sync
from mailboxes.services.polling import BOXES
from portal.polling import poll_due

from .conftest import CF_MARIO, checked, pdf_bytes, run_calls

pytestmark = pytest.mark.django_db


def _registered(make_casella, n=1, tipo="STANDARD"):
    out = []
    for _ in range(n):
        casella = make_casella(tipo=tipo)
        run_calls(casella)
        casella.refresh_from_db()
        out.append(casella)
    return out


def _in_evasione(make_casella, n):
    caselle = _registered(make_casella, n)
    for casella in caselle:
        activation.upload_documents(
            casella=casella,
            modulo=checked(pdf_bytes()),
            identita=checked(pdf_bytes("ID")),
            intent_key=f"k-{casella.pk}",
            user=None,
        )
        run_calls(casella)
    return caselle


def test_many_pending_boxes_are_refreshed_with_one_list_call(pec, make_casella):
    _in_evasione(make_casella, 5)
    pec.advance()
    Casella.objects.update(next_poll_at=timezone.now())
    before = len(pec.calls())
    figures = poll_due(BOXES)
    calls = pec.calls()[before:]
    lists = [c for c in calls if c["method"] == "GET" and c["path"] == "/pec"]
    assert len(lists) == 1
    assert figures["objects"] == 5
    assert Casella.objects.filter(stato=Stato.EVASA).count() == 5


def test_polling_backs_off_and_stops_when_settled(pec, make_casella):
    (casella,) = _in_evasione(make_casella, 1)
    casella.refresh_from_db()
    intervals = []
    for _ in range(4):
        Casella.objects.filter(pk=casella.pk).update(next_poll_at=timezone.now())
        poll_due(BOXES)
        casella.refresh_from_db()
        if casella.stato != Stato.IN_EVASIONE:
            break
        intervals.append(casella.poll_interval)
    pec.advance()
    Casella.objects.filter(pk=casella.pk).update(next_poll_at=timezone.now())
    poll_due(BOXES)
    casella.refresh_from_db()
    assert casella.stato == Stato.EVASA and casella.next_poll_at is None
    assert intervals == sorted(intervals)


def test_sync_imports_outside_boxes_and_records_changes(pec, make_casella, make_titolare):
    (mine,) = _registered(make_casella, 1)
    client = pec.client()
    from openapi_pec.types import RegistrationRequest

    outside = client.register_casella(
        RegistrationRequest(
            casella_pec="esterna@testcert.legalmail.it",
            tipo_casella="SILVER",
            tipo_cliente="PV",
            nome_richiedente="Mario",
            cognome_richiedente="Rossi",
            email="m@example.com",
            telefono="061234567",
            codice_fiscale_richiedente=CF_MARIO,
            data_nascita_richiedente=dt.date(1985, 12, 10),
            sesso_richiedente="M",
            nazione_nascita_richiedente="IT",
            indirizzo_titolare="Via Po 1",
            comune_titolare="Roma",
            cap_titolare="00100",
            nazione_titolare="IT",
            provincia_titolare="RM",
        )
    )
    pec.set_stato("casella", mine.remote_id, "evasa")
    figures = box_sync.sync_account()
    assert figures["imported"] == 1 and figures["updated"] == 1
    imported = Casella.objects.get(remote_id=outside.id)
    assert imported.importata and imported.tipo_casella == "SILVER"
    assert imported.eventi.filter(tipo="import").exists()
    mine.refresh_from_db()
    assert mine.stato == Stato.EVASA
    assert mine.eventi.filter(a_stato="evasa").exists()
    assert box_sync.sync_account()["imported"] == 0  # idempotent


def test_id_documents_are_deleted_after_retention_and_the_deletion_recorded(
    pec, make_casella, settings
):
    settings.ID_DOCUMENT_RETENTION_DAYS = 30
    (casella,) = _in_evasione(make_casella, 1)
    pec.advance()
    box_sync.refresh_casella(casella)
    casella.refresh_from_db()
    assert casella.stato == Stato.EVASA
    identita = Documento.objects.get(casella=casella, tipo="identita")
    path = identita.file.path
    assert retention.purge_documents() == 0  # not yet
    later = timezone.now() + dt.timedelta(days=31)
    assert retention.purge_documents(now=later) == 1
    identita.refresh_from_db()
    assert identita.deleted_at and not identita.file
    import os

    assert not os.path.exists(path)
    assert Documento.objects.get(casella=casella, tipo="modulo").available
    assert Evento.objects.filter(casella=casella, tipo="eliminazione").count() == 1
    assert retention.purge_documents(now=later) == 0


def test_codice_fiscale_agreement():
    assert (
        validators.cf_mismatches(
            CF_MARIO, nome="Mario", cognome="Rossi", data_nascita=dt.date(1985, 12, 10), sesso="M"
        )
        == []
    )
    assert validators.cf_name_code("Giancarlo") == "GCR"  # 4+ consonants: 1st, 3rd, 4th
    assert validators.cf_surname_code("Fo") == "FOX"
    assert set(
        validators.cf_mismatches(
            CF_MARIO, nome="Anna", cognome="Verdi", data_nascita=dt.date(1985, 1, 10), sesso="F"
        )
    ) == {"nome", "cognome", "data_nascita", "sesso"}


def test_admin_actions_refresh_and_sync(pec, make_casella, admin_client):
    (casella,) = _registered(make_casella, 1)
    pec.set_stato("casella", casella.remote_id, "documenti_errati")
    url = reverse("admin:mailboxes_casella_changelist")
    response = admin_client.post(
        url, {"action": "refresh_status", "_selected_action": [casella.pk]}, follow=True
    )
    assert response.status_code == 200
    casella.refresh_from_db()
    assert casella.stato == Stato.DOCUMENTI_ERRATI
    change = admin_client.get(reverse("admin:mailboxes_casella_change", args=[casella.pk]))
    assert change.status_code == 200


def test_admin_holder_form_checks_the_tax_code(admin_client):
    from mailboxes.models import Titolare

    response = admin_client.post(
        reverse("admin:mailboxes_titolare_add"),
        {
            "tipo_cliente": "IM",
            "sottotipo_cliente": "SI",
            "denominazione": "Acme Srl",
            "codice_fiscale": "00743110158",
            "indirizzo": "Via Po 2",
            "cap": "10100",
            "comune": "Torino",
            "provincia": "TO",
            "nazione": "IT",
        },
    )
    assert response.status_code == 200
    assert "cifra di controllo" in response.content.decode()
    assert Titolare.objects.count() == 0
