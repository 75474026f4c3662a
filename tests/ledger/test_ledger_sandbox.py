"""The ledger against the sandbox: real paid calls (registrations, a renewal, one answer lost
and settled), the ledger of the period equals the sandbox's charges, and the reconciliation
with GET /wallet/transactions flags what does not match."""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger import selectors
from ledger.models import Addebito, MovimentoConto
from ledger.services import reconcile, recording
from ledger.services.statement import this_month
from mailboxes.calls import handler_for
from mailboxes.models import CasellaCall
from portal.remote_calls import OPEN_STATES, CallState, run_call

pytestmark = pytest.mark.django_db


def run_all(casella, *, again=False):
    """Run the box's open intents here, as a worker would (``again``: due now)."""
    calls = CasellaCall.objects.filter(casella=casella, state__in=OPEN_STATES)
    if again:
        calls.update(next_attempt_at=timezone.now())
    return [run_call(CasellaCall, c.pk, handler_for(c.kind)) for c in calls]


def activate(pec, casella):
    from mailboxes.services import sync as box_sync

    pec.set_stato("casella", casella.remote_id, "evasa")
    box_sync.refresh_casella(casella)
    casella.refresh_from_db()
    return casella


def test_the_ledger_of_the_period_equals_the_sandbox_charges(pec, make_casella, holder):
    from mailboxes.operations import rinnovo

    a, b = holder("Alfa Srl"), holder("Beta Spa")
    boxes = [
        make_casella(tipo="STANDARD", titolare=a),
        make_casella(tipo="GOLD", titolare=a),
        make_casella(tipo="STANDARD", titolare=b),
    ]
    for box in boxes[:2]:
        assert run_all(box) == [CallState.DONE]
    # The third registration is performed but its answer is lost: the intent is unclear,
    # then settled by reading Openapi, and is still one charge and one entry.
    pec.set_faults(lost_next=1, methods=["POST"], path_prefix="/pec")
    assert run_all(boxes[2]) == [CallState.UNCLEAR]
    pec.clear_faults()
    assert run_all(boxes[2], again=True) == [CallState.DONE]
    # A renewal of an active box.
    box = activate(pec, boxes[0].__class__.objects.get(pk=boxes[0].pk))
    rinnovo.renew(casella=box, anni=2, intent_key=str(uuid.uuid4()), user=None)
    assert run_all(box) == [CallState.DONE]

    recording.record_charges()  # catching up adds nothing: each was recorded when done
    charges = pec.charges()
    periodo = this_month()
    entries = list(Addebito.objects.filter(addebitato_il__gte=periodo.start))
    assert len(charges) == 4 == len(entries)
    assert Counter((c["operation"], Decimal(c["amount"])) for c in charges) == Counter(
        (e.operazione, e.prezzo) for e in entries
    )
    assert sum(Decimal(c["amount"]) for c in charges) == selectors.totals(Addebito.objects.all())
    assert Counter(e.titolare_id for e in entries) == {a.pk: 3, b.pk: 1}

    # Reconciled with the wallet: every movement explained, every entry paired.
    esito = reconcile.reconcile(pec.client(), periodo.start)
    assert esito.abbinati == 4
    assert Addebito.objects.filter(movimento__isnull=True).count() == 0
    assert selectors.unexplained(periodo) == []

    # A movement the portal cannot explain: the wallet charged outside the portal.
    pec.set_credit(pec.credit() - Decimal("7.50"))
    # An entry with no movement: an intent the portal believes charged, the wallet never did.
    orphan = CasellaCall.objects.create(
        casella=boxes[1],
        kind="rinnovo",
        intent_key=str(uuid.uuid4()),
        state=CallState.DONE,
        price=Decimal("64.00"),
        finished_at=timezone.now(),
    )
    reconcile.reconcile(pec.client(), periodo.start)
    (flagged,) = selectors.unexplained(periodo)
    assert flagged.importo == Decimal("-7.50") and not flagged.in_attesa
    assert MovimentoConto.objects.filter(importo__lt=0).count() == 5
    no_movement = [
        e.call_id for e in selectors.with_flags(Addebito.objects.all()) if e.senza_movimento
    ]
    assert no_movement == [orphan.pk]


def test_the_ledger_page_shows_both_flags(pec, office_client, make_casella, holder):
    box = make_casella(titolare=holder("Gamma Snc"))
    run_all(box)
    periodo = this_month()
    pec.set_credit(pec.credit() - Decimal("3.00"))
    CasellaCall.objects.create(
        casella=box,
        kind="rinnovo",
        intent_key=str(uuid.uuid4()),
        state=CallState.DONE,
        price=Decimal("11.00"),
        finished_at=timezone.now(),
    )
    url = reverse("ledger:registro")
    response = office_client.post(
        reverse("ledger:riconcilia"), {"dal": periodo.dal, "al": periodo.al}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Movimenti non spiegati" in page and "-3,00 €" in page
    assert "1 addebito senza movimento nel conto" in page
    only = office_client.get(url, {"dal": periodo.dal, "al": periodo.al, "solo": "senza_movimento"})
    assert only.content.decode().count('id="addebito-') == 1


def test_the_hourly_task_reconciles_and_survives_openapi_down(pec, make_casella, holder, settings):
    from django.conf import settings as conf

    from ledger.tasks import reconcile_recent

    assert conf.CELERY_BEAT_SCHEDULE["ledger-reconcile"]["task"] == "ledger.reconcile"
    run_all(make_casella(titolare=holder("Delta Srl")))
    assert reconcile_recent() == {"read": True, "movements": 1, "new": 1, "paired": 1}
    pec.set_faults(error_rate=1.0, path_prefix="/wallet")
    assert reconcile_recent() == {"read": False}
