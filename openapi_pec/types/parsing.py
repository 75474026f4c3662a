"""Lenient parsing of the API's values, and :class:`Record`: the one ``from_raw`` of every result.

A result is a frozen dataclass whose fields say what they hold; :meth:`Record.from_raw` reads
each field from the raw dict by its name (or by what :func:`source` says) and parses it by its
annotation: ``str`` (None -> ""), ``bool``, ``int | None``, ``Decimal``, dates
``dd/mm/yyyy`` (``dt.date | None``), Unix seconds (``dt.datetime | None``), a spec enum
(``Enum | str``: an unknown value stays the string it came as, logged once), a nested record,
a list of either.  A field named ``raw`` keeps the dict exactly as received.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import threading
import types as pytypes
import typing
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, ClassVar

logger = logging.getLogger("openapi_pec")

__all__ = [
    "Record",
    "Request",
    "Result",
    "format_date",
    "parse_date",
    "parse_iso",
    "parse_timestamp",
    "source",
]

Parser = Callable[[Any], Any]

_seen_unknown: set[tuple[str, str]] = set()
_seen_lock = threading.Lock()


def enum_or_str(enum: type[StrEnum], value: Any, *, upper: bool = False) -> Any:
    """The enum member for ``value``, or the value itself (logged once) when the spec does not
    list it.  ``None``/"" stay as they are."""
    if value is None or value == "":
        return value
    text = str(value)
    if upper:
        text = text.upper()
    try:
        return enum(text)
    except ValueError:
        key = (enum.__name__, text)
        with _seen_lock:
            first = key not in _seen_unknown
            _seen_unknown.add(key)
        if first:
            logger.warning("openapi_pec: unknown %s value %r kept as a string", enum.__name__, text)
        return value


def parse_date(value: Any) -> dt.date | None:
    """``dd/mm/yyyy`` -> date; "" or None -> None; an unparseable value -> None (logged)."""
    if value is None or value == "" or value is False:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.datetime.strptime(str(value).strip(), "%d/%m/%Y").date()
    except ValueError:
        logger.warning("openapi_pec: unparseable date %r", value)
        return None


def format_date(value: dt.date | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def parse_timestamp(value: Any) -> dt.datetime | None:
    """Unix seconds -> aware UTC datetime; 0/""/None -> None."""
    if value in (None, "", 0, False):
        return None
    try:
        return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        logger.warning("openapi_pec: unparseable timestamp %r", value)
        return None


def parse_iso(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def parse_str(value: Any) -> str:
    return "" if value is None or value is False else str(value)


def parse_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    if isinstance(value, list):
        return value
    return [] if value in (None, "", False) else [value]


def source(key: str | tuple[str, ...] | None = None, parse: Parser | None = None) -> dict:
    """The metadata of a field read from another ``key`` (a tuple: a path into nested objects)
    or parsed by ``parse`` instead of by its annotation: ``field(metadata=source(...))``."""
    return {"key": key, "parse": parse}


class Record:
    """Base of the parsed values (frozen dataclasses): see the module's docstring."""

    @classmethod
    def from_raw(cls, raw: Any) -> Any:
        raw = as_dict(raw)
        return cls(**{name: read(raw) for name, read in _readers(cls)})


@dataclasses.dataclass(frozen=True)
class Result(Record):
    """A result of the API: its fields, and the dict exactly as received (``raw``, last and
    by keyword only in the constructor)."""

    raw: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, kw_only=True)


_PARSERS: dict[Any, Parser] = {
    str: parse_str,
    bool: bool,
    int | None: parse_int,
    Decimal: parse_decimal,
    dt.date | None: parse_date,
    dt.datetime | None: parse_timestamp,
}


def _parser_for(record: type[Record], hint: Any, default: Any) -> Parser:
    if hint in _PARSERS:
        return _PARSERS[hint]
    if typing.get_origin(hint) in (list, tuple):
        item = typing.get_args(hint)[0]
        read_item = str if item is str else _parser_for(record, item, dataclasses.MISSING)
        build = list if typing.get_origin(hint) is list else tuple
        return lambda value: build(read_item(x) for x in as_list(value))
    members = typing.get_args(hint) if typing.get_origin(hint) is pytypes.UnionType else (hint,)
    for member in members:
        if isinstance(member, type) and issubclass(member, StrEnum):
            upper = all(m.value == m.value.upper() for m in member)
            parse = functools.partial(enum_or_str, member, upper=upper)
            if default == "":
                return lambda value: parse(value) or ""
            return parse
        if callable(getattr(member, "from_raw", None)):
            return member.from_raw  # a nested record (or the callback)
    raise TypeError(f"{record.__name__}: no parser for {hint!r}")


def _reader(record: type[Record], f: dataclasses.Field, hint: Any) -> Parser:
    if f.name == "raw":
        return lambda raw: raw
    key = f.metadata.get("key") or f.name
    path = key if isinstance(key, tuple) else (key,)
    parse = f.metadata.get("parse") or _parser_for(record, hint, f.default)

    def read(raw: dict[str, Any]) -> Any:
        value: Any = raw
        for step in path:
            value = as_dict(value).get(step)
        return parse(value)

    return read


@functools.cache
def _readers(record: type[Record]) -> tuple[tuple[str, Parser], ...]:
    hints = typing.get_type_hints(record)
    return tuple((f.name, _reader(record, f, hints[f.name])) for f in dataclasses.fields(record))


class Request:
    """Base of the request bodies (dataclasses).  The fields without a default are the ones
    the spec requires, in its order (``REQUIRED``): always sent; the others only when set."""

    REQUIRED: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # before @dataclass runs: a field with a default is a class attribute
        cls.REQUIRED = tuple(name for name in cls.__annotations__ if name not in vars(cls))

    def to_payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.name not in self.REQUIRED and (value is None or value == ""):
                continue
            if isinstance(value, dt.date):
                value = format_date(value)
            elif hasattr(value, "to_dict"):
                value = value.to_dict()
            elif isinstance(value, StrEnum):
                value = str(value)
            out[f.name] = value
        return out
