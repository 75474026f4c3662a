"""Reading the mirrored Openapi objects again: when (the next-poll policy) and how (the poll
engine), for every remote resource alike.

A resource is one :class:`MirrorResource` subclass, declared by its app and registered by name:
its model (a :class:`portal.mirror.RemoteMirror`), its policy's settings, which objects move by
themselves, and how to read one, list many and apply an answer. The engine gives each the same
care: one poller at a time (a lock in the shared cache), one list call for many due objects or
one read each for a few, exponential backoff, failed reads counted, and slower polling while
Openapi calls back (polling is then the safety net).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, QuerySet
from django.utils import timezone

from openapi_pec import errors

from .mirror import RemoteMirror
from .openapi import get_client

#: A claimed poll is retried after this long if its worker died.
POLL_LEASE = dt.timedelta(seconds=60)
CALLBACKS_ALIVE_SECONDS = 3600


class MirrorResource:
    """One remote resource: what the engine, the callbacks and the tasks need to know of it.
    The settings are named, not read here, so that tests and deployments change them live."""

    #: The resource's name: cache keys, callback secrets, task arguments.
    name: str
    model: type[RemoteMirror]
    #: The error recorded on an object missing from the list call's answer.
    missing_message: str
    #: The prefix of the resource's settings: <prefix>_POLL_MIN_SECONDS and _POLL_MAX_SECONDS
    #: (first and longest interval), <prefix>_CALLBACK_POLL_SECONDS (the interval while
    #: callbacks arrive), <prefix>_POLL_BULK_THRESHOLD (below how many due objects each is read
    #: on its own) and <prefix>_POLL_CLAIM_MAX (how many are claimed per run).
    settings_prefix: str
    factor = 2.0
    #: The fields :meth:`differs` compares with a list item, in its order.
    compare_fields: tuple[str, ...] = ()
    #: The URL name of the resource's callback view (args: pk, secret).
    callback_route: str = ""

    # --- the policy ---

    def setting(self, name: str) -> float:
        """The resource's setting <prefix>_<name>, read now."""
        return float(getattr(settings, f"{self.settings_prefix}_{name}"))

    def min_seconds(self) -> float:
        return self.setting("POLL_MIN_SECONDS")

    def max_seconds(self) -> float:
        return self.setting("POLL_MAX_SECONDS")

    def callback_seconds(self) -> float:
        return self.setting("CALLBACK_POLL_SECONDS")

    def keeps_polling(self, obj: RemoteMirror, now: dt.datetime) -> bool:
        """Is ``obj`` still worth reading again (e.g. not finished)?"""
        return True

    # --- Openapi's side ---

    def moving(self) -> QuerySet:
        """The objects that change by themselves (polled when due)."""
        raise NotImplementedError

    def read(self, client, obj: RemoteMirror) -> Any:
        """One object's answer (GET /<resource>/{id})."""
        raise NotImplementedError

    def list(self, client) -> dict[str, Any]:
        """The account's objects by remote id (GET /<resource>)."""
        raise NotImplementedError

    def differs(self, row: tuple, item: Any) -> bool:
        """Would the list item change the object whose ``compare_fields`` are ``row``?"""
        raise NotImplementedError

    def apply_read(self, pk: int, answer: Any, *, now: dt.datetime) -> bool | None:
        """Apply one object's answer (locking it), with its next poll. Returns whether it
        changed; None when the answer is not the resource's to apply now."""
        raise NotImplementedError

    def apply_listed(self, pk: int, item: Any, client, *, now: dt.datetime, position: int) -> int:
        """Apply a list item that :meth:`differs` (the ``position``-th of this run). Returns the
        Openapi calls it made."""
        raise NotImplementedError

    # --- callbacks ---

    def claimed_state(self, payload: Any) -> tuple[str, int | None] | None:
        """(status, last change as a Unix time) as a callback's body claims them, if it does."""
        return None

    def last_change(self, obj: RemoteMirror) -> dt.datetime | None:
        """When Openapi last changed the object, as the portal knows it."""
        return None

    def stato(self, obj: RemoteMirror) -> str:
        return str(getattr(obj, "stato", ""))


RESOURCES: dict[str, MirrorResource] = {}


def register(resource: MirrorResource) -> MirrorResource:
    """Declare a resource (its app's module does, once, at import)."""
    RESOURCES[resource.name] = resource
    return resource


def resource(name: str) -> MirrorResource:
    return RESOURCES[name]


def resource_of(obj: RemoteMirror) -> MirrorResource:
    for res in RESOURCES.values():
        if isinstance(obj, res.model):
            return res
    raise LookupError(type(obj).__name__)


# --- The next-poll policy ---------------------------------------------------------------------


def _alive_key(res: MirrorResource) -> str:
    return f"{res.name}:callbacks-alive"


def mark_callbacks_alive(res: MirrorResource) -> None:
    cache.set(_alive_key(res), 1, CALLBACKS_ALIVE_SECONDS)


def callbacks_alive(res: MirrorResource) -> bool:
    """Has Openapi called back recently for this resource? Then polling is only the safety net."""
    return bool(cache.get(_alive_key(res)))


def next_interval(res: MirrorResource, interval: float, *, reset: bool = False) -> float:
    """The interval after ``interval`` (0: none yet), without the callback rule."""
    if reset or not interval:
        return res.min_seconds()
    return min(res.max_seconds(), interval * res.factor)


def set_next_poll(obj: RemoteMirror, *, reset: bool = False, now: dt.datetime) -> None:
    """Set the object's next poll in memory (no query): none once it is finished."""
    res = resource_of(obj)
    if not obj.remote_id or not res.keeps_polling(obj, now):
        obj.next_poll_at, obj.poll_interval = None, 0
        return
    interval = next_interval(res, obj.poll_interval, reset=reset)
    if obj.asked_for_callbacks and callbacks_alive(res):
        interval = max(interval, res.callback_seconds())
    obj.poll_interval = interval
    obj.next_poll_at = now + dt.timedelta(seconds=interval)


def schedule_poll(obj: RemoteMirror, *, reset: bool = False, now: dt.datetime | None = None):
    """Set and save the object's next poll."""
    set_next_poll(obj, reset=reset, now=now or timezone.now())
    type(obj).objects.filter(pk=obj.pk).update(
        poll_interval=obj.poll_interval, next_poll_at=obj.next_poll_at
    )


# --- The engine -------------------------------------------------------------------------------


def due_polls(res: MirrorResource, now: dt.datetime | None = None) -> QuerySet:
    return res.moving().filter(next_poll_at__lte=now or timezone.now(), remote_id__isnull=False)


def seconds_to_next_poll(res: MirrorResource, now: dt.datetime | None = None) -> float | None:
    """Seconds until the next object is due a poll (None when nothing is moving)."""
    now = now or timezone.now()
    nxt = (
        res.moving()
        .filter(next_poll_at__isnull=False, remote_id__isnull=False)
        .order_by("next_poll_at")
        .values_list("next_poll_at", flat=True)
        .first()
    )
    return None if nxt is None else max(0.0, (nxt - now).total_seconds())


def _lock_key(res: MirrorResource) -> str:
    return f"{res.name}:poll-lock"


def _claim(res: MirrorResource, now: dt.datetime) -> list[int]:
    """The due objects, for one poller at a time: a lock in the shared cache, held for
    POLL_LEASE at most (a crashed poller's objects are still due when it expires). No write per
    object: the only write is the next poll, once the answer is in."""
    if not cache.add(_lock_key(res), 1, timeout=POLL_LEASE.total_seconds()):
        return []  # another poller is at it
    limit = int(res.setting("POLL_CLAIM_MAX"))
    pks = list(due_polls(res, now).order_by("next_poll_at").values_list("pk", flat=True)[:limit])
    if not pks:
        cache.delete(_lock_key(res))
    return pks


def poll_due(res: MirrorResource, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Refresh the objects whose next poll is due: one list call for many, one read each for
    fewer than the resource's bulk threshold, so a few calls per cycle whatever the number of
    objects. Unchanged objects only get their next poll (a few UPDATEs grouped by interval);
    changed ones are applied by the resource. Returns figures (objects, calls, changed)."""
    now = now or timezone.now()
    pks = _claim(res, now)
    if not pks:
        return {"objects": 0, "calls": 0, "changed": 0}
    try:
        client = get_client()
        if len(pks) < int(res.setting("POLL_BULK_THRESHOLD")):
            return _poll_each(res, client, pks, now)
        return _poll_list(res, client, pks, now)
    finally:
        cache.delete(_lock_key(res))


def _poll_each(res: MirrorResource, client, pks: list[int], now) -> dict[str, int]:
    calls = changed = 0
    for obj in res.model.objects.filter(pk__in=pks):
        calls += 1
        try:
            answer = res.read(client, obj)
        except errors.OpenapiError as exc:
            polls_failed(res, [obj.pk], str(exc.message or exc), now)
            continue
        if res.apply_read(obj.pk, answer, now=now):
            changed += 1
    return {"objects": len(pks), "calls": calls, "changed": changed}


def _poll_list(res: MirrorResource, client, pks: list[int], now) -> dict[str, int]:
    try:
        listed = res.list(client)
    except errors.OpenapiError as exc:
        polls_failed(res, pks, str(exc.message or exc), now)
        return {"objects": len(pks), "calls": 1, "changed": 0}
    changed: list[tuple[int, Any]] = []
    missing: list[int] = []
    unchanged: dict[float, list[int]] = {}
    alive = callbacks_alive(res)
    rows = res.model.objects.filter(pk__in=pks).values_list(
        "pk", "poll_interval", "last_payload__callback", "remote_id", *res.compare_fields
    )
    for pk, interval, callback, remote_id, *row in rows.iterator(chunk_size=2000):
        item = listed.get(remote_id)
        if item is None:
            missing.append(pk)
        elif res.differs(tuple(row), item):
            changed.append((pk, item))
        else:
            nxt = next_interval(res, interval)
            if alive and isinstance(callback, dict):
                nxt = max(nxt, res.callback_seconds())
            unchanged.setdefault(nxt, []).append(pk)
    for interval, group in unchanged.items():
        for chunk in chunks(group, 5000):
            res.model.objects.filter(pk__in=chunk).update(
                poll_interval=interval,
                next_poll_at=now + dt.timedelta(seconds=interval),
                last_synced_at=now,
                poll_failures=0,
                last_error="",
            )
    if missing:
        polls_failed(res, missing, str(res.missing_message), now)
    calls = 1
    for position, (pk, item) in enumerate(changed, start=1):
        try:
            calls += res.apply_listed(pk, item, client, now=now, position=position)
        except errors.OpenapiError as exc:
            calls += 1
            polls_failed(res, [pk], str(exc.message or exc), now)
    return {"objects": len(pks), "calls": calls, "changed": len(changed)}


def polls_failed(res: MirrorResource, pks: list[int], message: str, now) -> None:
    """Count a failed read and back off (the object stays due later)."""
    model = res.model
    for obj in model.objects.filter(pk__in=pks):
        set_next_poll(obj, now=now)
        model.objects.filter(pk=obj.pk).update(
            poll_failures=F("poll_failures") + 1,
            last_error=message[:2000],
            poll_interval=obj.poll_interval,
            next_poll_at=obj.next_poll_at,
        )


def chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]
