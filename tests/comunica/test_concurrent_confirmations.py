"""The comunica confirmation (and its paid "send again") posted several times at once while a
worker runs the intent: every submit lands on the request's page, none on an error; one
request, one intent, one charge at Openapi. Each submit in its own thread with its own Client
and database connection, released together by a barrier."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from django.urls import reverse

from comunica.models import ComunicaCall, RichiestaComunicazione, StatoRichiesta
from comunica.services import creation
from portal.remote_calls import OPEN_STATES, run_intent
from tests.concurrent import at_once, logged_in_clients, poster, runner

from .factories import REQUEST_DATA

pytestmark = pytest.mark.django_db(transaction=True)

SUBMITS = 3
REFUSALS = ("già in invio", "già in corso", "non è da inviare", "Nulla è stato addebitato")


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def run_open():
    return [
        run_intent("comunica.ComunicaCall", pk)
        for pk in ComunicaCall.objects.filter(state__in=OPEN_STATES).values_list("pk", flat=True)
    ]


def creates_finished(n: int):
    def finished() -> bool:
        calls = ComunicaCall.objects.filter(kind="create")
        return calls.count() == n and not calls.filter(state__in=OPEN_STATES).exists()

    return finished


def charges(openapi) -> int:
    return [c["operation"] for c in openapi.charges()].count("comunica")


def together(clients, url, data, finished):
    *responses, _ = at_once(*[poster(c, url, data) for c in clients], runner(run_open, finished))
    assert {r.status_code for r in responses} == {302}, [text(r)[:600] for r in responses]
    assert len({r["Location"] for r in responses}) == 1, "not the same outcome page"
    return [text(c.get(r["Location"])) for c, r in zip(clients, responses, strict=True)]


def test_confirmed_at_once_is_one_request_one_charge(openapi, office_user):
    url = reverse("comunica:richiesta_new")
    data = {**REQUEST_DATA, "intent_key": str(uuid.uuid4()), "conferma": "1"}
    clients = logged_in_clients(office_user, SUBMITS)
    pages = together(clients, url, data, creates_finished(1))
    assert sum("Richiesta registrata: invio a Openapi in corso" in p for p in pages) == 1
    repeats = [p for p in pages if "già richiesta il" in p and "nessun nuovo addebito" in p]
    assert len(repeats) == SUBMITS - 1
    for page in pages:
        for refusal in REFUSALS:
            assert refusal not in page
    assert RichiestaComunicazione.objects.count() == 1
    assert ComunicaCall.objects.filter(kind="create").get().state == "done"
    assert charges(openapi) == 1

    again = clients[0].post(url, data)  # once done: its result, nothing new
    page = text(clients[0].get(again["Location"]))
    assert "ed eseguita il" in page and "nessun nuovo addebito" in page
    assert charges(openapi) == 1


def test_send_again_confirmed_at_once_is_one_new_charge(openapi, office_user):
    openapi.set_credit("0.00")
    created = creation.create_richiesta(
        data={**REQUEST_DATA, "pec_amministratore": False},
        user=office_user,
        intent_key=str(uuid.uuid4()),
    )
    assert run_open() == ["failed"]
    richiesta = RichiestaComunicazione.objects.get(pk=created.richiesta.pk)
    assert richiesta.stato == StatoRichiesta.NON_INVIATA
    openapi.set_credit("100.00")
    url = reverse("comunica:richiesta_retry", args=[richiesta.pk])
    data = {"intent_key": str(uuid.uuid4())}
    clients = logged_in_clients(office_user, SUBMITS)
    pages = together(clients, url, data, creates_finished(2))
    assert sum("Nuovo invio a Openapi in corso" in p for p in pages) == 1
    assert sum("nessun nuovo addebito" in p for p in pages) == SUBMITS - 1
    for page in pages:
        assert "non è da inviare" not in page and "già in corso" not in page
    assert ComunicaCall.objects.filter(kind="create").count() == 2
    assert charges(openapi) == 1
