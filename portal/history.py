"""History lines as sentences made in the reader's language.

A line is stored as the catalogue's msgid (the Italian source text) and its parameters, and
becomes text only when shown, in the language active then: an English page shows English lines
whoever wrote them. Callers build a :class:`Sentence` from a marked string (``gettext_lazy``,
``ngettext_lazy`` with the name of the count parameter, or ``gettext_noop``), so
``makemessages`` keeps extracting it. A parameter that is itself translatable (a lazy label, a
nested :class:`Sentence`) is stored as its msgid; an amount or a date as its raw value, formatted
for the reader. Plain values (addresses, names, Openapi's own error text) are stored as given.

Lines written before sentences existed are plain text (``parametri`` null): :func:`parse`
:meth:`Known.parse` recognises the ones that match a known msgid in either language, for the data
migrations.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import admin
from django.db import models
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, ngettext

#: Longest plain parameter kept (an Openapi error message can be long).
MAX_PARAM = 2000


def _source(text: Any) -> tuple[str, str, str]:
    """(msgid, plural msgid, name of the count parameter) of a marked string. A lazy
    translation exposes its arguments through the pickle protocol."""
    if isinstance(text, Promise):
        args = text.__reduce__()[1]
        if isinstance(args[-1], dict) and "singular" in args[-1]:  # ngettext_lazy(s, p, "n")
            return args[-1]["singular"], args[-1]["plural"], str(args[2])
        if args[0] is gettext and len(args[1]) == 1:  # gettext_lazy(msgid)
            return args[1][0], "", ""
        return str(text), "", ""
    return str(text), "", ""


class Sentence:
    """A msgid and its parameters; ``str()`` makes it in the active language."""

    __slots__ = ("count", "msgid", "params", "plural")

    def __init__(self, text: Any, /, **params: Any) -> None:
        self.msgid, self.plural, self.count = _source(text)
        self.params = params

    def encode(self) -> dict[str, Any]:
        """What ``parametri`` stores (the msgid goes in ``messaggio``)."""
        out: dict[str, Any] = {"p": {k: _encode(v) for k, v in self.params.items()}}
        if self.plural:
            out.update(plural=self.plural, count=self.count)
        return out

    @classmethod
    def decode(cls, msgid: str, stored: dict[str, Any]) -> Sentence:
        sentence = cls(msgid)
        sentence.params = {k: _decode(v) for k, v in (stored.get("p") or {}).items()}
        sentence.plural = str(stored.get("plural") or "")
        sentence.count = str(stored.get("count") or "")
        return sentence

    def render(self) -> str:
        values = {k: _text(v) for k, v in self.params.items()}
        if self.plural:
            try:
                number = int(self.params.get(self.count) or 0)
            except (TypeError, ValueError):
                number = 0
            template = ngettext(self.msgid, self.plural, number)
        else:
            template = gettext(self.msgid) if self.msgid else ""
        if not values:
            return template
        try:
            return template % values
        except (KeyError, TypeError, ValueError):
            # A catalogue entry out of step with the stored parameters: the source text.
            try:
                return self.msgid % values
            except (KeyError, TypeError, ValueError):
                return self.msgid

    __str__ = render

    def __repr__(self) -> str:
        return f"Sentence({self.msgid!r}, **{self.params!r})"


class _Label:
    """A stored lazy label: translated when shown."""

    __slots__ = ("msgid",)

    def __init__(self, msgid: str) -> None:
        self.msgid = msgid

    def __str__(self) -> str:
        return gettext(self.msgid)


def _encode(value: Any) -> Any:
    if isinstance(value, Sentence):
        return {"sentence": value.msgid, **value.encode()}
    if isinstance(value, _Label):
        return {"label": value.msgid}
    if isinstance(value, Promise):
        return {"label": _source(value)[0]}
    if isinstance(value, Decimal):
        return {"amount": str(value)}
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return {"date": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return {"list": [_encode(v) for v in value]}
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)[:MAX_PARAM]


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "sentence" in value:
        return Sentence.decode(str(value["sentence"]), value)
    if "label" in value:
        return _Label(str(value["label"]))
    if "amount" in value:
        try:
            return Decimal(str(value["amount"]))
        except InvalidOperation:
            return str(value["amount"])
    if "date" in value:
        try:
            return dt.date.fromisoformat(str(value["date"]))
        except ValueError:
            return str(value["date"])
    if "list" in value:
        return [_decode(v) for v in value["list"]]
    return str(value)


def _text(value: Any) -> Any:
    """A parameter as the reader sees it (numbers stay numbers for %d)."""
    if isinstance(value, Decimal):
        return number_format(value, 2)
    if isinstance(value, dt.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, list):
        return ", ".join(str(_text(v)) for v in value)
    if isinstance(value, (Sentence, _Label)):
        return str(value)
    return "" if value is None else value


def stored(message: Any) -> dict[str, Any]:
    """The fields of a history row for ``message`` (a Sentence, or plain text kept as is)."""
    if isinstance(message, Sentence):
        return {"messaggio": message.msgid, "parametri": message.encode()}
    if isinstance(message, Promise):
        return stored(Sentence(message))
    return {"messaggio": str(message or "")[:MAX_PARAM], "parametri": None}


def text_of(messaggio: str, parametri: dict[str, Any] | None) -> str:
    """A stored line in the active language (a literal text as it is)."""
    if parametri is None:
        return messaggio
    return Sentence.decode(messaggio, parametri).render()


class HistoryLine(models.Model):
    """The text of a history line: a msgid and its parameters, or (``parametri`` null) a
    literal text."""

    messaggio = models.TextField(gettext_lazy("descrizione"), blank=True)
    parametri = models.JSONField(gettext_lazy("parametri"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    @admin.display(description=gettext_lazy("descrizione"))
    def testo(self) -> str:
        """The line in the active language."""
        return text_of(self.messaggio, self.parametri)


# --------------------------------------------------------------------------- older lines

_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


def _pattern(template: str) -> tuple[re.Pattern[str], dict[str, str]] | None:
    kinds: dict[str, str] = {}
    out, pos = [], 0
    for m in _PLACEHOLDER.finditer(template):
        out.append(re.escape(template[pos : m.start()].replace("%%", "%")))
        name, kind = m.group(1), m.group(2)
        if name in kinds:
            out.append(f"(?P={name})")
        else:
            kinds[name] = kind
            out.append(rf"(?P<{name}>-?\d+)" if kind == "d" else rf"(?P<{name}>.*?)")
        pos = m.end()
    out.append(re.escape(template[pos:].replace("%%", "%")))
    try:
        return re.compile("".join(out), re.DOTALL), kinds
    except re.error:
        return None


class Known:
    """The msgids older lines may have been made from, each a msgid or a dict with ``msgid``,
    optionally ``plural`` and ``count`` (an ngettext), ``types`` (parameter name -> ``amount``,
    ``date`` or ``list``; other ``%s`` parameters are kept as text unless they read as a known
    msgid themselves) and ``part`` (true for a fragment or a label, found only inside a line).
    """

    def __init__(self, entries, languages=("it", "en")) -> None:
        self.forms: list[tuple[int, re.Pattern[str], dict[str, str], dict[str, Any]]] = []
        for entry in entries:
            spec = entry if isinstance(entry, dict) else {"msgid": entry}
            for language in languages:
                with translation.override(language):
                    if spec.get("plural"):
                        texts = {ngettext(spec["msgid"], spec["plural"], n) for n in (1, 2, 5)}
                    else:
                        texts = {gettext(spec["msgid"])}
                for text in texts:
                    built = _pattern(text)
                    literal = len(_PLACEHOLDER.sub("", text))
                    if built and literal:  # a bare placeholder would match anything
                        self.forms.append((literal, built[0], built[1], spec))
        # The most specific template first (a bare label after the sentences containing it).
        self.forms.sort(key=lambda f: -f[0])

    def parse(self, text: str, *, part: bool = False) -> Sentence | None:
        """The sentence a whole line (or, with ``part``, a parameter) was made from, in any of
        the languages, or None."""
        for _literal, pattern, kinds, spec in self.forms:
            if spec.get("part") and not part:
                continue
            match = pattern.fullmatch(text)
            if not match:
                continue
            types = spec.get("types") or {}
            params = {
                name: int(match.group(name))
                if kind == "d"
                else self.value(match.group(name), types.get(name, ""))
                for name, kind in kinds.items()
            }
            sentence = Sentence(spec["msgid"], **params)
            if spec.get("plural"):
                sentence.plural, sentence.count = spec["plural"], spec.get("count", "n")
            return sentence
        return None

    def value(self, raw: str, kind: str) -> Any:
        """A ``%s`` parameter read back from an older line."""
        if kind == "amount":
            return _amount(raw)
        if kind == "date":
            return _date(raw)
        if kind == "list":
            parts = [self.parse(p, part=True) for p in raw.split(", ")]
            if raw and all(parts):
                return [_Label(p.msgid) if not p.params else p for p in parts]
            return raw
        nested = self.parse(raw, part=True) if raw else None
        if nested is None:
            return raw
        return _Label(nested.msgid) if not nested.params and not nested.plural else nested


def _amount(raw: str) -> Any:
    """An amount as number_format(x, 2) wrote it in either language (1.234,50 or 1,234.50)."""
    match = re.fullmatch(r"(-?[\d.,]*?)[.,](\d\d)", raw)
    if not match:
        return raw
    try:
        return Decimal(f"{re.sub(r'[.,]', '', match.group(1)) or 0}.{match.group(2)}")
    except InvalidOperation:
        return raw


def _date(raw: str) -> Any:
    """A date as older lines wrote it in either language (dd/mm/yyyy)."""
    try:
        return dt.datetime.strptime(raw, "%d/%m/%Y").date()
    except ValueError:
        return raw


def convert(model, known: Known, *, batch: int = 2000) -> int:
    """Store as sentences the plain-text lines of ``model`` that read as a known msgid (the
    others stay literal), in batches by primary key. Returns how many were converted."""
    lines = model._default_manager.filter(parametri__isnull=True).order_by("pk")
    parsed: dict[str, Sentence | None] = {}
    converted, last = 0, 0
    while rows := list(lines.filter(pk__gt=last).values_list("pk", "messaggio")[:batch]):
        changed = []
        for pk, text in rows:
            if text not in parsed:
                if len(parsed) > 50_000:  # many distinct texts: keep memory bounded
                    parsed.clear()
                parsed[text] = known.parse(text)
            if parsed[text] is not None:
                changed.append(model(pk=pk, **stored(parsed[text])))
        model._default_manager.bulk_update(changed, ["messaggio", "parametri"], batch_size=500)
        converted += len(changed)
        last = rows[-1][0]
    return converted
