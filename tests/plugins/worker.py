"""Real Celery worker (and beat) processes for the integration tier.

The worker runs as its own OS process on the same broker and test database as the test (under
CI: Redis and PostgreSQL; otherwise the file broker and a SQLite file), against the sandbox.
Tests that use it need ``@pytest.mark.django_db(transaction=True)`` so their writes are visible.
"""

import contextlib
import email
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class CeleryProcess:
    def __init__(self, argv, env, log_path: Path):
        self.argv, self.env, self.log_path = argv, env, log_path
        self.proc: subprocess.Popen | None = None

    def start(self):
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def kill(self):
        """SIGKILL the whole process group, as a crash would."""
        self.stop(sig=signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Worker(CeleryProcess):
    def __init__(self, argv, env, log_path, maildir: Path):
        super().__init__(argv, env, log_path)
        self.maildir = maildir

    def wait_ready(self, timeout=60):
        """Send a ping task and wait until this worker has run it."""
        from django.core.cache import cache

        from portal.tasks import ping

        key = uuid.uuid4().hex
        ping.delay(key)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cache.get(f"ping:{key}") == "pong":
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited:\n{self.log()[-3000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after {timeout}s:\n{self.log()[-3000:]}")

    def outbox(self) -> list[email.message.Message]:
        """E-mails the worker sent (EMAIL_URL=filemail://...)."""
        messages = []
        for path in sorted(self.maildir.glob("*.log")):
            for chunk in path.read_text().split("-" * 79):
                if chunk.strip():
                    messages.append(email.message_from_string(chunk.strip()))
        return messages


@pytest.fixture(scope="session")
def worker_env(request, django_db_setup, django_db_blocker, tmp_path_factory):
    env = os.environ.copy()
    with contextlib.suppress(pytest.FixtureLookupError):  # the sandbox, when the suite has it
        env["SANDBOX_URL"] = request.getfixturevalue("sandbox_server").url
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=_database_url(),
        # four slashes: django-environ takes what follows "filemail://" as the path
        EMAIL_URL=f"filemail:///{tmp_path_factory.mktemp('mail')}",
        POLL_TICK_SECONDS="1",
        PYTHONPATH=str(ROOT),
    )
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return env


def _worker(env, tmp_path_factory, name="w", concurrency=2) -> Worker:
    log = tmp_path_factory.mktemp("worker") / f"{name}.log"
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--without-mingle",
        "--without-gossip",
        "-n",
        f"{name}-{uuid.uuid4().hex[:6]}@%h",
    ]
    return Worker(argv, env, log, Path(env["EMAIL_URL"].removeprefix("filemail:///")))


@pytest.fixture(scope="session")
def celery_worker_process(worker_env, tmp_path_factory, django_db_blocker):
    """One real worker for the whole session (the sandbox and test database are shared)."""
    worker = _worker(worker_env, tmp_path_factory).start()
    try:
        with django_db_blocker.unblock():
            worker.wait_ready()
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def start_worker(worker_env, tmp_path_factory, django_db_blocker):
    """Start extra workers inside a test (e.g. to kill them); all are stopped at the end."""
    started: list[Worker] = []

    def start(name="extra", concurrency=2, wait=True) -> Worker:
        worker = _worker(worker_env, tmp_path_factory, name, concurrency).start()
        started.append(worker)
        if wait:
            with django_db_blocker.unblock():
                worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def celery_beat_process(worker_env, tmp_path_factory):
    """Celery beat, driving the periodic ticks of settings.CELERY_BEAT_SCHEDULE."""
    tmp = tmp_path_factory.mktemp("beat")
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "beat",
        "--loglevel=INFO",
        "--schedule",
        str(tmp / "schedule"),
    ]
    beat = CeleryProcess(argv, worker_env, tmp / "beat.log").start()
    yield beat
    beat.stop()
