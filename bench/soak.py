"""``python -m bench.soak [--minutes 30] [--tasks 20000] [--producers 4]``: the demo as ``make
run`` starts it (``manage.py run_portal``: web, worker, beat, sandbox; SQLite and the file broker
in a temporary DATA_DIR, no REDIS_URL) under concurrent producers, while empty and garbage files
are dropped into the broker's queue folder. Every task must run (0 lost) and no process may die
(0 crashes: no restart by run_portal, no ``Unrecoverable error``). Exit status 1 otherwise."""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .core import ROOT, free_port, percentile

# What lands in the queue folder besides real messages: an empty file (kombu's half-written
# message, issue #1551), bytes, a message cut short, JSON that is not a message.
JUNK = (
    b"",
    b"\x00\xff\xfe garbage \x80",
    b'{"body": "eyJ0YXNrIjogInBvcnRhbC5waW5nIn0=", "content-enc',
    b'{"properties": {}}',
)
DONE = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/\S+\] Task portal\.ping\[([0-9a-f-]+)\] "
    r"succeeded",
    re.MULTILINE,
)
BEAT_TICKS = re.compile(r"Task portal\.poll_due\[[0-9a-f-]+\] succeeded")
CRASHES = re.compile(r"restarting in|giving up|Unrecoverable error", re.IGNORECASE)


def demo_env(data_dir: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "OPENAPI_", "SANDBOX_", "CELERY_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", DATA_DIR=data_dir, PYTHONPATH=str(ROOT))
    # the soak counts the worker's "ready.", task and beat lines, which make run keeps quiet
    env["PORTAL_LOG_LEVEL"] = "INFO"
    return env


def produce(index: int, count: int, interval: float, out: str) -> None:
    """One producer process: ``count`` ping tasks, one every ``interval`` s; id and time sent
    of each, one JSON line per task."""
    import django

    django.setup()
    from portal.tasks import ping

    next_at = time.monotonic()
    with open(out, "w", encoding="utf-8") as fh:
        for n in range(count):
            next_at += interval
            sent = time.time()
            result = ping.delay(f"soak-{index}-{n}")
            fh.write(json.dumps([result.id, sent]) + "\n")
            fh.flush()
            time.sleep(max(0.0, next_at - time.monotonic()))


class Junk(threading.Thread):
    """Drops a stray file into the queue folder every ``every`` s, named like a message."""

    def __init__(self, folder: Path, every: float):
        super().__init__(daemon=True)
        self.folder, self.every = folder, every
        self.dropped = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every * random.uniform(0.5, 1.5)):
            name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.celery.msg"
            (self.folder / name).write_bytes(JUNK[self.dropped % len(JUNK)])
            self.dropped += 1


class Console:
    """run_portal's console, written to a file and read as it grows."""

    def __init__(self, path: Path, zone: ZoneInfo):
        self.path, self.zone, self.offset, self.text = path, zone, 0, ""
        self.done: dict[str, float] = {}
        self.runs = 0

    def refresh(self) -> None:
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            chunk = fh.read()
        # only whole lines: the rest is read next time
        whole = chunk[: chunk.rfind(b"\n") + 1]
        self.offset += len(whole)
        text = whole.decode(errors="replace")
        self.text += text
        for stamp, task_id in DONE.findall(text):
            self.runs += 1
            # the worker logs local time in the portal's TIME_ZONE
            when = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=self.zone)
            self.done.setdefault(task_id, when.timestamp())


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"soak: timed out waiting for {what}")
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long producers send")
    parser.add_argument("--tasks", type=int, default=20_000, help="tasks sent in all")
    parser.add_argument("--producers", type=int, default=4, help="producer processes")
    parser.add_argument("--junk-every", type=float, default=5.0, help="seconds between strays")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args(argv)

    data_dir = tempfile.mkdtemp(prefix="pec-soak-")
    env = demo_env(data_dir)
    console_path = Path(data_dir) / "console.log"
    port = free_port()
    print(
        f"# PEC portal soak: {platform.node()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; the demo (SQLite, file broker) in {data_dir}",
        flush=True,
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    with console_path.open("wb") as out:
        portal = subprocess.Popen(
            [sys.executable, "manage.py", "run_portal", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    os.environ.update(env)  # this process's and the producers' Django settings: the demo's
    import django

    django.setup()
    from django.conf import settings

    console = Console(console_path, ZoneInfo(settings.TIME_ZONE))
    junk = Junk(Path(data_dir) / "broker" / "out", args.junk_every)
    try:

        def ready():
            console.refresh()
            login = f"http://127.0.0.1:{port}/account/login/"
            with contextlib.suppress(OSError), urllib.request.urlopen(login) as r:
                return r.status == 200 and " ready." in console.text
            return False

        wait_until(ready, 120, "the demo to start")
        per_producer = [args.tasks // args.producers] * args.producers
        per_producer[0] += args.tasks - sum(per_producer)
        interval = args.minutes * 60 / max(per_producer)
        spawn = multiprocessing.get_context("spawn")
        sent_files = [Path(data_dir) / f"sent-{i}.jsonl" for i in range(args.producers)]
        producers = [
            spawn.Process(target=produce, args=(i, n, interval, str(sent_files[i])))
            for i, n in enumerate(per_producer)
        ]
        started = time.monotonic()
        junk.start()
        for p in producers:
            p.start()
        last_report = started
        while any(p.is_alive() for p in producers):
            time.sleep(1)
            if time.monotonic() - last_report >= 60:
                console.refresh()
                last_report = time.monotonic()
                print(
                    f"#   {last_report - started:5.0f} s: {len(console.done):,} tasks run, "
                    f"{junk.dropped} stray files dropped",
                    flush=True,
                )
        sending = time.monotonic() - started
        junk.done.set()
        sent = {}
        for path in sent_files:
            for line in path.read_text(encoding="utf-8").splitlines():
                task_id, when = json.loads(line)
                sent[task_id] = when
        producer_failures = sum(p.exitcode != 0 for p in producers)

        # the queue drains: wait while tasks keep being run
        progress, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < 60 and not set(sent) <= set(console.done):
            time.sleep(1)
            console.refresh()
            if len(console.done) != progress:
                progress, quiet_since = len(console.done), time.monotonic()
        drained = time.monotonic() - started - sending
        console.refresh()
        alive = portal.poll() is None
    finally:
        junk.done.set()
        if portal.poll() is None:
            portal.send_signal(signal.SIGINT)
            try:
                portal.wait(timeout=60)
            except subprocess.TimeoutExpired:
                portal.kill()
        console.refresh()

    lost = [t for t in sent if t not in console.done]
    duplicates = console.runs - len(console.done)
    crashes = len(CRASHES.findall(console.text))
    quarantined = len(list((Path(data_dir) / "broker" / "quarantine").iterdir()))
    latencies = [console.done[t] - sent[t] for t in sent if t in console.done]
    stopped = "All portal processes stopped." in console.text and portal.returncode == 0
    print(
        f"S1     demo worker + beat, {args.producers} producers, {len(sent):,} tasks over "
        f"{sending:.0f} s, {junk.dropped:,} stray files in the queue | "
        f"{crashes} crashes, {len(lost)} lost, {duplicates} run twice, "
        f"{quarantined:,} strays set aside, {len(BEAT_TICKS.findall(console.text))} beat ticks "
        f"run; sent→run p50 {percentile(latencies, 50):.2f} s, "
        f"p95 {percentile(latencies, 95):.2f} s, max {max(latencies, default=0):.2f} s; "
        f"queue empty {drained:.0f} s after the last send; run_portal "
        f"{'alive' if alive else 'DEAD'} to the end, Ctrl-C {'clean' if stopped else 'NOT clean'}",
        flush=True,
    )
    ok = (
        crashes == 0
        and not lost
        and alive
        and stopped
        and producer_failures == 0
        and len(sent) == args.tasks
    )
    if not ok:
        print(f"# FAILED; console in {console_path}", file=sys.stderr)
    elif not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
