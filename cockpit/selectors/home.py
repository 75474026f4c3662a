"""The home page's reads: the "Da fare" list and what is coming, with what both need read
once."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from . import coming, common, todo
from .todo_entries import Todo


def home(user, *, now: dt.datetime | None = None) -> tuple[Todo, coming.Coming]:
    """The home page: the "Da fare" list and what is coming."""
    now = now or timezone.now()
    both = common.shared(user, timezone.localdate(now))
    return todo.todo(user, now=now, both=both), coming.coming(user, now=now, both=both)
