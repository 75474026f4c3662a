"""Birth date, sex and birth place come from the requester's codice fiscale when left empty,
and stay editable (issue 16, item 4)."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from mailboxes.forms import RichiedenteForm
from mailboxes.validators import derived_from_cf

from .conftest import richiedente_post


def test_derived_from_a_personal_codice_fiscale():
    assert derived_from_cf("RSSMRA85T10H501O") == {
        "data_nascita": dt.date(1985, 12, 10),
        "sesso": "M",
        "comune_nascita": "Roma",
        "provincia_nascita": "RM",
        "nazione_nascita": "IT",
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


def test_the_birth_place_is_the_comune_as_the_registry_writes_it():
    # with its accent; in 1985 Forlì's province was FO, today's sigla is FC
    place = derived_from_cf("RSSMRA85T10D704X")
    assert (place["comune_nascita"], place["provincia_nascita"]) == ("Forlì", "FC")
    # an omocode (digits replaced by letters, here 501 -> 5L1) names the same comune
    assert derived_from_cf("RSSMRA85T10H5L1Z")["comune_nascita"] == "Roma"


def test_a_code_that_named_several_comuni_gives_the_one_of_the_birth_date():
    # A014: Biscari until 1938, then renamed Acate
    assert derived_from_cf("RSSMRA30C15A014R")["comune_nascita"] == "Biscari"
    assert derived_from_cf("RSSMRA50C15A014X")["comune_nascita"] == "Acate"
    assert derived_from_cf("RSSMRA50C15A014X")["provincia_nascita"] == "RG"


def test_one_born_abroad_gets_ee_and_the_country_named():
    place = derived_from_cf("RSSMRA85T50Z404P")
    assert place["paese"] == "Stati Uniti D'America"
    assert "comune_nascita" not in place and "nazione_nascita" not in place


def _place_left_empty(**kw):
    return richiedente_post(
        **{"comune_nascita": "", "provincia_nascita": "", "nazione_nascita": "", **kw}
    )


def test_the_form_fills_the_birth_place_left_empty(db):
    form = RichiedenteForm(_place_left_empty(codice_fiscale="RSSMRA85T10D704X"), prefix="r")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["comune_nascita"] == "Forlì"
    assert form.cleaned_data["provincia_nascita"] == "FC"
    assert form.cleaned_data["nazione_nascita"] == "IT"


def test_a_typed_birth_place_wins(db):
    form = RichiedenteForm(
        richiedente_post(
            codice_fiscale="RSSMRA85T10H501O", comune_nascita="Roma (RM)", provincia_nascita="RM"
        ),
        prefix="r",
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["comune_nascita"] == "Roma (RM)"


def test_one_born_abroad_is_asked_for_the_country(db):
    cf = "RSSMRA85T50Z404P"
    post = {"codice_fiscale": cf, "nome": "Maria", "sesso": "", "data_nascita": ""}
    form = RichiedenteForm(_place_left_empty(**post, nazione_nascita="US"), prefix="r")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["provincia_nascita"] == "EE"
    # the portal's default (Italy) disagrees with the code: the country is named
    form = RichiedenteForm(_place_left_empty(**post, nazione_nascita="IT"), prefix="r")
    assert not form.is_valid()
    with translation.override("it"):
        assert "Stati Uniti D'America" in form.errors["nazione_nascita"][0]
    form = RichiedenteForm(_place_left_empty(**post), prefix="r")
    assert not form.is_valid() and "nazione_nascita" in form.errors
