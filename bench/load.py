"""R8: office staff at once, simulated by Locust (headless, ``bench/locustfile.py``).

- 50 users against the deployed shape (nginx + gunicorn with ``deploy/gunicorn.conf.py``,
  production settings, PostgreSQL, Redis) while a Celery worker and beat run: the boxes list
  (page 1, a filter, a sort), searches, box pages, the cockpit, and renewals confirmed through
  the form, the confirmation page and the intent (the worker then calls the sandbox);
- 10 users against the zero-config demo as ``make run`` starts it (``manage.py run_portal``:
  SQLite, the file broker, its own sandbox, worker and beat), counting "database is locked".

``python -m bench.load prepare USERS BOXES HOLDERS`` (used for the demo, in its environment)
prints the sessions and boxes the users get, as JSON."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from . import core, data

LOCKED = re.compile(r"database is locked", re.IGNORECASE)


def prepare(users: int, boxes: int, holders: int, *, synced: int = 0) -> dict:
    """``users`` office staff, each with a session; ``holders`` holders and ``boxes`` boxes
    (plus the ``synced`` ones already imported from the sandbox). Sessions, box ids to open and
    the renewable boxes (evasa), as the locustfile reads them."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from accounts.roles import OFFICE
    from mailboxes.models import Casella

    holder_rows = data.holders(holders)
    data.boxes(boxes, holder_rows, start=synced)
    User = get_user_model()
    office, _new = Group.objects.get_or_create(name=OFFICE)
    sessions = []
    for i in range(users):
        user, _new = User.objects.get_or_create(username=f"staff{i:02d}")
        user.groups.add(office)
        client = Client()
        client.force_login(user)
        sessions.append(client.cookies["sessionid"].value)
    pks = list(Casella.objects.order_by("?").values_list("pk", flat=True)[:2000])
    renewable = Casella.objects.filter(stato="evasa", remote_id__isnull=False)
    if synced:  # the boxes known to the sandbox, not the generated ones
        renewable = renewable.exclude(remote_id__startswith=data.GENERATED_ID)
    renewable = list(renewable.order_by("pk").values_list("pk", flat=True)[: users * 40])
    return {"sessions": sessions, "boxes": pks, "renewable": renewable}


def _locust(host: str, users: int, seconds: float, prepared: dict, folder: Path) -> dict:
    """Run the locustfile headless; the aggregated figures of its CSV and the failures."""
    prefix = folder / "locust"
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(core.ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(max(1, users // 5)),
        "--run-time",
        f"{int(seconds)}s",
        "--host",
        host,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "10",
    ]
    env = {
        **os.environ,
        "R8_SESSIONS": json.dumps(prepared["sessions"]),
        "R8_BOXES": json.dumps(prepared["boxes"]),
        "R8_RENEWABLE": json.dumps(prepared["renewable"]),
    }
    with (folder / "locust.log").open("wb") as log:
        subprocess.run(argv, cwd=core.ROOT, env=env, stdout=log, stderr=log, timeout=seconds + 120)
    rows = list(csv.DictReader((folder / "locust_stats.csv").open(encoding="utf-8")))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    failures = list(csv.DictReader((folder / "locust_failures.csv").open(encoding="utf-8")))
    confirmed = next((r for r in rows if r["Name"] == "rinnovo: confirmed"), None)
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "p50": float(total["50%"]),
        "p95": float(total["95%"]),
        "rps": float(total["Requests/s"]),
        "confirmed": int(confirmed["Request Count"]) if confirmed else 0,
        "errors": [f"{r['Name']}: {r['Error']} ×{r['Occurrences']}" for r in failures][:5],
        "pages": [
            (r["Name"], int(r["Request Count"]), float(r["50%"]), float(r["95%"]))
            for r in rows
            if r["Name"] != "Aggregated"
        ],
    }


def _warm(host: str, prepared: dict, rounds: int = 4) -> None:
    """Each page a few times before the users come (every gunicorn worker has loaded its
    templates and opened its connections), as on a server that has been up for a while."""
    import requests
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    with requests.Session() as http:
        http.verify = False  # the bench's self-signed certificate
        http.trust_env = False
        http.cookies.set("sessionid", prepared["sessions"][0])
        pages = ["/", "/caselle/", "/caselle/?q=rossi", "/caselle/?sort=indirizzo"]
        pages += [f"/caselle/{pk}/" for pk in prepared["boxes"][:3]]
        for _ in range(rounds):
            for page in pages:
                http.get(host + page, timeout=60)


def _celery(kind: str, env: dict[str, str], folder: Path) -> subprocess.Popen:
    argv = [sys.executable, "-m", "celery", "-A", "portal", kind, "--loglevel=WARNING"]
    if kind == "worker":
        argv += ["--concurrency=2", "--without-mingle", "--without-gossip", "-n", "r8@%h"]
    else:
        argv += ["-s", str(folder / "beat-schedule")]
    with (folder / f"{kind}.log").open("ab") as log:
        return subprocess.Popen(
            argv, cwd=core.ROOT, env={**os.environ, **env}, stdout=log, stderr=log
        )


def _stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _summary(fig: dict) -> str:
    return (
        f"p50 {fig['p50']:.0f} ms, p95 {fig['p95']:.0f} ms, {fig['failures']} errors / "
        f"{fig['requests']:,} requests ({fig['rps']:.1f}/s), {fig['confirmed']} renewals"
    )


def r8_postgres(sandbox, env, users: int, seconds: float, boxes: int) -> tuple:
    from . import deployed

    sandbox.reset()
    data.wipe()
    sandbox.seed(users * 40, stato="evasa", prefix="r8")
    from mailboxes.services import sync

    synced = sync.sync_account()["imported"]
    prepared = prepare(users, boxes, max(20_000, boxes // 5), synced=synced)
    from django.db import connections

    connections.close_all()
    folder = Path(tempfile.mkdtemp(prefix="pec-r8-"))
    web_env = {**deployed.environment(env), "DJANGO_SECURE_SSL_REDIRECT": "false"}
    worker = _celery("worker", web_env, folder)
    beat = _celery("beat", web_env, folder)
    shape = deployed.DeployedShape(web_env, proxy=deployed.nginx_binary() is not None)
    try:
        shape.start()
        host = shape.https_url if shape.proxy else shape.gunicorn_url
        _warm(host, prepared)
        load = core.load_average()
        fig = _locust(host, users, seconds, prepared, folder)
        fig["load"] = f"{load} → {core.load_average()}"
    finally:
        shape.stop()
        _stop(worker)
        _stop(beat)
    fig["shape"] = "nginx + gunicorn" if shape.proxy else "gunicorn"
    if os.environ.get("R8_KEEP_LOGS"):
        print(f"#      (R8 logs in {folder})", flush=True)
    else:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(shape.folder, ignore_errors=True)
    return fig


def r8_demo(users: int, seconds: float, boxes: int, *, naive: bool = False) -> dict:
    """``naive``: Django's stock SQLite options (bench/naive_sqlite.py)."""
    from .soak import demo_env, wait_until

    data_dir = tempfile.mkdtemp(prefix="pec-r8-demo-")
    folder = Path(data_dir)
    env = demo_env(data_dir)
    if naive:
        env["DJANGO_SETTINGS_MODULE"] = "bench.naive_sqlite"
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=core.ROOT, env=env, check=True)
    out = subprocess.run(
        [py, "-m", "bench.load", "prepare", str(users), str(boxes), "2000"],
        cwd=core.ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    prepared = json.loads(out.stdout.strip().splitlines()[-1])
    port = core.free_port()
    console = folder / "console.log"
    with console.open("wb") as log:
        portal = subprocess.Popen(
            [py, "manage.py", "run_portal", "--port", str(port)],
            cwd=core.ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def ready():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/account/login/") as r:
                    return r.status == 200 and " ready." in console.read_text(errors="replace")
            except OSError:
                return False

        wait_until(ready, 120, "the demo to start")
        _warm(f"http://127.0.0.1:{port}", prepared)
        load = core.load_average()
        fig = _locust(f"http://127.0.0.1:{port}", users, seconds, prepared, folder)
        fig["load"] = f"{load} → {core.load_average()}"
    finally:
        _stop(portal, signal.SIGINT)
    fig["locked"] = len(LOCKED.findall(console.read_text(errors="replace")))
    if os.environ.get("R8_KEEP_LOGS"):
        print(f"#      (R8 demo logs in {folder})", flush=True)
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return fig


def _wait() -> str:
    return os.environ.get("R8_WAIT", "3,10").replace(",", "–")


def _pages(fig: dict) -> list:
    """One row per page of the run, slowest p95 first."""
    return [
        ("R8", f"  {name}", f"p50 {p50:.0f} ms, p95 {p95:.0f} ms / {n:,} requests", "", "")
        for name, n, p50, p95 in sorted(fig["pages"], key=lambda page: -page[3])
    ]


def r8(sandbox, env, *, users: int = 50, demo_users: int = 10, seconds: float = 60) -> list:
    boxes = 20_000
    pg = r8_postgres(sandbox, env, users, seconds, boxes)
    rows = [
        (
            "R8",
            f"{users} staff at once ({_wait()} s between clicks), {seconds:.0f} s, "
            f"{boxes:,} boxes: {pg['shape']} + "
            f"PostgreSQL + Redis, worker and beat running (load {pg['load']})",
            _summary(pg),
            "",
            "",
        )
    ]
    rows.extend(_pages(pg))
    for error in pg["errors"]:
        rows.append(("R8", "  error", error, "", ""))
    if os.environ.get("R8_DEMO", "1") == "0":  # the PostgreSQL part only
        return rows
    demo = r8_demo(demo_users, seconds, 5_000)
    stock = r8_demo(demo_users, seconds, 5_000, naive=True)
    bad, stock_bad = demo["locked"] + demo["failures"], stock["locked"] + stock["failures"]
    rows.append(
        (
            "R8",
            f"{demo_users} staff at once ({_wait()} s between clicks), {seconds:.0f} s, "
            f"5,000 boxes: the SQLite demo (run_portal) (load {demo['load']}, {stock['load']})",
            f"{_summary(demo)}, {demo['locked']} 'database is locked'",
            f"Django's stock SQLite options: {_summary(stock)}, {stock['locked']} "
            "'database is locked'",
            f"errors {core.ratio(bad, stock_bad)}" if bad or stock_bad else "0 errors both",
        )
    )
    for error in demo["errors"]:
        rows.append(("R8", "  error (demo)", error, "", ""))
    for error in stock["errors"]:
        rows.append(("R8", "  error (stock SQLite)", "", error, ""))
    return rows


def main(argv: list[str]) -> int:
    if argv[:1] == ["prepare"]:
        core.django_setup()
        users, boxes, holders = (int(a) for a in argv[1:4])
        print(json.dumps(prepare(users, boxes, holders)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
