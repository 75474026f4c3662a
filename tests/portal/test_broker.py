"""The demo's broker (no REDIS_URL): a stray or half-written file in its folder is set aside with a
warning, never the end of the worker."""

import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from kombu import Connection

ROOT = Path(__file__).resolve().parents[2]

STRAYS = {
    "empty": b"",
    "garbage": b"\x00\xffnot a message at all",
    "cut short": b'{"body": "eyJ0YXNrIjo',
    "json, not a message": b'{"hello": "world"}',
}


def drop_strays(folder: Path, queue: str) -> None:
    # Named like real messages, and sorted before them: the consumer meets them first.
    for n, content in enumerate(STRAYS.values()):
        (folder / f"0{n}_{uuid.uuid4()}.{queue}.msg").write_bytes(content)


def demo_connection(broker: Path) -> Connection:
    """What portal/settings.py configures without REDIS_URL, on ``broker``."""
    return Connection(
        "filesystem://",
        transport="portal.broker:Transport",
        transport_options={
            "data_folder_in": str(broker / "out"),
            "data_folder_out": str(broker / "out"),
            "processed_folder": str(broker / "processed"),
            "control_folder": str(broker / "control"),
            "temp_folder": str(broker / "tmp"),
            "quarantine_folder": str(broker / "quarantine"),
        },
    )


@pytest.fixture
def name():
    # kombu remembers declarations per process: a new queue (and exchange) for each test
    return f"jobs-{uuid.uuid4().hex}"


def test_stray_files_are_set_aside_and_the_next_message_is_delivered(tmp_path, name, caplog):
    with demo_connection(tmp_path) as conn:
        queue = conn.SimpleQueue(name)
        drop_strays(tmp_path / "out", name)
        queue.put({"job": 1})
        with caplog.at_level(logging.WARNING, logger="portal.broker"):
            message = queue.get(timeout=5)
        assert message.payload == {"job": 1}
        message.ack()
        queue.close()
    assert len(list((tmp_path / "quarantine").iterdir())) == len(STRAYS)
    assert list((tmp_path / "out").iterdir()) == []
    assert sum("is not a message" in r.getMessage() for r in caplog.records) == len(STRAYS)


def test_an_unreadable_exchange_table_is_rebuilt(tmp_path, name):
    with demo_connection(tmp_path) as conn:
        queue = conn.SimpleQueue(name)
        queue.put({"job": 1})
        (tmp_path / "control" / f"{name}.exchange").write_bytes(b"")  # every publish reads it
        queue.put({"job": 2})
        received = [queue.get(timeout=5).payload["job"] for _ in range(2)]
        assert sorted(received) == [1, 2]  # (two in the same millisecond: either order)
        queue.close()


# Reads every file of the queue folder over and over until told to stop, as a consumer would.
READER = """
import os, sys
folder, stop = sys.argv[1], sys.argv[2]
seen = partial = 0
while not os.path.exists(stop):
    for name in os.listdir(folder):
        try:
            with open(os.path.join(folder, name), "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        seen += 1
        partial += not data.endswith(b"}")
print(seen, partial)
"""


def test_a_consumer_never_sees_a_message_before_it_is_whole(tmp_path, name):
    # kombu's own transport creates the file and then writes it: a reader at the same moment
    # finds it empty or cut short (about 1 read in 200 in this test).
    (tmp_path / "out").mkdir()
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(tmp_path / "out"), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        with demo_connection(tmp_path) as conn:
            queue = conn.SimpleQueue(name)
            for n in range(400):
                queue.put({"job": n, "padding": "x" * 20_000})
            queue.close()
    finally:
        stop.touch()
        seen, partial = map(int, reader.communicate(timeout=60)[0].split())
    assert seen > 0
    assert partial == 0


def demo_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "OPENAPI_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", DATA_DIR=str(data_dir))
    return env


def wait_for(predicate, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


@pytest.mark.integration
def test_a_real_worker_survives_stray_files_and_runs_the_next_task(tmp_path):
    env = demo_env(tmp_path)
    log = tmp_path / "worker.log"
    argv = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--loglevel=INFO"]
    argv += ["--concurrency=1", "--without-mingle", "--without-gossip"]
    with log.open("wb") as out:
        worker = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for(lambda: " ready." in log.read_text(), "the worker to start")
        drop_strays(tmp_path / "broker" / "out", "celery")
        key = uuid.uuid4().hex
        send = f"from portal.tasks import ping; ping.delay({key!r})"
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", send],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )

        def task_ran():
            assert worker.poll() is None, f"the worker stopped:\n{log.read_text()[-3000:]}"
            return "portal.ping" in log.read_text() and "succeeded" in log.read_text()

        wait_for(task_ran, "the task after the stray files")
        assert "Unrecoverable error" not in log.read_text()
        assert log.read_text().count("is not a message") == len(STRAYS)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)


def test_the_demo_broker_connects_without_warning_about_a_host(tmp_path, caplog):
    # Each process of `make run` used to log "No hostname was supplied. Reverting to default
    # 'localhost'": a warning about a host the file broker does not have.
    with caplog.at_level(logging.WARNING, logger="kombu"), demo_connection(tmp_path) as conn:
        conn.connect()
        conn.info()  # what Celery's banner and its consumers ask of the connection
        with conn.SimpleQueue("hello") as queue:
            queue.put({"n": 1})
            assert queue.get(timeout=2).payload == {"n": 1}
    assert not [r for r in caplog.records if "hostname" in r.getMessage()]
