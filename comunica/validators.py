"""Checks of the data POST /comunica_pec needs, each with its own Italian message.

The tax codes go through the same checks as the holders' (mailboxes/validators.py, python-stdnum
for format and check character); only the wording that names the company's fields is ours.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mailboxes.italy import PROVINCE
from mailboxes.validators import clean_cf as clean_code
from mailboxes.validators import validate_codice_fiscale_persona as validate_codice_fiscale
from mailboxes.validators import validate_partita_iva

__all__ = [
    "clean_code",
    "validate_cellulare",
    "validate_cf_piva",
    "validate_codice_fiscale",
    "validate_provincia",
]

CELLULARE_RE = re.compile(r"^\+?[0-9]{6,15}$")


def validate_cf_piva(value: str) -> str:
    """A company's partita IVA / numeric codice fiscale (11 digits, stdnum.it.iva), or the
    codice fiscale of a sole proprietor (16 characters, stdnum.it.codicefiscale)."""
    number = clean_code(value)
    if len(number) == 13 and number.startswith("IT"):
        number = number[2:]
    if len(number) == 11:
        return validate_partita_iva(number)
    if len(number) == 16:
        return validate_codice_fiscale(number)
    raise ValidationError(
        _("Indicare la partita IVA (11 cifre) o il codice fiscale (16 caratteri) dell'impresa."),
        code="cf_piva_length",
    )


def validate_provincia(value: str) -> str:
    sigla = (value or "").strip().upper()
    if sigla not in PROVINCE:
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
