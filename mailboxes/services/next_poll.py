"""When a box in_evasione is read again: exponential backoff from MAILBOX_POLL_MIN_SECONDS to
MAILBOX_POLL_MAX_SECONDS; a box that asked Openapi to call back is polled at most every
MAILBOX_CALLBACK_POLL_SECONDS while callbacks arrive (polling is then only the safety net)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ..models import Casella

POLL_FACTOR = 2.0
CALLBACKS_ALIVE_KEY = "mailboxes:callbacks-alive"
CALLBACKS_ALIVE_SECONDS = 3600


def poll_min() -> float:
    """The first interval (seconds)."""
    return float(settings.MAILBOX_POLL_MIN_SECONDS)


def callback_poll_seconds() -> float:
    return float(settings.MAILBOX_CALLBACK_POLL_SECONDS)


def next_interval(interval: float, *, reset: bool = False) -> float:
    """The interval after ``interval`` (0: none yet), without the callback rule."""
    if reset or not interval:
        return poll_min()
    return min(float(settings.MAILBOX_POLL_MAX_SECONDS), interval * POLL_FACTOR)


def mark_callbacks_alive() -> None:
    cache.set(CALLBACKS_ALIVE_KEY, 1, CALLBACKS_ALIVE_SECONDS)


def callbacks_alive() -> bool:
    """Has Openapi called back recently? Then polling is only the safety net."""
    return bool(cache.get(CALLBACKS_ALIVE_KEY))


def has_callback(casella: Casella) -> bool:
    payload = casella.last_payload if isinstance(casella.last_payload, dict) else {}
    return isinstance(payload.get("callback"), dict)


def set_next_poll(casella: Casella, *, reset: bool = False, now: dt.datetime) -> None:
    """Set the box's next poll in memory (no query)."""
    interval = next_interval(casella.poll_interval, reset=reset)
    if has_callback(casella) and callbacks_alive():
        interval = max(interval, callback_poll_seconds())
    casella.poll_interval = interval
    casella.next_poll_at = now + dt.timedelta(seconds=interval)


def schedule_poll(casella: Casella, *, reset: bool = False, now: dt.datetime | None = None) -> None:
    """Set and save the box's next poll."""
    set_next_poll(casella, reset=reset, now=now or timezone.now())
    Casella.objects.filter(pk=casella.pk).update(
        poll_interval=casella.poll_interval, next_poll_at=casella.next_poll_at
    )
