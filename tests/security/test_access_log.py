"""runserver's access log (the demo's) keeps no query strings and no callback secrets."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CF = "RSSMRA85T10A562S"
SECRET = "callback-secret-4f9a1c"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_request_lines_are_logged_without_query_or_callback_secret(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "OPENAPI_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", DATA_DIR=str(tmp_path))
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                get(f"{base}/healthz")
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "runserver did not answer in 60 s"
                time.sleep(0.3)
        get(f"{base}/caselle/titolari/?q={CF}&page=2")
        get(f"{base}/account/login/?next=/caselle/%3Fq%3D{CF}")
        get(f"{base}/caselle/1/callback/{SECRET}/?token={SECRET}")
        # runserver logs a request after answering it: wait for the last line
        while "callback" not in log.read_text() and time.monotonic() < deadline + 30:
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert "GET /caselle/titolari/ HTTP/1.1" in text  # the request is logged...
    assert "GET /caselle/1/callback/[secret]/ HTTP/1.1" in text
    assert CF not in text and SECRET not in text  # ...without what its URL carried
