"""Comunica requests follow Openapi's callbacks as boxes do: POST /comunica_pec asks for them
when PORTAL_PUBLIC_URL is set, with the request's secret; a callback is accepted only with it,
queues one read of the request by a worker (GET /comunica_pec/{id}, the body trusted for
nothing), never makes a 500, and polling stays the safety net."""

import json
import time

import pytest
from django.urls import reverse

from comunica.models import RichiestaComunicazione, StatoRichiesta
from comunica.services.polling import REQUESTS
from portal import callbacks, tasks
from portal.remote_calls import run_intent
from tests.mailboxes.test_callbacks import HOSTILE_BODIES

from .test_calls import new_request, upload

pytestmark = pytest.mark.django_db


class Reads(list):
    """The callback reads queued for the worker (request pks), recorded instead of sent."""

    def __init__(self, capture):
        super().__init__()
        self.capture = capture

    def post(self, client, url, data=None, **kw):
        with self.capture(execute=True):
            return client.post(url, data, **kw)

    def post_raw(self, client, url, body, content_type):
        body = body.encode() if isinstance(body, str) else body
        with self.capture(execute=True):
            return client.generic("POST", url, body, content_type=content_type)

    def run(self) -> list[str]:
        outcomes = [tasks.refresh_after_callback("comunica", pk) for pk in self]
        self.clear()
        return outcomes


@pytest.fixture
def reads(monkeypatch, django_capture_on_commit_callbacks):
    queue = Reads(django_capture_on_commit_callbacks)
    monkeypatch.setattr(tasks.refresh_after_callback, "delay", lambda _name, pk: queue.append(pk))
    return queue


def _sent(office_user):
    richiesta, call = new_request(office_user)
    run_intent("comunica.ComunicaCall", call.pk)
    richiesta.refresh_from_db()
    assert richiesta.stato == StatoRichiesta.CODICE_IN_RICHIESTA
    return richiesta


@pytest.fixture
def held(openapi):
    """Openapi's own clock held: a request stays where the test put it (the test sandbox moves
    codice_in_richiesta on after 0.3 s, which a loaded machine may spend between two steps)."""
    openapi._post("config", {"comunica_seconds": 3600})
    yield openapi
    openapi._post("config", {"comunica_seconds": openapi.delay})


def _url(richiesta, token=None):
    token = callbacks.callback_token(REQUESTS, richiesta.pk) if token is None else token
    return reverse("comunica:richiesta_callback", args=[richiesta.pk, token])


def _reads(openapi, richiesta):
    path = f"/comunica_pec/{richiesta.remote_id}"
    return [c for c in openapi.calls() if c["method"] == "GET" and c["path"] == path]


def _payload(richiesta, stato):
    return {"data": json.dumps({"id": richiesta.remote_id, "stato": stato})}


def test_the_request_asks_for_a_callback_with_its_secret(openapi, office_user, settings, queued):
    settings.PORTAL_PUBLIC_URL = "https://portale.example.it/"
    richiesta = _sent(office_user)
    callback = openapi.client().get_comunica(richiesta.remote_id).raw["callback"]
    assert callback["url"] == "https://portale.example.it" + _url(richiesta)
    assert callback["data"] == {"richiesta": richiesta.pk}


def test_a_callback_with_a_wrong_secret_is_refused_and_reads_nothing(
    openapi, office_user, client, queued
):
    richiesta = _sent(office_user)
    openapi.set_stato("comunica", richiesta.remote_id, "in_attesa_di_documenti")
    before = len(_reads(openapi, richiesta))
    other = callbacks.callback_token(REQUESTS, richiesta.pk + 1)
    box_secret = callbacks.callback_token(callbacks.polling.resource("mailboxes"), richiesta.pk)
    for token in ("0" * 40, other, box_secret):
        response = client.post(_url(richiesta, token), _payload(richiesta, "evasa"))
        assert response.status_code == 403
    assert len(_reads(openapi, richiesta)) == before
    richiesta.refresh_from_db()
    assert richiesta.stato == StatoRichiesta.CODICE_IN_RICHIESTA


def test_a_callback_is_confirmed_by_the_worker_and_only_openapi_s_answer_applies(
    held, openapi, office_user, client, reads, queued
):
    richiesta = _sent(office_user)
    forged = _payload(richiesta, "comunicazione_evasa")  # Openapi says otherwise
    before = len(_reads(openapi, richiesta))
    assert reads.post(client, _url(richiesta), forged).status_code == 200
    assert len(_reads(openapi, richiesta)) == before  # no Openapi call in the web request
    assert reads.run() == ["unchanged"]
    richiesta.refresh_from_db()
    assert richiesta.stato == StatoRichiesta.CODICE_IN_RICHIESTA
    openapi.set_stato("comunica", richiesta.remote_id, "in_attesa_di_documenti")
    assert reads.post(client, _url(richiesta), forged).status_code == 200
    assert reads.run() == ["changed"]
    richiesta.refresh_from_db()
    assert richiesta.stato == StatoRichiesta.IN_ATTESA_DI_DOCUMENTI


def test_a_hundred_callbacks_make_one_read_by_the_worker(
    openapi, office_user, client, reads, queued
):
    richiesta = _sent(office_user)
    openapi.set_stato("comunica", richiesta.remote_id, "in_attesa_di_documenti")
    before = len(_reads(openapi, richiesta))
    for _ in range(100):
        response = reads.post(client, _url(richiesta), _payload(richiesta, "x"))
        assert response.status_code == 200
    assert len(_reads(openapi, richiesta)) == before  # none by the web requests
    assert reads == [richiesta.pk]
    assert reads.run() == ["changed"]
    assert len(_reads(openapi, richiesta)) == before + 1


@pytest.mark.parametrize(
    "content_type,body", HOSTILE_BODIES, ids=[str(i) for i in range(len(HOSTILE_BODIES))]
)
def test_no_body_makes_a_500_and_no_body_changes_the_request(
    held, openapi, office_user, client, reads, queued, content_type, body
):
    richiesta = _sent(office_user)
    before = (richiesta.stato, richiesta.codice_registro_imprese, richiesta.remote_timestamp)
    response = reads.post_raw(client, _url(richiesta), body, content_type)
    assert 200 <= response.status_code < 500
    reads.run()
    richiesta.refresh_from_db()
    after = (richiesta.stato, richiesta.codice_registro_imprese, richiesta.remote_timestamp)
    assert after == before


def test_a_body_above_the_limit_is_refused_unread(openapi, office_user, client, reads, queued):
    richiesta = _sent(office_user)
    big = json.dumps({"stato": "comunicazione_evasa", "pad": "x" * 70 * 1024})
    response = reads.post(client, _url(richiesta), big, content_type="application/json")
    assert response.status_code == 413
    assert reads == []


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_request_reaches_comunicazione_evasa_through_callbacks_without_polling(
    openapi, office_user, live_server, settings, celery_worker_process, queued
):
    """End to end: POST /comunica_pec with the callback; the sandbox prepares the procura and
    calls back, the worker reads the request; the procura is uploaded, the Registro Imprese
    answers, the sandbox calls back again and the request is evasa with its receipts. Nobody
    polls (no beat here)."""
    settings.PORTAL_PUBLIC_URL = live_server.url
    richiesta = _sent(office_user)

    def wait_for(stato):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            current = RichiestaComunicazione.objects.get(pk=richiesta.pk)
            if current.stato == stato:
                return current
            time.sleep(0.1)
        raise AssertionError(f"not {stato}: {current.stato}")

    current = wait_for(StatoRichiesta.IN_ATTESA_DI_DOCUMENTI)
    procura = upload(current, office_user)
    run_intent("comunica.ComunicaCall", procura.calls.get().pk)
    current = wait_for(StatoRichiesta.COMUNICAZIONE_EVASA)
    assert current.codice_registro_imprese.startswith("RI")
    assert current.documenti_registro_imprese
    assert current.next_poll_at is None
    delivered = [c for c in openapi.callbacks() if c["id"] == richiesta.remote_id]
    assert {"in_attesa_di_documenti", "comunicazione_evasa"} <= {c["stato"] for c in delivered}
    lists = [c for c in openapi.calls() if c["method"] == "GET" and c["path"] == "/comunica_pec"]
    assert not lists  # nobody polled
