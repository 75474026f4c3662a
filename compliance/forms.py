"""The campaign's per-director form: what POST /pec needs of a director the Registro Imprese
does not give (e-mail, telephone, postal address, ID document) and the box's address, on top
of the mailboxes app's own requester form (same checks as a single registration)."""

from __future__ import annotations

import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from mailboxes import validators
from mailboxes.forms import PROVINCIA, RichiedenteForm, autorinnovo_field, price_label
from mailboxes.models import Richiedente, TipoCasellaChoices
from mailboxes.services import registration
from mailboxes.services.address import check_address, expected_domain

from .services.director_boxes import DEFAULT_TIPO

#: The requester fields POST /pec takes (the director is the requester of their own box).
REQUESTER_FIELDS = RichiedenteForm.Meta.fields


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum())


def suggested_address(director: dict, tipo_casella: str) -> str:
    """nome.cognome@<the type's domain>, as a starting point the office can change."""
    parts = (_slug(director.get("nome", "")), _slug(director.get("cognome", "")))
    local = ".".join(p for p in parts if p)
    return f"{local}@{expected_domain(tipo_casella)}" if local else ""


def director_initial(director: dict, tipo_casella: str) -> dict:
    """The form prefilled from the Registro Imprese's data of the director (birth date, sex
    and place are left to the codice fiscale, which the requester form derives them from)."""
    return {
        "casella_pec": suggested_address(director, tipo_casella),
        "nome": director.get("nome", ""),
        "cognome": director.get("cognome", ""),
        "codice_fiscale": (director.get("codice_fiscale") or "").upper(),
    }


class CampaignChoiceForm(forms.Form):
    """The campaign's choices for every director's new box: its type (with the price of the
    registration and first year next to it) and automatic renewal, asked as the form of a
    single new box asks it."""

    tipo_casella = forms.ChoiceField(
        label=_("Tipo delle caselle da registrare"),
        choices=TipoCasellaChoices.choices,
        required=False,
    )
    autorinnovo = autorinnovo_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tipo_casella"].choices = [
            (code, f"{label} — {price_label(registration.registration_price(code))}")
            for code, label in TipoCasellaChoices.choices
        ]

    def clean_tipo_casella(self):
        return self.cleaned_data["tipo_casella"] or DEFAULT_TIPO


class DirectorBoxForm(RichiedenteForm):
    """One director's new box: its address, the director's postal address (the holder's), and
    the requester data and ID document as a single registration asks them."""

    casella_pec = forms.CharField(label=_("Indirizzo della casella"), max_length=254)
    indirizzo = forms.CharField(label=_("Indirizzo di residenza"), max_length=200)
    cap = forms.CharField(label=_("CAP"), max_length=5, validators=[validators.validate_cap])
    comune = forms.CharField(label=_("Comune"), max_length=100)
    provincia = PROVINCIA(label=_("Provincia"), max_length=2)

    class Meta(RichiedenteForm.Meta):
        model = Richiedente

    def __init__(self, *args, tipo_casella: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.tipo_casella = tipo_casella
        # who the director is comes from the Registro Imprese: the codice fiscale is shown,
        # never taken from the request (a disabled field keeps its initial value); the names
        # may be corrected
        self.fields["codice_fiscale"].disabled = True

    def clean_casella_pec(self):
        address = self.cleaned_data["casella_pec"].strip().lower()
        result = check_address(tipo_casella=self.tipo_casella, address=address)
        if not result.ok:
            raise forms.ValidationError(result.message)
        return address

    def requester(self) -> dict:
        return {name: self.cleaned_data[name] for name in REQUESTER_FIELDS}

    def holder_details(self) -> dict:
        """What the director's holder record takes from the form."""
        data = self.cleaned_data
        return {
            "email": data["email"],
            "telefono": data["telefono"],
            "indirizzo": data["indirizzo"],
            "cap": data["cap"],
            "comune": data["comune"],
            "provincia": data["provincia"],
        }
