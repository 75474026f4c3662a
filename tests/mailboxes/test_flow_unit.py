"""The box lifecycle through the services, against the sandbox, in this process."""

import time

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mailboxes.models import Casella, CasellaCall, Documento, Stato
from mailboxes.services import activation, registration
from mailboxes.services.polling import BOXES
from portal.polling import poll_due

from .conftest import checked, pdf_bytes, run_calls

pytestmark = pytest.mark.django_db


def _activate(casella, text="Modulo firmato"):
    return activation.upload_documents(
        casella=casella,
        modulo=checked(pdf_bytes(text)),
        identita=checked(pdf_bytes("Carta d'identita")),
        intent_key=f"up-{casella.pk}-{time.monotonic_ns()}",
        user=casella.registered_by,
    )


def _wait_evasa(pec, casella):
    pec.advance()
    casella.next_poll_at = None
    Casella.objects.filter(pk=casella.pk).update(next_poll_at=timezone.now())
    poll_due(BOXES)
    casella.refresh_from_db()
    return casella


def test_register_upload_poll_active_with_email(
    pec, make_casella, mailoutbox, django_capture_on_commit_callbacks
):
    casella = make_casella()
    assert casella.stato == Stato.NUOVA
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA and casella.remote_id
    assert [c["operation"] for c in pec.charges()] == ["registrazione"]

    _activate(casella)
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.stato == Stato.IN_EVASIONE
    assert casella.next_poll_at is not None
    assert Documento.objects.filter(casella=casella, sent_at__isnull=False).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        casella = _wait_evasa(pec, casella)
    assert casella.stato == Stato.EVASA
    assert casella.data_scadenza is not None
    assert casella.next_poll_at is None
    assert [m.to for m in mailoutbox] == [[casella.registered_by.email]]
    assert casella.casella_pec in mailoutbox[0].subject
    stati = list(casella.eventi.exclude(a_stato="").values_list("a_stato", flat=True))
    assert stati[:3] == ["evasa", "in_evasione", "registrata"]


def test_domicilio_digitale_sends_one_merged_pdf(pec, make_casella):
    casella = make_casella(tipo="DOMICILIODIGITALE")
    run_calls(casella)
    casella.refresh_from_db()
    _activate(casella)
    assert run_calls(casella) == ["done"]
    docs = list(casella.documenti.all())
    assert [d.tipo for d in docs] == ["unico"] and docs[0].pagine == 2
    casella.refresh_from_db()
    assert casella.stato == Stato.IN_EVASIONE


def test_documenti_errati_asks_for_a_new_upload(pec, make_casella):
    casella = make_casella()
    run_calls(casella)
    casella.refresh_from_db()
    _activate(casella, text="DOCUMENTI ERRATI")
    run_calls(casella)
    casella = _wait_evasa(pec, casella)
    assert casella.stato == Stato.DOCUMENTI_ERRATI
    assert casella.can_upload
    _activate(casella)
    assert run_calls(casella) == ["done"]
    casella = _wait_evasa(pec, casella)
    assert casella.stato == Stato.EVASA


def test_double_submit_is_one_intent(pec, make_casella, office_user):
    casella = make_casella()
    again = registration.register_casella(
        titolare=casella.titolare,
        tipo_casella=casella.tipo_casella,
        casella_pec=casella.casella_pec,
        richiedente={},
        autorinnovo=False,
        intent_key=casella.calls.get().intent_key,
        user=office_user,
    )
    assert again.pk == casella.pk
    assert CasellaCall.objects.count() == 1


def test_same_address_twice_is_refused(pec, make_casella):
    casella = make_casella()
    with pytest.raises(ValidationError):
        make_casella(address=casella.casella_pec)
    assert Casella.objects.count() == 1


def test_lost_answer_is_settled_without_a_second_post(pec, make_casella):
    casella = make_casella()
    pec.set_faults(lost_next=1, methods=["POST"])
    assert run_calls(casella) == ["unclear"]
    assert len(pec.charges()) == 1
    CasellaCall.objects.update(next_attempt_at=timezone.now())
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA
    assert len(pec.charges()) == 1
    assert [c["method"] for c in pec.calls()].count("POST") == 1


def test_attivazione_not_sent_when_box_already_moved_on(pec, make_casella):
    casella = make_casella()
    run_calls(casella)
    casella.refresh_from_db()
    call = _activate(casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    assert run_calls(casella) == ["failed"]
    call.refresh_from_db()
    assert "evasa" in call.last_error
    assert not [c for c in pec.calls() if c["method"] == "PATCH"]
    casella.refresh_from_db()
    assert casella.stato == Stato.EVASA


def test_insufficient_credit_fails_and_tells_the_office(pec, make_casella, mailoutbox):
    """402: the intent fails with the API's message and the office is told; nothing retried."""
    pec.set_credit("1.00")
    casella = make_casella()
    assert run_calls(casella) == ["failed"]
    casella.refresh_from_db()
    assert casella.stato == Stato.NON_REGISTRATA
    assert "Insufficient" in casella.last_error
    assert mailoutbox and "non riuscita" in mailoutbox[0].subject


def test_the_task_run_twice_sends_once(pec, make_casella):
    from portal.remote_calls import run_intent

    casella = make_casella()
    pk = casella.calls.get().pk
    assert run_intent("mailboxes.CasellaCall", pk) == "done"
    assert run_intent("mailboxes.CasellaCall", pk) == "done"
    assert [c["method"] for c in pec.calls()].count("POST") == 1
    assert len(pec.charges()) == 1


def test_refused_request_503_is_sent_again_and_charged_once(pec, make_casella):
    casella = make_casella()
    pec.set_faults(error_next=1, methods=["POST"])
    assert run_calls(casella) == ["pending"]  # not performed: sent again later
    CasellaCall.objects.update(next_attempt_at=timezone.now())
    assert run_calls(casella) == ["done"]
    assert len(pec.charges()) == 1


def test_timeout_is_settled_against_get_pec_before_anything_is_sent_again(pec, make_casella):
    """The answer arrives after the client gave up (the call was performed meanwhile)."""
    casella = make_casella()
    pec.set_faults(timeout_next=1, timeout_seconds=3.5, methods=["POST"])
    assert run_calls(casella) == ["unclear"]
    time.sleep(1.0)  # the sandbox performs it once its delay is over
    CasellaCall.objects.update(next_attempt_at=timezone.now())
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA and casella.remote_id
    assert [c["method"] for c in pec.calls()].count("POST") == 1
    assert len(pec.charges()) == 1
