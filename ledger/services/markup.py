"""What the office bills a client for an entry: the list price plus the office's markup.

A rule is a percentage and/or a fixed amount per operation (blank operation: every operation),
for all holders or overriding them for one holder. For an entry the most specific rule wins:
the holder's rule for the operation, the holder's rule for every operation, the office's rule
for the operation, the office's rule for every operation, none (the list price).

The billed net of a line is list price × (1 + percentage / 100), rounded to the cent, plus the
fixed amount; VAT is computed once on the statement's total net (as an invoice does)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from ..models import Ricarico

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def iva_percent() -> Decimal:
    """The IVA applied to the statements (IVA_PERCENT, 22 by default)."""
    return Decimal(str(settings.IVA_PERCENT))


@dataclass(frozen=True)
class Regola:
    percentuale: Decimal = ZERO
    fisso: Decimal = ZERO

    def netto(self, prezzo: Decimal) -> Decimal:
        """The billed net of an entry whose list price is ``prezzo``."""
        return cents(prezzo * (1 + self.percentuale / 100)) + cents(self.fisso)


NESSUNA = Regola()


class Regole:
    """The markup rules, loaded once, resolved per (holder, operation)."""

    def __init__(self, titolari=None):
        qs = Ricarico.objects.all()
        if titolari is not None:
            qs = qs.filter(titolare__isnull=True) | qs.filter(titolare__in=titolari)
        self._rules = {
            (r.titolare_id, r.operazione): Regola(r.percentuale, r.fisso) for r in qs.order_by()
        }

    def per(self, titolare_id: int | None, operazione: str) -> Regola:
        for key in (
            (titolare_id, operazione),
            (titolare_id, ""),
            (None, operazione),
            (None, ""),
        ):
            if key in self._rules:
                return self._rules[key]
        return NESSUNA


def iva(netto: Decimal) -> Decimal:
    return cents(netto * iva_percent() / 100)
