"""How a price is shown: in euro, with the VAT note, marked indicative when it is a placeholder."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openapi_pec import prices
from portal.history import Sentence


def euro(amount: Decimal | None) -> str:
    return number_format(amount or Decimal("0"), 2)


def is_assumed(kind: str, tipo: str = "") -> bool:
    """Is the price a placeholder (openapi_pec.prices.ASSUMED)?"""
    return kind in prices.ASSUMED or tipo in prices.ASSUMED


def cost_text(price: Decimal | None) -> Sentence:
    """The cost as the history line of a request states it."""
    if not price:
        return Sentence(gettext_lazy("nessun costo"))
    return Sentence(gettext_lazy("costo %(price)s € + IVA"), price=price)


def price_label(amount: Decimal | None) -> str:
    """The cost next to a choice of a form."""
    return _("%(price)s € + IVA") % {"price": euro(amount)}
