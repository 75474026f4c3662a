"""Recording and pairing, without the sandbox: one entry per intent whatever happens to it,
the wallet read page by page, and the pairing of movements with entries."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.models import Addebito, MovimentoConto
from ledger.services import reconcile, recording
from mailboxes.models import Casella, CasellaCall
from openapi_pec.types import WalletTransaction
from portal.remote_calls import CallState, call_done

pytestmark = pytest.mark.django_db


@pytest.fixture
def box(holder):
    return Casella.objects.create(
        titolare=holder("Alfa Srl"), casella_pec="alfa@pec.it", tipo_casella="STANDARD"
    )


def done_call(box, price="11.00", kind="registrazione", **kw):
    return CasellaCall.objects.create(
        casella=box,
        kind=kind,
        intent_key=str(uuid.uuid4()),
        state=CallState.DONE,
        price=Decimal(price) if price else None,
        finished_at=timezone.now(),
        **kw,
    )


def test_one_entry_per_intent_however_often_it_is_seen(box):
    call = done_call(box)
    for _ in range(3):
        call_done.send(sender=CasellaCall, call=call)
        recording.record_charges()
    (entry,) = Addebito.objects.all()
    assert (entry.titolare, entry.casella, entry.operazione, entry.prezzo) == (
        box.titolare,
        box,
        "registrazione",
        Decimal("11.00"),
    )


def test_free_failed_and_open_intents_are_not_charges(box):
    done_call(box, price=None, kind="attivazione")
    done_call(box, price=None, kind="revoca")
    CasellaCall.objects.create(
        casella=box, kind="rinnovo", intent_key="k1", state=CallState.FAILED, price=11
    )
    CasellaCall.objects.create(
        casella=box, kind="rinnovo", intent_key="k2", state=CallState.UNCLEAR, price=11
    )
    recording.record_charges()
    assert Addebito.objects.count() == 0


def test_a_box_adopted_later_gives_its_entries_the_holder(box, holder):
    orphan = Casella.objects.create(casella_pec="orfana@pec.it", tipo_casella="STANDARD")
    done_call(orphan)
    recording.record_charges()
    assert Addebito.objects.get().titolare is None
    orphan.titolare = box.titolare
    orphan.save()
    recording.record_charges()
    assert Addebito.objects.get().titolare == box.titolare


class FakeWallet:
    def __init__(self, items):
        self.items = items  # newest first, as Openapi lists them
        self.reads = 0

    def wallet_transactions(self, *, skip=0, limit=100):
        self.reads += 1
        return self.items[skip : skip + limit]


def test_the_wallet_is_read_page_by_page_back_to_the_start(db):
    now = timezone.now()
    items = [
        WalletTransaction(f"t{i}", Decimal("-11"), now - dt.timedelta(hours=i), "API usage")
        for i in range(250)
    ]
    wallet = FakeWallet(items)
    read, new = reconcile.fetch_movements(wallet, now - dt.timedelta(hours=125, minutes=30))
    assert (read, new) == (150, 150)
    assert wallet.reads == 2  # the second page reaches back past the start (and a day)
    assert reconcile.fetch_movements(wallet, now - dt.timedelta(hours=10))[1] == 0


def test_pairing_takes_amount_operation_and_time_into_account(box):
    t0 = timezone.now() - dt.timedelta(hours=1)

    def entry(n, price, op, start, end):
        return Addebito.objects.create(
            fonte="casella",
            call_id=n,
            operazione=op,
            titolare=box.titolare,
            prezzo=Decimal(price),
            richiesto_il=t0 + dt.timedelta(minutes=start),
            addebitato_il=t0 + dt.timedelta(minutes=end),
        )

    def movement(n, amount, minute, text="API usage - pec registrazione"):
        return MovimentoConto.objects.create(
            remote_id=f"m{n}",
            importo=Decimal(amount),
            at=t0 + dt.timedelta(minutes=minute),
            descrizione=text,
        )

    # Two entries of the same price with overlapping windows: the one whose window closes
    # first takes the earlier movement, so both are paired.
    a = entry(1, "11.00", "registrazione", 0, 30)
    b = entry(2, "11.00", "registrazione", 0, 10)
    late = entry(3, "11.00", "rinnovo", 0, 40)  # a renewal: not a registration's movement
    m1 = movement(1, "-11.00", 5)
    m2 = movement(2, "-11.00", 20)
    m3 = movement(3, "-11.00", 35)  # a registration's charge, no registration left to explain
    movement(4, "50.00", 1, "Wallet recharge")
    assert reconcile.match() == 2
    for obj in (a, b, late):
        obj.refresh_from_db()
    assert (b.movimento, a.movimento, late.movimento) == (m1, m2, None)
    unpaired = MovimentoConto.objects.filter(importo__lt=0, addebito__isnull=True)
    assert list(unpaired) == [m3]


def test_a_comunica_charge_goes_to_the_holder_of_its_partita_iva(box, holder):
    from comunica.models import ComunicaCall, RichiestaComunicazione

    azienda = holder("Azienda Spa")
    richiesta = RichiestaComunicazione.objects.create(
        casella_pec="alfa@pec.it",
        ragione_sociale="Azienda Spa",
        cf_piva=azienda.partita_iva.lower(),
        comune="Roma",
        provincia="RM",
        cf="RSSMRA80A01H501U",
        nome="Mario",
        cognome="Rossi",
        qualifica="legale_rappresentante",
        email="m@example.com",
        stato="in_attesa_di_documenti",
    )
    call = ComunicaCall.objects.create(
        richiesta=richiesta,
        kind="create",
        intent_key=str(uuid.uuid4()),
        state=CallState.DONE,
        price=Decimal("15.70"),
        finished_at=timezone.now(),
    )
    call_done.send(sender=ComunicaCall, call=call)
    (entry,) = Addebito.objects.all()
    assert (entry.operazione, entry.titolare, entry.casella, entry.prezzo) == (
        "comunica",
        azienda,
        box,
        Decimal("15.70"),
    )
    # ... and its summary lists the power of attorney still to sign.
    from ledger import selectors

    assert selectors.to_sign(azienda) == [
        "Procura per la comunicazione di alfa@pec.it al Registro Imprese, firmata"
    ]
