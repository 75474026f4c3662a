"""Revocation: DELETE /pec/{id}, for an active box of any type. Irreversible and free: the user
types the box's address to confirm. Confirmed when Openapi shows the box revoked."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.forms import IntentForm
from portal.history import Sentence

from ..models import Casella, CasellaCall, Stato
from .declare import declare
from .forms import AdminBatchForm, OperationForm
from .handlers import OperationHandler, remote_stato
from .intents import once, record_intent, refuse
from .rules import Verdict, in_states

KIND = "revoca"


def price_of(casella: Casella, values) -> None:
    """Free."""
    return None


def allowed(casella: Casella) -> Verdict:
    return in_states(
        casella, (Stato.EVASA,), _("Si revocano solo caselle attive (questa è «%(stato)s»).")
    )


@once(KIND)
def revoke(*, casella: Casella, conferma: str, intent_key: str, user) -> CasellaCall:
    """DELETE /pec/{id}, once; irreversible: ``conferma`` must be the box's address."""
    if (conferma or "").strip().lower() != casella.casella_pec.lower():
        raise refuse(
            _("Per confermare la revoca scrivi esattamente l'indirizzo %(address)s.")
            % {"address": casella.casella_pec},
            "conferma",
        )
    return record_intent(
        casella,
        KIND,
        intent_key,
        user,
        price=None,
        message=Sentence(gettext_lazy("Revoca richiesta (irreversibile).")),
    )


class RevocaHandler(OperationHandler):
    """Confirmed when Openapi shows the box revoked."""

    kind = KIND
    endpoint = "DELETE /pec/{id}"
    not_sent = gettext_lazy("Revoca non inviata: per Openapi la casella è «%(stato)s».")

    def send(self, client, call, casella):
        return client.revoke_casella(casella.remote_id)

    def reached(self, call, current) -> bool:
        return remote_stato(current) == Stato.REVOCATA

    def done_message(self, call, casella):
        return Sentence(gettext_lazy("Revoca eseguita."))


class RevocaForm(OperationForm, IntentForm):
    conferma = forms.CharField(
        label=gettext_lazy("Scrivi l'indirizzo della casella per confermare"), max_length=254
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["conferma"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "placeholder": ""}
        )

    def clean_conferma(self):
        value = (self.cleaned_data.get("conferma") or "").strip()
        if value.lower() != self.casella.casella_pec.lower():
            raise ValidationError(
                _("L'indirizzo scritto non corrisponde: scrivi esattamente %(address)s.")
                % {"address": self.casella.casella_pec},
                code="conferma",
            )
        return value


class RevocaAdminForm(AdminBatchForm):
    """The address typed for each box: a box without it is not revoked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for c in self.caselle:
            self.fields[f"conferma_{c.pk}"] = forms.CharField(
                label=_("Scrivi %(address)s") % {"address": c.casella_pec},
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )

    def values_for(self, casella) -> dict:
        return {"conferma": self.cleaned_data.get(f"conferma_{casella.pk}", "")}

    def box_field(self, casella):
        return self[f"conferma_{casella.pk}"]


SPEC = declare(
    __name__,
    label=gettext_lazy("Revoca"),
    title=gettext_lazy("Revoca la casella"),
    order=60,
    admin_description=gettext_lazy("Revoca le caselle selezionate…"),
    irreversible=True,
    warning=gettext_lazy(
        "La revoca ha effetto subito: la casella smette di ricevere e inviare posta "
        "certificata. Per riaverla servirà un rinnovo, a pagamento."
    ),
    admin_intro=gettext_lazy(
        "Scrivi l'indirizzo di ogni casella da revocare: quelle senza indirizzo scritto non "
        "vengono revocate."
    ),
    form_template="mailboxes/operations/revoca.html",
)
