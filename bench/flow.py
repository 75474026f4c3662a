"""P6: registrations and activations through a real Celery worker against the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

from . import core, data


def _worker(env: dict[str, str], log_path: str) -> subprocess.Popen:
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--loglevel=WARNING",
        "--concurrency=2",
        "--without-mingle",
        "--without-gossip",
        "-n",
        f"bench-{uuid.uuid4().hex[:6]}@%h",
    ]
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            argv, cwd=core.ROOT, env={**os.environ, **env}, stdout=log, stderr=log
        )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise RuntimeError(f"P6: timed out waiting for {what}")


def _purge_broker() -> None:
    from portal.celery import app

    app.control.purge()


def run_flow(sandbox, env, n: int, *, callbacks: bool, naive_poll: bool = False) -> dict:
    """n boxes registered (POST /pec by the worker), their documents uploaded (PATCH by the
    worker), followed until active: by callbacks + the bulk poller, or (the naive peer) by one
    GET /pec/{id} per pending box at every tick. Total seconds and Openapi calls."""
    from django.core.cache import cache
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mailboxes.models import Casella, Stato
    from mailboxes.services import activation, registration
    from mailboxes.services.polling import BOXES
    from openapi_pec.domains import SANDBOX_DOMAINS
    from pec_sandbox.pdf import make_pdf
    from portal.pdf import check_pdf
    from portal.tasks import kick_key

    from .figures import _superuser
    from .latency import Poller, PortalServer

    sandbox.reset()
    # Openapi takes a while to check the documents (hours in real life; 20 s here).
    sandbox.post("config", {"evasione_seconds": 20.0})
    data.wipe()
    cache.clear()
    _purge_broker()
    (holder_pk, *_rest), *_ = data.holders(1, seed=6)
    from mailboxes.models import Titolare

    holder = Titolare.objects.get(pk=holder_pk)
    user = _superuser()
    server = PortalServer() if callbacks else None
    worker_env = dict(env)
    if server:
        worker_env["PORTAL_PUBLIC_URL"] = server.url
        os.environ["PORTAL_PUBLIC_URL"] = server.url
    else:
        # The naive peer polls by itself: no callbacks, and the worker's extra poll ticks
        # (kick_poll) are held off by their own lock.
        worker_env.pop("PORTAL_PUBLIC_URL", None)
        os.environ.pop("PORTAL_PUBLIC_URL", None)
        cache.set(kick_key(BOXES.name), 1, timeout=3600)
    worker = _worker(worker_env, os.path.join(env["DATA_DIR"], "worker.log"))
    modulo = make_pdf("Modulo di attivazione firmato", ["Firmato"])
    ident = make_pdf("Documento d'identità", ["CA12345AB"])
    poller = None
    try:
        time.sleep(3)  # the worker is up
        before = sandbox.calls_total()
        t0 = time.monotonic()
        boxes = []
        for i in range(n):
            boxes.append(
                registration.register_casella(
                    titolare=holder,
                    tipo_casella="STANDARD",
                    casella_pec=f"flow{i:05d}@{SANDBOX_DOMAINS['STANDARD']}",
                    richiedente=_richiedente(),
                    autorinnovo=False,
                    intent_key=str(uuid.uuid4()),
                    user=user,
                )
            )
        pks = [b.pk for b in boxes]
        poller = Poller(naive=naive_poll)
        _wait(
            lambda: not Casella.objects.filter(pk__in=pks, stato=Stato.NUOVA).exists(),
            600 + n,
            "the registrations",
        )
        refused = Casella.objects.filter(pk__in=pks, stato=Stato.NON_REGISTRATA).first()
        if refused:
            raise RuntimeError(f"P6: a registration was refused: {refused.last_error}")
        for casella in Casella.objects.filter(pk__in=pks, stato=Stato.REGISTRATA):
            activation.upload_documents(
                casella=casella,
                modulo=check_pdf(SimpleUploadedFile("m.pdf", modulo)),
                identita=check_pdf(SimpleUploadedFile("i.pdf", ident)),
                intent_key=str(uuid.uuid4()),
                user=user,
            )
        _wait(
            lambda: Casella.objects.filter(pk__in=pks, stato=Stato.EVASA).count() == n,
            600 + n,
            "the activations",
        )
        seconds = time.monotonic() - t0
        calls = sandbox.calls_total() - before
    finally:
        if poller:
            poller.stop()
        _stop(worker)
        if server:
            server.stop()
        os.environ.pop("PORTAL_PUBLIC_URL", None)
        cache.delete(kick_key(BOXES.name))
        sandbox.post("config", {"evasione_seconds": 1.0})
    return {"seconds": seconds, "calls": calls}


def _richiedente() -> dict:
    import datetime as dt

    today = dt.date.today()
    return {
        "nome": "Mario",
        "cognome": "Rossi",
        "codice_fiscale": "RSSMRA85T10A562S",
        "data_nascita": dt.date(1985, 12, 10),
        "sesso": "M",
        "nazione_nascita": "IT",
        "comune_nascita": "Roma",
        "provincia_nascita": "RM",
        "email": "mario.rossi@example.com",
        "telefono": "061234567",
        "cellulare": "",
        "tipo_documento": "CARTA_D_IDENTITA",
        "numero_documento": "CA12345AB",
        "documento_rilasciato_da": "Comune di Roma",
        "data_rilascio_documento": today - dt.timedelta(days=400),
        "data_scadenza_documento": today + dt.timedelta(days=2000),
    }
