"""Importing holders and their boxes from the office's spreadsheets (CSV or XLSX).

The file is read with the standard csv module (``;`` or ``,`` sniffed, a BOM dropped, UTF-8 or
Windows-1252) or openpyxl (read-only), its columns recognised by their header (the template's
names, accents and case ignored), and every row judged like the holder form judges it: valid,
already in the portal (skipped: a second import of the same file creates nothing), or invalid
with the reason for each field. Then the valid rows are written all together, or none when the
user asked for "all or nothing" and a row is invalid. A row may also carry a box
(portfolio/services/import_boxes.py): one of another provider is created with its holder; a new
Openapi box waits for the batch registration (portfolio/services/batch_registration.py)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from mailboxes.forms import TitolareForm
from mailboxes.models import Gestore, TipoCasellaChoices, Titolare
from mailboxes.services.address import expected_domain
from portal.search import fold

from ..selectors import normalised_code
from . import columns, export, import_boxes

#: Largest file and most rows accepted (a bigger portfolio goes in several files).
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
#: Cells kept per row and characters per cell (the rest of a garbage file is not read).
MAX_CELLS = 40
MAX_CELL = 1000
#: Blank rows in a row after which the table has ended (a sheet's formatted empty rows; a
#: compressed sheet of millions of them would otherwise be read for minutes).
MAX_BLANK_RUN = 1000

VALID, EXISTING, INVALID = "valida", "presente", "non_valida"
VERDICTS = {
    VALID: gettext_lazy("Da importare"),
    EXISTING: gettext_lazy("Già presente: saltata"),
    INVALID: gettext_lazy("Non valida"),
}
#: The holder's columns and the headers the import recognises: the exports' own
#: (portfolio/services/columns.py), so an export imports back as it is.
HOLDER_COLUMNS = columns.HOLDER
FIELDS = columns.HOLDER_FIELDS
ALIASES = columns.ALIASES


class FileRefused(ValueError):
    """The file cannot be read as a table of holders; the message says why, in Italian."""


@dataclass
class Row:
    number: int  #: the row's number in the file (the header is row 1)
    data: dict[str, str]
    verdict: str = VALID
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: the box columns of the row as read, and as importing writes them (import_boxes)
    box: dict[str, str] = field(default_factory=dict)
    box_clean: dict[str, Any] = field(default_factory=dict)
    action: str = ""  #: what importing does with the box: import_boxes.OTHER or REGISTER
    box_present: bool = False  #: the same box of the same holder is in the portal already
    holder_new: bool = True  #: the row's holder is created by it (not in the portal nor above)
    code: str = ""  #: the holder's codice fiscale, normalised
    price: Decimal = Decimal("0")  #: of the registration it asks for
    holder: Any = None  #: the holder in the portal, when the batch registration reads the row

    @property
    def address(self) -> str:
        return self.box.get("casella_pec", "")

    @property
    def box_label(self) -> str:
        if self.action == import_boxes.REGISTER:
            return _("da registrare su Openapi (%(price)s € + IVA)") % {"price": self.price}
        if self.action == import_boxes.OTHER:
            return _("casella di %(gestore)s, non gestita tramite Openapi") % {
                "gestore": Gestore(self.box_clean["gestore"]).label
            }
        return ""

    @property
    def verdict_label(self) -> str:
        return str(VERDICTS[self.verdict])

    @property
    def name(self) -> str:
        d = self.data
        return d.get("denominazione") or f"{d.get('cognome', '')} {d.get('nome', '')}".strip()


@dataclass
class Preview:
    rows: list[Row]
    unknown_columns: list[str] = field(default_factory=list)

    def count(self, verdict: str) -> int:
        return sum(1 for r in self.rows if r.verdict == verdict)

    @property
    def valid(self) -> int:
        return self.count(VALID)

    @property
    def existing(self) -> int:
        return self.count(EXISTING)

    @property
    def invalid(self) -> int:
        return self.count(INVALID)

    @property
    def to_register(self) -> list[Row]:
        return [r for r in self.rows if r.verdict == VALID and r.action == import_boxes.REGISTER]

    @property
    def registration_total(self) -> Decimal:
        return import_boxes.total_price(self.to_register)

    @property
    def other_boxes(self) -> int:
        return sum(1 for r in self.rows if r.verdict == VALID and r.action == import_boxes.OTHER)


# --------------------------------------------------------------------------- reading


def read_table(content: bytes) -> Iterator[list[Any]]:
    """The rows of an XLSX or CSV file, as lists of cell values."""
    if len(content) > MAX_BYTES:
        raise FileRefused(
            _("Il file è troppo grande: al massimo %(mb)d MB; dividilo in più file.")
            % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    if content[:4] == b"PK\x03\x04":
        return _xlsx_rows(content)
    return _csv_rows(content)


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise FileRefused(
            _("Il file non è un foglio Excel leggibile: salvalo come .xlsx o .csv.")
        ) from None
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        raise FileRefused(_("Il file non ha fogli."))
    # max_col: the sheet's own dimension may claim 16,384 columns, each row padded to them
    return (list(r) for r in sheet.iter_rows(max_col=MAX_CELLS, values_only=True))


def _csv_rows(content: bytes) -> Iterator[list[Any]]:
    if b"\x00" in content[:4096]:
        raise FileRefused(_("Il file non è un CSV né un foglio Excel (.xlsx)."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.removeprefix(codecs.BOM_UTF8).decode("cp1252", errors="replace")
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = ";"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return (row[:MAX_CELLS] for row in reader)


# --------------------------------------------------------------------------- judging


#: Codes Excel turns into numbers, losing their leading zeros: their width.
NUMERIC_CODES = {"cap": 5, "codice_fiscale": 11, "partita_iva": 11}


def _text(value: Any, column: str | None = None) -> str:
    if value is None:
        return ""
    if column in import_boxes.DATE_KEYS:
        return import_boxes.date_text(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and column in NUMERIC_CODES:
        return f"{value:0{NUMERIC_CODES[column]}d}"
    text = str(value).strip()[:MAX_CELL]
    if text.startswith("'") and text[1:].startswith(export.FORMULA_START):
        return text[1:]  # an export's formula kept as text (export.csv_safe)
    return text


def preview(content: bytes) -> Preview:
    """Every row of the file with its verdict and, when invalid, the reason per field."""
    table = read_table(content)
    try:
        header = next(table)
    except StopIteration:
        raise FileRefused(_("Il file è vuoto.")) from None
    except (csv.Error, ValueError):
        raise FileRefused(_("Il file non è un CSV né un foglio Excel (.xlsx).")) from None
    keys = columns.keys_of([fold(_text(h)) for h in header])
    if "codice_fiscale" not in keys:
        raise FileRefused(
            _(
                "Manca la colonna «Codice fiscale»: usa le intestazioni del modello "
                "(scaricalo da questa pagina)."
            )
        )
    unknown = [_text(h) for h, c in zip(header, keys, strict=False) if h and not c]
    rows: list[Row] = []
    blank = 0
    try:
        for number, cells in enumerate(table, start=2):
            data = {c: _text(v, c) for c, v in zip(keys, cells, strict=False) if c}
            if not any(data.values()):
                blank += 1
                if blank >= MAX_BLANK_RUN:
                    break
                continue
            # blank rows count: a file of a few data rows among millions of empty ones is
            # refused as soon as it is known, not after reading them all
            if len(rows) >= MAX_ROWS or number - 1 > MAX_ROWS + MAX_BLANK_RUN:
                raise FileRefused(
                    _("Il file ha più di %(n)d righe: dividilo in più file.") % {"n": MAX_ROWS}
                )
            blank = 0
            box = {k: data.pop(k) for k in list(data) if k in import_boxes.KEYS}
            rows.append(Row(number, data, box=box))
    except FileRefused:
        raise  # a ValueError too, with its own reason
    except (csv.Error, ValueError):
        raise FileRefused(_("Il file non è un CSV né un foglio Excel (.xlsx).")) from None
    _judge(rows)
    return Preview(rows, unknown)


def _judge(rows: list[Row]) -> None:
    # a code with a NUL is in no holder (PostgreSQL refuses it in a query): its row's form says
    codes = {normalised_code(r.data.get("codice_fiscale", "")) for r in rows}
    codes = {c for c in codes if c and "\x00" not in c}
    existing = set()
    for chunk in _chunks(sorted(codes), 900):
        existing.update(
            Titolare.objects.filter(codice_fiscale__in=chunk).values_list(
                "codice_fiscale", flat=True
            )
        )
    boxes = import_boxes.known_boxes(r.address.strip().lower() for r in rows)
    first_seen: dict[str, Row] = {}
    addresses: dict[str, int] = {}
    labels = {f: capfirst(Titolare._meta.get_field(f).verbose_name) for f in FIELDS}
    for row in rows:
        row.code = code = normalised_code(row.data.get("codice_fiscale", ""))
        with_box = import_boxes.has_box(row.box)
        if with_box and not any(row.data.values()):
            row.holder_new = False  # a box without holder (a boxes export's unassigned box)
        elif code in existing:
            row.holder_new = False
        elif code in first_seen and with_box:
            # Another box of a holder a row above brings: that row's holder data count.
            row.holder_new = False
            first = first_seen[code]
            if first.verdict == INVALID:
                row.errors.setdefault(labels["codice_fiscale"], []).append(
                    _("Il titolare è alla riga %(n)d del file, che non è valida.")
                    % {"n": first.number}
                )
        else:
            _judge_holder(row, code, first_seen, labels)
        if with_box:
            import_boxes.judge(row, code, boxes, addresses)
        if row.errors:
            row.verdict = INVALID
        elif not row.holder_new and (row.box_present or not with_box):
            row.verdict = EXISTING


class HolderRowForm(TitolareForm):
    """The holder form's checks for one row, without what a file does not fill (its
    accountants) and without the per-row uniqueness query: the codes already in the portal are
    looked up for the whole file at once (a holder created meanwhile is skipped when the rows
    are written: ignore_conflicts)."""

    class Meta(TitolareForm.Meta):
        fields = FIELDS

    def __init__(self, *args, **kwargs):
        forms.ModelForm.__init__(self, *args, **kwargs)  # TitolareForm's sets up the accountants

    def validate_unique(self):
        pass


def _judge_holder(row: Row, code: str, first_seen: dict[str, Row], labels) -> None:
    form = HolderRowForm(data={"nazione": "IT", **row.data})
    errors = {} if form.is_valid() else form.errors
    for name, messages in errors.items():
        label = labels.get(name, "") if name != "__all__" else ""
        row.errors[label or _("Riga")] = list(messages)
    if code and code in first_seen:
        row.errors.setdefault(labels["codice_fiscale"], []).append(
            _("Codice fiscale ripetuto: è già alla riga %(n)d del file.")
            % {"n": first_seen[code].number}
        )
    elif code:
        first_seen[code] = row
    if not row.errors:
        row.data = {f: form.cleaned_data.get(f) or "" for f in FIELDS}
        row.data["nazione"] = row.data["nazione"] or "IT"
        row.code = row.data["codice_fiscale"]


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --------------------------------------------------------------------------- writing


@dataclass
class Outcome:
    created: int
    skipped: int
    refused: bool = False  #: "all or nothing" and a row is invalid: nothing written
    boxes: int = 0  #: boxes of other providers created
    to_register: int = 0  #: new Openapi boxes waiting for the batch registration


def import_holders(content: bytes, *, only_valid: bool, user=None) -> Outcome:
    """Write the file's valid rows (judged again now: the portal may have changed since the
    preview): all of them, or none when ``only_valid`` is false and a row is invalid. A holder
    created meanwhile by someone else is not duplicated (its codice fiscale is unique), nor a
    box (its address is). The rows asking for a new Openapi box are counted, not registered:
    that is the batch registration's, confirmed with its price."""
    result = preview(content)
    if result.invalid and not only_valid:
        return Outcome(0, result.existing, refused=True)
    valid = [r for r in result.rows if r.verdict == VALID]
    holders = [Titolare(**r.data) for r in valid if r.holder_new]
    others = [r for r in valid if r.action == import_boxes.OTHER]
    with transaction.atomic():
        before = Titolare.objects.count()
        Titolare.objects.bulk_create(holders, batch_size=500, ignore_conflicts=True)
        created = Titolare.objects.count() - before
        boxes = import_boxes.create_other_boxes(others, holder_ids(others), user=user)
    return Outcome(
        created,
        result.existing + len(holders) - created,
        boxes=boxes,
        to_register=len(result.to_register),
    )


def holder_ids(rows: list[Row]) -> dict[str, int]:
    """codice fiscale -> pk of the holders of ``rows`` in the portal."""
    ids: dict[str, int] = {}
    for chunk in _chunks(sorted({r.code for r in rows}), 900):
        found = Titolare.objects.filter(codice_fiscale__in=chunk)
        ids.update(found.values_list("codice_fiscale", "pk"))
    return ids


#: The template's example rows: a company and a person.
EXAMPLES = (
    "IM;SI;Esempio Srl;;;12345670017;12345670017;Via Roma 1;00184;Roma;RM;IT;"
    "info@esempio.it;0612345678;;",
    "PV;;;Rossi;Mario;RSSMRA80A01H501U;;Via Po 2;20121;Milano;MI;IT;;;;",
)


def template_rows() -> list[list[str]]:
    """The template: the header and the example rows: a company with a box at Aruba, a person
    without a box, and the company again asking for a new Openapi box (with its requester)."""
    today = timezone.localdate()
    company, person = (e.split(";") for e in EXAMPLES)
    blank = [""] * len(import_boxes.COLUMNS)
    aruba = dict.fromkeys((c.field for c in import_boxes.COLUMNS), "")
    aruba |= {
        "casella_pec": "esempio@pec.it",
        "gestore": "Aruba",
        "data_scadenza": (today + dt.timedelta(days=365)).strftime("%d/%m/%Y"),
    }
    requester = {
        "cognome": "Rossi",
        "nome": "Mario",
        "codice_fiscale": "RSSMRA80A01H501U",
        "sesso": "M",
        "data_nascita": "01/01/1980",
        "nazione_nascita": "IT",
        "comune_nascita": "Roma",
        "provincia_nascita": "RM",
        "email": "mario.rossi@esempio.it",
        "telefono": "0612345678",
        "tipo_documento": "CARTA_D_IDENTITA",
        "numero_documento": "CA12345AB",
        "documento_rilasciato_da": "Comune di Roma",
        "data_rilascio_documento": (today - dt.timedelta(days=365)).strftime("%d/%m/%Y"),
        "data_scadenza_documento": (today + dt.timedelta(days=5 * 365)).strftime("%d/%m/%Y"),
    }
    new = dict.fromkeys(aruba, "") | {f"r_{k}": v for k, v in requester.items()}
    new |= {
        "casella_pec": f"esempio.srl@{expected_domain(TipoCasellaChoices.STANDARD)}",
        "gestore": "Openapi",
        "tipo_casella": TipoCasellaChoices.STANDARD,
        "autorinnovo": "no",
    }
    fields = [c.field for c in import_boxes.COLUMNS]
    return [
        [str(c.header) for c in columns.TEMPLATE],
        company + [aruba[f] for f in fields],
        person + blank,
        company + [str(new[f]) for f in fields],
    ]
