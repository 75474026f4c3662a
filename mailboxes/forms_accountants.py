from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Titolare


class InvitoCommercialistaForm(forms.Form):
    """The office invites an accountant: who they are and which holders they follow."""

    first_name = forms.CharField(label=_("Nome"), max_length=150)
    last_name = forms.CharField(label=_("Cognome"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    titolari = forms.ModelMultipleChoiceField(
        label=_("Titolari che segue"),
        queryset=Titolare.objects.order_by("denominazione", "cognome", "nome"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Vedrà solo questi titolari e le loro caselle."),
    )
