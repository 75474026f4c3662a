"""How a price is shown: in euro, with the VAT note, marked indicative when it is a placeholder."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
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


CENT = Decimal("0.01")


def vat_rate() -> Decimal:
    """The IVA Openapi adds to its prices (the listino's prices are net): IVA_PERCENT."""
    return Decimal(str(settings.IVA_PERCENT)) / 100


@dataclass(frozen=True)
class Charge:
    """What a paid confirmation states: the net price, the IVA and the total, the credito
    Openapi before and after (Openapi takes the net price from it, as the sandbox does), and
    whether it falls short."""

    net: Decimal
    vat: Decimal
    gross: Decimal
    credit: Decimal | None  #: None: the credit could not be read
    credit_error: str
    assumed: bool

    @property
    def vat_percent(self) -> Decimal:
        return vat_rate() * 100

    @property
    def credit_known(self) -> bool:
        return self.credit is not None

    @property
    def after(self) -> Decimal | None:
        return None if self.credit is None else self.credit - self.net

    @property
    def short(self) -> bool:
        return self.credit is not None and self.credit < self.net

    @property
    def missing(self) -> Decimal:
        return max(Decimal("0"), self.net - (self.credit or Decimal("0")))


def charge(net: Decimal | None, *, wallet, assumed: bool = False) -> Charge:
    """The money block of a paid confirmation; ``wallet``: an ``expiry.WalletInfo``."""
    net = (net or Decimal("0")).quantize(CENT)
    vat = (net * vat_rate()).quantize(CENT, rounding=ROUND_HALF_UP)
    return Charge(
        net=net,
        vat=vat,
        gross=net + vat,
        credit=wallet.credit if wallet.available else None,
        credit_error=str(wallet.error or ""),
        assumed=assumed,
    )
