"""Status pushed by Openapi's callbacks: asked for when PORTAL_PUBLIC_URL is set, accepted only
with the box's secret, confirmed with GET /pec/{id} (the payload is trusted for nothing), and
delivered end to end by the sandbox."""

import json
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from mailboxes import services
from mailboxes.models import Casella, Evento, Stato

from .conftest import checked, pdf_bytes, run_calls

pytestmark = pytest.mark.django_db


def _registered(make_casella):
    casella = make_casella()
    run_calls(casella)
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA
    return casella


def _callback_url(casella, token=None):
    return reverse(
        "mailboxes:casella_callback",
        args=[casella.pk, token if token is not None else services.callback_token(casella.pk)],
    )


def _gets(pec, casella):
    return [
        c for c in pec.calls() if c["method"] == "GET" and c["path"] == f"/pec/{casella.remote_id}"
    ]


def _payload(casella, stato):
    return {"data": json.dumps({"id": casella.remote_id, "stato": stato})}


def test_registration_asks_for_a_callback_with_the_box_secret(pec, make_casella, settings):
    settings.PORTAL_PUBLIC_URL = "https://portale.example.it/"
    casella = _registered(make_casella)
    callback = pec.client().get_casella(casella.remote_id).raw["callback"]
    assert callback["url"] == "https://portale.example.it" + _callback_url(casella)
    assert callback["data"] == {"casella": casella.pk}


def test_no_callback_without_a_public_url(pec, make_casella, settings, monkeypatch):
    settings.PORTAL_PUBLIC_URL = ""
    monkeypatch.delenv("PORTAL_PUBLIC_URL", raising=False)
    casella = _registered(make_casella)
    assert not pec.client().get_casella(casella.remote_id).raw["callback"]


def test_a_callback_with_a_wrong_secret_is_refused_and_changes_nothing(pec, make_casella, client):
    casella = _registered(make_casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    before = len(_gets(pec, casella))
    for token in ("0" * 40, "", services.callback_token(casella.pk + 1)):
        url = _callback_url(casella, token) if token else f"/caselle/{casella.pk}/callback/x/"
        response = client.post(url, _payload(casella, "evasa"))
        assert response.status_code in (403, 404)
    assert len(_gets(pec, casella)) == before  # not even a confirming read
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA


def test_a_right_callback_is_confirmed_with_get_and_applied_once(pec, make_casella, client):
    casella = _registered(make_casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    before = len(_gets(pec, casella))
    response = client.post(_callback_url(casella), _payload(casella, "evasa"))
    assert response.status_code == 200
    assert len(_gets(pec, casella)) == before + 1
    casella.refresh_from_db()
    assert casella.stato == Stato.EVASA and casella.data_attivazione is not None
    # The same callback again: read again, nothing new recorded.
    events = Evento.objects.filter(casella=casella).count()
    assert client.post(_callback_url(casella), _payload(casella, "evasa")).status_code == 200
    assert Evento.objects.filter(casella=casella).count() == events


def test_the_payload_is_trusted_for_nothing(pec, make_casella, client):
    casella = _registered(make_casella)  # still registrata at Openapi
    forged = {
        "data": json.dumps(
            {"id": casella.remote_id, "stato": "evasa", "data_scadenza": "01/01/2099"}
        )
    }
    assert client.post(_callback_url(casella), forged).status_code == 200
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA and casella.data_scadenza is None


def test_a_json_callback_is_accepted_too(pec, make_casella, client):
    casella = _registered(make_casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    response = client.post(
        _callback_url(casella),
        json.dumps({"id": casella.remote_id, "stato": "evasa"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    casella.refresh_from_db()
    assert casella.stato == Stato.EVASA


def test_openapi_down_answers_503_so_the_callback_is_retried(pec, make_casella, client):
    casella = _registered(make_casella)
    pec.set_faults(error_rate=1.0)
    assert client.post(_callback_url(casella), _payload(casella, "evasa")).status_code == 503


def test_polling_slows_down_while_callbacks_arrive(pec, make_casella, client, settings):
    settings.PORTAL_PUBLIC_URL = "https://portale.example.it"
    casella = _registered(make_casella)
    services.upload_documents(
        casella=casella,
        modulo=checked(pdf_bytes()),
        identita=checked(pdf_bytes("ID")),
        intent_key=f"k-{casella.pk}",
        user=None,
    )
    run_calls(casella)
    casella.refresh_from_db()
    assert casella.stato == Stato.IN_EVASIONE
    assert casella.poll_interval == services.POLL_MIN  # no callback seen yet: poll soon
    assert client.post(_callback_url(casella), _payload(casella, "in_evasione")).status_code == 200
    casella.refresh_from_db()
    assert casella.poll_interval >= services.CALLBACK_POLL_SECONDS
    assert casella.next_poll_at > timezone.now() + timezone.timedelta(seconds=60)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_sandbox_calls_back_and_the_box_turns_active_without_polling(
    pec, make_casella, live_server, settings
):
    """End to end: POST /pec with the callback, documents sent, the sandbox's evasione delay
    passes, it calls the portal back, the portal confirms and shows the box active; no poll."""
    settings.PORTAL_PUBLIC_URL = live_server.url
    casella = _registered(make_casella)
    services.upload_documents(
        casella=casella,
        modulo=checked(pdf_bytes()),
        identita=checked(pdf_bytes("ID")),
        intent_key=f"k-{casella.pk}",
        user=None,
    )
    run_calls(casella)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        casella.refresh_from_db()
        if casella.stato == Stato.EVASA:
            break
        time.sleep(0.1)
    assert casella.stato == Stato.EVASA
    while time.monotonic() < deadline:  # the sandbox logs a delivery once it is answered
        delivered = [c for c in pec._get("callbacks")["callbacks"] if c["id"] == casella.remote_id]
        if {c["stato"] for c in delivered} >= {"in_evasione", "evasa"}:
            break
        time.sleep(0.05)
    assert {c["stato"] for c in delivered} >= {"in_evasione", "evasa"}
    assert all(c["status"] == 200 for c in delivered)
    lists = [c for c in pec.calls() if c["method"] == "GET" and c["path"] == "/pec"]
    assert not lists  # nobody polled
    assert Casella.objects.get(pk=casella.pk).eventi.filter(a_stato="evasa").count() == 1


def test_a_callback_claiming_what_the_portal_already_has_costs_no_read(pec, make_casella, client):
    casella = _registered(make_casella)
    remote = pec.client().get_casella(casella.remote_id).raw
    assert int(casella.ts_ultima_modifica.timestamp()) == remote["timestamp"]["ultima_modifica"]
    before = len(_gets(pec, casella))
    same = {"data": json.dumps(remote)}
    assert client.post(_callback_url(casella), same).status_code == 200
    assert len(_gets(pec, casella)) == before
    pec.set_stato("casella", casella.remote_id, "evasa")  # a real change: read and applied
    changed = {"data": json.dumps(pec.client().get_casella(casella.remote_id).raw)}
    before = len(_gets(pec, casella))
    assert client.post(_callback_url(casella), changed).status_code == 200
    assert len(_gets(pec, casella)) == before + 1
    casella.refresh_from_db()
    assert casella.stato == Stato.EVASA
