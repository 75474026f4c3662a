"""What the forms of the operations share. Each operation's forms are in its module; the
services check everything again (a forced request is refused there)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .pricing import price_label


def size_choices(step: int, count: int, price_of) -> list[tuple[int, str]]:
    """0 or +step, +2 step... MB, each with its price."""
    out = [(0, _("nessuno"))]
    for i in range(1, count + 1):
        mb = step * i
        out.append((mb, f"+{mb} MB — {price_label(price_of(mb))}"))
    return out


class OperationForm(forms.Form):
    """The form of an operation's page, for one box."""

    def __init__(self, *args, casella, **kwargs):
        super().__init__(*args, **kwargs)
        self.casella = casella


class AdminBatchForm(forms.Form):
    """The form of an admin action over the selected boxes: the batch's UUID keys one intent
    per box, so a double submit is the same intents."""

    batch = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, caselle=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.caselle = list(caselle)

    def values_for(self, casella) -> dict[str, Any]:
        """The values the service receives for one of the boxes."""
        return dict(self.cleaned_data)

    def box_field(self, casella):
        """A field asked for each box (shown in its row), if any."""
        return None

    def preview_values(self) -> dict[str, Any]:
        """The values to price the page with before they are valid (the defaults shown)."""
        if self.is_bound and self.is_valid():
            return dict(self.cleaned_data)
        data = {}
        for name, field in self.fields.items():
            value = self[name].value()
            if isinstance(field, forms.TypedChoiceField):
                try:
                    value = field.coerce(value or 0)
                except (TypeError, ValueError, ValidationError):
                    value = 0
            data[name] = value
        return data
