"""The comunica flow with a real Celery worker process against the sandbox."""

from __future__ import annotations

import time
import uuid

import pytest

from comunica.models import ComunicaCall, RichiestaComunicazione, StatoRichiesta
from comunica.p7m import validate_p7m
from comunica.services import creation, procura_upload
from portal import tasks
from portal.remote_calls import CallState

from .factories import model_data

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=60.0, every=0.2, what="condition", tick=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if tick:
            tick()
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def stato(pk):
    return RichiestaComunicazione.objects.get(pk=pk).stato


def test_from_new_request_to_comunicazione_evasa_with_a_real_worker(
    celery_worker_process, openapi, office_user
):
    from openapi_pec.client import PecClient

    started = time.monotonic()
    created = creation.create_richiesta(
        data=model_data(), user=office_user, intent_key=str(uuid.uuid4())
    )
    pk = created.richiesta.pk
    call = ComunicaCall.objects.get(richiesta_id=pk)
    # the same task delivered twice more: still one POST, one charge
    tasks.run_call.delay("comunica.ComunicaCall", call.pk)
    tasks.run_call.delay("comunica.ComunicaCall", call.pk)

    def poll():  # what beat would send every tick
        tasks.poll_due.delay("comunica")

    wait_for(
        lambda: stato(pk) == StatoRichiesta.IN_ATTESA_DI_DOCUMENTI,
        tick=poll,
        every=0.5,
        what="in_attesa_di_documenti",
    )
    richiesta = RichiestaComunicazione.objects.get(pk=pk)
    assert [c["amount"] for c in openapi.charges()] == ["15.70"]
    assert len([c for c in openapi.calls() if c["method"] == "POST"]) == 1

    # the procura, downloaded as the page does, signed here, uploaded
    pdf = PecClient(pec_url=openapi.url, token="demo-token").procura_registro_imprese(
        richiesta.remote_id
    )
    from .factories import make_p7m

    info = validate_p7m(make_p7m(pdf))
    procura = procura_upload.upload_procura(
        richiesta=richiesta,
        info=info,
        original_name="procura.pdf.p7m",
        user=office_user,
        intent_key=str(uuid.uuid4()),
    )
    upload_call = procura.calls.get()
    tasks.run_call.delay("comunica.ComunicaCall", upload_call.pk)
    wait_for(
        lambda: stato(pk) == StatoRichiesta.COMUNICAZIONE_EVASA,
        tick=poll,
        every=0.5,
        what="comunicazione_evasa",
    )
    richiesta.refresh_from_db()
    assert richiesta.codice_registro_imprese
    assert richiesta.documenti_registro_imprese
    assert richiesta.next_poll_at is None
    assert ComunicaCall.objects.get(pk=upload_call.pk).state == CallState.DONE
    assert len([c for c in openapi.calls() if c["method"] == "PATCH"]) == 1
    assert len(openapi.charges()) == 1
    subjects = [" ".join(m["Subject"].split()) for m in celery_worker_process.outbox()]
    assert any("In attesa della procura firmata" in s for s in subjects), subjects
    assert any("Comunicazione evasa" in s for s in subjects), subjects
    from tests import figures

    figures.record(
        "comunica worker flow",
        f"POST task delivered 3x -> 1 POST, 1 charge; comunicazione_evasa in "
        f"{time.monotonic() - started:.1f}s",
    )
    kinds = list(richiesta.eventi.values_list("tipo", flat=True))
    assert kinds[0] == "creata" and "procura" in kinds and kinds.count("stato") >= 3


def test_a_lost_post_answer_is_settled_by_the_worker_without_a_second_charge(
    celery_worker_process, openapi, office_user, settings
):
    openapi.set_faults(lost_next=1, methods=["POST"])
    created = creation.create_richiesta(
        data=model_data(casella_pec="lost@pec.example.it"),
        user=office_user,
        intent_key=str(uuid.uuid4()),
    )
    call = ComunicaCall.objects.get(richiesta=created.richiesta)
    wait_for(
        lambda: ComunicaCall.objects.get(pk=call.pk).state == CallState.UNCLEAR,
        what="unclear outcome",
    )
    assert len(openapi.charges()) == 1
    # due again (as after the backoff): the worker settles it from GET /comunica_pec
    ComunicaCall.objects.filter(pk=call.pk).update(
        next_attempt_at=ComunicaCall.objects.get(pk=call.pk).created_at
    )
    wait_for(
        lambda: ComunicaCall.objects.get(pk=call.pk).state == CallState.DONE,
        tick=tasks.run_due_calls.delay,
        every=0.5,
        what="settled",
    )
    assert RichiestaComunicazione.objects.get(pk=created.richiesta.pk).remote_id
    assert len(openapi.charges()) == 1
    assert len([c for c in openapi.calls() if c["method"] == "POST"]) == 1
