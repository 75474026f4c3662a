"""Start the whole portal in the foreground: web server, Celery worker, Celery beat and, in demo
mode, the built-in Openapi sandbox. A process that dies is started again after a pause that
doubles each time (said on the console); one that keeps dying stops everything with a non-zero
exit. Ctrl-C (or SIGTERM) stops every process it started."""

from __future__ import annotations

import collections
import contextlib
import errno
import fcntl
import http.client
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo import demo_credentials


class Child:
    """One supervised process: its command line and the times it exited."""

    def __init__(self, name: str, argv: list[str], proc: subprocess.Popen):
        self.name, self.argv, self.proc = name, argv, proc
        self.exits: collections.deque[float] = collections.deque()
        self.restart_at: float | None = None  # set while it waits to be started again


class Supervisor:
    """Starts processes, each in its own session (so that we, not the terminal, decide how it
    stops), and starts again one that dies: after ``backoff`` s, doubling with each exit within
    ``window`` s up to ``backoff_cap``; more than ``restart_limit`` exits within the window and
    it gives up."""

    def __init__(
        self,
        env: dict[str, str],
        say: Callable[[str], None],
        *,
        restart_limit: int = 5,
        window: float = 600.0,
        backoff: float = 1.0,
        backoff_cap: float = 30.0,
    ):
        self.env, self.say = env, say
        self.restart_limit, self.window = restart_limit, window
        self.backoff, self.backoff_cap = backoff, backoff_cap
        self.children: list[Child] = []

    def _spawn(self, argv: list[str], **popen) -> subprocess.Popen:
        return subprocess.Popen(argv, env=self.env, start_new_session=True, **popen)  # noqa: S603

    def start(self, name: str, argv: list[str], **popen) -> Child:
        child = Child(name, argv, self._spawn(argv, **popen))
        self.children.append(child)
        return child

    def watch(self, stopping: Callable[[], bool], tick: float = 0.2) -> Child | None:
        """Keep the children running until ``stopping()``; the child it gave up on, if any."""
        while not stopping():
            now = time.monotonic()
            for child in self.children:
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        child.restart_at = None
                        child.proc = self._spawn(child.argv)
                        self.say(f"{child.name}: started again (pid {child.proc.pid}).")
                elif child.proc.poll() is not None:
                    _kill_group(child.proc)  # e.g. the pool processes of a killed worker
                    child.exits.append(now)
                    while child.exits[0] < now - self.window:
                        child.exits.popleft()
                    exits = len(child.exits)
                    how = _exit_status(child.proc.returncode)
                    if exits > self.restart_limit:
                        self.say(
                            f"{child.name} {how}: {exits} exits in {self.window:g} s, "
                            "giving up; stopping the portal."
                        )
                        return child
                    delay = min(self.backoff_cap, self.backoff * 2 ** (exits - 1))
                    child.restart_at = now + delay
                    self.say(f"{child.name} {how}; restarting in {delay:g} s.")
            time.sleep(tick)
        return None

    def stop_all(self, grace: float = 20.0) -> None:
        # SIGTERM to each main process (Celery then stops its own pool children); whatever is
        # still alive after the deadline, with its whole process group, gets SIGKILL.
        for child in self.children:
            if child.proc.poll() is None:
                child.proc.terminate()
        deadline = time.monotonic() + grace
        for child in self.children:
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
            _kill_group(child.proc)


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL what is left of a finished child's process group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _exit_status(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-returncode).name}"
        return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _cannot_listen(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (None when it can), as the servers bind it."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return "the port is already in use"
        return exc.strerror or str(exc)
    return None


def _answers(host: str, port: int, path: str) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()


class Command(BaseCommand):
    help = "Run web, worker, beat and (in demo mode) the Openapi sandbox together."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def say(self, message: str) -> None:
        self.stderr.write(message)
        self.stderr.flush()

    def handle(self, *args, port, host, **options):
        # Two portals on one data folder would share the SQLite database, the broker's queue,
        # the beat schedule and the sandbox's state file: the second is refused. The lock lasts
        # as long as this process (the children do not inherit it).
        with open(settings.DATA_DIR / "run_portal.lock", "ab") as lock:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CommandError(
                    f"Another portal is already running on the data folder {settings.DATA_DIR}. "
                    f"Give this one its own: DATA_DIR=data/{port + 1} PORT={port + 1} make run."
                ) from None
            self._serve(port, host)

    def _serve(self, port: int, host: str) -> None:
        reason = _cannot_listen(host, port)
        if reason:
            raise CommandError(
                f"Cannot serve the portal on {host}:{port}: {reason} (another portal?). "
                f"Choose another port, e.g. PORT={port + 1} make run."
            )
        python = sys.executable
        # Worker and beat say only what goes wrong (not each periodic task sent, received and
        # succeeded); PORTAL_LOG_LEVEL=INFO make run shows every line again.
        log_level = os.environ.get("PORTAL_LOG_LEVEL", "WARNING").upper()
        supervisor = Supervisor(os.environ.copy(), self.say)
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        # From here on Ctrl-C is ours: the processes started so far are stopped, never orphaned.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            sandbox_url = None
            if settings.OPENAPI_DEMO and importlib.util.find_spec("pec_sandbox"):
                sandbox_url = self._start_sandbox(supervisor, python)
                # web, worker and beat read it through the settings (OPENAPI_PEC_URL)
                supervisor.env["SANDBOX_URL"] = sandbox_url
            supervisor.start(
                "worker",
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    f"--loglevel={log_level}",
                    "--concurrency=2",
                ],
            )
            supervisor.start(
                "beat",
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "beat",
                    f"--loglevel={log_level}",
                    "--schedule",
                    settings.CELERY_BEAT_SCHEDULE_FILENAME,
                ],
            )
            supervisor.start(
                "web", [python, "manage.py", "runserver", "--noreload", f"{host}:{port}"]
            )
            mode = (
                f"demo (built-in Openapi sandbox on {sandbox_url})"
                if sandbox_url
                else "Openapi account"
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nPEC portal running on http://{host}:{port}/  [{mode}]\n"
                    "Ctrl-C stops everything.\n"
                )
            )
            self.stdout.flush()
            threading.Thread(
                target=self._announce_when_ready,
                args=(host, port, lambda: stopping, supervisor.env),
                daemon=True,
            ).start()
            given_up = supervisor.watch(lambda: stopping)
        finally:
            supervisor.stop_all()
            self.stdout.write("All portal processes stopped.")
            self.stdout.flush()
        if given_up:
            raise CommandError(f"{given_up.name} kept exiting; the portal was stopped.")

    def _announce_when_ready(
        self, host: str, port: int, stopping: Callable[[], bool], env: dict[str, str]
    ) -> None:
        """Once the web server answers (after the start-up lines of every process), fill the
        demo with the sample portfolio when SAMPLE=1, then say again where the portal is and,
        in demo mode, how to log in."""
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104  # nosec B104
        shown = f"[{shown}]" if ":" in shown else shown
        url = f"http://{shown}:{port}/"
        deadline = time.monotonic() + 300
        while not _answers(shown.strip("[]"), port, "/account/login/"):
            if stopping() or time.monotonic() > deadline:
                return
            time.sleep(0.5)
        if env.get("SAMPLE", "") not in ("", "0") and settings.OPENAPI_DEMO:
            subprocess.run(
                [sys.executable, "manage.py", "sample_portfolio"],
                env={"LOG_LEVEL": "WARNING", **env},
                check=False,
            )
        lines = [f"The PEC portal is ready: {url}"]
        credentials = demo_credentials()
        if credentials:
            lines.append(f"Log in as {credentials[0]!r}, password {credentials[1]!r}.")
        lines.append("Ctrl-C stops everything.")
        rule = "=" * max(len(line) for line in lines)
        self.stdout.write(self.style.SUCCESS("\n".join(["", rule, *lines, rule, ""])))
        self.stdout.flush()

    def _start_sandbox(self, supervisor: Supervisor, python: str) -> str:
        """Start the sandbox and return its URL. The port of SANDBOX_URL when that is set;
        otherwise SANDBOX_URL's default port if it is free, else one the system picks, so that
        a second demo on the same machine gets its own."""
        configured = urlsplit(settings.SANDBOX_URL)
        sandbox_host, sandbox_port = configured.hostname or "127.0.0.1", configured.port or 80
        reason = _cannot_listen(sandbox_host, sandbox_port)
        if reason:
            if "SANDBOX_URL" in os.environ:
                raise CommandError(
                    f"Cannot start the Openapi sandbox on {settings.SANDBOX_URL} "
                    f"(SANDBOX_URL): {reason}."
                )
            sandbox_port = 0
        argv = [
            python,
            "-m",
            "pec_sandbox",
            "--host",
            sandbox_host,
            "--port",
            str(sandbox_port),
            "--state",
            str(settings.DATA_DIR / "sandbox.json"),
        ]
        if os.environ.get("PORTAL_LOG_LEVEL", "WARNING").upper() not in ("INFO", "DEBUG"):
            argv.append("--quiet")  # not a line per polled box
        child = supervisor.start("sandbox", argv, stdout=subprocess.PIPE, text=True)
        # Its first line says where it listens ("pec_sandbox listening on http://host:port");
        # the rest of its output is passed through.
        first = child.proc.stdout.readline()
        listening = re.search(r"https?://\S+:(\d+)", first)
        if not listening:
            raise CommandError("The Openapi sandbox did not start (its error is above).")
        threading.Thread(
            target=shutil.copyfileobj, args=(child.proc.stdout, sys.stdout), daemon=True
        ).start()
        sandbox_port = int(listening.group(1))
        argv[argv.index("--port") + 1] = str(sandbox_port)  # a restart keeps the same address
        host_in_url = f"[{sandbox_host}]" if ":" in sandbox_host else sandbox_host
        return f"http://{host_in_url}:{sandbox_port}"
