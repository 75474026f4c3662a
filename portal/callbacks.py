"""Openapi's callbacks, for every remote resource alike (portal/polling.py declares them): an
object asks for them when it is created at Openapi, with a per-object secret in the URL; a
callback only queues a read of the object by a worker (its body is trusted for nothing), and
polling remains the safety net."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from openapi_pec.types import Callback

from . import polling
from .openapi import get_client
from .polling import MirrorResource
from .remote_calls import enqueue_on_commit

#: A callback's read stays queued (further callbacks for the object queue nothing) this long at
#: most: if its task were lost, a callback after this queues a new one.
REFRESH_QUEUED_SECONDS = 120


def refresh_running_seconds() -> float:
    """How long a callback's read holds the object's "running" mark at most (a worker killed
    mid-read does not block the object)."""
    return 2 * float(settings.OPENAPI_TIMEOUT) + 10


def public_url() -> str:
    """Where Openapi can reach the portal (callbacks are asked for only when it is set)."""
    return str(settings.PORTAL_PUBLIC_URL).rstrip("/")


def callback_token(res: MirrorResource, pk: int) -> str:
    """The object's callback secret: an HMAC of its pk under SECRET_KEY (nothing stored; a call
    without it is refused; with it, a caller can at most make the portal re-read the object)."""
    return salted_hmac(f"{res.name}.callback", str(pk), algorithm="sha256").hexdigest()[:40]


def check_callback_token(res: MirrorResource, pk: int, token: str) -> bool:
    return constant_time_compare(callback_token(res, pk), token or "")


def callback_for(res: MirrorResource, pk: int, *, data_key: str) -> Callback | None:
    """The ``callback`` to send when creating the object at Openapi (None without a public
    URL: polling only)."""
    base = public_url()
    if not base:
        return None
    path = reverse(res.callback_route, args=[pk, callback_token(res, pk)])
    return Callback(url=base + path, field="data", method="POST", data={data_key: pk})


def handle_callback(
    res: MirrorResource, pk: int, *, claimed: tuple[str, int | None] | None = None, now=None
) -> bool | None:
    """Openapi says the object changed: queue a read of it (by a worker: the web request makes
    no Openapi call) whose answer is applied as any other; the body is trusted for nothing. It
    is only used to skip the read when it claims exactly what the portal already has (same
    status, same last change): such a callback could change nothing. Returns whether a read was
    asked for; None when the object is not (yet) linked to Openapi (its creation intent will
    settle it)."""
    obj = res.model.objects.filter(pk=pk).first()
    if obj is None or not obj.remote_id:
        return None
    polling.mark_callbacks_alive(res)
    known = res.last_change(obj)
    if (
        claimed is not None
        and claimed[0] == res.stato(obj)
        and claimed[1] is not None
        and known is not None
        and int(known.timestamp()) == claimed[1]
    ):
        if obj.next_poll_at is not None:
            polling.schedule_poll(obj, now=now)  # slower while callbacks arrive
        return False
    request_refresh(res, pk, claimed=claimed)
    return True


def _refresh_key(res: MirrorResource, state: str, pk: int) -> str:
    return f"{res.name}:callback-refresh:{state}:{pk}"


#: What the callbacks behind a queued read claimed: one claim, or this when several (or one
#: without a claim) came: the read is then made whatever the portal knows by then.
ANY_CLAIM = "any"


def request_refresh(
    res: MirrorResource, pk: int, *, claimed: tuple[str, int | None] | None = None
) -> bool:
    """Queue one read of the object, unless one is queued already: a thousand callbacks for an
    object make one task (and the read it makes sees all their changes). What the callback
    claims is kept for the task (see refresh_after_callback). Returns whether it queued."""
    claim_key = _refresh_key(res, "claim", pk)
    if not cache.add(_refresh_key(res, "queued", pk), 1, timeout=REFRESH_QUEUED_SECONDS):
        cache.set(claim_key, ANY_CLAIM, timeout=REFRESH_QUEUED_SECONDS)
        return False
    usable = claimed is not None and claimed[1] is not None
    cache.set(claim_key, list(claimed) if usable else ANY_CLAIM, timeout=REFRESH_QUEUED_SECONDS)
    enqueue_on_commit("portal.refresh_after_callback", res.name, pk)
    return True


def _claims_what_is_known(res: MirrorResource, obj, claim) -> bool:
    known = res.last_change(obj)
    return (
        isinstance(claim, list)
        and len(claim) == 2
        and claim[0] == res.stato(obj)
        and known is not None
        and int(known.timestamp()) == claim[1]
    )


def refresh_after_callback(res: MirrorResource, pk: int, *, now: dt.datetime | None = None) -> str:
    """The read callbacks asked for (the worker's side of request_refresh), applied by the
    resource as a poll's; skipped when the one callback behind it claims exactly what the portal
    has applied in the meantime (the same rule as handle_callback's, a moment later). At most
    one runs per object: another one finding it running answers "busy" (the task comes back
    later). The "queued" mark is cleared before reading, so a
    callback arriving during the read queues one more read, which will see its change.
    Raises OpenapiError when the read fails (the task retries; polling remains)."""
    running = _refresh_key(res, "running", pk)
    if not cache.add(running, 1, timeout=refresh_running_seconds()):
        return "busy"
    try:
        cache.delete(_refresh_key(res, "queued", pk))
        claim = cache.get(_refresh_key(res, "claim", pk), ANY_CLAIM)
        obj = res.model.objects.filter(pk=pk).first()
        if obj is None or not obj.remote_id:
            return "gone"
        if _claims_what_is_known(res, obj, claim):
            # Openapi called back for a change the portal has applied since (typically the
            # answer of the portal's own PATCH, which the callback overtook): nothing to read
            return "unchanged"
        answer = res.read(get_client(), obj)
        changed = res.apply_read(pk, answer, now=now or timezone.now())
        if changed is None:
            return "gone"
        return "changed" if changed else "unchanged"
    finally:
        cache.delete(running)
