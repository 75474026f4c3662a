"""The portfolio's column vocabulary, declared once: the header of every column the exports
write and the import reads, and the import's key behind it.

The exports (portfolio/services/export.py) write these headers; the import
(portfolio/services/importing.py, import_boxes.py) recognises a column by the same header, in
any of the portal's languages (the export's header row is in its reader's language), accents
and case ignored. So an export of the boxes or of the holders imports back as it is: a row
already in the portal is skipped, a missing holder or box of another provider is created.

A column's ``field`` is the import's key (the holder's field, or the box's); ``source`` is what
the export reads (``values_list``) when it is not ``field`` (``titolare__cognome`` in the boxes
export)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from mailboxes.choices import Gestore, Stato, TipoCasellaChoices
from mailboxes.forms import RichiedenteForm
from mailboxes.models import Richiedente
from portal.search import fold


@dataclass(frozen=True)
class Column:
    header: Any  #: a lazy Italian label (the header row is in the reader's language)
    field: str  #: the import's key (the holder's or the box's field)
    show: Callable[[Any], Any] = lambda v: v  #: the exported value, from what is read
    source: str = ""  #: what the export reads, when not ``field``

    @property
    def read(self) -> str:
        return self.source or self.field


def _label(choices) -> Callable[[Any], str]:
    labels = dict(choices)
    return lambda v: str(labels.get(v, v or ""))


def _yes_no(v) -> str:
    return str(_("sì")) if v else str(_("no"))


# --------------------------------------------------------------------------- holders

#: The holder's columns: the holders export, the boxes export (its holder) and the template.
#: "Sottotipo (altro)" is last: files made on the template before it came still line up.
HOLDER = (
    Column(_("Tipo cliente"), "tipo_cliente"),
    Column(_("Sottotipo"), "sottotipo_cliente"),
    Column(_("Ragione sociale"), "denominazione"),
    Column(_("Cognome"), "cognome"),
    Column(_("Nome"), "nome"),
    Column(_("Codice fiscale"), "codice_fiscale"),
    Column(_("Partita IVA"), "partita_iva"),
    Column(_("Indirizzo"), "indirizzo"),
    Column(_("CAP"), "cap"),
    Column(_("Comune"), "comune"),
    Column(_("Provincia"), "provincia"),
    Column(_("Nazione"), "nazione"),
    Column(_("E-mail"), "email"),
    Column(_("Telefono"), "telefono"),
    Column(_("Note"), "note"),
    Column(_("Sottotipo (altro)"), "sottotipo_cliente_altro"),
)
HOLDER_FIELDS = [c.field for c in HOLDER]


def of_holder(columns: Iterable[Column]) -> tuple[Column, ...]:
    """``columns`` read through a box's holder (the boxes export)."""
    return tuple(replace(c, source=f"titolare__{c.field}") for c in columns)


def _holder(field: str) -> Column:
    return next(c for c in HOLDER if c.field == field)


# --------------------------------------------------------------------------- boxes

ADDRESS = Column(_("Casella PEC"), "casella_pec")
PROVIDER = Column(_("Gestore"), "gestore", _label(Gestore.choices))
TYPE = Column(_("Tipo casella"), "tipo_casella")
EXPIRY = Column(_("Scadenza"), "data_scadenza")
AUTORENEW = Column(_("Rinnovo automatico"), "autorinnovo", _yes_no)
#: What the boxes export shows and the import reads without writing it: the portal or Openapi
#: keep these (an Openapi id tells the import that the box is registered already).
STATE = Column(_("Stato"), "stato", _label(Stato.choices))
ACTIVATED = Column(_("Attivata il"), "data_attivazione")
REMOTE_ID = Column(_("Id Openapi"), "remote_id")
INFO_KEYS = {STATE.field, ACTIVATED.field, REMOTE_ID.field}

#: The box columns of an import row.
BOX = (ADDRESS, PROVIDER, TYPE, EXPIRY, AUTORENEW)

#: The requester's columns (a new Openapi box only): "Richiedente: <its label>".
REQUESTER_FIELDS = RichiedenteForm._meta.fields
#: Labels clearer than the model's out of the registration form's context.
REQUESTER_LABELS = {
    "documento_rilasciato_da": _("Documento rilasciato da"),
    "data_rilascio_documento": _("Documento rilasciato il"),
    "data_scadenza_documento": _("Documento valido fino al"),
}
REQUESTER = tuple(
    Column(
        format_lazy(
            "{}: {}",
            _("Richiedente"),
            REQUESTER_LABELS.get(f) or capfirst(Richiedente._meta.get_field(f).verbose_name),
        ),
        f"r_{f}",
    )
    for f in REQUESTER_FIELDS
)

# --------------------------------------------------------------------------- the files

#: The boxes export: the box, then its holder's columns (a box's row imports its holder too).
BOXES_EXPORT = (ADDRESS, PROVIDER, TYPE, STATE, EXPIRY, ACTIVATED, AUTORENEW, REMOTE_ID)
BOXES_EXPORT += of_holder(HOLDER)
#: The holders export: the template's holder columns.
HOLDERS_EXPORT = HOLDER
#: The expiries export: for reading (the boxes export is the one to import).
EXPIRIES_EXPORT = (
    EXPIRY,
    ADDRESS,
    replace(TYPE, show=_label(TipoCasellaChoices.choices)),
    STATE,
    *of_holder(_holder(f) for f in ("denominazione", "cognome", "nome", "codice_fiscale")),
    AUTORENEW,
    PROVIDER,
)
#: The import template: the holder, its box, the requester of a new Openapi box.
TEMPLATE = HOLDER + BOX + REQUESTER
#: Every column an import recognises.
IMPORTED = (*TEMPLATE, STATE, ACTIVATED, REMOTE_ID)


def _in_every_language(make: Callable[[], dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out |= make()
    with translation.override(settings.LANGUAGE_CODE):
        out |= make()  # the portal's own language wins a clash
    return out


#: A header, folded -> the import's key: the columns' headers in every language, the fields'
#: names, and a few names offices use.
ALIASES = _in_every_language(lambda: {fold(str(c.header)): c.field for c in IMPORTED})
ALIASES |= {fold(f.replace("_", " ")): f for f in HOLDER_FIELDS}
ALIASES |= {"cf": "codice_fiscale", "p iva": "partita_iva", "piva": "partita_iva"}
ALIASES |= {"denominazione": "denominazione", "email": "email", "cellulare": "telefono"}
ALIASES |= {
    "codice fiscale del titolare": "codice_fiscale",
    "holders codice fiscale": "codice_fiscale",
}
ALIASES |= {
    "pec": "casella_pec",
    "indirizzo pec": "casella_pec",
    "casella": "casella_pec",
    "provider": "gestore",
    "data scadenza": "data_scadenza",
    "scadenza casella": "data_scadenza",
}
#: A provider, folded (its value, or its name in any language) -> its value.
PROVIDERS = _in_every_language(
    lambda: {fold(v): v for v in Gestore.values} | {fold(lb): v for v, lb in Gestore.choices}
)
#: A box type, folded (its value, or its name in any language) -> its value.
TYPES = _in_every_language(
    lambda: (
        {fold(v): v for v in TipoCasellaChoices.values}
        | {fold(lb): v for v, lb in TipoCasellaChoices.choices}
    )
)

#: The boxes export before this vocabulary (files offices already keep): "Indirizzo" was the
#: box's address (not the street), "Tipo" its type, "Titolare" its holder's name; it is told
#: by its "Codice fiscale del titolare" column.
LEGACY_MARKS = {"codice fiscale del titolare", "holders codice fiscale"}
LEGACY_BOXES = {"indirizzo": "casella_pec", "tipo": "tipo_casella", "titolare": "denominazione"}
LEGACY_BOXES |= {"address": "casella_pec", "type": "tipo_casella", "holder": "denominazione"}


def keys_of(headers: list[str]) -> list[str | None]:
    """The import's key of each folded header of a file (None: a column it ignores)."""
    keys = [ALIASES.get(h) for h in headers]
    if LEGACY_MARKS & set(headers) and "casella_pec" not in keys:
        keys = [LEGACY_BOXES.get(h, k) for h, k in zip(headers, keys, strict=True)]
    return keys
