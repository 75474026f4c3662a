"""Status pushed by Openapi's callbacks: asked for when PORTAL_PUBLIC_URL is set, accepted only
with the box's secret, confirmed with GET /pec/{id} by a worker (the payload is trusted for
nothing, the web request makes no Openapi call, a thousand callbacks make one read), never a
500 whatever the body, and delivered end to end by the sandbox."""

import json
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from mailboxes.models import Casella, Evento, Stato
from mailboxes.services import activation
from mailboxes.services.polling import BOXES
from portal import callbacks, tasks

from .conftest import checked, pdf_bytes, run_calls

pytestmark = pytest.mark.django_db


class Reads(list):
    """The callback reads queued for the worker (box pks), recorded instead of sent."""

    def __init__(self, capture):
        super().__init__()
        self.capture = capture

    def post(self, client, url, data=None, **kw):
        with self.capture(execute=True):
            return client.post(url, data, **kw)

    def post_raw(self, client, url, body, content_type):
        """POST these very bytes (the test client would encode a str with its charset)."""
        body = body.encode() if isinstance(body, str) else body
        with self.capture(execute=True):
            return client.generic("POST", url, body, content_type=content_type)

    def run(self) -> list[str]:
        """Run the queued reads here, as the worker would."""
        outcomes = [tasks.refresh_after_callback("mailboxes", pk) for pk in self]
        self.clear()
        return outcomes


@pytest.fixture
def reads(monkeypatch, django_capture_on_commit_callbacks):
    queue = Reads(django_capture_on_commit_callbacks)
    monkeypatch.setattr(tasks.refresh_after_callback, "delay", lambda _name, pk: queue.append(pk))
    return queue


def _registered(make_casella):
    casella = make_casella()
    run_calls(casella)
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA
    return casella


def _callback_url(casella, token=None):
    return reverse(
        "mailboxes:casella_callback",
        args=[
            casella.pk,
            token if token is not None else callbacks.callback_token(BOXES, casella.pk),
        ],
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
    for token in ("0" * 40, "", callbacks.callback_token(BOXES, casella.pk + 1)):
        url = _callback_url(casella, token) if token else f"/caselle/{casella.pk}/callback/x/"
        response = client.post(url, _payload(casella, "evasa"))
        assert response.status_code in (403, 404)
    assert len(_gets(pec, casella)) == before  # not even a confirming read
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA


def test_a_right_callback_is_confirmed_with_get_by_the_worker_and_applied_once(
    pec, make_casella, client, reads
):
    casella = _registered(make_casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    before = len(_gets(pec, casella))
    response = reads.post(client, _callback_url(casella), _payload(casella, "evasa"))
    assert response.status_code == 200
    assert len(_gets(pec, casella)) == before  # no Openapi call in the web request
    assert reads == [casella.pk]
    assert reads.run() == ["changed"]
    assert len(_gets(pec, casella)) == before + 1
    casella.refresh_from_db()
    assert casella.stato == Stato.EVASA and casella.data_attivazione is not None
    # The same callback again: read again, nothing new recorded.
    events = Evento.objects.filter(casella=casella).count()
    assert reads.post(client, _callback_url(casella), _payload(casella, "evasa")).status_code == 200
    assert reads.run() == ["unchanged"]
    assert Evento.objects.filter(casella=casella).count() == events


def test_a_hundred_callbacks_make_one_read_by_the_worker(pec, make_casella, client, reads):
    casella = _registered(make_casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    before = len(_gets(pec, casella))
    for _ in range(100):
        response = reads.post(client, _callback_url(casella), _payload(casella, "evasa"))
        assert response.status_code == 200
    assert len(_gets(pec, casella)) == before  # the web requests made no read
    assert reads == [casella.pk]  # one read queued
    reads.run()
    assert len(_gets(pec, casella)) == before + 1
    casella.refresh_from_db()
    assert casella.stato == Stato.EVASA
    assert casella.eventi.filter(a_stato=Stato.EVASA).count() == 1


def test_a_callback_during_the_read_queues_one_more_and_reads_never_overlap(
    pec, make_casella, client, reads, monkeypatch
):
    """While a read is running, callbacks queue one more read (it will see their change);
    that one waits ("busy") until the first is over: one read in flight per box."""
    casella = _registered(make_casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    reads.post(client, _callback_url(casella), _payload(casella, "evasa"))
    assert reads == [casella.pk]
    later: list = []
    monkeypatch.setattr(
        tasks.refresh_after_callback, "apply_async", lambda args, countdown: later.append(args)
    )
    real_get = callbacks.get_client

    def get_client_during_which_callbacks_arrive():
        for _ in range(50):
            reads.post(client, _callback_url(casella), _payload(casella, "evasa"))
        # the read queued meanwhile runs now, while the first is still reading
        assert [tasks.refresh_after_callback("mailboxes", pk) for pk in reads[1:]] == ["busy"]
        return real_get()

    monkeypatch.setattr(callbacks, "get_client", get_client_during_which_callbacks_arrive)
    assert tasks.refresh_after_callback("mailboxes", reads[0]) == "changed"
    assert len(reads) == 2  # the first read, and one more for the 50 callbacks
    assert later == [("mailboxes", casella.pk)]  # the busy one comes back later
    monkeypatch.setattr(callbacks, "get_client", real_get)
    assert tasks.refresh_after_callback("mailboxes", casella.pk) == "unchanged"


def test_the_payload_is_trusted_for_nothing(pec, make_casella, client, reads):
    casella = _registered(make_casella)  # still registrata at Openapi
    forged = {
        "data": json.dumps(
            {"id": casella.remote_id, "stato": "evasa", "data_scadenza": "01/01/2099"}
        )
    }
    assert reads.post(client, _callback_url(casella), forged).status_code == 200
    reads.run()
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA and casella.data_scadenza is None


def test_a_json_callback_is_accepted_too(pec, make_casella, client, reads):
    casella = _registered(make_casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    response = reads.post(
        client,
        _callback_url(casella),
        json.dumps({"id": casella.remote_id, "stato": "evasa"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    reads.run()
    casella.refresh_from_db()
    assert casella.stato == Stato.EVASA


def _deep(n: int) -> str:
    return "[" * n + "]" * n


HOSTILE_BODIES = [
    ("application/json", _deep(100_000)[: 60 * 1024]),  # unterminated, deep
    ("application/json", '{"a":' * 20_000 + "1" + "}" * 20_000),  # nested objects
    ("application/json", _deep(30_000)),
    ("application/json", '{"stato": ' + "9" * 50_000 + "}"),  # an int too long to convert
    ("application/json", b"\xff\xfe\x00garbage"),
    ("application/json", "[1, 2, 3]"),
    ("application/json", '{"stato": ["evasa"], "timestamp": "ieri"}'),
    ("application/json", '{"stato": "evasa", "timestamp": {"ultima_modifica": 1e308}}'),
    ("application/json", "null"),
    ("application/json", ""),
    ("application/x-www-form-urlencoded", "data=" + "%5B" * 20_000),
    ("application/x-www-form-urlencoded", "data=%FF%FE"),
    ("application/x-www-form-urlencoded", "&".join(f"f{i}=1" for i in range(5000))),
    ("application/x-www-form-urlencoded; charset=nessuno", "data=%7B%7D"),
    ("multipart/form-data; boundary=xyz", "--xyz\r\nnonsense"),
    ("multipart/form-data", "no boundary at all"),
    ("text/plain", "ciao"),
]


@pytest.mark.parametrize(
    "content_type,body", HOSTILE_BODIES, ids=[str(i) for i in range(len(HOSTILE_BODIES))]
)
def test_no_body_makes_a_500_and_no_body_changes_the_box(
    pec, make_casella, client, reads, content_type, body
):
    casella = _registered(make_casella)
    before = (casella.stato, casella.data_scadenza, casella.ts_ultima_modifica)
    response = reads.post_raw(client, _callback_url(casella), body, content_type)
    assert 200 <= response.status_code < 500
    reads.run()  # whatever the body said, only Openapi's answer is applied
    casella.refresh_from_db()
    assert (casella.stato, casella.data_scadenza, casella.ts_ultima_modifica) == before


def test_a_body_above_the_limit_is_refused_unread(pec, make_casella, client, reads):
    casella = _registered(make_casella)
    big = json.dumps({"stato": "evasa", "pad": "x" * 70 * 1024})
    response = reads.post(client, _callback_url(casella), big, content_type="application/json")
    assert response.status_code == 413
    assert reads == []
    lying = reads.post(
        client,
        _callback_url(casella),
        "{}",
        content_type="application/json",
        CONTENT_LENGTH="not a number",
    )
    assert lying.status_code == 413


def test_openapi_down_during_the_read_is_retried_by_the_worker(pec, make_casella, client, reads):
    from celery.exceptions import Retry

    from openapi_pec import errors

    casella = _registered(make_casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    pec.set_faults(error_rate=1.0)
    response = reads.post(client, _callback_url(casella), _payload(casella, "evasa"))
    assert response.status_code == 200  # accepted: the read is the worker's business
    with pytest.raises((Retry, errors.OpenapiError)):
        reads.run()
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA
    pec.clear_faults()
    assert tasks.refresh_after_callback("mailboxes", casella.pk) == "changed"  # the retry
    casella.refresh_from_db()
    assert casella.stato == Stato.EVASA


def test_polling_slows_down_while_callbacks_arrive(pec, make_casella, client, settings, reads):
    settings.PORTAL_PUBLIC_URL = "https://portale.example.it"
    casella = _registered(make_casella)
    activation.upload_documents(
        casella=casella,
        modulo=checked(pdf_bytes()),
        identita=checked(pdf_bytes("ID")),
        intent_key=f"k-{casella.pk}",
        user=None,
    )
    run_calls(casella)
    casella.refresh_from_db()
    assert casella.stato == Stato.IN_EVASIONE
    assert casella.poll_interval == BOXES.min_seconds()  # no callback seen yet: poll soon
    response = reads.post(client, _callback_url(casella), _payload(casella, "in_evasione"))
    assert response.status_code == 200
    reads.run()
    casella.refresh_from_db()
    assert casella.poll_interval >= BOXES.callback_seconds()
    assert casella.next_poll_at > timezone.now() + timezone.timedelta(seconds=60)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_sandbox_calls_back_and_the_box_turns_active_without_polling(
    pec, make_casella, live_server, settings, celery_worker_process
):
    """End to end: POST /pec with the callback, documents sent, the sandbox's evasione delay
    passes, it calls the portal back, the worker confirms and the box shows active; no poll."""
    settings.PORTAL_PUBLIC_URL = live_server.url
    casella = _registered(make_casella)
    activation.upload_documents(
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


def test_a_callback_claiming_what_the_portal_already_has_costs_no_read(
    pec, make_casella, client, reads
):
    casella = _registered(make_casella)
    remote = pec.client().get_casella(casella.remote_id).raw
    assert int(casella.ts_ultima_modifica.timestamp()) == remote["timestamp"]["ultima_modifica"]
    before = len(_gets(pec, casella))
    same = {"data": json.dumps(remote)}
    assert reads.post(client, _callback_url(casella), same).status_code == 200
    assert reads == []
    assert len(_gets(pec, casella)) == before
    pec.set_stato("casella", casella.remote_id, "evasa")  # a real change: read and applied
    changed = {"data": json.dumps(pec.client().get_casella(casella.remote_id).raw)}
    before = len(_gets(pec, casella))
    assert reads.post(client, _callback_url(casella), changed).status_code == 200
    reads.run()
    assert len(_gets(pec, casella)) == before + 1
    casella.refresh_from_db()
    assert casella.stato == Stato.EVASA


def test_a_callback_that_overtook_the_portals_own_answer_costs_no_read(
    pec, make_casella, client, reads
):
    """Openapi calls back for the change the portal's own PATCH made, before the worker has
    applied PATCH's answer: the read is queued, and by the time the worker runs it the portal
    knows what the callback claims, so nothing is read (P6: 38 extra reads for 50 boxes)."""
    casella = _registered(make_casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    remote = pec.client().get_casella(casella.remote_id).raw
    assert reads.post(client, _callback_url(casella), {"data": json.dumps(remote)}).status_code
    assert reads == [casella.pk]
    # the portal's own call answers with the same state, applied before the worker's turn
    BOXES.apply_read(casella.pk, pec.client().get_casella(casella.remote_id), now=timezone.now())
    before = len(_gets(pec, casella))
    assert reads.run() == ["unchanged"]
    assert len(_gets(pec, casella)) == before


def test_several_callbacks_behind_one_read_are_read_whatever_the_first_claimed(
    pec, make_casella, client, reads
):
    """Only a read behind one callback can be skipped: a second callback, claiming a change the
    portal does not know, joins the queued read, which then reads whatever the first claimed."""
    casella = _registered(make_casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    first = pec.client().get_casella(casella.remote_id)
    later = dict(
        first.raw, timestamp={"ultima_modifica": first.raw["timestamp"]["ultima_modifica"] + 5}
    )
    reads.post(client, _callback_url(casella), {"data": json.dumps(first.raw)})
    reads.post(client, _callback_url(casella), {"data": json.dumps(later)})
    assert reads == [casella.pk]
    BOXES.apply_read(casella.pk, first, now=timezone.now())  # what the first claimed
    before = len(_gets(pec, casella))
    reads.run()
    assert len(_gets(pec, casella)) == before + 1


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_hundred_callbacks_make_a_few_reads_by_a_real_worker(
    pec, make_casella, client, celery_worker_process
):
    """The same through the broker and a real worker: a few reads in all, the box active. At
    most one read is queued and one running per box; a callback landing while a read runs
    queues one more (the answer being read may predate it), so the reads follow the length of
    the burst, not its count: one or two on an idle machine, a handful when the hundred posts
    take seconds. (That the web requests make none is shown above.)"""
    from tests import figures

    casella = _registered(make_casella)
    pec.set_stato("casella", casella.remote_id, "evasa")
    before = len(_gets(pec, casella))
    for _ in range(100):
        assert client.post(_callback_url(casella), _payload(casella, "evasa")).status_code == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        casella.refresh_from_db()
        if casella.stato == Stato.EVASA:
            break
        time.sleep(0.1)
    assert casella.stato == Stato.EVASA
    time.sleep(1)  # a second read, if one was queued, has had time to run
    reads = len(_gets(pec, casella)) - before
    assert 1 <= reads <= 10
    figures.record("callbacks", f"100 callbacks for one box: {reads} read(s), by the worker")
