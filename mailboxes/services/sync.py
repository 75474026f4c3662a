"""Syncing with the Openapi account: GET /pec imports the boxes registered outside the portal
and updates the known ones (built for 100,000 boxes); a single box is re-read on demand."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from openapi_pec import errors
from openapi_pec.types import CasellaSummary, parse_date
from portal import history
from portal.history import Sentence
from portal.polling import chunks, schedule_poll, set_next_poll

from .. import remote
from ..models import Casella, Evento, Gestore, Stato, TipoEvento
from .history import record
from .mirror import (
    STATI,
    SUMMARY_FIELDS,
    TIPI_CASELLA,
    TS_NAMES,
    apply_remote,
    effects,
    merge_remote,
)
from .notifications import notify_active

#: Boxes compared per batch; up to IMPORT_FULL_MAX new boxes are read in full.
SYNC_BATCH = 2000
IMPORT_FULL_MAX = 20
SYNC_ALWAYS_FIELDS = (
    "last_payload",
    "last_synced_at",
    "updated_at",
    "poll_failures",
    "last_error",
    "evasa_at",
    "next_poll_at",
    "poll_interval",
)


def sync_account(*, user=None, now: dt.datetime | None = None) -> dict[str, int]:
    """GET /pec: import the boxes registered outside the portal, update the known ones.

    Built for 1,000,000 boxes: GET /pec is read as it arrives (iter_caselle_raw) and handled
    SYNC_BATCH items at a time, so memory does not grow with the account. Each batch's known
    boxes are compared with values_list (no model instances); only the rows that differ are
    locked, merged, written with one UPDATE per 1,000 rows and their history added with
    bulk_create; unchanged rows are not written at all (their "last updated" keeps meaning
    "last changed"). Unknown boxes are linked by address or imported, in bulk beyond
    IMPORT_FULL_MAX. A broken answer raises; the batches before the break stay written, each
    whole (a sync that stopped there), the rest waits for the next sync."""
    now = now or timezone.now()
    client = remote.get_client()
    figures = {"remote": 0, "imported": 0, "updated": 0, "unchanged": 0}
    importer = _Importer(client, figures, user=user, now=now)
    for by_id in _batches(client.iter_caselle_raw(), figures):
        unknown = _sync_batch(by_id, figures, now=now)
        if unknown:
            importer.add(_link_by_address(unknown, figures, now=now))
    importer.finish()
    return figures


def _batches(items: Iterable[dict[str, Any]], figures: dict[str, int]):
    """GET /pec's items with an id, SYNC_BATCH at a time, as {id: item} (unparsed: at 100,000
    boxes, parsing each into a CasellaSummary would be half of the daily sync)."""
    by_id: dict[str, dict[str, Any]] = {}
    for item in items:
        remote_id = item.get("id")
        if not isinstance(remote_id, str) or not remote_id:
            continue
        figures["remote"] += 1
        by_id[remote_id] = item
        if len(by_id) >= SYNC_BATCH:
            yield by_id
            by_id = {}
    if by_id:
        yield by_id


def _sync_batch(
    by_id: dict[str, dict[str, Any]], figures: dict[str, int], *, now
) -> list[CasellaSummary]:
    """Compare one batch with the table and write the boxes that differ; the unknown ones."""
    known = _known(list(by_id))
    unknown, differing = [], []
    for remote_id, item in by_id.items():
        row = known.get(remote_id)
        if row is None:
            unknown.append(CasellaSummary.from_raw(item))
        elif row[1] == Stato.NUOVA:
            continue  # the registration intent settles this one (at most once)
        elif _differs(row, item):
            differing.append(row[0])
        else:
            figures["unchanged"] += 1
    if differing:
        n = _write_changes(differing, by_id, now=now)
        figures["updated"] += n
        figures["unchanged"] += len(differing) - n
    return unknown


def _known(remote_ids: list[str]) -> dict[str, tuple]:
    """{remote_id: (pk, *SUMMARY_FIELDS)} of the boxes already in the table, with the ts_
    fields as Unix seconds (numbers: GET /pec sends them so; no datetime is built). On
    PostgreSQL one query with the ids as one JSON array (2,000 placeholders, or an array
    parameter, cost more Python than the query takes)."""
    ts_at = 1 + SUMMARY_FIELDS.index("ts_registrazione")
    if connection.vendor != "postgresql":
        out = {}
        for row in Casella.objects.filter(remote_id__in=remote_ids).values_list(
            "pk", *SUMMARY_FIELDS
        ):
            stamps = tuple(None if v is None else v.timestamp() for v in row[ts_at:])
            out[row[4]] = (*row[:ts_at], *stamps)
        return out
    qn = connection.ops.quote_name
    cols = [Casella._meta.get_field(name).column for name in SUMMARY_FIELDS]
    select = ", ".join(
        f"EXTRACT(EPOCH FROM {qn(c)})" if name.startswith("ts_") else qn(c)
        for name, c in zip(SUMMARY_FIELDS, cols, strict=True)
    )
    remote = qn(Casella._meta.get_field("remote_id").column)
    sql = f"SELECT id, {select} FROM {qn(Casella._meta.db_table)} WHERE {remote} IN "  # noqa: S608  # nosec B608 - names from the model, values as parameters
    sql += "(SELECT jsonb_array_elements_text(%s::jsonb))"
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(remote_ids)])
        return {row[4]: row for row in cursor.fetchall()}


def _differs(row: tuple, item: dict[str, Any]) -> bool:
    """Might a GET /pec item change a box? As mirror.summary_differs() on ``row`` from
    _known(), without parsing the item: a timestamp that is not whole Unix seconds counts as a
    difference, and merge_remote() (which parses it) decides; a box found unchanged there is
    counted unchanged and not written."""
    _pk, stato, tipo, scadenza, _remote_id, *stamps = row
    new_stato = str(item.get("stato") or "")
    if new_stato and new_stato in STATI and new_stato != stato:
        return True
    new_tipo = str(item.get("tipo_casella") or "").upper()
    if new_tipo and new_tipo in TIPI_CASELLA and new_tipo != tipo:
        return True
    value = item.get("data_scadenza")
    new_scadenza = _date(value) if isinstance(value, str) else parse_date(value)
    if (new_scadenza or "data_scadenza" in item) and new_scadenza != scadenza:
        return True
    ts = item.get("timestamp")
    if isinstance(ts, dict):
        for name, old in zip(TS_NAMES, stamps, strict=True):
            value = ts.get(name)
            if value in (None, "", 0, False):
                continue  # parse_timestamp: no value
            if type(value) is not int or old is None or old != value:
                return True
    return False


class _Importer:
    """The boxes to import, as the batches find them: up to IMPORT_FULL_MAX in all are read in
    full at the end (GET /pec/{id}); beyond that, all are bulk-created SYNC_BATCH at a time."""

    def __init__(self, client, figures: dict[str, int], *, user, now):
        self.client, self.figures, self.user, self.now = client, figures, user, now
        self.waiting: list[CasellaSummary] = []
        self.bulk = False

    def add(self, summaries: list[CasellaSummary]) -> None:
        self.waiting += summaries
        self.bulk = self.bulk or len(self.waiting) > IMPORT_FULL_MAX
        if self.bulk and len(self.waiting) >= SYNC_BATCH:
            self._flush()

    def finish(self) -> None:
        if self.bulk:
            self._flush()
            return
        for summary in self.waiting:
            with transaction.atomic():
                _import(self.client, summary, user=self.user, now=self.now)
        self.figures["imported"] += len(self.waiting)
        self.waiting = []

    def _flush(self) -> None:
        if self.waiting:
            self.figures["imported"] += _import_bulk(self.waiting, user=self.user, now=self.now)
        self.waiting = []


@functools.lru_cache(maxsize=8192)
def _date(value: str):
    return parse_date(value)


def _write_changes(pks: list[int], by_id: dict[str, Any], *, now) -> int:
    """Lock, merge and write the boxes that differ from GET /pec (one batch)."""
    with transaction.atomic():
        boxes = list(Casella.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
        to_save, events, fields, notify = [], [], set(SYNC_ALWAYS_FIELDS), []
        for casella in boxes:
            item = by_id.get(casella.remote_id)
            if item is None or casella.stato == Stato.NUOVA:
                continue
            changed = merge_remote(casella, item, full=False, now=now)
            if not changed:
                continue
            event, tell = effects(casella, changed, source=TipoEvento.SYNC, now=now)
            casella.updated_at = now
            fields.update(changed)
            to_save.append(casella)
            if event is not None:
                events.append(event)
            if tell:
                notify.append(casella.pk)
        if to_save:
            _bulk_write(to_save, sorted(fields))
            Evento.objects.bulk_create(events, batch_size=1000)
        for pk in notify:
            transaction.on_commit(lambda pk=pk: notify_active(pk))
    return len(to_save)


def _bulk_write(boxes: list[Casella], fields: list[str]) -> None:
    """Write ``fields`` of many boxes: on PostgreSQL one UPDATE ... FROM (VALUES ...) per 1,000
    rows (bulk_update's CASE WHEN costs seconds of Python per 1,000 rows); elsewhere
    bulk_update."""
    if connection.vendor != "postgresql":
        Casella.objects.bulk_update(boxes, fields, batch_size=500)
        return
    import psycopg

    qn = connection.ops.quote_name
    cols = [Casella._meta.get_field(name) for name in fields]
    assignments = ", ".join(
        f"{qn(f.column)} = v.{qn(f.column)}::{f.db_type(connection)}" for f in cols
    )
    names = ", ".join(["id", *(qn(f.column) for f in cols)])
    row = "(" + ", ".join(["%s::bigint", *(["%s"] * len(cols))]) + ")"
    for chunk in chunks(boxes, 1000):
        params: list[Any] = []
        for box in chunk:
            params.append(box.pk)
            params.extend(f.get_db_prep_save(getattr(box, f.attname), connection) for f in cols)
        # Names from the model's meta, values as parameters.
        values = ", ".join([row] * len(chunk))
        table = qn(Casella._meta.db_table)
        sql = f"UPDATE {table} AS c SET {assignments} FROM (VALUES {values}) AS v({names}) "  # noqa: S608  # nosec B608 - names from the model, values as parameters
        sql += "WHERE c.id = v.id"
        # Server-side binding: Django's client-side cursor quotes 13,000 values in Python.
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params)


def _link_by_address(
    unknown: list[CasellaSummary], figures: dict[str, int], *, now
) -> list[CasellaSummary]:
    """Boxes the portal registered whose POST /pec answer was lost: link them by address."""
    left = []
    for batch in chunks(unknown, SYNC_BATCH):
        addresses = {s.casella_pec.lower(): s for s in batch}
        local = {
            c.casella_pec: c
            for c in Casella.objects.filter(
                casella_pec__in=list(addresses), remote_id__isnull=True, gestore=Gestore.OPENAPI
            ).exclude(stato=Stato.NON_REGISTRATA)
        }
        for address, summary in addresses.items():
            casella = local.get(address)
            if casella is None:
                left.append(summary)
                continue
            if casella.stato == Stato.NUOVA:
                continue
            with transaction.atomic():
                casella = Casella.objects.select_for_update().get(pk=casella.pk)
                changed = apply_remote(casella, summary.raw, full=False, now=now)
            figures["updated" if changed else "unchanged"] += 1
    return left


def _import_bulk(unknown: list[CasellaSummary], *, user, now) -> int:
    """Create many boxes registered outside the portal from GET /pec alone (bulk), their
    details read when refreshed."""
    created = 0
    message = history.stored(
        Sentence(gettext_lazy("Casella registrata fuori dal portale, importata da Openapi."))
    )
    for batch in chunks(unknown, SYNC_BATCH):
        boxes = []
        for summary in batch:
            casella = Casella(
                remote_id=summary.id,
                casella_pec=summary.casella_pec.lower(),
                tipo_casella=str(summary.tipo_casella or "STANDARD"),
                stato=Stato.REGISTRATA,
                importata=True,
                created_at=now,
                updated_at=now,
            )
            merge_remote(casella, summary.raw, full=False, now=now)
            if casella.stato == Stato.IN_EVASIONE:
                set_next_poll(casella, reset=True, now=now)
            boxes.append(casella)
        with transaction.atomic():
            Casella.objects.bulk_create(boxes, batch_size=1000, ignore_conflicts=True)
            ids = dict(
                Casella.objects.filter(remote_id__in=[b.remote_id for b in boxes]).values_list(
                    "remote_id", "pk"
                )
            )
            Evento.objects.bulk_create(
                [
                    Evento(
                        casella_id=ids[b.remote_id],
                        at=now,
                        tipo=TipoEvento.IMPORT,
                        **message,
                        a_stato=b.stato,
                        user=user,
                    )
                    for b in boxes
                    if b.remote_id in ids
                ],
                batch_size=1000,
            )
        created += len(ids)
    return created


def _import(client, summary: CasellaSummary, *, user, now) -> Casella:
    tipo = str(summary.tipo_casella or "STANDARD")
    casella = Casella.objects.create(
        remote_id=summary.id,
        casella_pec=summary.casella_pec.lower(),
        tipo_casella=tipo,
        stato=str(summary.stato) if str(summary.stato) in Stato.values else Stato.REGISTRATA,
        importata=True,
    )
    payload, full = summary.raw, False
    with contextlib.suppress(errors.OpenapiError):
        payload, full = client.get_casella(summary.id).raw, True
    record(
        casella,
        TipoEvento.IMPORT,
        Sentence(gettext_lazy("Casella registrata fuori dal portale, importata da Openapi.")),
        a=casella.stato,
        user=user,
    )
    apply_remote(casella, payload, full=full, source=TipoEvento.IMPORT, now=now)
    if casella.stato == Stato.IN_EVASIONE:
        schedule_poll(casella, reset=True, now=now)
    return casella


def refresh_casella(casella: Casella, *, now: dt.datetime | None = None) -> list[str]:
    """GET /pec/{id} now (staff "refresh status")."""
    if not casella.remote_id:
        return []
    answer = remote.get_client().get_casella(casella.remote_id)
    with transaction.atomic():
        casella = Casella.objects.select_for_update().get(pk=casella.pk)
        return apply_remote(casella, answer.raw, full=True, now=now)
