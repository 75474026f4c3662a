"""The lists as spreadsheets: boxes, holders and expiries as CSV or XLSX, row by row.

Rows are read from the database in chunks (``iterator``) and written as they come: a CSV goes
to the client while it is made (StreamingHttpResponse); an XLSX is written by openpyxl's
write-only workbook to a temporary file and sent from there. Memory stays flat in the number of
rows. CSV is the Italian Excel's: ``;`` between fields, a BOM, dates as dd/mm/yyyy."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from mailboxes.models import Gestore, Stato, TipoCasellaChoices, TipoClienteChoices

#: Rows read from the database at a time.
CHUNK = 2000
DATE_FORMAT = "%d/%m/%Y"


@dataclass(frozen=True)
class Column:
    header: Any  #: a lazy Italian label (the header row is in the reader's language)
    field: str  #: what values_list reads
    show: Callable[[Any], Any] = lambda v: v


def _label(choices) -> Callable[[Any], str]:
    labels = dict(choices)
    return lambda v: str(labels.get(v, v or ""))


def _yes_no(v) -> str:
    return str(_("sì")) if v else str(_("no"))


BOX_COLUMNS = (
    Column(_("Indirizzo"), "casella_pec"),
    Column(_("Tipo"), "tipo_casella"),
    Column(_("Stato"), "stato", _label(Stato.choices)),
    Column(_("Titolare"), "titolare__denominazione"),
    Column(_("Cognome"), "titolare__cognome"),
    Column(_("Nome"), "titolare__nome"),
    Column(_("Codice fiscale del titolare"), "titolare__codice_fiscale"),
    Column(_("Scadenza"), "data_scadenza"),
    Column(_("Attivata il"), "data_attivazione"),
    Column(_("Rinnovo automatico"), "autorinnovo", _yes_no),
    Column(_("Id Openapi"), "remote_id"),
    Column(_("Gestore"), "gestore", _label(Gestore.choices)),
)

#: The holders' columns are the import template's (an export imports back to the same data).
HOLDER_COLUMNS = (
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
)

EXPIRY_COLUMNS = (
    Column(_("Scadenza"), "data_scadenza"),
    Column(_("Indirizzo"), "casella_pec"),
    Column(_("Tipo"), "tipo_casella", _label(TipoCasellaChoices.choices)),
    Column(_("Stato"), "stato", _label(Stato.choices)),
    Column(_("Titolare"), "titolare__denominazione"),
    Column(_("Cognome"), "titolare__cognome"),
    Column(_("Nome"), "titolare__nome"),
    Column(_("Codice fiscale del titolare"), "titolare__codice_fiscale"),
    Column(_("Rinnovo automatico"), "autorinnovo", _yes_no),
    Column(_("Gestore"), "gestore", _label(Gestore.choices)),
)

#: Customer type codes and labels, for the template's notes.
TIPI_CLIENTE = TipoClienteChoices.choices


def rows(qs: QuerySet, columns: Iterable[Column]) -> Iterator[list[Any]]:
    """The header, then one list of values per row of ``qs``, read CHUNK rows at a time."""
    columns = tuple(columns)
    yield [str(c.header) for c in columns]
    shows = [c.show for c in columns]
    for values in qs.values_list(*(c.field for c in columns)).iterator(chunk_size=CHUNK):
        yield [show(v) for show, v in zip(shows, values, strict=True)]


class _Echo:
    """A file-like object whose write() returns what it is given (csv.writer onto a stream)."""

    def write(self, value: str) -> str:
        return value


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime(DATE_FORMAT)
    return str(value)


def csv_chunks(table: Iterable[list[Any]]) -> Iterator[bytes]:
    """The rows as UTF-8 CSV with a BOM and ``;``, a few hundred rows per chunk sent."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff".encode()
    buffer = []
    for row in table:
        buffer.append(writer.writerow([_cell_text(v) for v in row]))
        if len(buffer) >= 500:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def _xlsx_cell(sheet, value: Any):
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "DD/MM/YYYY"
        return cell
    return value


def xlsx_file(table: Iterable[list[Any]], title: str):
    """The rows in an XLSX workbook written row by row (openpyxl write-only mode) to a
    temporary file, returned open at its start."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in table:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    out = tempfile.TemporaryFile()  # noqa: SIM115  (handed to the response, which closes it)
    workbook.save(out)
    out.seek(0)
    return out
