"""The portfolio's forms: a box of another provider entered by hand."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mailboxes.choices import OTHER_PROVIDERS
from mailboxes.models import Titolare

from .services import other_providers

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AltroGestoreForm(forms.Form):
    titolare = forms.ModelChoiceField(queryset=Titolare.objects.none(), label=_("Titolare"))
    casella_pec = forms.EmailField(label=_("Indirizzo della casella"), max_length=254)
    gestore = forms.ChoiceField(choices=OTHER_PROVIDERS, label=_("Gestore"))
    data_scadenza = forms.DateField(
        label=_("Scadenza"),
        widget=DATE,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("La data di scadenza presso il gestore: il portale ricorda il rinnovo."),
    )

    def __init__(self, *args, titolari, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["titolare"].queryset = titolari

    def clean_casella_pec(self):
        return self.cleaned_data["casella_pec"].strip().lower()

    def clean_data_scadenza(self):
        day = self.cleaned_data["data_scadenza"]
        if problem := other_providers.expiry_problem(day):
            raise forms.ValidationError(problem)
        return day
