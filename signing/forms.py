"""The forms of the link pages. The holder's upload forms are the office's own (the same checks
by content, the same messages); the office's form creates a link."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from comunica.forms import ProcuraUploadForm
from mailboxes.forms import DocumentiForm
from mailboxes.operations import conservazione
from mailboxes.operations.conservazione import ConservazioneDocumentiForm

from .models import Scopo


class ConservazioneLinkForm(ConservazioneDocumentiForm):
    """The office's preservation upload form, with the intent key of a one-off submit."""

    intent_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("intent_key", uuid.uuid4())


def upload_form(scopo: str, *args, casella=None, **kwargs) -> forms.Form:
    if scopo == Scopo.ATTIVAZIONE:
        return DocumentiForm(*args, casella=casella, **kwargs)
    if scopo == Scopo.CONSERVAZIONE:
        return ConservazioneLinkForm(*args, **kwargs)
    return ProcuraUploadForm(*args, **kwargs)


def upload_data(scopo: str, form: forms.Form) -> tuple[dict, str]:
    """What the service takes from a valid upload form, and the file's original name."""
    if scopo == Scopo.PROCURA:
        return {"p7m": form.p7m}, form.cleaned_data["file"].name
    return {"modulo": form.cleaned_data["modulo"], "identita": form.cleaned_data["identita"]}, ""


class NuovoLinkForm(forms.Form):
    """The office creates a link: for which step, sent to whom (or only copied)."""

    scopo = forms.ChoiceField(label=_("Per"), choices=Scopo.choices, widget=forms.HiddenInput)
    email = forms.EmailField(
        label=_("E-mail del cliente"),
        required=False,
        help_text=_("Vuota: il link si copia e si manda in un altro modo."),
    )
    spazio = forms.TypedChoiceField(
        label=_("Spazio di conservazione"),
        coerce=int,
        required=False,
        choices=[
            (mb, f"{mb} MB")
            for mb in range(conservazione.STEP, conservazione.STEP * 10 + 1, conservazione.STEP)
        ],
    )
