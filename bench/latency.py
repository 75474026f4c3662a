"""P2: how soon the portal shows a box's change, by callback and by polling alone; and the
portal and the poller running on their own, which bench/flow.py uses too."""

from __future__ import annotations

import datetime as dt
import threading
import time

from . import core, data
from .figures import Row, naive_poll_cycle


class PortalServer:
    """The portal's WSGI app on a loopback port (threads), for the sandbox's callbacks."""

    def __init__(self):
        from socketserver import ThreadingMixIn
        from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

        from django.core.wsgi import get_wsgi_application

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        class Threading(ThreadingMixIn, WSGIServer):
            daemon_threads = True

        portal = get_wsgi_application()

        def behind_the_proxy(environ, start_response):
            # As deployed: TLS ends at the proxy and gunicorn gives Django the scheme it was
            # told (https). Without it production settings answer 301 to https, which the
            # sandbox cannot follow: no callback arrived and P2/P6 measured polling alone.
            environ["wsgi.url_scheme"] = "https"
            return portal(environ, start_response)

        self.port = core.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server(
            "127.0.0.1", self.port, behind_the_proxy, Threading, handler_class=Quiet
        )
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Poller:
    """What beat + the poll task do: a tick every POLL_TICK_SECONDS, and an extra tick when a box
    is due within 30 s (portal.tasks.kick_poll). ``naive``: one GET /pec/{id} per pending
    box at each tick instead."""

    def __init__(self, naive: bool = False):
        from django.conf import settings

        self.tick = float(settings.POLL_TICK_SECONDS)
        self.naive = naive
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        from django.db import connection

        from mailboxes.services.polling import BOXES
        from portal import polling
        from portal.tasks import KICK_MAX

        next_tick = time.monotonic()
        while self.running:
            if self.naive:
                naive_poll_cycle()
                time.sleep(self.tick)
                continue
            polling.poll_due(BOXES)
            next_tick += self.tick
            due = polling.seconds_to_next_poll(BOXES)
            wait = next_tick - time.monotonic()
            if due is not None and due <= KICK_MAX:
                wait = min(wait, due + 0.05)
            time.sleep(max(0.05, wait))
        connection.close()

    def stop(self):
        self.running = False
        self.thread.join(timeout=30)


def _latencies(sandbox, k: int, window: float, *, callbacks: bool, naive: bool = False):
    """k boxes in_evasione (documents just sent); each changes to evasa at the sandbox at a
    random moment within ``window`` seconds; seconds until the portal shows it."""
    import random

    from django.utils import timezone

    from mailboxes.models import Casella
    from mailboxes.services.polling import BOXES
    from portal.callbacks import callback_for

    sandbox.reset()
    data.wipe()
    now = timezone.now()
    boxes = [
        Casella.objects.create(
            casella_pec=f"lat{i:04d}@legalmail.it",
            tipo_casella="STANDARD",
            stato="in_evasione",
            poll_interval=BOXES.min_seconds(),
            next_poll_at=now + dt.timedelta(seconds=BOXES.min_seconds()),
        )
        for i in range(k)
    ]
    for casella in boxes:
        cb = callback_for(BOXES, casella.pk, data_key="casella") if callbacks else None
        (rid,) = sandbox.seed(
            1,
            stato="in_evasione",
            prefix=f"lat{casella.pk}-",
            **({"callback": cb.to_dict()} if cb else {}),
        )
        casella.remote_id = rid
        casella.last_payload = {"callback": cb.to_dict()} if cb else {}
        casella.save()
    rnd = random.Random(8)
    start = time.monotonic()
    plan = sorted((rnd.uniform(0.5, window), c) for c in boxes)
    poller = Poller(naive=naive)
    changed_at: dict[int, float] = {}
    seen_at: dict[int, float] = {}
    try:
        i = 0
        deadline = start + window + 120
        while len(seen_at) < k and time.monotonic() < deadline:
            t = time.monotonic() - start
            while i < len(plan) and plan[i][0] <= t:
                casella = plan[i][1]
                sandbox.post(f"caselle/{casella.remote_id}/stato", {"stato": "evasa"})
                changed_at[casella.pk] = time.monotonic()
                i += 1
            for pk in Casella.objects.filter(pk__in=list(changed_at), stato="evasa").values_list(
                "pk", flat=True
            ):
                seen_at.setdefault(pk, time.monotonic())
            time.sleep(0.02)
    finally:
        poller.stop()
    return [seen_at[pk] - changed_at[pk] for pk in seen_at]


def p2(sandbox, env, k: int, window: float) -> list[Row]:
    import os

    from django.conf import settings

    from .flow import _purge_broker, _stop, _worker

    server = PortalServer()
    os.environ["PORTAL_PUBLIC_URL"] = server.url
    # This process asks for the callbacks (settings were read before the server had a port),
    # and a callback only queues a read: a real worker makes it, as deployed. Without either,
    # both rows measured polling.
    settings.PORTAL_PUBLIC_URL = server.url
    _purge_broker()
    worker = _worker(env, os.path.join(env["DATA_DIR"], "worker-p2.log"))
    try:
        time.sleep(3)  # the worker is up
        cb = _latencies(sandbox, k, window, callbacks=True)
        poll = _latencies(sandbox, k, window, callbacks=False)
    finally:
        _stop(worker)
        settings.PORTAL_PUBLIC_URL = ""
        os.environ.pop("PORTAL_PUBLIC_URL", None)
        server.stop()
    rows = []
    for what, values in (("with callbacks", cb), ("with polling only", poll)):
        rows.append(
            (
                "P2",
                f"status change at Openapi -> shown by the box page, {what} ({len(values)} boxes)",
                f"median {core.median(values):.2f} s, p95 {core.percentile(values, 95):.2f} s",
                "",
                "",
            )
        )
    rows[0] = (
        *rows[0][:3],
        f"polling: median {core.median(poll):.2f} s, p95 {core.percentile(poll, 95):.2f} s",
        f"median {core.ratio(core.median(cb), core.median(poll))}",
    )
    rows[1] = (*rows[1][:3], "(the safety net: backoff 2 s → 10 min, beat tick 5 s)", "")
    return rows
