"""A client's statement for a period: the entries charged for the holder, each with its list
price, the office's markup and the billed net; the totals net, VAT and gross."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from mailboxes.models import Titolare

from ..models import Addebito
from . import markup
from .markup import ZERO


@dataclass(frozen=True)
class Periodo:
    """From ``dal`` to ``al``, both days included (local dates)."""

    dal: dt.date
    al: dt.date

    @property
    def start(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.dal, dt.time.min))

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period."""
        return timezone.make_aware(dt.datetime.combine(self.al + dt.timedelta(days=1), dt.time.min))

    def __str__(self) -> str:
        return f"{self.dal:%d/%m/%Y} – {self.al:%d/%m/%Y}"


def this_month(today: dt.date | None = None) -> Periodo:
    today = today or timezone.localdate()
    first = today.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return Periodo(first, nxt - dt.timedelta(days=1))


@dataclass
class Riga:
    entry: Addebito
    prezzo: Decimal
    netto: Decimal

    @property
    def ricarico(self) -> Decimal:
        return self.netto - self.prezzo


@dataclass
class Prospetto:
    titolare: Titolare
    periodo: Periodo
    righe: list[Riga] = field(default_factory=list)

    @property
    def costo(self) -> Decimal:
        """What Openapi charged (list prices)."""
        return sum((r.prezzo for r in self.righe), ZERO)

    @property
    def netto(self) -> Decimal:
        return sum((r.netto for r in self.righe), ZERO)

    @property
    def ricarico(self) -> Decimal:
        return self.netto - self.costo

    @property
    def iva(self) -> Decimal:
        return markup.iva(self.netto)

    @property
    def lordo(self) -> Decimal:
        return self.netto + self.iva

    @property
    def iva_percent(self) -> Decimal:
        return markup.iva_percent()


def entries_in(periodo: Periodo):
    return Addebito.objects.filter(
        addebitato_il__gte=periodo.start, addebitato_il__lt=periodo.end
    ).select_related("casella")


def prospetto(titolare: Titolare, periodo: Periodo) -> Prospetto:
    regole = markup.Regole([titolare.pk])
    out = Prospetto(titolare, periodo)
    for entry in entries_in(periodo).filter(titolare=titolare).order_by("addebitato_il", "pk"):
        rule = regole.per(titolare.pk, entry.operazione)
        out.righe.append(Riga(entry, entry.prezzo, rule.netto(entry.prezzo)))
    return out


def local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment).replace(tzinfo=None)


def statement_rows(p: Prospetto, *, for_csv: bool) -> Iterator[list[Any]]:
    """The statement as a table (CSV/XLSX): header, one row per entry, then the totals."""
    show = it_amount if for_csv else (lambda v: v)
    yield [
        _("Data"),
        _("Casella"),
        _("Operazione"),
        _("Prezzo di listino (€)"),
        _("Ricarico (€)"),
        _("Imponibile (€)"),
    ]
    for r in p.righe:
        yield [
            timezone.localtime(r.entry.addebitato_il).date(),
            r.entry.indirizzo,
            r.entry.get_operazione_display(),
            show(r.prezzo),
            show(r.ricarico),
            show(r.netto),
        ]
    yield []
    yield ["", "", _("Totale imponibile"), show(p.costo), show(p.ricarico), show(p.netto)]
    yield ["", "", _("IVA %(rate)s%%") % {"rate": it_number(p.iva_percent)}, "", "", show(p.iva)]
    yield ["", "", _("Totale"), "", "", show(p.lordo)]


def it_number(value: Decimal, places: int | None = None) -> str:
    """``value`` the Italian way: 1.234,56 (thousands with a dot, decimals with a comma)."""
    if places is None:
        text = f"{value.normalize():f}"
        whole, _sep, frac = text.partition(".")
    else:
        text = f"{value.quantize(Decimal(1).scaleb(-places)):f}"
        whole, _sep, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + frac if frac else "")


def it_amount(value: Decimal) -> str:
    return it_number(value, 2)


def euro(value: Decimal | None) -> str:
    """An amount in euro, Italian style: 1.234,56 €."""
    return f"{it_amount(value or ZERO)} €"
