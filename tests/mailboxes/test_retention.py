"""ID documents do not outlive their use: those of boxes that never become active are deleted
ID_DOCUMENT_MAX_AGE_DAYS after upload (not while Openapi may still need them), and with them the
requester's codice fiscale and document number wherever the portal copied them."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from mailboxes.models import CallKind, CasellaCall, Documento, Evento, Richiedente, Stato
from mailboxes.services import activation, history, retention
from mailboxes.services import sync as box_sync
from portal.history import Sentence

from .conftest import CF_MARIO, checked, pdf_bytes, run_calls

pytestmark = pytest.mark.django_db

DOC_NUMBER = "CA12345AB"  # conftest.richiedente_data


def _with_documents(pec, make_casella, *, send=True):
    casella = make_casella()
    run_calls(casella)
    casella.refresh_from_db()
    activation.upload_documents(
        casella=casella,
        modulo=checked(pdf_bytes()),
        identita=checked(pdf_bytes("Carta d'identità")),
        intent_key=str(uuid.uuid4()),
        user=None,
    )
    if send:
        assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    return casella


def _refused(pec, make_casella):
    """Documents sent, then refused by Openapi: the box never becomes active."""
    casella = _with_documents(pec, make_casella)
    pec.set_stato("casella", casella.remote_id, "documenti_errati")
    box_sync.refresh_casella(casella)
    casella.refresh_from_db()
    assert casella.stato == Stato.DOCUMENTI_ERRATI and casella.evasa_at is None
    return casella


def _identity(casella) -> Documento:
    return Documento.objects.get(casella=casella, tipo="identita")


def _days(n: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=n)


def test_the_id_document_of_a_box_never_activated_is_deleted_after_max_age(
    pec, make_casella, settings
):
    settings.ID_DOCUMENT_MAX_AGE_DAYS = 90
    casella = _refused(pec, make_casella)
    identity = _identity(casella)
    path = Path(identity.file.path)
    assert retention.purge_documents(now=_days(89)) == 0
    assert path.exists()
    assert retention.purge_documents(now=_days(90.01)) == 1
    identity.refresh_from_db()
    assert (
        not identity.file and identity.deleted_at and "dal caricamento" in identity.deleted_reason
    )
    assert not path.exists()
    assert Documento.objects.get(casella=casella, tipo="modulo").available  # not an ID document
    assert casella.eventi.filter(tipo="eliminazione").count() == 1
    assert retention.purge_documents(now=_days(200)) == 0


def test_documents_openapi_may_still_need_are_kept(pec, make_casella, settings):
    """Not while the activation call may still send them, nor while Openapi examines them."""
    settings.ID_DOCUMENT_MAX_AGE_DAYS = 90
    unsent = _with_documents(pec, make_casella, send=False)
    assert CasellaCall.objects.get(casella=unsent, kind=CallKind.ATTIVAZIONE).is_open
    examined = _with_documents(pec, make_casella)
    assert examined.stato == Stato.IN_EVASIONE
    assert retention.purge_documents(now=_days(365)) == 0
    assert _identity(unsent).available and _identity(examined).available
    # once Openapi has decided, they go
    pec.set_stato("casella", examined.remote_id, "documenti_errati")
    box_sync.refresh_casella(examined)
    assert retention.purge_documents(now=_days(365)) == 1
    assert not _identity(examined).available and _identity(unsent).available


def test_the_activation_rule_still_applies(pec, make_casella, settings):
    settings.ID_DOCUMENT_RETENTION_DAYS = 30
    casella = _with_documents(pec, make_casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    box_sync.refresh_casella(casella)
    casella.refresh_from_db()
    assert casella.evasa_at is not None
    assert retention.purge_documents(now=casella.evasa_at + dt.timedelta(days=29)) == 0
    assert retention.purge_documents(now=casella.evasa_at + dt.timedelta(days=30, minutes=1)) == 1
    assert "dall'attivazione" in _identity(casella).deleted_reason


def test_the_purge_scrubs_the_requesters_data_wherever_it_was_copied(pec, make_casella):
    casella = _refused(pec, make_casella)
    # What the portal kept before: Openapi's full answer in last_payload, and the codice fiscale
    # echoed by Openapi in an error and copied in a history line.
    full = pec.client().get_casella(casella.remote_id).raw
    assert full["codice_fiscale_richiedente"] == CF_MARIO
    assert full["numero_documento"] == DOC_NUMBER
    type(casella).objects.filter(pk=casella.pk).update(last_payload=full)
    call = CasellaCall.objects.filter(casella=casella).first()
    CasellaCall.objects.filter(pk=call.pk).update(
        last_error=f"codice_fiscale_richiedente {CF_MARIO} non valido",
        result={"echo": {"numero_documento": DOC_NUMBER}},
    )
    history.record(
        casella, "errore", f"Openapi: documento {DOC_NUMBER} scaduto", dati={"cf": CF_MARIO}
    )
    history.record(
        casella,
        "errore",
        Sentence(
            gettext_lazy("Openapi ha rifiutato la registrazione: %(msg)s"),
            msg=f"codice fiscale {CF_MARIO} non valido",
        ),
    )

    assert retention.purge_documents(now=_days(365)) == 1

    casella.refresh_from_db()
    stored = json.dumps(casella.last_payload)
    assert CF_MARIO not in stored and DOC_NUMBER not in stored
    assert not retention.REQUESTER_PAYLOAD_FIELDS & casella.last_payload.keys()
    # what the portal needs of the payload is still there
    assert casella.last_payload["id"] == casella.remote_id
    assert casella.last_payload["stato"] == "documenti_errati"
    assert "callback" in casella.last_payload
    rows = [
        *Evento.objects.filter(casella=casella).values_list("messaggio", "parametri", "dati"),
        *CasellaCall.objects.filter(casella=casella).values_list("params", "result", "last_error"),
    ]
    assert CF_MARIO not in json.dumps(rows) and DOC_NUMBER not in json.dumps(rows)
    assert retention.SCRUBBED in json.dumps(rows)
    requester = Richiedente.objects.get(casella=casella)
    assert requester.numero_documento == "" and requester.documento_rilasciato_da == ""
    assert requester.cognome == "Rossi"  # who asked for the box is still known


def test_a_later_read_does_not_bring_the_requesters_data_back(pec, make_casella):
    casella = _refused(pec, make_casella)
    retention.purge_documents(now=_days(365))
    box_sync.refresh_casella(casella)  # GET /pec/{id}: Openapi's full answer
    casella.refresh_from_db()
    stored = json.dumps(casella.last_payload)
    assert CF_MARIO not in stored and DOC_NUMBER not in stored
    assert casella.last_payload["stato"] == "documenti_errati"


def test_max_age_is_a_setting_with_its_line_in_env_example():
    from django.conf import settings

    root = Path(__file__).resolve().parents[2]
    assert settings.ID_DOCUMENT_MAX_AGE_DAYS == 90
    assert "ID_DOCUMENT_MAX_AGE_DAYS=90" in (root / ".env.example").read_text()
