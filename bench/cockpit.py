"""P7: the cockpit (the home page) at each size, its totals counted on the page and shared
through the cache, against the same counters computed with one query per box state."""

from __future__ import annotations

import time

from . import core, data
from .figures import NAIVE_MAX, Row, _measure, _superuser, _versus, holders_for


def naive_cockpit_counts(user) -> dict[str, int]:
    """The "Da fare" counters the naive way: one query per box state loading its boxes, and
    each box asked whose move it is (``Casella.turno``: a query per waiting box for its
    accountants)."""
    from mailboxes import selectors
    from mailboxes.models import Stato

    counts: dict[str, int] = {}
    for stato in Stato.values:
        for box in selectors.caselle_for(user).filter(stato=stato):
            turno = box.turno
            counts[turno] = counts.get(turno, 0) + 1
    return counts


def _queries_of(fn, *args) -> int:
    from django.db import connection

    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        fn(*args)
    return count[0]


def p7(sizes, repeat: int) -> list[Row]:
    """The cockpit's server time (the whole page through Django) against the same counters
    computed with one query per box state: the office-wide totals counted on every page
    (COCKPIT_CACHE_SECONDS=0), then shared through the cache as deployed (the page of every
    member of staff but the one who counts them, once per COCKPIT_CACHE_SECONDS)."""
    from django.test import Client, override_settings

    h = holders_for(sizes)
    data.accountants(data.ensure(h, sizes[0], sizes[-1]))
    user = _superuser()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    rows, queries = [], {}
    for n in sizes:
        data.ensure(h, n, sizes[-1])
        with override_settings(COCKPIT_CACHE_SECONDS=0):
            q_portal, t_portal = _measure(client, "/", repeat)
        queries[n] = q_portal
        if n > NAIVE_MAX:
            rows.append(
                (
                    "P7",
                    f"cockpit (home page), {n:,} boxes / {h:,} holders, totals counted",
                    core.latency(q_portal, t_portal),
                    f"per-state queries: not run above {NAIVE_MAX:,} boxes (grows with them)",
                    "",
                )
            )
            rows.extend(_cockpit_shared(client, n, repeat))
            continue
        naive_queries = _queries_of(naive_cockpit_counts, user)
        t_naive = []
        for _ in range(max(3, repeat // 8)):
            t0 = time.perf_counter()
            naive_cockpit_counts(user)
            t_naive.append(time.perf_counter() - t0)
        rows.append(
            _versus(
                "P7",
                f"cockpit (home page), {n:,} boxes / {h:,} holders, totals counted",
                (q_portal, t_portal),
                f"per-state queries: {core.latency(f'{naive_queries:,}', t_naive, digits=0)}",
                t_naive,
            )
        )
        rows.extend(_cockpit_shared(client, n, repeat))
    same = len(set(queries.values())) == 1
    rows.append(
        (
            "P7",
            f"cockpit query count the same at {sizes[0]:,} and {sizes[-1]:,} boxes",
            "yes" if same else f"NO: {queries}",
            "naive: grows with the waiting boxes",
            "",
        )
    )
    return rows


def _cockpit_shared(client, n: int, repeat: int) -> list[Row]:
    """The cockpit as deployed: its office-wide totals shared through the cache."""
    from django.conf import settings

    seconds = settings.COCKPIT_CACHE_SECONDS
    if seconds <= 0:
        return []
    label = f"cockpit, {n:,} boxes: the totals shared for {seconds} s (the other pages)"
    return [
        ("P7", label, core.latency(*_measure(client, "/", repeat)), "", ""),
        _cockpit_old_totals(client, n, repeat, seconds),
    ]


def _cockpit_old_totals(client, n: int, repeat: int, seconds: int) -> Row:
    """Every page finding the totals older than COCKPIT_CACHE_SECONDS: it shows them and
    queues their recount on the broker (the worst case: in use, one page per office does)."""
    from unittest import mock

    from django.core.cache import cache

    from cockpit.selectors import common
    from portal.celery import app

    later = time.time() + seconds + 1
    with (
        mock.patch.object(common.time, "time", lambda: later),
        mock.patch.object(cache, "add", lambda *a, **kw: True),  # each page queues one
    ):
        measured = _measure(client, "/", repeat)
    app.control.purge()  # no worker runs here: the queued recounts are dropped
    label = f"cockpit, {n:,} boxes: the totals older than {seconds} s (shown, recount queued)"
    return ("P7", label, core.latency(*measured), "", "")
