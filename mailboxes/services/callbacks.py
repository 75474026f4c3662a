"""Openapi's callbacks: a box asks for them at registration, with a per-box secret in the URL;
a callback only queues a read of the box (its payload is trusted for nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from openapi_pec.types import Callback
from portal.remote_calls import enqueue_on_commit

from .. import remote
from ..models import Casella, Stato, TipoEvento
from .mirror import apply_remote
from .next_poll import mark_callbacks_alive, schedule_poll

#: A callback's read stays queued (further callbacks for the box queue nothing) this long at
#: most: if its task were lost, a callback after this queues a new one.
REFRESH_QUEUED_SECONDS = 120


def refresh_running_seconds() -> float:
    """How long a callback's read holds the box's "running" mark at most (a worker killed
    mid-read does not block the box)."""
    return 2 * float(settings.OPENAPI_TIMEOUT) + 10


def public_url() -> str:
    """Where Openapi can reach the portal (callbacks are asked for only when it is set)."""
    return str(settings.PORTAL_PUBLIC_URL).rstrip("/")


def callback_token(casella_pk: int) -> str:
    """The box's callback secret: an HMAC of its pk under SECRET_KEY (nothing stored; a call
    without it is refused; with it, a caller can at most make the portal re-read the box)."""
    return salted_hmac("mailboxes.callback", str(casella_pk), algorithm="sha256").hexdigest()[:40]


def check_callback_token(casella_pk: int, token: str) -> bool:
    return constant_time_compare(callback_token(casella_pk), token or "")


def callback_for(casella: Casella) -> Callback | None:
    base = public_url()
    if not base:
        return None
    path = reverse("mailboxes:casella_callback", args=[casella.pk, callback_token(casella.pk)])
    return Callback(url=base + path, field="data", method="POST", data={"casella": casella.pk})


def claimed_state(payload: Any) -> tuple[str, int | None] | None:
    """(stato, timestamp.ultima_modifica) as a callback's payload claims them, if it does."""
    if not isinstance(payload, dict):
        return None
    ts = payload.get("timestamp")
    changed = ts.get("ultima_modifica") if isinstance(ts, dict) else None
    stato = payload.get("stato")
    if not isinstance(stato, str):
        return None
    return stato, changed if isinstance(changed, int) else None


def handle_callback(
    casella_pk: int, *, claimed: tuple[str, int | None] | None = None, now=None
) -> bool | None:
    """Openapi says the box changed: queue a read of it (GET /pec/{id}, by a worker: the web
    request makes no Openapi call) whose answer is applied as any other; the payload is
    trusted for nothing. It is only used to skip the read when it claims exactly what the
    portal already has (same status, same last change): such a callback could change nothing.
    Returns whether a read was asked for; None when the box is not (yet) linked to Openapi
    (the registration call will settle it)."""
    now = now or timezone.now()
    casella = Casella.objects.filter(pk=casella_pk).first()
    if casella is None or not casella.remote_id:
        return None
    mark_callbacks_alive()
    known = casella.ts_ultima_modifica
    if (
        claimed is not None
        and claimed[0] == casella.stato
        and claimed[1] is not None
        and known is not None
        and int(known.timestamp()) == claimed[1]
    ):
        if casella.stato == Stato.IN_EVASIONE:
            schedule_poll(casella, now=now)  # slower while callbacks arrive
        return False
    request_refresh(casella.pk)
    return True


def _refresh_key(state: str, casella_pk: int) -> str:
    return f"mailboxes:callback-refresh:{state}:{casella_pk}"


def request_refresh(casella_pk: int) -> bool:
    """Queue one read of the box, unless one is queued already: a thousand callbacks for a box
    make one task (and the read it makes sees all their changes). Returns whether it queued."""
    if not cache.add(_refresh_key("queued", casella_pk), 1, timeout=REFRESH_QUEUED_SECONDS):
        return False
    enqueue_on_commit("mailboxes.refresh_after_callback", casella_pk)
    return True


def refresh_after_callback(casella_pk: int, *, now: dt.datetime | None = None) -> str:
    """The read callbacks asked for (the worker's side of request_refresh): GET /pec/{id},
    applied with apply_remote. At most one runs per box: another one finding it running answers
    "busy" (the task comes back later). The "queued" mark is cleared before reading, so a
    callback arriving during the read queues one more read, which will see its change.
    Raises OpenapiError when the read fails (the task retries; polling remains)."""
    running = _refresh_key("running", casella_pk)
    if not cache.add(running, 1, timeout=refresh_running_seconds()):
        return "busy"
    try:
        cache.delete(_refresh_key("queued", casella_pk))
        casella = Casella.objects.filter(pk=casella_pk).first()
        if casella is None or not casella.remote_id:
            return "gone"
        answer = remote.get_client().get_casella(casella.remote_id)
        now = now or timezone.now()
        with transaction.atomic():
            casella = Casella.objects.select_for_update().get(pk=casella.pk)
            if casella.stato == Stato.NUOVA:
                return "gone"  # the registration intent settles it (at most once)
            changed = apply_remote(casella, answer.raw, full=True, source=TipoEvento.STATO, now=now)
            if casella.stato == Stato.IN_EVASIONE:
                schedule_poll(casella, now=now)  # the safety net, slower while callbacks arrive
        return "changed" if changed else "unchanged"
    finally:
        cache.delete(running)
