"""A small portfolio written straight to the database: holders with and without an accountant,
boxes in every state, failed and open calls, comunica requests, a sent reminder."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.utils import timezone

_seq = itertools.count(1)


def holder(**kw):
    from mailboxes.models import Titolare

    n = next(_seq)
    data = {
        "tipo_cliente": "IM",
        "sottotipo_cliente": "SI",
        "denominazione": f"Impresa {n} Srl",
        "codice_fiscale": f"{n:011d}",
        "partita_iva": f"{n:011d}",
        "indirizzo": "Via Roma 1",
        "comune": "Roma",
        "cap": "00100",
        "provincia": "RM",
    }
    accountants = kw.pop("commercialisti", [])
    data.update(kw)
    titolare = Titolare.objects.create(**data)
    titolare.commercialisti.set(accountants)
    return titolare


def box(titolare, stato, *, tipo="STANDARD", scadenza=None, **kw):
    from mailboxes.models import Casella

    n = next(_seq)
    return Casella.objects.create(
        titolare=titolare,
        remote_id=f"{n:024x}",
        casella_pec=f"box{n}@legalmail.it",
        tipo_casella=tipo,
        stato=stato,
        data_scadenza=scadenza,
        ts_registrazione=kw.pop("ts_registrazione", timezone.now() - dt.timedelta(days=3)),
        **kw,
    )


def call(casella, kind, state, **kw):
    from mailboxes.models import CasellaCall

    n = next(_seq)
    return CasellaCall.objects.create(
        casella=casella, kind=kind, state=state, intent_key=f"test-{n}", **kw
    )


@dataclass
class Portfolio:
    """What each "Da fare" group should hold: entry keys ("casella-<pk>", "call-<pk>"...)."""

    expected: dict[str, set[str]] = field(default_factory=dict)
    accountant_boxes: set[str] = field(default_factory=set)

    def add(self, turno: str, key: str) -> None:
        self.expected.setdefault(turno, set()).add(key)


def seed(accountant, other_accountant) -> Portfolio:
    """Boxes of both accountants' holders, of holders without one, and without a holder."""
    from mailboxes.models import PromemoriaScadenza, Stato

    p = Portfolio()
    mine = holder(commercialisti=[accountant], denominazione="Alfa Srl")
    theirs = holder(commercialisti=[other_accountant], denominazione="Beta Srl")
    alone = holder(denominazione="Gamma Srl")
    today = timezone.localdate()
    for owner in (mine, theirs, alone):
        for stato in Stato.values:
            scadenza = today + dt.timedelta(days=20) if stato == Stato.EVASA else None
            c = box(owner, stato, scadenza=scadenza)
            key = f"casella-{c.pk}"
            if stato in (Stato.NON_REGISTRATA, Stato.DOCUMENTI_ERRATI):
                p.add("ufficio", key)
            elif stato == Stato.REGISTRATA:
                p.add("cliente" if owner is alone else "commercialista", key)
            elif stato in (Stato.NUOVA, Stato.IN_EVASIONE):
                p.add("openapi", key)
            if owner is mine and key in set().union(*p.expected.values()):
                p.accountant_boxes.add(key)
    orphan = box(None, Stato.EVASA, scadenza=today + dt.timedelta(days=200))
    p.add("ufficio", f"casella-{orphan.pk}")
    active = box(mine, Stato.EVASA, tipo="GOLD", scadenza=today + dt.timedelta(days=100))
    failed = call(
        active,
        "rinnovo",
        "failed",
        last_error="Credito insufficiente",
        finished_at=timezone.now() - dt.timedelta(hours=2),
    )
    p.add("ufficio", f"call-{failed.pk}")
    p.accountant_boxes.add(f"call-{failed.pk}")
    # A failed renewal followed by a successful one is no longer to do.
    settled = box(alone, Stato.EVASA, scadenza=today + dt.timedelta(days=300))
    call(settled, "rinnovo", "failed", finished_at=timezone.now() - dt.timedelta(days=2))
    call(settled, "rinnovo", "done", finished_at=timezone.now() - dt.timedelta(days=1))
    running = box(alone, Stato.EVASA, scadenza=today + dt.timedelta(days=400))
    stuck = call(running, "modifica", "unclear")
    p.add("openapi", f"call-{stuck.pk}")
    PromemoriaScadenza.objects.create(
        casella=active, soglia=30, data_scadenza=active.data_scadenza, destinatari=1
    )
    return p
