"""The portal's tasks: the machinery every remote resource shares (intents, polls, callbacks'
reads), by label or resource name, and the housekeeping."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from openapi_pec import errors

from . import callbacks, polling, remote_calls

log = logging.getLogger(__name__)

#: A call left pending/unclear is re-run by its own task when due within this many seconds;
#: later ones wait for the run_due_calls tick.
SELF_RESCHEDULE_MAX = 120
#: A poll due within this many seconds gets an extra tick (see poll_due).
KICK_MAX = 30.0
#: A callback's read that finds another one running for its object comes back after this.
REFRESH_BUSY_DELAY = 2.0


@shared_task(name="portal.ping")
def ping(key: str) -> None:
    """Write ``key`` to the shared cache: proves a worker process is consuming the broker."""
    cache.set(f"ping:{key}", "pong", 300)


@shared_task(name="portal.sweep_private_files")
def sweep_private_files() -> dict:
    """Delete the uploaded files no row refers to (see portal/private_files.py)."""
    from . import private_files

    return private_files.sweep()


@shared_task(name="portal.run_call", acks_late=True)
def run_call(label: str, pk: int) -> str:
    """Run one at-most-once intent (``label``: its model's, e.g. ``mailboxes.CasellaCall``);
    safe to deliver twice."""
    state = remote_calls.run_intent(label, pk)
    if state in (remote_calls.CallState.PENDING, remote_calls.CallState.UNCLEAR):
        model = remote_calls.INTENTS[label].model
        nxt = model.objects.filter(pk=pk).values_list("next_attempt_at", flat=True).first()
        if nxt is not None:
            delay = max(0.5, (nxt - timezone.now()).total_seconds())
            if delay <= SELF_RESCHEDULE_MAX:
                run_call.apply_async((label, pk), countdown=delay)
    return state


@shared_task(name="portal.run_due_calls")
def run_due_calls() -> int:
    """The beat tick of the intents left due (their own task was lost or gave up waiting)."""
    count = 0
    for label, intents in remote_calls.INTENTS.items():
        for pk in remote_calls.due_calls(intents.model).values_list("pk", flat=True)[:500]:
            run_call.delay(label, pk)
            count += 1
    return count


@shared_task(name="portal.poll_due")
def poll_due(resource: str) -> dict:
    """The beat tick of a resource's polls. When an object is due again before long, one extra
    tick is also queued (at most one at a time): beat's ticks expire quickly and may be
    discarded by a slow broker."""
    figures = polling.poll_due(polling.resource(resource))
    kick_poll(resource)
    return figures


def kick_key(resource: str) -> str:
    """The cache key holding the resource's extra tick (one queued at a time)."""
    return f"{resource}:poll-kick"


def kick_poll(resource: str) -> None:
    delay = polling.seconds_to_next_poll(polling.resource(resource))
    if delay is not None and delay <= KICK_MAX and cache.add(kick_key(resource), 1, delay + 2):
        poll_due.apply_async((resource,), countdown=max(delay, 0.2))


@shared_task(name="portal.refresh_after_callback", bind=True, acks_late=True, max_retries=6)
def refresh_after_callback(self, resource: str, pk: int) -> str:
    """The read Openapi's callbacks asked for (queued once per object by the callback view)."""
    res = polling.resource(resource)
    try:
        outcome = callbacks.refresh_after_callback(res, pk)
    except errors.OpenapiError as exc:
        if exc.permanent:
            log.warning("%s: callback read for #%s refused: %s", resource, pk, exc.status)
            return "failed"
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**self.request.retries)) from exc
    if outcome == "busy":  # another read of the object is running: come back after it
        refresh_after_callback.apply_async((resource, pk), countdown=REFRESH_BUSY_DELAY)
    return outcome
