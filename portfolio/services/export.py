"""The lists as spreadsheets: boxes, holders and expiries as CSV or XLSX, row by row.

Rows are read from the database in chunks (``iterator``) and written as they come: a CSV goes
to the client while it is made (StreamingHttpResponse); an XLSX is written by openpyxl's
write-only workbook to a temporary file and sent from there. Memory stays flat in the number of
rows. CSV is the Italian Excel's: ``;`` between fields, a BOM, dates as dd/mm/yyyy."""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from . import columns
from .columns import Column

#: Rows read from the database at a time.
CHUNK = 2000
DATE_FORMAT = "%d/%m/%Y"


#: The files' columns: one vocabulary with the import (portfolio/services/columns.py), so an
#: export of the boxes or of the holders imports back as it is.
BOX_COLUMNS = columns.BOXES_EXPORT
HOLDER_COLUMNS = columns.HOLDERS_EXPORT
EXPIRY_COLUMNS = columns.EXPIRIES_EXPORT


def rows(qs: QuerySet, chosen: Iterable[Column]) -> Iterator[list[Any]]:
    """The header, then one list of values per row of ``qs``, read CHUNK rows at a time."""
    chosen = tuple(chosen)
    yield [str(c.header) for c in chosen]
    shows = [c.show for c in chosen]
    for values in qs.values_list(*(c.read for c in chosen)).iterator(chunk_size=CHUNK):
        yield [show(v) for show, v in zip(shows, values, strict=True)]


#: How a cell a spreadsheet computes starts (a holder named "=HYPERLINK(...)" in a file of
#: clients, typed in a form or imported, must reach the office's Excel as text).
FORMULA_START = ("=", "+", "-", "@")
#: A number or a telephone (-12.50, +39 06 1234567): shown as it is, never a formula.
_NUMBER_LIKE = re.compile(r"[+-]?[\d\s().,/]*\Z")


def csv_safe(text: str) -> str:
    """``text`` as a CSV cell Excel shows and does not run: a ``'`` before what would start a
    formula (the import drops it again: portfolio/services/importing.py)."""
    if text.startswith(FORMULA_START) and not _NUMBER_LIKE.match(text):
        return "'" + text
    return text


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
        buffer.append(writer.writerow([csv_safe(_cell_text(v)) for v in row]))
        if len(buffer) >= 500:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def _xlsx_cell(sheet, value: Any):
    if value == "":
        return None  # an empty cell is not written (the boxes export has many)
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "DD/MM/YYYY"
        return cell
    if isinstance(value, str):
        # control characters a stored text may hold (a form takes them): XML cannot, and
        # openpyxl refused the whole file (a server error)
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):  # openpyxl writes it as a formula: text, as stored
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
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
