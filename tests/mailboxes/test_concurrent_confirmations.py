"""The same paid confirmation sent several times at once (double click, two tabs), while a
worker runs the intent: every submit lands on the same outcome page, none on an error or on
"nothing was charged"; one intent, one charge at Openapi.

The requests are truly concurrent: each in its own thread with its own test Client and database
connection, released together by a barrier (run them on PostgreSQL too: CI=true, see
RELIABILITY.md)."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from mailboxes.calls import handler_for
from mailboxes.models import Casella, CasellaCall
from portal.remote_calls import OPEN_STATES, run_call
from tests.concurrent import at_once, logged_in_clients, poster, runner

from .conftest import pdf_bytes, richiedente_post, upload
from .operations_support import *  # noqa: F403 (the active_box fixture)

pytestmark = pytest.mark.django_db(transaction=True)

SUBMITS = 3
REFUSALS = ("Un'altra operazione", "nulla è stato addebitato", "già registrato", "non valida")


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def run_open(**lookup):
    def run() -> list[str]:
        return [
            run_call(CasellaCall, call.pk, handler_for(call.kind))
            for call in CasellaCall.objects.filter(state__in=OPEN_STATES, **lookup)
        ]

    return run


def finished(**lookup):
    def done() -> bool:
        calls = CasellaCall.objects.filter(**lookup)
        return calls.exists() and not calls.filter(state__in=OPEN_STATES).exists()

    return done


def confirm_together(clients, url, data, **lookup):
    """Post the same confirmation from every client at once while a worker thread runs the
    intent; return each client's outcome page."""
    jobs = [poster(c, url, data) for c in clients]
    *responses, _states = at_once(*jobs, runner(run_open(**lookup), finished(**lookup)))
    for response in responses:
        assert response.status_code == 302, text(response)[:2000]
    assert len({r["Location"] for r in responses}) == 1, "not the same outcome page"
    return [text(c.get(r["Location"])) for c, r in zip(clients, responses, strict=True)]


def assert_one_outcome(pages, *, first: str):
    """One submit recorded the intent; the others found it: no error, no false "nothing was
    charged", the repeats say nothing new is charged."""
    recorded = [p for p in pages if first in p]
    repeated = [p for p in pages if "già richiesta il" in p and "nessun nuovo addebito" in p]
    assert len(recorded) == 1, [p[p.find("<main") :][:600] for p in pages]
    assert len(repeated) == len(pages) - 1
    for page in pages:
        for refusal in REFUSALS:
            assert refusal not in page


def charges(pec, operation: str) -> int:
    return [c["operation"] for c in pec.charges()].count(operation)


OPERATIONS = {
    "rinnovo": ("STANDARD", lambda c: {"anni": 2}),
    "modifica": ("STANDARD", lambda c: {"disco_add": 1024, "storico_add": 0}),
    "trasformazione": ("STANDARD", lambda c: {"tipo": "GOLD"}),
    "multiutenza": (
        "STANDARD",
        lambda c: {
            "nome": "Anna",
            "cognome": "Neri",
            "descrizione": "Amministrazione",
            "email_gestione_password": "anna.neri@example.com",
        },
    ),
    "conservazione": ("STANDARD", lambda c: {"spazio": 512}),
    "revoca": ("STANDARD", lambda c: {"conferma": c.casella_pec}),
}


@pytest.mark.parametrize("op", list(OPERATIONS))
def test_the_six_operations_confirmed_at_once_are_one_intent_one_charge(
    pec, active_box, office_user, op
):
    tipo, values = OPERATIONS[op]
    casella = active_box(tipo=tipo)
    url = reverse(f"mailboxes:{op}", args=[casella.pk])
    key = str(uuid.uuid4())
    modulo, identita = pdf_bytes("Modulo conservazione"), pdf_bytes("Documento")

    def data() -> dict:
        out = {**values(casella), "intent_key": key}
        if op != "revoca":
            out["step"] = "conferma"
        if op == "conservazione":
            out.update(modulo=upload("m.pdf", modulo), identita=upload("i.pdf", identita))
        return out

    clients = logged_in_clients(office_user, SUBMITS)
    pages = confirm_together(clients, url, data, casella=casella, kind=op)
    assert_one_outcome(pages, first="richiesta: la inviamo a Openapi")
    call = CasellaCall.objects.get(casella=casella, kind=op)
    assert call.state == "done", call.last_error
    performed = (
        sum(1 for c in pec.calls() if c["method"] == "DELETE")
        if op == "revoca"
        else charges(pec, op)
    )
    assert performed == 1

    # Once it is done, the same confirmation again shows its result, and charges nothing.
    again = clients[0].post(url, data())
    assert again.status_code == 302
    page = text(clients[0].get(again["Location"]))
    assert "ed eseguita il" in page and "nessun nuovo addebito" in page
    assert CasellaCall.objects.filter(casella=casella, kind=op).count() == 1
    if op != "revoca":
        assert charges(pec, op) == 1


def test_registration_confirmed_at_once_is_one_box_one_charge(pec, make_titolare, office_user):
    titolare = make_titolare()
    address = f"gold-{uuid.uuid4().hex[:8]}@testcert.legalmail.it"
    url = reverse("mailboxes:casella_new")
    data = {
        "titolare": titolare.pk,
        "tipo_casella": "GOLD",
        "casella_pec": address,
        **richiedente_post(),
        "step": "conferma",
        "intent_key": str(uuid.uuid4()),
    }
    clients = logged_in_clients(office_user, SUBMITS)
    pages = confirm_together(clients, url, data, kind="registrazione", casella__casella_pec=address)
    assert_one_outcome(pages, first=f"Registrazione di {address} avviata")
    assert Casella.objects.filter(casella_pec=address).count() == 1
    assert CasellaCall.objects.filter(kind="registrazione").count() == 1
    assert charges(pec, "registrazione") == 1

    again = clients[1].post(url, data)
    page = text(clients[1].get(again["Location"]))
    assert "ed eseguita il" in page and "nessun nuovo addebito" in page
    assert charges(pec, "registrazione") == 1


def test_batch_renewal_confirmed_at_once_is_one_intent_per_box(pec, active_box, office_user):
    boxes = [active_box(), active_box(tipo="GOLD"), active_box()]
    today = timezone.localdate()
    Casella.objects.filter(pk__in=[b.pk for b in boxes]).update(
        data_scadenza=today + dt.timedelta(days=20)
    )
    batch = str(uuid.uuid4())
    data = {"caselle": [b.pk for b in boxes], "anni": 1, "step": "conferma", "batch": batch}
    url = reverse("mailboxes:scadenze")
    clients = logged_in_clients(office_user, SUBMITS)
    jobs = [poster(c, url, data) for c in clients]
    lookup = {"kind": "rinnovo", "intent_key__startswith": f"{batch}:"}

    def all_done() -> bool:
        calls = CasellaCall.objects.filter(**lookup)
        return calls.count() == len(boxes) and not calls.filter(state__in=OPEN_STATES).exists()

    *responses, _ = at_once(*jobs, runner(run_open(**lookup), all_done))
    assert {r.status_code for r in responses} == {302}
    assert {r["Location"] for r in responses} == {f"{url}?entro=90&batch={batch}"}
    pages = [text(c.get(r["Location"])) for c, r in zip(clients, responses, strict=True)]
    for page in pages:
        for refusal in REFUSALS:
            assert refusal not in page
        assert "Rinnovo avviato per" in page or "Rinnovo già richiesto il" in page
    assert sum("Rinnovo già richiesto il" in p for p in pages) >= SUBMITS - 1
    assert CasellaCall.objects.filter(kind="rinnovo").count() == len(boxes)
    assert charges(pec, "rinnovo") == len(boxes)


def test_admin_action_confirmed_at_once_is_one_intent_per_box(pec, active_box, admin_user):
    a, b = active_box(), active_box()
    url = reverse("admin:mailboxes_casella_changelist")
    data = {
        "action": "op_rinnova",
        "_selected_action": [a.pk, b.pk],
        "apply": "1",
        "anni": 1,
        "batch": str(uuid.uuid4()),
    }
    clients = logged_in_clients(admin_user, SUBMITS)
    jobs = [poster(c, url, data) for c in clients]
    lookup = {"kind": "rinnovo", "casella__in": [a.pk, b.pk]}

    def both_done() -> bool:
        calls = CasellaCall.objects.filter(**lookup)
        return calls.count() == 2 and not calls.filter(state__in=OPEN_STATES).exists()

    *responses, _ = at_once(*jobs, runner(run_open(**lookup), both_done))
    assert {r.status_code for r in responses} == {302}
    pages = [text(c.get(r["Location"])) for c, r in zip(clients, responses, strict=True)]
    for page in pages:
        for refusal in REFUSALS:
            assert refusal not in page
    assert sum("avviata per" in p for p in pages) >= 1
    assert CasellaCall.objects.filter(kind="rinnovo").count() == 2
    assert charges(pec, "rinnovo") == 2


def test_a_different_operation_while_one_runs_is_refused_truthfully(pec, active_box, office_client):
    casella = active_box()
    url = reverse("mailboxes:rinnovo", args=[casella.pk])
    first = office_client.post(
        url, {"anni": 1, "step": "conferma", "intent_key": str(uuid.uuid4())}
    )
    assert first.status_code == 302
    other = office_client.post(
        reverse("mailboxes:multiutenza", args=[casella.pk]),
        {
            "nome": "Anna",
            "cognome": "Neri",
            "descrizione": "Amministrazione",
            "email_gestione_password": "anna.neri@example.com",
            "step": "conferma",
            "intent_key": str(uuid.uuid4()),
        },
    )
    page = text(other)
    assert other.status_code == 409
    assert "Un'altra operazione («Rinnovo», richiesta il" in page
    assert "nulla è stato addebitato per questa richiesta" in page
    assert not CasellaCall.objects.filter(kind="multiutenza").exists()
    # the renewal still runs (here, or by a session's real worker): the test leaves nothing
    # half-done for the next one
    runner(run_open(casella=casella), finished(casella=casella))()


def test_a_repeat_of_a_failed_operation_shows_its_real_failure(pec, active_box, office_client):
    casella = active_box()
    pec.set_credit("0.00")
    url = reverse("mailboxes:rinnovo", args=[casella.pk])
    data = {"anni": 1, "step": "conferma", "intent_key": str(uuid.uuid4())}
    office_client.post(url, data)
    # run here, or by a session's real worker that took the queued task first (CI)
    runner(run_open(casella=casella), finished(casella=casella))()
    call = CasellaCall.objects.get(kind="rinnovo")
    assert call.state == "failed"
    again = office_client.post(url, data)
    page = text(office_client.get(again["Location"]))
    assert "non riuscita" in page and call.last_error in page
    assert "nessun nuovo addebito" in page
    assert charges(pec, "rinnovo") == 0
