"""`make run`'s last step: every process starts, the portal answers, Ctrl-C stops them all."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_with(marker: str) -> list[int]:
    """Pids whose environment carries ``marker`` (children inherit it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@pytest.mark.integration
def test_run_portal_serves_and_ctrl_c_leaves_no_process(tmp_path):
    marker = f"PORTAL_RUN_TEST={uuid.uuid4().hex}"
    port, sandbox_port = free_port(), free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "OPENAPI_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATA_DIR=str(tmp_path),
        SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
        PORT=str(port),
    )
    env[marker.split("=")[0]] = marker.split("=")[1]
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "run_portal"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/account/login/") as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the portal did not answer in 90 s"
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{sandbox_port}/_sandbox/health") as r:
            assert r.status == 200
        # web, worker (+ pool), beat, sandbox, and run_portal itself
        assert len(processes_with(marker)) >= 5
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert "All portal processes stopped." in out
        deadline = time.monotonic() + 10
        while processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert processes_with(marker) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in processes_with(marker):
            os.kill(pid, signal.SIGKILL)
