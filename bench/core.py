"""The bench's environment: a throw-away PostgreSQL database, a data directory, the sandbox."""

from __future__ import annotations

import json
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB", "pec_bench")


# --------------------------------------------------------------------------- PostgreSQL


def pg_check() -> str | None:
    """None when PostgreSQL answers at BENCH_PG, else the reason."""
    import psycopg

    try:
        with psycopg.connect(f"{PG_BASE}/postgres", connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return str(exc).strip().splitlines()[0]
    return None


def pg_recreate(name: str = DB_NAME) -> str:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def pg_exists(name: str = DB_NAME) -> bool:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def pg_url(name: str = DB_NAME) -> str:
    return f"{PG_BASE}/{name}"


def pg_drop(name: str = DB_NAME) -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- sandbox


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sandbox:
    """``python -m pec_sandbox`` in memory (no state file: 100,000 boxes stay fast)."""

    def __init__(self, evasione_seconds: float = 1.0):
        import requests

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable,
            "-m",
            "pec_sandbox",
            "--port",
            str(self.port),
            "--state",
            "",
            "--evasione-seconds",
            str(evasione_seconds),
            "--comunica-seconds",
            str(evasione_seconds),
            "--credit",
            "10000000",
            "--quiet",
        ]
        self.process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
        self.http = requests.Session()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if self.http.get(f"{self.url}/_sandbox/health", timeout=0.5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the sandbox did not start")

    def post(self, path: str, body: dict | None = None, timeout: float = 120) -> Any:
        r = self.http.post(f"{self.url}/_sandbox/{path}", json=body or {}, timeout=timeout)
        r.raise_for_status()
        return r.json()

    def get(self, path: str) -> Any:
        r = self.http.get(f"{self.url}/_sandbox/{path}", timeout=60)
        r.raise_for_status()
        return r.json()

    def reset(self) -> None:
        self.post("reset")

    def seed(self, n: int, **kw) -> list[str]:
        return self.post("seed", {"n": n, **kw})["ids"]

    def set_stati(self, ids: list[str], stato: str) -> int:
        return self.post("stati", {"ids": ids, "stato": stato})["changed"]

    def calls_total(self) -> int:
        return self.get("calls")["total"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


# --------------------------------------------------------------------------- Django


def environment(database_url: str, data_dir: str, sandbox_url: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "60",
        "DATA_DIR": data_dir,
        "OPENAPI_PEC_URL": sandbox_url,
        "OPENAPI_OAUTH_URL": sandbox_url,
        "OPENAPI_TOKEN": "demo-token",
        "OPENAPI_EMAIL": "",
        "OPENAPI_APIKEY": "",
        "OPENAPI_TIMEOUT": "120",
        "DJANGO_SECRET_KEY": secrets.token_hex(32),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "EMAIL_URL": "consolemail://",
        "STATIC_MANIFEST": "false",  # pages render without a collectstatic run
        "PYTHONPATH": str(ROOT),
    }
    redis_url = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")
    if redis_url and _answers(redis_url):
        env["REDIS_URL"] = redis_url  # broker and cache (else: the file broker in DATA_DIR)
    return env


def _answers(redis_url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(redis_url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def django_setup() -> None:
    """Django for measuring: no query log (DEBUG's cursor wrapper would slow the naive loops
    and grow memory), no e-mails sent."""
    import logging

    import django

    logging.disable(logging.INFO)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def make_data_dir() -> str:
    return tempfile.mkdtemp(prefix="pec-bench-")


# --------------------------------------------------------------------------- measuring


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def latency(queries: int | str, times: list[float], digits: int = 1) -> str:
    """One page's figure: ``N queries, p50 X ms, p95 Y ms``."""
    p50, p95 = percentile(times, 50) * 1000, percentile(times, 95) * 1000
    return f"{queries} queries, p50 {p50:.{digits}f} ms, p95 {p95:.{digits}f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _status_mb(field: str) -> float | None:
    """A size from /proc/self/status (Linux), in MB; None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM) in MB. Not ``ru_maxrss``: a process started with
    subprocess (vfork + exec) inherits its parent's peak in ``ru_maxrss``, so a job started by a
    bench that had grown to 500 MB read a baseline of 500 MB and reported "peak +0 MB"."""
    peak = _status_mb("VmHWM")
    if peak is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak


def peak_start() -> float:
    """Start measuring a peak here: the peak is reset to the current RSS (``clear_refs`` 5,
    Linux ≥ 4.0), which is returned as the baseline; ``peak_rss_mb() - peak_start()`` is then
    what the work in between added at its highest, not hidden by an earlier, higher peak (the
    imports, a test file built before)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return peak_rss_mb()  # no reset: the baseline is the peak so far
    current = _status_mb("VmRSS")
    return peak_rss_mb() if current is None else current


def run_job(name: str, env: dict[str, str], *args: Any, timeout: float = 3600) -> dict:
    """Run ``bench.job <name>`` in a fresh process (its own peak memory); its JSON answer."""
    cmd = [sys.executable, "-m", "bench.job", name, json.dumps(args)]
    out = subprocess.run(
        cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench job {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def ratio(portal: float, peer: float, *, higher_is_better: bool = False) -> str:
    """How many times better the portal is (peer / portal, or portal / peer)."""
    try:
        r = portal / peer if higher_is_better else peer / portal
    except ZeroDivisionError:
        return "∞"
    if r != r:  # NaN
        return "n/a"
    return f"{r:,.0f}×" if r >= 10 else f"{r:.1f}×"


def load_average() -> str:
    """The 1-minute load average now (the bench shares its machine: say how loaded)."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"
