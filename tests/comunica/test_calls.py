"""At most once: POST /comunica_pec (paid) and PATCH /comunica_pec/{id}, against the sandbox."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from comunica.models import ComunicaCall, RichiestaComunicazione, StatoRichiesta
from comunica.p7m import validate_p7m
from comunica.services import creation, mirror, polling, procura_upload
from comunica.services import sync as comunica_sync
from comunica.services.polling import REQUESTS
from portal.polling import poll_due
from portal.remote_calls import CallState, run_intent, settle_grace

from .factories import make_p7m, model_data

pytestmark = pytest.mark.django_db


def posts(sandbox):
    return [c for c in sandbox.calls() if c["method"] == "POST" and c["path"] == "/comunica_pec"]


def patches(sandbox):
    return [c for c in sandbox.calls() if c["method"] == "PATCH"]


def later(seconds=0.0):
    return timezone.now() + settle_grace() + dt.timedelta(seconds=seconds)


def new_request(user, **overrides):
    created = creation.create_richiesta(
        data=model_data(**overrides), user=user, intent_key=str(uuid.uuid4())
    )
    return created.richiesta, created.richiesta.calls.get()


def test_the_task_run_twice_makes_one_call_and_one_charge(openapi, office_user, queued):
    richiesta, call = new_request(office_user)
    assert run_intent("comunica.ComunicaCall", call.pk) == CallState.DONE
    assert run_intent("comunica.ComunicaCall", call.pk) == CallState.DONE
    assert len(posts(openapi)) == 1
    charges = openapi.charges()
    assert [c["amount"] for c in charges] == ["15.70"]
    richiesta.refresh_from_db()
    assert richiesta.remote_id
    assert richiesta.stato == StatoRichiesta.CODICE_IN_RICHIESTA
    assert richiesta.next_poll_at is not None


def test_a_double_submit_is_one_intent(openapi, office_user, queued):
    key = str(uuid.uuid4())
    first = creation.create_richiesta(data=model_data(), user=office_user, intent_key=key)
    second = creation.create_richiesta(data=model_data(), user=office_user, intent_key=key)
    assert first.new and not second.new
    assert first.richiesta.pk == second.richiesta.pk
    assert ComunicaCall.objects.count() == 1
    assert RichiestaComunicazione.objects.count() == 1


def test_a_lost_answer_is_settled_from_the_list_without_sending_again(openapi, office_user, queued):
    richiesta, call = new_request(office_user)
    openapi.set_faults(lost_next=1, methods=["POST"])
    assert run_intent("comunica.ComunicaCall", call.pk) == CallState.UNCLEAR
    assert len(openapi.charges()) == 1  # performed at Openapi, answer lost
    # a second delivery of the task right away does nothing; the next due run settles it
    assert run_intent("comunica.ComunicaCall", call.pk) == CallState.UNCLEAR
    assert run_intent("comunica.ComunicaCall", call.pk, now=later()) == CallState.DONE
    assert len(posts(openapi)) == 1
    assert len(openapi.charges()) == 1
    richiesta.refresh_from_db()
    assert richiesta.remote_id == openapi.charges()[0]["id"]


def test_a_request_that_never_arrived_is_sent_once_the_grace_period_is_over(
    openapi, office_user, queued
):
    _richiesta, call = new_request(office_user)
    ComunicaCall.objects.filter(pk=call.pk).update(
        state=CallState.UNCLEAR, last_sent_at=timezone.now(), attempts=1
    )
    # Openapi has no trace of it, but a late request could still land: wait
    assert run_intent("comunica.ComunicaCall", call.pk, now=later(-60)) == CallState.UNCLEAR
    assert posts(openapi) == []
    assert run_intent("comunica.ComunicaCall", call.pk, now=later(1)) == CallState.DONE
    assert len(posts(openapi)) == 1
    assert len(openapi.charges()) == 1


def test_settling_ignores_a_request_already_linked_to_another_one(openapi, office_user, queued):
    other, other_call = new_request(office_user)
    run_intent("comunica.ComunicaCall", other_call.pk)
    other.refresh_from_db()
    richiesta, call = new_request(office_user)  # same address, e.g. registered again
    ComunicaCall.objects.filter(pk=call.pk).update(
        state=CallState.UNCLEAR, last_sent_at=timezone.now() - settle_grace(), attempts=1
    )
    assert run_intent("comunica.ComunicaCall", call.pk, now=later(1)) == CallState.DONE
    richiesta.refresh_from_db()
    assert richiesta.remote_id != other.remote_id
    assert len(openapi.charges()) == 2


def test_insufficient_credit_fails_with_the_message_and_can_be_retried(
    openapi, office_user, queued
):
    openapi.set_credit("1.00")
    richiesta, call = new_request(office_user)
    assert run_intent("comunica.ComunicaCall", call.pk) == CallState.FAILED
    richiesta.refresh_from_db()
    assert richiesta.stato == StatoRichiesta.NON_INVIATA
    assert "Insufficient" in richiesta.last_error or "credit" in richiesta.last_error.lower()
    assert openapi.charges() == []
    from django.core import mail

    assert [m.to for m in mail.outbox] == [["operatore@example.com"]]
    assert "Credito Openapi insufficiente" in mail.outbox[0].body
    openapi.set_credit("100.00")
    assert creation.retry_create(richiesta=richiesta, user=office_user, intent_key="k2")
    retry = richiesta.calls.get(state=CallState.PENDING)
    assert run_intent("comunica.ComunicaCall", retry.pk) == CallState.DONE
    assert len(openapi.charges()) == 1


def test_one_request_per_address_may_be_in_flight(openapi, office_user, queued):
    from django.core.exceptions import ValidationError

    new_request(office_user)
    with pytest.raises(ValidationError):
        new_request(office_user)


def ready_for_upload(openapi, user):
    richiesta, call = new_request(user)
    run_intent("comunica.ComunicaCall", call.pk)
    richiesta.refresh_from_db()
    openapi.set_stato("comunica", richiesta.remote_id, "in_attesa_di_documenti")
    polling.refresh_richiesta(richiesta)
    richiesta.refresh_from_db()
    assert richiesta.stato == StatoRichiesta.IN_ATTESA_DI_DOCUMENTI
    return richiesta


def upload(richiesta, user, data=None):
    info = validate_p7m(data or make_p7m())
    return procura_upload.upload_procura(
        richiesta=richiesta,
        info=info,
        original_name="procura.pdf.p7m",
        user=user,
        intent_key=str(uuid.uuid4()),
    )


def test_the_patch_run_twice_is_sent_once(openapi, office_user, queued):
    richiesta = ready_for_upload(openapi, office_user)
    procura = upload(richiesta, office_user)
    call = procura.calls.get()
    assert run_intent("comunica.ComunicaCall", call.pk) == CallState.DONE
    assert run_intent("comunica.ComunicaCall", call.pk) == CallState.DONE
    assert len(patches(openapi)) == 1
    richiesta.refresh_from_db()
    procura.refresh_from_db()
    assert richiesta.stato == StatoRichiesta.DOCUMENTI_CARICATI
    assert procura.inviata_at is not None


def test_a_lost_patch_answer_is_settled_by_reading_the_request(openapi, office_user, queued):
    richiesta = ready_for_upload(openapi, office_user)
    call = upload(richiesta, office_user).calls.get()
    openapi.set_faults(lost_next=1, methods=["PATCH"])
    assert run_intent("comunica.ComunicaCall", call.pk) == CallState.UNCLEAR
    assert run_intent("comunica.ComunicaCall", call.pk, now=later()) == CallState.DONE
    assert len(patches(openapi)) == 1
    richiesta.refresh_from_db()
    assert richiesta.stato in (
        StatoRichiesta.DOCUMENTI_CARICATI,
        StatoRichiesta.COMUNICAZIONE_EVASA,
    )


def test_a_signer_who_is_not_the_applicant_holds_the_upload_until_send_anyway(
    openapi, office_user, queued
):
    from .factories import OTHER_CF, make_certificate

    richiesta = ready_for_upload(openapi, office_user)
    cert, key = make_certificate(cf=OTHER_CF)
    procura = upload(richiesta, office_user, make_p7m(cert=cert, key=key))
    assert procura.cf_diverso and not procura.calls.exists()
    assert procura_upload.send_anyway(procura=procura, user=office_user, intent_key="send-1")
    assert not procura_upload.send_anyway(procura=procura, user=office_user, intent_key="send-1")
    call = procura.calls.get()
    assert run_intent("comunica.ComunicaCall", call.pk) == CallState.DONE
    assert len(patches(openapi)) == 1


def test_polling_follows_the_request_to_comunicazione_evasa_and_stops(openapi, office_user, queued):
    richiesta = ready_for_upload(openapi, office_user)
    run_intent("comunica.ComunicaCall", upload(richiesta, office_user).calls.get().pk)
    openapi.advance()
    gets_before = len([c for c in openapi.calls() if c["method"] == "GET"])
    assert poll_due(REQUESTS, now=timezone.now() + dt.timedelta(hours=1))["objects"] == 1
    richiesta.refresh_from_db()
    assert richiesta.stato == StatoRichiesta.COMUNICAZIONE_EVASA
    assert richiesta.codice_registro_imprese.startswith("RI")
    assert richiesta.documenti_registro_imprese == [f"{richiesta.remote_id}_0_registro_imprese.p7m"]
    assert richiesta.next_poll_at is None
    # one request due: one read of it, no list
    assert len([c for c in openapi.calls() if c["method"] == "GET"]) == gets_before + 1
    assert poll_due(REQUESTS, now=timezone.now() + dt.timedelta(hours=2))["objects"] == 0


def test_one_list_call_refreshes_many_requests_and_backs_off(openapi, office_user, queued):
    requests = []
    for n in range(3):
        richiesta, call = new_request(office_user, casella_pec=f"impresa{n}@pec.example.it")
        run_intent("comunica.ComunicaCall", call.pk)
        requests.append(richiesta)
    openapi.advance()  # all three move to in_attesa_di_documenti
    now = timezone.now() + dt.timedelta(minutes=1)
    before = len(openapi.calls())
    assert poll_due(REQUESTS, now=now)["objects"] == 3
    new = openapi.calls()[before:]
    assert [c["path"] for c in new].count("/comunica_pec") == 1
    assert len(new) == 1 + 3  # one list, the detail of the three that moved
    assert set(RichiestaComunicazione.objects.values_list("stato", flat=True)) == {
        StatoRichiesta.IN_ATTESA_DI_DOCUMENTI
    }
    base = REQUESTS.min_seconds()
    assert set(RichiestaComunicazione.objects.values_list("poll_interval", flat=True)) == {base}
    # nothing moves now: one list call, no detail, and the interval doubles
    before = len(openapi.calls())
    assert poll_due(REQUESTS, now=now + dt.timedelta(minutes=1))["objects"] == 3
    assert [c["path"] for c in openapi.calls()[before:]] == ["/comunica_pec"]
    intervals = set(RichiestaComunicazione.objects.values_list("poll_interval", flat=True))
    assert intervals == {2 * base}


def test_sync_imports_requests_started_elsewhere(openapi, office_user, queued):
    from openapi_pec import types

    remote = openapi.client().create_comunica(
        types.ComunicaRequest(**{k: v for k, v in model_data().items() if k != "pec_impresa"})
    )
    result = comunica_sync.sync_account()
    assert result.imported == 1
    richiesta = RichiestaComunicazione.objects.get(remote_id=remote.id)
    assert richiesta.importata
    assert richiesta.ragione_sociale == "ACME S.r.l."
    assert richiesta.stato in (
        StatoRichiesta.CODICE_IN_RICHIESTA,
        StatoRichiesta.IN_ATTESA_DI_DOCUMENTI,
    )
    again = comunica_sync.sync_account()
    assert again.imported == 0
    assert RichiestaComunicazione.objects.count() == 1


def test_sync_does_not_import_a_request_whose_post_is_unsettled(openapi, office_user, queued):
    _richiesta, call = new_request(office_user)
    openapi.set_faults(lost_next=1, methods=["POST"])
    run_intent("comunica.ComunicaCall", call.pk)
    assert comunica_sync.sync_account().skipped == 1
    assert RichiestaComunicazione.objects.count() == 1
    assert run_intent("comunica.ComunicaCall", call.pk, now=later()) == CallState.DONE
    assert comunica_sync.sync_account().imported == 0


def test_an_evasa_without_receipts_is_asked_again_until_they_appear(office_user, queued):
    from comunica.models import Evento
    from openapi_pec import types

    richiesta, _call = new_request(office_user)
    RichiestaComunicazione.objects.filter(pk=richiesta.pk).update(
        remote_id="b" * 24, stato=StatoRichiesta.DOCUMENTI_CARICATI
    )
    base = {"id": "b" * 24, "casella_pec": richiesta.casella_pec}
    mirror.apply_remote(
        richiesta, types.Comunica.from_raw({**base, "stato": "comunicazione_evasa"})
    )
    richiesta.refresh_from_db()
    assert richiesta.stato == StatoRichiesta.COMUNICAZIONE_EVASA
    assert richiesta.next_poll_at is not None  # the receipts are not there yet
    mirror.apply_remote(
        richiesta,
        types.Comunica.from_raw(
            {
                **base,
                "stato": "comunicazione_evasa",
                "codice_registro_imprese": "RI1",
                "documenti_registro_imprese": ["b_0_registro_imprese.p7m"],
            }
        ),
    )
    richiesta.refresh_from_db()
    assert richiesta.next_poll_at is None
    assert any(
        "b_0_registro_imprese.p7m" in e.testo
        for e in richiesta.eventi.filter(tipo=Evento.Tipo.STATO)
    )
    # a stale snapshot never moves it backwards
    mirror.apply_remote(
        richiesta, types.Comunica.from_raw({**base, "stato": "in_attesa_di_documenti"})
    )
    richiesta.refresh_from_db()
    assert richiesta.stato == StatoRichiesta.COMUNICAZIONE_EVASA
