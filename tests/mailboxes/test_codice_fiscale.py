"""Birth date and sex come from the requester's codice fiscale when left empty, and stay
editable (issue 16, item 4)."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from mailboxes.forms import RichiedenteForm
from mailboxes.validators import derived_from_cf

from .conftest import richiedente_post


def test_derived_from_a_personal_codice_fiscale():
    assert derived_from_cf("RSSMRA85T10A562S") == {
        "data_nascita": dt.date(1985, 12, 10),
        "sesso": "M",
    }
    assert derived_from_cf("RSSMRA85T50Z404P")["sesso"] == "F"  # born abroad: day + 40
    assert derived_from_cf("RSSMRA85T50Z404P")["provincia_nascita"] == "EE"
    assert derived_from_cf("00743110157") == {} and derived_from_cf("nonsense") == {}


def test_the_form_fills_what_was_left_empty(db):
    form = RichiedenteForm(richiedente_post(**{"data_nascita": "", "sesso": ""}), prefix="r")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["data_nascita"] == dt.date(1985, 12, 10)
    assert form.cleaned_data["sesso"] == "M"
    with translation.override("it"):
        assert "ricavato dal codice fiscale" in str(form["sesso"].help_text)


def test_what_was_typed_is_checked_against_the_code(db):
    form = RichiedenteForm(
        richiedente_post(**{"data_nascita": "1985-12-11", "sesso": "F"}), prefix="r"
    )
    assert not form.is_valid()
    assert set(form.errors) == {"data_nascita", "sesso"}


def test_an_underage_codice_fiscale_is_still_refused(db):
    form = RichiedenteForm(
        richiedente_post(codice_fiscale="RSSMRA85T10A562S", data_nascita="2020-01-01"),
        prefix="r",
    )
    assert not form.is_valid() and "data_nascita" in form.errors
