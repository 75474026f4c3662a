"""Celery tasks of the mailboxes app: thin, take ids, safe to run twice (the names are the ones
settings.CELERY_BEAT_SCHEDULE uses)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from openapi_pec import errors
from portal.remote_calls import CallState, due_calls, run_call

from .calls import handler_for
from .expiry import send_reminders
from .models import CallKind, Casella, CasellaCall
from .operations.conservazione import purge_finished_preservation_documents
from .services import callbacks, polling, retention
from .services import sync as box_sync

log = logging.getLogger(__name__)

#: A call left pending/unclear is re-run by its own task when due within this many seconds;
#: later ones wait for the run_due_calls tick.
SELF_RESCHEDULE_MAX = 120
KICK_KEY = "mailboxes:poll-kick"
KICK_MAX = 30.0
#: A callback's read that finds another one running for its box comes back after this.
REFRESH_BUSY_DELAY = 2.0


@shared_task(name="mailboxes.run_call", acks_late=True)
def run_casella_call(call_pk: int) -> str:
    call = CasellaCall.objects.filter(pk=call_pk).only("kind").first()
    if call is None:
        return CallState.FAILED
    state = run_call(CasellaCall, call_pk, handler_for(call.kind))
    if state == CallState.DONE and call.kind == CallKind.ATTIVAZIONE:
        kick_poll()
    if state in (CallState.PENDING, CallState.UNCLEAR):
        nxt = (
            CasellaCall.objects.filter(pk=call_pk).values_list("next_attempt_at", flat=True).first()
        )
        if nxt is not None:
            delay = max(0.5, (nxt - timezone.now()).total_seconds())
            if delay <= SELF_RESCHEDULE_MAX:
                run_casella_call.apply_async((call_pk,), countdown=delay)
    return state


@shared_task(name="mailboxes.run_due_calls")
def run_due_calls() -> int:
    pks = list(due_calls(CasellaCall).values_list("pk", flat=True)[:500])
    for pk in pks:
        run_casella_call.delay(pk)
    return len(pks)


@shared_task(name="mailboxes.poll_due")
def poll_due() -> dict:
    """The beat tick. When a box is due again before long, one extra tick is also queued (at
    most one at a time): beat's ticks expire quickly and may be discarded by a slow broker."""
    figures = polling.poll_due()
    kick_poll()
    return figures


def kick_poll() -> None:
    delay = polling.seconds_to_next_poll()
    if delay is not None and delay <= KICK_MAX and cache.add(KICK_KEY, 1, timeout=delay + 2):
        poll_due.apply_async(countdown=max(delay, 0.2))


@shared_task(name="mailboxes.sync_account")
def sync_account() -> dict:
    return box_sync.sync_account()


@shared_task(name="mailboxes.purge_documents")
def purge_documents() -> int:
    return retention.purge_documents() + purge_finished_preservation_documents()


@shared_task(name="mailboxes.send_expiry_reminders")
def send_expiry_reminders() -> dict:
    """E-mail the office about boxes reaching EXPIRY_REMINDER_DAYS (once per box, threshold
    and expiry date); see mailboxes/expiry.py."""
    return send_reminders()


@shared_task(name="mailboxes.refresh_after_callback", bind=True, acks_late=True, max_retries=6)
def refresh_after_callback(self, casella_pk: int) -> str:
    """The read Openapi's callbacks asked for (queued once per box by the callback view)."""
    try:
        outcome = callbacks.refresh_after_callback(casella_pk)
    except errors.OpenapiError as exc:
        if exc.permanent:
            log.warning("mailboxes: callback read for box %s refused: %s", casella_pk, exc.status)
            return "failed"
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**self.request.retries)) from exc
    if outcome == "busy":  # another read of the box is running: come back after it
        refresh_after_callback.apply_async((casella_pk,), countdown=REFRESH_BUSY_DELAY)
    return outcome


@shared_task(name="mailboxes.refresh_casella")
def refresh_casella(casella_pk: int) -> list:
    casella = Casella.objects.filter(pk=casella_pk).first()
    return box_sync.refresh_casella(casella) if casella else []
