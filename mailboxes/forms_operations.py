"""The forms the operations' pages share: the hidden intent key of a confirmation, and the
renewal of several boxes from the expiry page. Each operation's own forms are in its module
(mailboxes/operations/)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Casella
from .operations.rinnovo import years_choices


class RinnovoMultiploForm(forms.Form):
    caselle = forms.TypedMultipleChoiceField(
        label=_("Caselle"),
        coerce=int,
        error_messages={"required": _("Seleziona almeno una casella da rinnovare.")},
    )
    anni = forms.TypedChoiceField(label=_("Durata del rinnovo"), coerce=int, initial=1)

    def __init__(self, *args, renewable: list[Casella], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["anni"].choices = years_choices()
        self.renewable = {c.pk: c for c in renewable}
        self.fields["caselle"].choices = [(c.pk, c.casella_pec) for c in renewable]

    def selected(self) -> list[Casella]:
        return [self.renewable[pk] for pk in self.cleaned_data["caselle"] if pk in self.renewable]
