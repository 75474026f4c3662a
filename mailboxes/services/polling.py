"""Polling the boxes in_evasione whose next poll is due (see next_poll.py for when): one poller
at a time, one GET /pec for many boxes, GET /pec/{id} each for a few."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from openapi_pec import errors
from portal.remote_calls import enqueue_on_commit

from .. import remote
from ..models import Casella, Stato, TipoEvento
from .mirror import SUMMARY_FIELDS, apply_remote, summary_differs
from .next_poll import (
    callback_poll_seconds,
    callbacks_alive,
    next_interval,
    schedule_poll,
    set_next_poll,
)

POLL_LOCK_KEY = "mailboxes:poll-lock"
#: A claimed poll is retried after this long if its worker died.
POLL_LEASE = dt.timedelta(seconds=60)


def due_polls(now: dt.datetime | None = None):
    now = now or timezone.now()
    return Casella.objects.filter(
        next_poll_at__lte=now, remote_id__isnull=False, stato=Stato.IN_EVASIONE
    )


def seconds_to_next_poll(now: dt.datetime | None = None) -> float | None:
    """Seconds until the next box is due a poll (None when nothing is moving)."""
    now = now or timezone.now()
    nxt = (
        Casella.objects.filter(
            next_poll_at__isnull=False, remote_id__isnull=False, stato=Stato.IN_EVASIONE
        )
        .order_by("next_poll_at")
        .values_list("next_poll_at", flat=True)
        .first()
    )
    return None if nxt is None else max(0.0, (nxt - now).total_seconds())


def _claim_polls(now: dt.datetime, limit: int | None = None) -> list[int]:
    """The due boxes, for one poller at a time: a lock in the shared cache, held for
    POLL_LEASE at most (a crashed poller's boxes are still due when it expires). No write per
    box: the only write is the next poll, once the answer is in."""
    limit = limit or int(settings.MAILBOX_POLL_CLAIM_MAX)
    if not cache.add(POLL_LOCK_KEY, 1, timeout=POLL_LEASE.total_seconds()):
        return []  # another poller is at it
    pks = list(due_polls(now).order_by("next_poll_at").values_list("pk", flat=True)[:limit])
    if not pks:
        cache.delete(POLL_LOCK_KEY)
    return pks


def poll_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Refresh the boxes whose next poll is due: one GET /pec for many, GET /pec/{id} for fewer
    than MAILBOX_POLL_BULK_THRESHOLD, so at most MAILBOX_POLL_BULK_THRESHOLD - 1 calls (2) per
    cycle, whatever the number of boxes. Unchanged boxes only get their next poll (a few UPDATEs
    grouped by interval); changed ones go through apply_remote. Returns figures (boxes, calls,
    changed)."""
    now = now or timezone.now()
    pks = _claim_polls(now)
    if not pks:
        return {"boxes": 0, "calls": 0, "changed": 0}
    try:
        return _poll(pks, now)
    finally:
        cache.delete(POLL_LOCK_KEY)


def _poll(pks: list[int], now: dt.datetime) -> dict[str, int]:
    client = remote.get_client()
    if len(pks) < int(settings.MAILBOX_POLL_BULK_THRESHOLD):
        return _poll_each(client, pks, now)
    try:
        summaries = {s.id: s for s in client.list_caselle()}
    except errors.OpenapiError as exc:
        _polls_failed(pks, exc, now)
        return {"boxes": len(pks), "calls": 1, "changed": 0}
    changed: list[int] = []
    missing: list[int] = []
    unchanged: dict[float, list[int]] = {}
    callback_boxes: set[int] = set()
    rows = Casella.objects.filter(pk__in=pks).values_list(
        "pk", "poll_interval", "last_payload__callback", *SUMMARY_FIELDS
    )
    alive = callbacks_alive()
    for pk, interval, callback, *row in rows.iterator(chunk_size=2000):
        summary = summaries.get(row[3])
        if summary is None:
            missing.append(pk)
        elif summary_differs(tuple(row), summary):
            changed.append(pk)
        else:
            nxt = next_interval(interval)
            if alive and isinstance(callback, dict):
                nxt = max(nxt, callback_poll_seconds())
                callback_boxes.add(pk)
            unchanged.setdefault(nxt, []).append(pk)
    for interval, group in unchanged.items():
        for chunk in chunks(group, 5000):
            Casella.objects.filter(pk__in=chunk).update(
                poll_interval=interval,
                next_poll_at=now + dt.timedelta(seconds=interval),
                last_synced_at=now,
                attempts=0,
                last_error="",
            )
    if missing:
        _polls_failed(missing, None, now)
    details = 0
    for pk in changed:
        with transaction.atomic():
            casella = Casella.objects.select_for_update().get(pk=pk)
            summary = summaries[casella.remote_id]
            apply_remote(casella, summary.raw, full=False, source=TipoEvento.STATO, now=now)
            if casella.stato == Stato.IN_EVASIONE:
                schedule_poll(casella, now=now)
            else:
                # Settled: GET /pec lacks the activation date and spaces; one GET /pec/{id}
                # each, by a task (a box settles once in its life).
                details += 1
                _enqueue_refresh(casella.pk, countdown=min(60.0, details * 0.2))
    return {"boxes": len(pks), "calls": 1, "changed": len(changed)}


def _enqueue_refresh(pk: int, countdown: float) -> None:
    enqueue_on_commit("mailboxes.refresh_casella", pk, countdown=countdown)


def _poll_each(client, pks: list[int], now) -> dict[str, int]:
    calls = changed = 0
    for casella in Casella.objects.filter(pk__in=pks):
        try:
            calls += 1
            remote = client.get_casella(casella.remote_id)
        except errors.OpenapiError as exc:
            _polls_failed([casella.pk], exc, now)
            continue
        with transaction.atomic():
            casella = Casella.objects.select_for_update().get(pk=casella.pk)
            if apply_remote(casella, remote.raw, full=True, source=TipoEvento.STATO, now=now):
                changed += 1
            if casella.stato == Stato.IN_EVASIONE:
                schedule_poll(casella, now=now)
    return {"boxes": len(pks), "calls": calls, "changed": changed}


def _polls_failed(pks: list[int], exc: errors.OpenapiError | None, now) -> None:
    message = str(exc.message if exc else _("la casella non compare in GET /pec"))[:500]
    for casella in Casella.objects.filter(pk__in=pks).only("pk", "poll_interval", "last_payload"):
        set_next_poll(casella, now=now)
        Casella.objects.filter(pk=casella.pk).update(
            attempts=F("attempts") + 1,
            last_error=message,
            poll_interval=casella.poll_interval,
            next_poll_at=casella.next_poll_at,
        )


def chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]
