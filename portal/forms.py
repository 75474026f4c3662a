"""Forms every app's pages share."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class IntentForm(forms.Form):
    """A confirmation that records an intent at most once: the key made when the page is shown
    comes back with every submit of it, so a repeated submit gets the intent recorded first
    (portal/remote_calls.py). Other forms add it by inheriting from this one."""

    intent_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("intent_key", str(uuid.uuid4()))

    def clean_intent_key(self) -> str:
        try:
            return str(uuid.UUID(self.cleaned_data["intent_key"]))
        except ValueError:
            raise ValidationError(
                _("Richiesta non valida: ricarica la pagina."), code="intent"
            ) from None


def normalized(normalize: Callable[[str], str]) -> type[forms.CharField]:
    """A text field whose value ``normalize`` checks (raising ``ValidationError``) and returns
    in its stored form, e.g. in upper case; an optional field left empty stays empty. For a
    ModelForm's ``Meta.field_classes``, or declared as a field."""

    class NormalizedField(forms.CharField):
        def clean(self, value):
            value = super().clean(value)
            return normalize(value) if value else value

    return NormalizedField
