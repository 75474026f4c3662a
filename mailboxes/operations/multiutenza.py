"""An extra user: POST /pec/{id}/multiutenza, for an active Legalmail box, at most 25 users.
Confirmed when Openapi lists one more user with these name and e-mail than before."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from openapi_pec import prices
from portal.history import Sentence

from ..models import Casella, CasellaCall
from .declare import declare
from .forms import AdminBatchForm, OperationForm
from .handlers import OperationHandler, keep_params, not_allowed
from .intents import once, record_intent, refuse
from .pricing import cost_text
from .rules import ALLOWED, Verdict, active_legalmail, users_of

KIND = "multiutenza"
MAX_USERS = 25


def multiutenza_price() -> Decimal:
    return prices.price(prices.Operation.MULTIUTENZA)


def price_of(casella: Casella, values) -> Decimal:
    return multiutenza_price()


def allowed(casella: Casella) -> Verdict:
    if not (verdict := active_legalmail(casella)):
        return verdict
    if len(users_of(casella)) >= MAX_USERS:
        return Verdict(False, _("La casella ha già %(n)d utenti, il massimo.") % {"n": MAX_USERS})
    return ALLOWED


@once(KIND)
def add_user(
    *,
    casella: Casella,
    nome: str,
    cognome: str,
    descrizione: str,
    email_gestione_password: str,
    intent_key: str,
    user,
) -> CasellaCall:
    """POST /pec/{id}/multiutenza, once (at most 25 users)."""
    values = {
        "nome": (nome or "").strip(),
        "cognome": (cognome or "").strip(),
        "descrizione": (descrizione or "").strip(),
        "email_gestione_password": (email_gestione_password or "").strip().lower(),
    }
    if not all(values.values()):
        raise refuse(
            _("Nome, cognome, descrizione ed e-mail per la password sono obbligatori."), "fields"
        )
    try:
        validate_email(values["email_gestione_password"])
    except ValidationError:
        raise refuse(_("L'e-mail per la password non è valida."), "email") from None
    price = multiutenza_price()
    return record_intent(
        casella,
        KIND,
        intent_key,
        user,
        params=values,
        price=price,
        message=Sentence(
            gettext_lazy("Utente aggiuntivo %(nome)s %(cognome)s richiesto (%(cost)s)."),
            nome=values["nome"],
            cognome=values["cognome"],
            cost=cost_text(price),
        ),
    )


def _matching_users(call, current) -> int:
    p = call.params
    return sum(
        1
        for u in current.multiutenza
        if u.email_gestione_password.lower() == p.get("email_gestione_password", "")
        and u.nome.strip().lower() == p.get("nome", "").lower()
        and u.cognome.strip().lower() == p.get("cognome", "").lower()
    )


class MultiutenzaHandler(OperationHandler):
    """Confirmed when Openapi lists one more user with these name and e-mail than before."""

    kind = KIND
    endpoint = "POST /pec/{id}/multiutenza"
    remote_states = ()  # any state: the type and the number of users are checked
    not_for_type = gettext_lazy("Utenti aggiuntivi non disponibili per questo tipo di casella.")

    def precheck(self, call, current):
        super().precheck(call, current)
        if len(current.multiutenza) >= MAX_USERS:
            raise not_allowed(
                _("Utente non aggiunto: la casella ha già %(n)d utenti.") % {"n": MAX_USERS}
            )
        keep_params(call, presenti_prima=_matching_users(call, current))

    def send(self, client, call, casella):
        p = call.params
        return client.multiutenza(
            casella.remote_id,
            nome=p["nome"],
            cognome=p["cognome"],
            descrizione=p["descrizione"],
            email_gestione_password=p["email_gestione_password"],
        )

    def reached(self, call, current) -> bool:
        return _matching_users(call, current) > int(call.params.get("presenti_prima", 0))

    def done_message(self, call, casella):
        return Sentence(
            gettext_lazy("Utente aggiuntivo %(nome)s %(cognome)s creato."),
            nome=call.params.get("nome", ""),
            cognome=call.params.get("cognome", ""),
        )


class MultiutenzaFields(forms.Form):
    nome = forms.CharField(label=gettext_lazy("Nome"), max_length=100)
    cognome = forms.CharField(label=gettext_lazy("Cognome"), max_length=100)
    descrizione = forms.CharField(label=gettext_lazy("Descrizione"), max_length=200)
    email_gestione_password = forms.EmailField(label=gettext_lazy("E-mail per la password"))


class MultiutenzaForm(OperationForm, MultiutenzaFields):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["descrizione"].help_text = _("Es. «Ufficio amministrazione».")
        self.fields["email_gestione_password"].help_text = _(
            "Openapi vi invia le credenziali del nuovo utente."
        )

    def summary(self):
        d = self.cleaned_data
        return [
            (_("Utente"), f"{d['nome']} {d['cognome']}"),
            (_("Descrizione"), d["descrizione"]),
            (_("E-mail per la password"), d["email_gestione_password"]),
        ]


class MultiutenzaAdminForm(AdminBatchForm, MultiutenzaFields):
    pass


def _intro(casella: Casella) -> str:
    n = len(users_of(casella))
    return ngettext(
        "La casella ha %(n)s utente aggiuntivo su %(max)s.",
        "La casella ha %(n)s utenti aggiuntivi su %(max)s.",
        n,
    ) % {"n": n, "max": MAX_USERS}


SPEC = declare(
    __name__,
    label=gettext_lazy("Utente aggiuntivo"),
    title=gettext_lazy("Aggiungi un utente"),
    path="utenti",
    order=40,
    intro=_intro,
)
