"""Reads of the mailboxes app, always scoped to what the user may see."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import roles
from portal import search
from portal.remote_calls import OPEN_STATES

from .choices import NEEDS_ACTION
from .models import CallKind, Casella, Documento, Stato, Titolare

SORTS = {
    "indirizzo": "casella_pec",
    "-indirizzo": "-casella_pec",
    "titolare": "titolare__denominazione",
    "-titolare": "-titolare__denominazione",
    "stato": "stato",
    "-stato": "-stato",
    "tipo": "tipo_casella",
    "-tipo": "-tipo_casella",
    "scadenza": "data_scadenza",
    "-scadenza": "-data_scadenza",
    "creata": "created_at",
    "-creata": "-created_at",
}


def _scoped(qs: QuerySet, user, accountant: str) -> QuerySet:
    """All of ``qs`` for office staff; an accountant's own (the field ``accountant`` names the
    holder's accountants); nothing for the others."""
    if roles.is_office(user):
        return qs
    if roles.is_accountant(user):
        return qs.filter(**{accountant: user})
    return qs.none()


def titolari_for(user) -> QuerySet[Titolare]:
    return _scoped(Titolare.objects.all(), user, "commercialisti")


def caselle_for(user) -> QuerySet[Casella]:
    return _scoped(Casella.objects.select_related("titolare"), user, "titolare__commercialisti")


def documenti_for(user) -> QuerySet[Documento]:
    return Documento.objects.filter(casella__in=caselle_for(user))


def _search_filter(q: str) -> Q:
    """Boxes for which every word of ``q`` is in the address, in the holder's searchable text
    or starts the requester's codice fiscale.

    Each box carries those in its own row (``search_text``, ``richiedente_cf``: see
    mailboxes/box_search.py), so each word is one condition on the boxes table, served by its
    trigram index on PostgreSQL, and the words' conditions are ANDed on the same rows."""
    cond = Q()
    for word in search.words(q):
        found = Q(search_text__contains=word)
        if word.isalnum():
            found |= Q(richiedente_cf__startswith=word)
        cond &= found
    return cond


def with_turno(qs: QuerySet[Casella]) -> QuerySet[Casella]:
    """Boxes annotated with whether their holder has an accountant (whose move it is, see
    ``Casella.turno``), without a query per row.

    A scalar subquery looked up for each box of the page (one index probe each), not EXISTS:
    PostgreSQL turns an EXISTS into a hash of every holder-accountant link, built before the
    page's first row (66,000 links, 12–40 ms per page at a million boxes)."""
    assigned = (
        Titolare.commercialisti.through.objects.filter(titolare_id=OuterRef("titolare_id"))
        .annotate(yes=Value(True, output_field=models.BooleanField()))
        .values("yes")[:1]
    )
    return qs.annotate(
        con_commercialista=Coalesce(
            Subquery(assigned), Value(False), output_field=models.BooleanField()
        )
    )


def needs_action_filter() -> Q:
    """Boxes someone has to act on: by status (:data:`NEEDS_ACTION`) or without a holder."""
    return Q(stato__in=NEEDS_ACTION) | Q(titolare__isnull=True)


def search_caselle(user, *, sort: str = "", **filters) -> QuerySet[Casella]:
    """The boxes list, filtered (:func:`filter_caselle`) and in the order of ``sort`` (ties
    broken by pk in the same direction, so that one index serves both the order and keyset
    pagination)."""
    return filter_caselle(user, **filters).order_by(*sort_order(sort))


#: The box list's filters: the fields of its form (FiltriForm), the parameters of filter_caselle.
FILTERS = ("q", "stato", "tipo", "titolare", "scadenza_entro", "azione")


def caselle_filtered(user, values: dict) -> QuerySet[Casella]:
    """:func:`filter_caselle` with the values of the list's filters form (those it lacks: no
    filter)."""
    return filter_caselle(user, **{name: values[name] for name in FILTERS if name in values})


def filter_caselle(
    user,
    *,
    q: str = "",
    stato: str = "",
    tipo: str = "",
    titolare: str = "",
    scadenza_entro: int | None = None,
    azione: bool = False,
) -> QuerySet[Casella]:
    qs = caselle_for(user)
    if azione:
        qs = qs.filter(needs_action_filter())
    if search.words(q):
        qs = qs.filter(_search_filter(q))
    if stato in Stato.values:
        qs = qs.filter(stato=stato)
    if tipo:
        qs = qs.filter(tipo_casella=tipo)
    if titolare and str(titolare).isdigit():
        qs = qs.filter(titolare_id=int(titolare))
    if scadenza_entro is not None:
        today = timezone.localdate()
        qs = qs.filter(
            data_scadenza__isnull=False,
            data_scadenza__lte=today + dt.timedelta(days=scadenza_entro),
        )
    return qs


# --------------------------------------------------------------------------- keyset pages

#: Sort keys whose column may be NULL (NULLs come last ascending, first descending).
NULLABLE_SORTS = {"data_scadenza", "titolare__denominazione"}
DEFAULT_SORT = "-creata"


def _sort_field(sort: str) -> tuple[str, bool]:
    """(field, descending) for a ``sort`` parameter (unknown -> newest first)."""
    field = SORTS.get(sort) or SORTS[DEFAULT_SORT]
    return field.lstrip("-"), field.startswith("-")


def sort_order(sort: str, *, reverse: bool = False) -> list:
    field, desc = _sort_field(sort)
    if reverse:
        desc = not desc
    if desc:
        return [F(field).desc(nulls_first=True), F("pk").desc()]
    return [F(field).asc(nulls_last=True), F("pk").asc()]


def _after(field: str, desc: bool, value, pk: int) -> Q:
    """Rows after (value, pk) in the order (field asc nulls last | desc nulls first, pk)."""
    nullable = field in NULLABLE_SORTS
    cmp = TupleLessThan if desc else TupleGreaterThan
    if value is None:
        same = Q(**{f"{field}__isnull": True, "pk__lt" if desc else "pk__gt": pk})
        return same | Q(**{f"{field}__isnull": False}) if desc else same
    cond = Q(cmp(Tuple(F(field), F("pk")), (value, pk)))
    if nullable and not desc:
        cond |= Q(**{f"{field}__isnull": True})
    return cond


@dataclass
class KeysetPage:
    """One page of a keyset-paginated list: no COUNT(*) and no OFFSET, whatever the depth."""

    object_list: list
    next_cursor: str = ""
    prev_cursor: str = ""

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.prev_cursor)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def _encode(value, pk: int) -> str:
    if isinstance(value, dt.datetime):
        raw = ["t", value.isoformat(), pk]
    elif isinstance(value, dt.date):
        raw = ["d", value.isoformat(), pk]
    elif value is None:
        raw = ["n", None, pk]
    else:
        raw = ["s", str(value), pk]
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


#: The largest primary key (a 64-bit BigAutoField) and the years a cursor date may carry (a
#: year at either end of Python's range overflows once moved to the database's time zone).
MAX_PK = 2**63 - 1
CURSOR_YEARS = range(1000, 9000)


def _cursor_kind(field: str) -> str:
    """The kind of value ("t" datetime, "d" date, "s" text) a cursor on ``field`` carries."""
    model = Casella
    for part in field.split("__"):
        model_field = model._meta.get_field(part)
        model = model_field.related_model or model
    if isinstance(model_field, models.DateTimeField):
        return "t"
    if isinstance(model_field, models.DateField):
        return "d"
    return "s"


def decode_cursor(token: str, field: str):
    """(value, pk) from a cursor on ``field``; None when it is absent or not one we made for
    that field (a tampered cursor then gives the first page, never an error)."""
    if not token or len(token) > 1000:
        return None
    try:
        kind, value, pk = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        return None
    if type(pk) is not int or not 0 < pk <= MAX_PK:
        return None
    if kind == "n" and value is None and field in NULLABLE_SORTS:
        return None, pk
    if kind != _cursor_kind(field) or not isinstance(value, str) or "\x00" in value:
        return None
    if kind == "s":
        return value, pk
    try:
        parsed = (dt.datetime if kind == "t" else dt.date).fromisoformat(value)
    except ValueError:
        return None
    if parsed.year not in CURSOR_YEARS:
        return None
    if kind == "t" and timezone.is_naive(parsed):
        return None
    return parsed, pk


def _key(obj, field: str):
    for part in field.split("__"):
        obj = getattr(obj, part, None) if obj is not None else None
    return obj


def keyset_page(
    qs: QuerySet, *, sort: str = "", after: str = "", before: str = "", size: int = 25
) -> KeysetPage:
    """A page of ``qs`` (unordered) in the order of ``sort``, after or before a cursor.

    One query of ``size + 1`` rows: the extra row says whether there is a next page."""
    field, desc = _sort_field(sort)
    backwards = False
    cursor = decode_cursor(after, field)
    if cursor is None and (cursor := decode_cursor(before, field)) is not None:
        backwards = True
    if cursor is not None:
        qs = qs.filter(_after(field, desc != backwards, *cursor))
    rows = list(qs.order_by(*sort_order(sort, reverse=backwards))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = KeysetPage(rows)
    if rows:
        first, last = rows[0], rows[-1]
        has_next = backwards or more
        has_prev = more if backwards else cursor is not None
        if has_next:
            page.next_cursor = _encode(_key(last, field), last.pk)
        if has_prev:
            page.prev_cursor = _encode(_key(first, field), first.pk)
    return page


def search_titolari(user, q: str = "") -> QuerySet[Titolare]:
    """The holders the user may see with every word of ``q`` in their name, company name,
    codice fiscale, partita IVA or comune, accents and case ignored (portal/search.py):
    "Rossi Mario", "mario rossi", "RSSMRA" and "Torino" all find Mario Rossi of Torino."""
    qs = titolari_for(user)
    if search.words(q):
        qs = qs.filter(search.all_words(q))
    return qs


def titolari_with_counts(user, q: str = "") -> QuerySet[Titolare]:
    return search_titolari(user, q).annotate(n_caselle=Count("caselle"))


def attivazione_in_corso(casella: Casella) -> bool:
    return casella.calls.filter(kind=CallKind.ATTIVAZIONE, state__in=OPEN_STATES).exists()


def last_failed_call(casella: Casella):
    return casella.calls.filter(state="failed").order_by("-finished_at").first()


def is_live(casella: Casella) -> bool:
    """Does the box page need to refresh itself (something is moving)?"""
    return casella.is_moving or attivazione_in_corso(casella)
