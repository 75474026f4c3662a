"""The whole flow with a real Celery worker (and beat) process against the sandbox."""

from __future__ import annotations

import time
import uuid

import pytest

from mailboxes.models import Casella, CasellaCall, Stato
from mailboxes.services import activation, registration

from .conftest import checked, pdf_bytes, richiedente_data

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=90.0, every=0.25, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def outbox(worker):
    """The e-mails the worker sent."""
    return worker.outbox()


def _register(titolare, user, n, tipo="STANDARD"):
    from openapi_pec.domains import SANDBOX_DOMAINS

    out = []
    for i in range(n):
        out.append(
            registration.register_casella(
                titolare=titolare,
                tipo_casella=tipo,
                casella_pec=f"w{i}-{uuid.uuid4().hex[:8]}@{SANDBOX_DOMAINS[tipo]}",
                richiedente=richiedente_data(),
                autorinnovo=False,
                intent_key=str(uuid.uuid4()),
                user=user,
            )
        )
    return out


def _upload_all(caselle, user):
    for casella in caselle:
        casella.refresh_from_db()
        activation.upload_documents(
            casella=casella,
            modulo=checked(pdf_bytes("Modulo firmato")),
            identita=checked(pdf_bytes("Documento")),
            intent_key=str(uuid.uuid4()),
            user=user,
        )


def _count(stato):
    return Casella.objects.filter(stato=stato).count()


def test_register_activate_and_see_active_with_a_real_worker(
    pec, celery_worker_process, celery_beat_process, make_titolare, office_user
):
    (casella,) = _register(make_titolare(), office_user, 1)
    wait_for(lambda: _count(Stato.REGISTRATA) == 1, what="registrata")
    _upload_all([casella], office_user)
    wait_for(lambda: _count(Stato.EVASA) == 1, what="evasa")
    casella.refresh_from_db()
    assert casella.data_scadenza is not None
    mails = wait_for(
        lambda: [m for m in outbox(celery_worker_process) if casella.casella_pec in m["Subject"]],
        timeout=20,
        what="the e-mail",
    )
    assert mails[0]["To"] == office_user.email


def test_fifty_registrations_with_thirty_percent_lost_answers(
    pec, celery_worker_process, celery_beat_process, make_titolare, office_user
):
    """The sandbox performs the call and then drops the answer 30% of the time: still exactly
    50 boxes, 50 charges, all active."""
    pec.set_faults(lost_rate=0.3)
    started = time.monotonic()
    caselle = _register(make_titolare(), office_user, 50)
    wait_for(lambda: _count(Stato.REGISTRATA) == 50, timeout=240, what="50 boxes registrata")
    registered_after = time.monotonic() - started
    _upload_all(caselle, office_user)
    wait_for(lambda: _count(Stato.EVASA) == 50, timeout=240, what="50 boxes evasa")
    total = time.monotonic() - started
    charges = [c for c in pec.charges() if c["operation"] == "registrazione"]
    lost = [c for c in pec.calls() if c.get("fault") == "lost"]
    posts = [c for c in pec.calls() if c["method"] == "POST" and c["path"] == "/pec"]
    print(
        f"\n50 registrations, lost_rate 0.3: {len(lost)} answers lost, {len(posts)} POST /pec, "
        f"{len(charges)} charges; registrata after {registered_after:.1f}s, all evasa after "
        f"{total:.1f}s"
    )
    assert Casella.objects.count() == 50
    assert len(charges) == 50
    assert len({c["id"] for c in charges}) == 50
    assert len(posts) == 50  # never sent twice
    assert CasellaCall.objects.exclude(state="done").count() == 0
