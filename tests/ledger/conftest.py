"""Fixtures of the ledger tests: the mailboxes' (sandbox, holders, boxes) and ledger entries."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.mailboxes.conftest import make_casella, make_titolare, pec  # noqa: F401

_codes = itertools.count(1)


@pytest.fixture
def holder(make_titolare):  # noqa: F811
    """make(name) -> a holder with its own codice fiscale."""

    def make(name="Cliente Srl", **kw):
        code = f"{next(_codes):011d}"
        return make_titolare(denominazione=name, codice_fiscale=code, partita_iva=code, **kw)

    return make


@pytest.fixture
def entry(db):
    """entry(titolare, prezzo, operazione="registrazione", when=None) -> an Addebito."""
    from ledger.models import Addebito, Fonte

    ids = itertools.count(100_000)

    def make(titolare, prezzo, operazione="registrazione", when=None, indirizzo="x@pec.it"):
        when = when or timezone.now()
        return Addebito.objects.create(
            fonte=Fonte.CASELLA,
            call_id=next(ids),
            operazione=operazione,
            titolare=titolare,
            indirizzo=indirizzo,
            prezzo=Decimal(prezzo),
            richiesto_il=when - dt.timedelta(seconds=5),
            addebitato_il=when,
        )

    return make
