"""The figures. Each returns rows: (figure, what, portal, peer, ratio)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from . import core, data

Row = tuple[str, str, str, str, str]


def _fmt_s(x: float) -> str:
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


# --------------------------------------------------------------------------- P1


def _pending_boxes(sandbox, n: int) -> None:
    """n boxes in_evasione at the sandbox and in the portal, all due a poll now."""
    from django.utils import timezone

    from mailboxes.models import Casella

    ids = sandbox.seed(n, stato="in_evasione", prefix="poll")
    past = timezone.now() - dt.timedelta(seconds=1)
    Casella.objects.bulk_create(
        [
            Casella(
                remote_id=rid,
                casella_pec=f"poll{i:07d}@legalmail.it",
                tipo_casella="STANDARD",
                stato="in_evasione",
                next_poll_at=past,
                poll_interval=2.0,
                # As an earlier cycle left them (the seed's time is the id's first 8 digits).
                ts_registrazione=_seed_time(rid),
                ts_ultima_modifica=_seed_time(rid),
            )
            for i, rid in enumerate(ids)
        ],
        batch_size=5000,
    )


def _seed_time(remote_id: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(remote_id[:8], 16), tz=dt.UTC)


def _steady() -> None:
    """The boxes as a previous cycle left them (timestamps known), all due again now."""
    from django.utils import timezone

    from mailboxes.models import Casella

    Casella.objects.update(next_poll_at=timezone.now() - dt.timedelta(seconds=1))


def naive_poll_cycle() -> int:
    """The naive peer: one GET /pec/{id} per pending box, each applied."""
    from django.utils import timezone

    from mailboxes import remote
    from mailboxes.models import Casella, Stato
    from mailboxes.services import mirror

    client = remote.get_client()
    calls = 0
    now = timezone.now()
    for casella in Casella.objects.filter(stato=Stato.IN_EVASIONE, remote_id__isnull=False):
        remote = client.get_casella(casella.remote_id)
        calls += 1
        mirror.apply_remote(casella, remote.raw, full=True, now=now)
    return calls


def p1(sandbox, sizes) -> list[Row]:
    from django.db import connection

    from mailboxes.services.polling import BOXES
    from portal.polling import poll_due

    rows = []
    for n in sizes:
        sandbox.reset()
        data.wipe()
        _pending_boxes(sandbox, n)
        _steady()
        before = sandbox.calls_total()
        t0 = time.perf_counter()
        poll_due(BOXES)
        t_portal = time.perf_counter() - t0
        portal = sandbox.calls_total() - before
        _steady()
        before = sandbox.calls_total()
        t0 = time.perf_counter()
        naive_poll_cycle()
        t_naive = time.perf_counter() - t0
        naive = sandbox.calls_total() - before
        connection.close()
        rows.append(
            (
                "P1",
                f"Openapi calls per polling cycle, {n:,} boxes pending",
                f"{portal:,} calls ({_fmt_s(t_portal)})",
                f"{naive:,} calls ({_fmt_s(t_naive)})",
                core.ratio(portal, naive),
            )
        )
    return rows


# --------------------------------------------------------------------------- P3


def _superuser():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user = User.objects.filter(username="bench").first()
    if user is None:
        user = User.objects.create_superuser("bench", "bench@example.com", "bench-password-1")
    return user


def _versus(
    code: str, label: str, portal: tuple[int, list[float]], other: str, other_times: list[float]
) -> tuple[str, ...]:
    """A row: the portal's page (its queries and times) against another way of getting the
    same (``other``: its figure), and how many times faster the portal's p95 is."""
    ratio = core.ratio(core.percentile(portal[1], 95), core.percentile(other_times, 95))
    return (code, label, core.latency(*portal), other, f"p95 {ratio}")


def _measure(client, url: str, repeat: int) -> tuple[int, list[float]]:
    from django.db import connection

    # https, as behind the proxy: the production settings redirect plain http (301)
    for _ in range(3):  # warm-up
        r = client.get(url, secure=True)
        assert r.status_code == 200, (url, r.status_code)
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        client.get(url, secure=True)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        client.get(url, secure=True)
        times.append(time.perf_counter() - t0)
    return count[0], times


def _list_cases(n: int) -> dict[str, tuple[str, str]]:
    """scenario -> (portal URL, admin URL)."""
    from mailboxes import selectors
    from mailboxes.models import Casella

    base, admin = "/caselle/", "/admin/mailboxes/casella/"
    middle = n // 2
    created_at, pk = Casella.objects.order_by("-created_at", "-pk").values_list("created_at", "pk")[
        middle
    ]
    cursor = selectors._encode(created_at, pk)
    return {
        "first page": (base, admin),
        f"deep page (box {middle:,})": (f"{base}?dopo={cursor}", f"{admin}?p={middle // 100 + 1}"),
        "filter stato=evasa": (f"{base}?stato=evasa", f"{admin}?stato__exact=evasa"),
        "sort by address": (f"{base}?sort=indirizzo", f"{admin}?o=1"),
        "search address 'marcorossi'": (f"{base}?q=marcorossi", f"{admin}?q=marcorossi"),
        "search holder 'Edil Nord'": (f"{base}?q=Edil+Nord", f"{admin}?q=Edil+Nord"),
    }


def holders_for(sizes) -> int:
    """20,000 holders, one for five boxes beyond 100,000 (200,000 at a million)."""
    return max(20_000, max(sizes) // 5)


def p3(sizes, repeat: int) -> list[Row]:
    from django.test import Client

    h = holders_for(sizes)
    user = _superuser()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    rows = []
    queries: dict[str, dict[int, int]] = {}
    for n in sizes:
        # holders with an accountant, as in an office (the list shows whose move it is)
        data.accountants(data.ensure(h, n, sizes[-1]))
        for name, (url, admin_url) in _list_cases(n).items():
            q_portal, t_portal = _measure(client, url, repeat)
            admin_repeat = max(5, repeat // 3) if n <= NAIVE_MAX else 3
            q_admin, t_admin = _measure(client, admin_url, admin_repeat)
            queries.setdefault(name, {})[n] = q_portal
            rows.append(
                _versus(
                    "P3",
                    f"boxes list, {n:,} boxes / {h:,} holders: {name}",
                    (q_portal, t_portal),
                    f"admin: {core.latency(q_admin, t_admin)}",
                    t_admin,
                )
            )
    same = all(len(set(v.values())) == 1 for v in queries.values())
    rows.append(
        (
            "P3",
            f"query count per page the same at {sizes[0]:,} and {sizes[-1]:,} boxes",
            "yes" if same else f"NO: {queries}",
            "admin: the same, but with COUNT(*) and OFFSET",
            "",
        )
    )
    return rows


# --------------------------------------------------------------------------- P4

# The naive peers grow with the boxes (P4's took 5 minutes at 100,000): not run above this.
NAIVE_MAX = 100_000


def p4(sandbox, env, sizes) -> list[Row]:
    rows = []
    for n in sizes if isinstance(sizes, list | tuple) else (sizes,):
        rows += _p4(sandbox, env, n)
    return rows


def _p4(sandbox, env, n: int) -> list[Row]:
    sandbox.reset()
    data.wipe()
    ids = sandbox.seed(n, stato="evasa", prefix="sync")
    naive_runs = n <= NAIVE_MAX
    rows = []
    empty_portal = core.run_job("sync_portal", env)
    if naive_runs:
        data.wipe()
        empty_naive = core.run_job("sync_naive", env)
        data.wipe()
        core.run_job("sync_portal", env)  # the table holds them (as the portal writes them)
    k = n // 20
    sandbox.set_stati(ids[:k], "revocata")
    daily_portal = core.run_job("sync_portal", env)
    sandbox.set_stati(ids[k : 2 * k], "revocata")
    daily_naive = core.run_job("sync_naive", env) if naive_runs else None
    for what, portal, naive in (
        (f"sync of {n:,} boxes, 5% changed (daily)", daily_portal, daily_naive),
        (f"sync of {n:,} boxes into an empty table", empty_portal, naive_runs and empty_naive),
    ):
        mine = (
            f"{_fmt_s(portal['seconds'])}, peak +{portal['peak_mb']:.0f} MB, "
            f"{portal['written']:,} rows written"
        )
        if not naive:
            rows.append(("P4", what, mine, f"update_or_create: not run above {NAIVE_MAX:,}", ""))
            continue
        rows.append(
            (
                "P4",
                what,
                mine,
                f"update_or_create: {_fmt_s(naive['seconds'])}, peak +{naive['peak_mb']:.0f} MB, "
                f"{naive['written']:,} rows written",
                core.ratio(portal["seconds"], naive["seconds"]),
            )
        )
    return rows


# --------------------------------------------------------------------------- P5


def p5(env) -> list[Row]:
    portal = core.run_job("pdf_portal", env)
    naive = core.run_job("pdf_naive", env)
    return [
        (
            "P5",
            f"a {portal['mb']:.0f} MB PDF (+ ID document) validated, merged and stored",
            f"{_fmt_s(portal['seconds'])}, peak +{portal['peak_mb']:.0f} MB",
            f"naive: {_fmt_s(naive['seconds'])}, peak +{naive['peak_mb']:.0f} MB",
            core.ratio(portal["seconds"], naive["seconds"]),
        )
    ]


def p9(env) -> list[Row]:
    """Costly PDFs: the portal's bounded check against pypdf unbounded in the web process."""
    import subprocess

    from tests.security.corpus import COSTLY_PDFS

    rows, worst = [], {"seconds": 0.0, "child": 0.0, "grown": 0.0}
    naive_worst = {"seconds": 0.0, "peak": 0.0}
    for label, _make, _allowed in COSTLY_PDFS:
        portal = core.run_job("costly_portal", env, label)
        try:
            naive = core.run_job("costly_naive", env, label, timeout=120)
            peer = f"{_fmt_s(naive['seconds'])}, +{naive['peak_mb']:.0f} MB, {naive['outcome']}"
            naive_worst["seconds"] = max(naive_worst["seconds"], naive["seconds"])
            naive_worst["peak"] = max(naive_worst["peak"], naive["peak_mb"])
            ratio = core.ratio(portal["seconds"], naive["seconds"])
        except subprocess.TimeoutExpired:
            peer, ratio = "over 120 s (stopped)", "> 60×"
            naive_worst["seconds"] = max(naive_worst["seconds"], 120.0)
        worst["seconds"] = max(worst["seconds"], portal["seconds"])
        worst["child"] = max(worst["child"], portal["child_mb"])
        worst["grown"] = max(worst["grown"], portal["peak_mb"])
        # a child stopped by a limit does not report its peak: it was at most the limit
        child = f"{portal['child_mb']:.0f} MB" if portal["child_mb"] else "stopped at its limit"
        rows.append(
            (
                "P9",
                f"check of a costly PDF: {label}",
                f"{_fmt_s(portal['seconds'])}, child peak {child}, "
                f"web +{portal['peak_mb']:.0f} MB, {portal['outcome']}",
                peer,
                ratio,
            )
        )
    portal = core.run_job("costly_alongside", env, "portal")
    naive = core.run_job("costly_alongside", env, "naive", timeout=300)
    rows.append(
        (
            "P9",
            "a ~2 ms page in the same process while 3 LZW files are checked: slowest",
            f"{_fmt_s(portal['slowest'])} (alone {_fmt_s(portal['alone'])})",
            f"pypdf in-process: {_fmt_s(naive['slowest'])}",
            core.ratio(portal["slowest"], naive["slowest"]),
        )
    )
    rows.append(
        (
            "P9",
            f"check of {len(COSTLY_PDFS)} costly PDFs: worst wall time and peak memory",
            f"{_fmt_s(worst['seconds'])}, child {worst['child']:.0f} MB, "
            f"web +{worst['grown']:.0f} MB",
            f"pypdf unbounded: {_fmt_s(naive_worst['seconds'])}, +{naive_worst['peak']:.0f} MB",
            core.ratio(worst["seconds"], naive_worst["seconds"]),
        )
    )
    return rows


# --------------------------------------------------------------------------- P6


def p6(sandbox, env, n: int) -> list[Row]:
    from .flow import run_flow

    portal = run_flow(sandbox, env, n, callbacks=True)
    naive = run_flow(sandbox, env, n, callbacks=False, naive_poll=True)
    return [
        (
            "P6",
            f"{n:,} registrations + activations through a real worker",
            f"{_fmt_s(portal['seconds'])}, {portal['calls']:,} Openapi calls",
            f"polling per box: {_fmt_s(naive['seconds'])}, {naive['calls']:,} calls",
            f"calls {core.ratio(portal['calls'], naive['calls'])}",
        )
    ]


__all__: list[Any] = ["p1", "p3", "p4", "p5", "p6"]


# --------------------------------------------------------------------------- P10


def p10(env, sizes) -> list[Row]:
    """The boxes list exported as CSV and XLSX through the view, each in its own process (its
    peak memory), against the whole file built in memory from model instances."""
    data.wipe()
    holder_rows = data.holders(20_000)
    rows, done = [], 0
    for n in sizes:
        data.boxes(n - done, holder_rows, start=done)
        done = n
        for fmt in ("csv", "xlsx"):
            portal = core.run_job("export_portal", env, fmt)
            naive = core.run_job("export_naive", env, fmt)
            rows.append(
                (
                    "P10",
                    f"export of {n:,} boxes as {fmt.upper()} ({portal['bytes'] / 1e6:.1f} MB)",
                    f"{_fmt_s(portal['seconds'])}, peak +{portal['peak_mb']:.0f} MB",
                    f"in memory: {_fmt_s(naive['seconds'])}, peak +{naive['peak_mb']:.0f} MB",
                    core.ratio(portal["peak_mb"] or 1, naive["peak_mb"] or 1),
                )
            )
    return rows
