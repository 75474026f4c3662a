"""Checks of the data POST /comunica_pec needs, each with its own Italian message.

Codice fiscale and partita IVA go through python-stdnum (format and check character).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.it import codicefiscale, iva

PROVINCIA_RE = re.compile(r"^[A-Z]{2}$")
CELLULARE_RE = re.compile(r"^\+?[0-9]{6,15}$")


def clean_code(value: str) -> str:
    """Upper case, without spaces, dots and dashes (and a leading ``IT`` of a VAT number)."""
    return re.sub(r"[\s.\-]", "", value or "").upper()


def validate_codice_fiscale(value: str) -> str:
    """A person's codice fiscale: 16 characters with a valid check character."""
    number = clean_code(value)
    if len(number) != 16:
        raise ValidationError(
            _("Il codice fiscale di una persona ha 16 caratteri."), code="cf_length"
        )
    try:
        return codicefiscale.validate(number)
    except StdnumError:
        raise ValidationError(
            _("Il codice fiscale non è valido: il carattere di controllo non torna."),
            code="cf_checksum",
        ) from None


def validate_cf_piva(value: str) -> str:
    """A company's partita IVA / numeric codice fiscale (11 digits, stdnum.it.iva), or the
    codice fiscale of a sole proprietor (16 characters, stdnum.it.codicefiscale)."""
    number = clean_code(value)
    if len(number) == 13 and number.startswith("IT"):
        number = number[2:]
    if len(number) == 11:
        if not number.isdigit():
            raise ValidationError(_("La partita IVA ha 11 cifre."), code="piva_format")
        try:
            return iva.validate(number)
        except StdnumError:
            raise ValidationError(
                _("La partita IVA non è valida (cifra di controllo errata)."),
                code="piva_checksum",
            ) from None
    if len(number) == 16:
        return validate_codice_fiscale(number)
    raise ValidationError(
        _("Indicare la partita IVA (11 cifre) o il codice fiscale (16 caratteri) dell'impresa."),
        code="cf_piva_length",
    )


def validate_provincia(value: str) -> str:
    sigla = (value or "").strip().upper()
    if not PROVINCIA_RE.match(sigla):
        raise ValidationError(
            _("Indicare la sigla della provincia, di due lettere (es. RM)."), code="provincia"
        )
    return sigla


def validate_cellulare(value: str) -> str:
    number = re.sub(r"[\s./\-()]", "", value or "")
    if not CELLULARE_RE.match(number):
        raise ValidationError(
            _("Il numero di cellulare deve contenere solo cifre (da 6 a 15), con + iniziale."),
            code="cellulare",
        )
    return number
