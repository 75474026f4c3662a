from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from .services.statement import Periodo, this_month

#: The longest period a page or a document covers.
MAX_DAYS = 3 * 366
#: The dates a period may start and end on: beyond them a day cannot be moved to UTC nor
#: followed by the next one (year 1, year 9999), and no charge of the portal is there.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)


class PeriodoForm(forms.Form):
    dal = forms.DateField(
        label=_("Dal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    al = forms.DateField(
        label=_("Al"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        dal, al = data.get("dal"), data.get("al")
        if any(d and not FIRST_DAY <= d <= LAST_DAY for d in (dal, al)):
            raise forms.ValidationError(
                _("Le date vanno dal %(first)s al %(last)s.")
                % {"first": f"{FIRST_DAY:%d/%m/%Y}", "last": f"{LAST_DAY:%d/%m/%Y}"}
            )
        if dal and al:
            if dal > al:
                raise forms.ValidationError(_("La data iniziale viene dopo quella finale."))
            if (al - dal).days > MAX_DAYS:
                raise forms.ValidationError(_("Il periodo può durare al massimo tre anni."))
        return data

    def periodo(self) -> Periodo:
        """The period asked for; the current month where a date is missing or invalid."""
        month = this_month()
        if not self.is_valid():
            return month
        dal = self.cleaned_data.get("dal") or month.dal
        al = self.cleaned_data.get("al") or max(dal, month.al)
        if al < dal or (al - dal).days > MAX_DAYS:
            return month
        return Periodo(dal, min(al, dal + dt.timedelta(days=MAX_DAYS)))
