"""Upgrade: PATCH /pec/{id}/trasformazione to a higher Legalmail type, for an active Legalmail
box. Confirmed when Openapi shows the target type (or a higher one)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openapi_pec import prices
from portal.history import Sentence

from ..models import Casella, CasellaCall, TipoCasellaChoices
from .declare import declare
from .forms import AdminBatchForm, OperationForm
from .handlers import OperationHandler, not_allowed
from .intents import once, record_intent, refuse
from .pricing import cost_text, price_label
from .rules import ALLOWED, LEGALMAIL, Verdict, active_legalmail, check, higher_types

KIND = "trasformazione"


def trasformazione_price(da: str, a: str) -> Decimal:
    return prices.price(prices.Operation.TRASFORMAZIONE, a, da=da)


def price_of(casella: Casella, values) -> Decimal | None:
    tipo = values.get("tipo")
    if tipo and prices.is_upgrade(casella.tipo_casella, tipo):
        return trasformazione_price(casella.tipo_casella, tipo)
    return None


def allowed(casella: Casella) -> Verdict:
    if not (verdict := active_legalmail(casella)):
        return verdict
    if not higher_types(casella.tipo_casella):
        return Verdict(False, _("La casella è già del tipo più alto (Gold)."))
    return ALLOWED


@once(KIND)
def upgrade(*, casella: Casella, tipo: str, intent_key: str, user) -> CasellaCall:
    """PATCH /pec/{id}/trasformazione to a higher Legalmail type, once."""
    tipo = (tipo or "").upper()
    if tipo not in higher_types(casella.tipo_casella):
        if casella.tipo_casella in LEGALMAIL and tipo in LEGALMAIL:
            raise refuse(
                _("Si può solo passare a un tipo superiore: %(tipi)s.")
                % {
                    "tipi": ", ".join(higher_types(casella.tipo_casella))
                    or _("nessuno disponibile")
                },
                "tipo",
            )
        verdict = check(casella, KIND)
        raise refuse(verdict.reason if not verdict else _("Tipo non valido."), "tipo")
    price = trasformazione_price(casella.tipo_casella, tipo)
    return record_intent(
        casella,
        KIND,
        intent_key,
        user,
        params={"a": tipo},
        price=price,
        message=Sentence(
            gettext_lazy("Passaggio a %(tipo)s richiesto (%(cost)s)."),
            tipo=TipoCasellaChoices(tipo).label,
            cost=cost_text(price),
        ),
        before_create=lambda c: {"da": c.tipo_casella},
    )


class TrasformazioneHandler(OperationHandler):
    """Confirmed when Openapi shows the target type (or a higher one)."""

    kind = KIND
    endpoint = "PATCH /pec/{id}/trasformazione"
    not_sent = gettext_lazy("Cambio tipo non inviato: per Openapi la casella è «%(stato)s».")

    def precheck(self, call, current):
        super().precheck(call, current)
        if not prices.is_upgrade(str(current.tipo_casella), call.params.get("a", "")):
            raise not_allowed(
                _("Cambio tipo non inviato: per Openapi la casella è già %(tipo)s.")
                % {"tipo": TipoCasellaChoices.label_of(str(current.tipo_casella))}
            )

    def send(self, client, call, casella):
        return client.trasformazione(casella.remote_id, call.params["a"])

    def reached(self, call, current) -> bool:
        target = call.params.get("a", "")
        tipo = str(current.tipo_casella)
        return tipo == target or prices.is_upgrade(target, tipo)

    def done_message(self, call, casella):
        tipo = casella.tipo_casella
        return Sentence(
            gettext_lazy("La casella ora è %(tipo)s."),
            tipo=TipoCasellaChoices(tipo).label if tipo in TipoCasellaChoices.values else tipo,
        )


class TrasformazioneForm(OperationForm):
    tipo = forms.ChoiceField(label=gettext_lazy("Nuovo tipo"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tipo = self.casella.tipo_casella
        self.fields["tipo"].choices = [
            (t, f"{TipoCasellaChoices(t).label} — {price_label(trasformazione_price(tipo, t))}")
            for t in higher_types(tipo)
        ]

    def summary(self):
        return [
            (
                _("Tipo"),
                f"{self.casella.get_tipo_casella_display()} → "
                f"{TipoCasellaChoices(self.cleaned_data['tipo']).label}",
            )
        ]


class TrasformazioneAdminForm(AdminBatchForm):
    tipo = forms.ChoiceField(
        label=gettext_lazy("Nuovo tipo"),
        choices=[(t, TipoCasellaChoices(t).label) for t in ("BRONZE", "SILVER", "GOLD")],
    )


SPEC = declare(
    __name__,
    label=gettext_lazy("Cambio tipo"),
    title=gettext_lazy("Cambia tipo di casella"),
    path="tipo",
    order=30,
    admin_description=gettext_lazy("Cambia tipo (solo verso l'alto)…"),
    intro=lambda casella: _("Si può solo passare a un tipo superiore; la scadenza non cambia."),
)
