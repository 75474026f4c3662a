"""Checks of the data POST /pec needs, each with its own Italian message.

Codice fiscale and partita IVA go through python-stdnum (checksum, format); the requester's
codice fiscale must also agree with the name, surname, birth date and sex typed in the form.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

from codicefiscale.codicefiscale import get_indexed_data
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.it import codicefiscale, iva

from .italy import ESTERO, NAZIONI, PROVINCE

CAP_RE = re.compile(r"^\d{5}$")
PHONE_RE = re.compile(r"^\+?[0-9]{6,15}$")
VOWELS = set("AEIOU")
#: omocodia: the letters that replace digits in a codice fiscale shared by two people
OMOCODIA = str.maketrans("LMNPQRSTUV", "0123456789")


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
    cf: str,
    *,
    nome: str,
    cognome: str,
    data_nascita: dt.date | None,
    sesso: str,
    nazione_nascita: str = "",
) -> list[str]:
    """The fields that disagree with a (valid) codice fiscale: 'cognome', 'nome',
    'data_nascita', 'sesso', 'nazione_nascita' (Italy for a code of one born abroad; the
    comune is not compared: its name is written in too many ways)."""
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
    if nazione_nascita == "IT" and number[11:12] == "Z":
        out.append("nazione_nascita")
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


@functools.cache
def _belfiore() -> dict[str, list[dict]]:
    """The comuni and foreign countries by cadastral code, read once (the library rebuilds its
    index, names included, at each call: about a second)."""
    return get_indexed_data()["codes"]


def _on(record: dict, key: str) -> dt.date | None:
    value = record.get(key) or ""
    return dt.date.fromisoformat(value[:10]) if value else None


def birthplace_from_cf(cf: str, born: dt.date | None) -> dict[str, str]:
    """Where a person was born, from the cadastral (Belfiore) code of a valid codice fiscale,
    as python-codicefiscale's ISTAT tables know it: for a comune, its name (the one it had on
    ``born``: a code may have named several comuni over time) and its province's sigla; for a
    foreign country, the province "EE" and the country's Italian name in ``paese`` (the tables
    give no ISO code). Empty when the code is unknown."""
    code = cf[11] + cf[12:15].translate(OMOCODIA)
    records = _belfiore().get(code) or []
    if not records:
        return {}
    if code.startswith("Z"):
        return {"provincia_nascita": ESTERO, "paese": records[0]["name"]}
    on_date = [
        r
        for r in records
        if born
        and (_on(r, "date_created") or dt.date.min)
        <= born
        <= (_on(r, "date_deleted") or dt.date.max)
    ]
    current = [r for r in records if r.get("active")]
    record = (on_date or current or records[-1:])[0]
    out = {"comune_nascita": record["name"], "nazione_nascita": "IT"}
    # the province as it was, else as it is now (Forlì: FO until 1992, now FC)
    for candidate in (record, *current):
        if candidate["province"] in PROVINCE:
            out["provincia_nascita"] = candidate["province"]
            break
    return out


def derived_from_cf(value: str, born: dt.date | None = None) -> dict[str, object]:
    """What a person's codice fiscale tells: birth date, sex and birth place (see
    ``birthplace_from_cf``; the place as it was on ``born`` when given, else on the date the
    code tells). Empty when the code is not a valid personal one."""
    try:
        cf = codicefiscale.validate(value or "")
    except StdnumError:
        return {}
    if len(cf) != 16:
        return {}
    read = codicefiscale.get_birth_date(cf)
    derived: dict[str, object] = {"data_nascita": read, "sesso": codicefiscale.get_gender(cf)}
    derived.update(birthplace_from_cf(cf, born or read))
    return derived
