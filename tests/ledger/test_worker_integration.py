"""With a real Celery worker and beat: paid calls whose answers the sandbox loses are settled
and retried, and the ledger still equals the sandbox's charges, one entry per charge, every
entry paired with its wallet movement."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from decimal import Decimal

import pytest

from ledger import selectors
from ledger.models import Addebito
from ledger.services import reconcile
from ledger.services.statement import this_month
from mailboxes.models import CasellaCall
from mailboxes.services import registration
from tests.mailboxes.conftest import richiedente_data

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

N = 12


def wait_for(predicate, timeout=180.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_ledger_equals_charges_when_answers_are_lost(
    pec, celery_worker_process, celery_beat_process, holder, office_user
):
    from openapi_pec.domains import SANDBOX_DOMAINS

    pec.set_faults(lost_rate=0.3, methods=["POST"], path_prefix="/pec")
    alfa, beta = holder("Alfa Srl"), holder("Beta Spa")
    for i in range(N):
        tipo = "GOLD" if i % 3 == 0 else "STANDARD"
        registration.register_casella(
            titolare=alfa if i % 2 else beta,
            tipo_casella=tipo,
            casella_pec=f"l{i}-{uuid.uuid4().hex[:8]}@{SANDBOX_DOMAINS[tipo]}",
            richiedente=richiedente_data(),
            autorinnovo=False,
            intent_key=str(uuid.uuid4()),
            user=office_user,
        )
    wait_for(
        lambda: CasellaCall.objects.filter(state="done").count() == N, what=f"{N} intents done"
    )
    pec.clear_faults()
    lost = [c for c in pec.calls() if c.get("fault") == "lost"]
    charges = pec.charges()
    entries = list(Addebito.objects.filter(addebitato_il__gte=this_month().start))
    print(
        f"\nledger: {N} registrations, {len(lost)} answers lost, {len(charges)} charges, "
        f"{len(entries)} ledger entries"
    )
    assert len(charges) == N == len(entries)
    assert Counter(Decimal(c["amount"]) for c in charges) == Counter(e.prezzo for e in entries)
    assert Counter(e.titolare_id for e in entries) == {alfa.pk: N // 2, beta.pk: N // 2}

    esito = reconcile.reconcile(pec.client(), this_month().start)
    assert esito.abbinati == N
    assert selectors.unexplained(this_month()) == []
    assert not [e for e in selectors.with_flags(Addebito.objects.all()) if e.senza_movimento]
