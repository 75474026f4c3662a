"""Checks of the data POST /pec needs, each with its own Italian message.

Codice fiscale and partita IVA go through python-stdnum (checksum, format); the requester's
codice fiscale must also agree with the name, surname, birth date and sex typed in the form.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.it import codicefiscale, iva

from .italy import ESTERO, NAZIONI, PROVINCE

CAP_RE = re.compile(r"^\d{5}$")
PHONE_RE = re.compile(r"^\+?[0-9]{6,15}$")
VOWELS = set("AEIOU")


def clean_cf(value: str) -> str:
    return re.sub(r"[\s.-]", "", value or "").upper()


def _checksum(module, number: str, message, code: str) -> str:
    """``number`` as python-stdnum's ``module`` validates it, or ``message``."""
    try:
        return module.validate(number)
    except StdnumError:
        raise ValidationError(message, code=code) from None


def validate_codice_fiscale_persona(value: str) -> str:
    """A person's 16-character codice fiscale with a valid check character."""
    number = clean_cf(value)
    if len(number) != 16:
        raise ValidationError(
            _("Il codice fiscale di una persona ha 16 caratteri."), code="cf_length"
        )
    return _checksum(
        codicefiscale,
        number,
        _("Il codice fiscale non è valido: il carattere di controllo non torna."),
        "cf_checksum",
    )


def validate_cf_or_piva(value: str) -> str:
    """A holder's tax code: a person's codice fiscale (16) or a company's (11 digits)."""
    number = clean_cf(value)
    if len(number) == 11:
        if not number.isdigit():
            raise ValidationError(
                _("Il codice fiscale di un'impresa ha 11 cifre."), code="cf_format"
            )
        return _checksum(
            iva,
            number,
            _("Il codice fiscale o la partita IVA non è valido (cifra di controllo errata)."),
            "piva_checksum",
        )
    if len(number) == 16:
        return validate_codice_fiscale_persona(number)
    raise ValidationError(
        _("Il codice fiscale ha 16 caratteri (persona) o 11 cifre (impresa)."), code="cf_length"
    )


def validate_partita_iva(value: str) -> str:
    number = re.sub(r"[\s.-]", "", value or "").upper().removeprefix("IT")
    if not (len(number) == 11 and number.isdigit()):
        raise ValidationError(_("La partita IVA ha 11 cifre."), code="piva_format")
    return _checksum(
        iva, number, _("La partita IVA non è valida (cifra di controllo errata)."), "piva_checksum"
    )


def _letters(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in text.upper() if "A" <= c <= "Z")


def _cf_code(text: str, *, first_name: bool = False) -> str:
    """The three letters of a codice fiscale for a surname or a name: consonants, then vowels,
    then X; a name of four consonants or more skips the second."""
    letters = _letters(text)
    consonants = [c for c in letters if c not in VOWELS]
    vowels = [c for c in letters if c in VOWELS]
    if first_name and len(consonants) >= 4:
        consonants = [consonants[0], consonants[2], consonants[3]]
    return ("".join(consonants + vowels) + "XXX")[:3]


def cf_surname_code(surname: str) -> str:
    return _cf_code(surname)


def cf_name_code(name: str) -> str:
    return _cf_code(name, first_name=True)


def cf_mismatches(
    cf: str, *, nome: str, cognome: str, data_nascita: dt.date | None, sesso: str
) -> list[str]:
    """The fields that disagree with a (valid) codice fiscale: 'cognome', 'nome',
    'data_nascita', 'sesso'."""
    number = clean_cf(cf)
    out = []
    if cognome and number[0:3] != cf_surname_code(cognome):
        out.append("cognome")
    if nome and number[3:6] != cf_name_code(nome):
        out.append("nome")
    if (
        data_nascita
        and _read(codicefiscale.get_birth_date, number, minyear=data_nascita.year - 50)
        != data_nascita
    ):
        out.append("data_nascita")
    if sesso and _read(codicefiscale.get_gender, number) != sesso:
        out.append("sesso")
    return out


def _read(get, number: str, **kwargs):
    """A fact python-stdnum reads from a codice fiscale, or None where it cannot."""
    try:
        return get(number, **kwargs)
    except (StdnumError, ValueError):
        return None


def validate_cap(value: str) -> str:
    if not CAP_RE.match(value or ""):
        raise ValidationError(_("Il CAP ha 5 cifre."), code="cap")
    return value


def _known_code(value: str, known, refusal: str, code: str) -> str:
    """``value`` in upper case, if it is one of the ``known`` codes."""
    found = (value or "").strip().upper()
    if found not in known:
        raise ValidationError(refusal, code=code)
    return found


def validate_provincia(value: str, *, allow_estero: bool = True) -> str:
    if allow_estero and (value or "").strip().upper() == ESTERO:
        return ESTERO
    refusal = _("Sigla di provincia sconosciuta: usa due lettere (es. RM, MI), EE per l'estero.")
    return _known_code(value, PROVINCE, refusal, "provincia")


def validate_nazione(value: str) -> str:
    refusal = _("Codice nazione sconosciuto: usa il codice di due lettere (es. IT).")
    return _known_code(value, NAZIONI, refusal, "nazione")


def clean_phone(value: str) -> str:
    return re.sub(r"[\s./()-]", "", value or "")


def validate_phone(value: str) -> str:
    number = clean_phone(value)
    if not PHONE_RE.match(number):
        raise ValidationError(
            _("Numero di telefono non valido: da 6 a 15 cifre, eventualmente con + davanti."),
            code="phone",
        )
    return number


def validate_past(value: dt.date) -> dt.date:
    if value and value >= dt.date.today():
        raise ValidationError(_("La data deve essere nel passato."), code="not_past")
    return value


def validate_future(value: dt.date) -> dt.date:
    if value and value <= dt.date.today():
        raise ValidationError(_("La data deve essere nel futuro."), code="not_future")
    return value


def derived_from_cf(value: str) -> dict[str, object]:
    """What a person's codice fiscale tells: birth date, sex and, for one born abroad, the
    province "EE" (a comune needs the cadastral table, which the portal does not hold). Empty
    when the code is not a valid personal one."""
    try:
        cf = codicefiscale.validate(value or "")
    except StdnumError:
        return {}
    if len(cf) != 16:
        return {}
    derived: dict[str, object] = {
        "data_nascita": codicefiscale.get_birth_date(cf),
        "sesso": codicefiscale.get_gender(cf),
    }
    if cf[11] == "Z":  # a foreign country's code instead of a comune's
        derived["provincia_nascita"] = ESTERO
    return derived
