"""Renewal: GET /pec/{id}/rinnovo?anni=N, for an active or revoked box of any type, 1-5 years.

Confirmed when Openapi's expiry date moved past the one seen just before sending.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy

from openapi_pec import prices
from portal.history import Sentence

from ..models import Casella, CasellaCall, Stato
from .declare import declare
from .forms import AdminBatchForm, OperationForm
from .handlers import OperationHandler, keep_params, remote_stato
from .intents import once, record_intent, refuse
from .pricing import cost_text, price_label
from .rules import Verdict, in_states

KIND = "rinnovo"
MAX_YEARS = 5
RENEWABLE = (Stato.EVASA, Stato.REVOCATA)


def renewal_price(tipo_casella: str, anni: int = 1) -> Decimal:
    return prices.price(prices.Operation.RINNOVO, tipo_casella, anni=anni)


def price_of(casella: Casella, values) -> Decimal:
    return renewal_price(casella.tipo_casella, values.get("anni") or 1)


def allowed(casella: Casella) -> Verdict:
    return in_states(
        casella,
        RENEWABLE,
        _("Si rinnovano solo caselle attive o revocate (questa è «%(stato)s»)."),
    )


@once(KIND)
def renew(*, casella: Casella, anni: int, intent_key: str, user) -> CasellaCall:
    """GET /pec/{id}/rinnovo?anni=N, once. The expiry date seen now is recorded: the renewal is
    confirmed when Openapi shows a later one."""
    try:
        anni = int(anni)
    except (TypeError, ValueError):
        anni = 0
    if not 1 <= anni <= MAX_YEARS:
        raise refuse(_("Scegli da 1 a %(max)d anni.") % {"max": MAX_YEARS}, "anni")
    price = renewal_price(casella.tipo_casella, anni)
    return record_intent(
        casella,
        KIND,
        intent_key,
        user,
        params={"anni": anni},
        price=price,
        message=Sentence(
            ngettext_lazy(
                "Rinnovo di %(n)d anno richiesto (%(cost)s).",
                "Rinnovo di %(n)d anni richiesto (%(cost)s).",
                "n",
            ),
            n=anni,
            cost=cost_text(price),
        ),
        before_create=lambda c: {
            "scadenza_prima": c.data_scadenza.isoformat() if c.data_scadenza else None,
            "stato_prima": c.stato,
        },
    )


class RinnovoHandler(OperationHandler):
    """Confirmed when Openapi's data_scadenza moved past the one recorded before sending."""

    kind = KIND
    endpoint = "GET /pec/{id}/rinnovo"
    remote_states = RENEWABLE
    not_sent = gettext_lazy("Rinnovo non inviato: per Openapi la casella è «%(stato)s».")

    def precheck(self, call, current):
        super().precheck(call, current)
        # The baseline for settling an unclear outcome is Openapi's own date, just before
        # sending (the mirror may be behind, e.g. after an automatic renewal).
        keep_params(
            call,
            scadenza_prima=current.data_scadenza.isoformat() if current.data_scadenza else None,
            stato_prima=remote_stato(current),
        )

    def send(self, client, call, casella):
        return client.rinnovo(casella.remote_id, int(call.params.get("anni", 1)))

    def reached(self, call, current) -> bool:
        before = call.params.get("scadenza_prima")
        after = current.data_scadenza
        if after is None:
            return False
        if not before:
            return True  # an expiry date appeared where there was none
        return after > dt.date.fromisoformat(before)

    def done_message(self, call, casella):
        return Sentence(
            ngettext_lazy(
                "Rinnovata per %(n)d anno: nuova scadenza %(d)s.",
                "Rinnovata per %(n)d anni: nuova scadenza %(d)s.",
                "n",
            ),
            n=int(call.params.get("anni", 1)),
            d=casella.data_scadenza or "—",
        )


def years_choices(casella: Casella | None = None) -> list[tuple[int, str]]:
    """1..MAX_YEARS, each with its price for ``casella``'s type."""
    out = []
    for n in range(1, MAX_YEARS + 1):
        text = ngettext("%(n)d anno", "%(n)d anni", n) % {"n": n}
        if casella is not None:
            text += f" — {price_label(renewal_price(casella.tipo_casella, n))}"
        out.append((n, text))
    return out


class RinnovoForm(OperationForm):
    anni = forms.TypedChoiceField(label=gettext_lazy("Durata del rinnovo"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["anni"].choices = years_choices(self.casella)
        self.initial.setdefault("anni", 1)

    def summary(self):
        n = self.cleaned_data["anni"]
        return [(_("Rinnovo"), ngettext("%(n)d anno", "%(n)d anni", n) % {"n": n})]


class RinnovoAdminForm(AdminBatchForm):
    anni = forms.TypedChoiceField(label=gettext_lazy("Anni"), coerce=int, initial=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["anni"].choices = years_choices()


SPEC = declare(
    __name__,
    label=gettext_lazy("Rinnovo"),
    title=gettext_lazy("Rinnova la casella"),
    order=10,
    admin_action="op_rinnova",
    admin_description=gettext_lazy("Rinnova le caselle selezionate…"),
)
