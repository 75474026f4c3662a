"""What the sandbox's modules share: the API error, id and date formats, records as the API shows
them, and the documents a call uploads."""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import io
import re
import secrets
import time
from typing import Any

ID_RE = re.compile(r"^[0-9a-f]{24}$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$")
DOMAIN_RE = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
DATE_FIELDS = (
    "data_nascita_richiedente",
    "data_scadenza_documento",
    "data_rilascio_documento",
)


class ApiError(Exception):
    """A refusal as the API gives it: the spec's HTTP status and error number (the numbers the
    spec does not give are marked [I] where raised: invented, in the spec's numbering
    neighbourhood); ``plain`` for the text/plain answers of the PDF endpoints."""

    def __init__(self, status: int, message: str, error: int | None = None, plain=False):
        super().__init__(message)
        self.status, self.message, self.error, self.plain = status, message, error, plain


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def fmt_date(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def parse_date(d: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(d, "%d/%m/%Y").date()
    except (TypeError, ValueError):
        return None


def add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def noon_timestamp(d: dt.date) -> int:
    return int(dt.datetime(d.year, d.month, d.day, 12, tzinfo=dt.UTC).timestamp())


def new_id() -> str:
    return f"{int(time.time()):08x}{secrets.token_hex(8)}"


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat(timespec="seconds")


def public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}


def decode_documents(value: Any, missing: tuple[int, str, int]) -> list[bytes]:
    """``documenti`` as string or list of base64 strings -> bytes; missing -> ApiError."""
    items = [value] if isinstance(value, str) else value
    if not items or not isinstance(items, list) or not all(isinstance(x, str) and x for x in items):
        raise ApiError(*missing)
    out = []
    for item in items:
        if item.startswith("data:"):  # the API takes plain base64 only
            raise ApiError(406, "wrong file format, plain base64 required", 296)
        try:
            out.append(base64.b64decode(item, validate=True))
        except (binascii.Error, ValueError):
            raise ApiError(406, "wrong file format, base64 required", 296) from None
    return out


def pdf_text(data: bytes) -> str | None:
    """The text of a PDF, or None when ``data`` is not a readable PDF."""
    if b"%PDF-" not in data[:1024]:
        return None
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted or not reader.pages:
            return None
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    except Exception:
        return None
