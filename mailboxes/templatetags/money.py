"""``{% charge_block price %}``: the one way a paid confirmation states its money (net, IVA,
total, the credito Openapi before and after, a shortage warning). Registration, the box
operations, the batch renewal and comunica all include it."""

from __future__ import annotations

from django import template

from .. import expiry
from ..operations.pricing import charge

register = template.Library()


@register.inclusion_tag("mailboxes/_charge.html")
def charge_block(price, wallet=None, assumed=False, note=""):
    """``wallet``: the view's ``expiry.WalletInfo`` when it read one (otherwise read here)."""
    if wallet is None or wallet == "":
        wallet = expiry.wallet_info(limit=0)
    return {"charge": charge(price, wallet=wallet, assumed=bool(assumed)), "note": note}
