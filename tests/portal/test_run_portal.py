"""`make run`'s last step: every process starts, the portal answers beside another demo, a process
that dies is started again, Ctrl-C stops them all."""

import contextlib
import fcntl
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from portal.management.commands.run_portal import Supervisor

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


def children_of(pid: int) -> dict[int, str]:
    """Direct children of ``pid``: their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except (OSError, IndexError, ValueError):
                continue
    return {pid: cmd.decode() for pid, cmd in found.items()}


@contextlib.contextmanager
def port_held(port: int):
    """``port`` busy while inside (already busy is as good: another demo holds it)."""
    sock = socket.socket()
    try:
        with contextlib.suppress(OSError):
            sock.bind(("127.0.0.1", port))
            sock.listen()
        yield
    finally:
        sock.close()


class Portal:
    """``manage.py run_portal`` on a private data folder; its console collected as it comes."""

    def __init__(self, tmp_path: Path, **env):
        self.marker = f"PORTAL_RUN_TEST={uuid.uuid4().hex}"
        self.port = free_port()
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_", "REDIS_", "OPENAPI_", "SANDBOX_"))
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="portal.settings", DATA_DIR=str(tmp_path), PORT=str(self.port)
        )
        self.env.update(env)
        self.env[self.marker.split("=")[0]] = self.marker.split("=")[1]
        for command in (["migrate", "-v0"], ["create_demo_admin"]):
            subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=self.env,
                check=True,
                timeout=120,
                capture_output=True,
            )
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_portal"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def console(self) -> str:
        return "".join(self.lines)

    def wait_for(self, predicate, what: str, timeout: float = 90):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert self.proc.poll() is None, f"run_portal exited:\n{self.console}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{self.console}"
            time.sleep(0.3)

    def wait_answering(self):
        def answers():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/account/login/") as r:
                    return r.status == 200
            except OSError:
                return False

        self.wait_for(answers, "the portal to answer")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
        for pid in processes_with(self.marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def portal(tmp_path):
    started = []

    def start(**env) -> Portal:
        started.append(Portal(tmp_path, **env))
        return started[-1]

    yield start
    for p in started:
        p.cleanup()


@pytest.mark.integration
def test_run_portal_serves_beside_another_demo_and_ctrl_c_leaves_no_process(portal):
    with port_held(8765):  # the sandbox's usual port, taken by another demo
        p = portal(SAMPLE="1")
        p.wait_answering()
    # Once everything is up (SAMPLE=1: the sample portfolio made first) the console says again
    # where the portal is and how to log in.
    p.wait_for(lambda: "The PEC portal is ready" in p.console, "the ready banner")
    assert "Sample portfolio: 4 holders" in p.console.split("The PEC portal is ready")[0]
    password = (Path(p.env["DATA_DIR"]) / "demo-credentials.txt").read_text().strip()
    ready = p.console.split("The PEC portal is ready", 1)[1]
    assert f"http://127.0.0.1:{p.port}/" in ready
    assert f"Log in as 'admin', password {password!r}" in ready
    # and the periodic tasks do not fill the console (beat's "Sending due task" lines)
    assert "Sending due task" not in p.console
    sandbox = re.search(r"sandbox on (http://\S+)\)", p.console).group(1)
    assert not sandbox.endswith(":8765")
    with urllib.request.urlopen(f"{sandbox}/_sandbox/health") as r:
        assert r.status == 200
    # web, worker (+ pool), beat, sandbox, and run_portal itself
    assert len(processes_with(p.marker)) >= 5
    assert p.stop() == 0
    assert "All portal processes stopped." in p.console
    deadline = time.monotonic() + 10
    while processes_with(p.marker) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_with(p.marker) == []


@pytest.mark.integration
def test_run_portal_starts_again_a_process_that_dies(portal):
    # every line (the worker's "ready." and task lines are INFO)
    p = portal(SANDBOX_URL=f"http://127.0.0.1:{free_port()}", PORTAL_LOG_LEVEL="INFO")
    p.wait_answering()
    p.wait_for(lambda: p.console.count(" ready.") == 1, "the worker")
    (worker,) = [pid for pid, cmd in children_of(p.proc.pid).items() if " worker " in cmd]
    os.kill(worker, signal.SIGKILL)
    p.wait_for(lambda: p.console.count(" ready.") == 2, "the worker to start again")
    assert "worker was killed by SIGKILL; restarting in 1 s." in p.console
    assert p.proc.poll() is None
    # the new worker takes tasks, and the web server was left alone
    key = uuid.uuid4().hex
    send = f"from portal.tasks import ping; ping.delay({key!r})"
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", send],
        cwd=ROOT,
        env=p.env,
        check=True,
        timeout=120,
    )
    p.wait_for(lambda: re.search(r"portal\.ping\[.*\] succeeded", p.console), "the task")
    p.wait_answering()
    assert p.stop() == 0


def run_portal_once(tmp_path: Path, port: int) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "OPENAPI_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", DATA_DIR=str(tmp_path), PORT=str(port))
    return subprocess.run(
        [sys.executable, "manage.py", "run_portal"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_portal_says_when_the_web_port_is_taken(tmp_path):
    port = free_port()
    with port_held(port):
        proc = run_portal_once(tmp_path, port)
    assert proc.returncode != 0
    assert f"127.0.0.1:{port}: the port is already in use" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_second_portal_on_the_same_data_folder_is_refused(tmp_path):
    with open(tmp_path / "run_portal.lock", "ab") as lock:  # as a running portal holds it
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        proc = run_portal_once(tmp_path, free_port())
    assert proc.returncode != 0
    assert f"Another portal is already running on the data folder {tmp_path}" in proc.stderr
    assert "DATA_DIR=data/" in proc.stderr


def flaky(code: int) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.exit({code})"]


def test_a_process_that_keeps_dying_is_restarted_with_longer_pauses_then_given_up():
    said = []
    supervisor = Supervisor(dict(os.environ), said.append, restart_limit=3, backoff=0.05)
    supervisor.start("flaky", flaky(3))
    steady = supervisor.start("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        given_up = supervisor.watch(lambda: False, tick=0.01)
    finally:
        supervisor.stop_all(grace=5)
    assert given_up.name == "flaky"
    assert [line for line in said if "started again" not in line] == [
        "flaky exited with code 3; restarting in 0.05 s.",
        "flaky exited with code 3; restarting in 0.1 s.",
        "flaky exited with code 3; restarting in 0.2 s.",
        "flaky exited with code 3: 4 exits in 600 s, giving up; stopping the portal.",
    ]
    assert sum(line.startswith("flaky: started again") for line in said) == 3
    assert steady.proc.poll() is not None  # stopped with the rest


def test_exits_spread_over_time_never_give_up():
    said = []
    supervisor = Supervisor(dict(os.environ), said.append, restart_limit=1, window=0.1)
    supervisor.backoff = 0.15  # each restart comes after the previous exit has left the window
    supervisor.start("slow-flaky", flaky(1))
    rounds = iter(range(400))
    try:
        given_up = supervisor.watch(lambda: next(rounds, None) is None, tick=0.01)
    finally:
        supervisor.stop_all(grace=5)
    assert given_up is None
    assert said.count("slow-flaky exited with code 1; restarting in 0.15 s.") >= 2
