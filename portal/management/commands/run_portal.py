"""Start the whole portal in the foreground: web server, Celery worker, Celery beat and, in demo
mode, the built-in Openapi sandbox. Ctrl-C (or SIGTERM) stops every process it started."""

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run web, worker, beat and (in demo mode) the Openapi sandbox together."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port, host, **options):
        python = sys.executable
        procs: list[tuple[str, subprocess.Popen]] = []
        env = os.environ.copy()

        def start(name, argv):
            # Each child gets its own session so that we, not the terminal, decide how it stops.
            proc = subprocess.Popen(argv, env=env, start_new_session=True)  # noqa: S603
            procs.append((name, proc))

        if settings.OPENAPI_DEMO and importlib.util.find_spec("pec_sandbox"):
            sandbox = urlsplit(settings.SANDBOX_URL)
            start(
                "sandbox",
                [
                    python,
                    "-m",
                    "pec_sandbox",
                    "--host",
                    sandbox.hostname,
                    "--port",
                    str(sandbox.port),
                    "--state",
                    str(settings.DATA_DIR / "sandbox.json"),
                ],
            )
        start(
            "worker",
            [
                python,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
            ],
        )
        start(
            "beat",
            [
                python,
                "-m",
                "celery",
                "-A",
                "portal",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        )
        start("web", [python, "manage.py", "runserver", "--noreload", f"{host}:{port}"])

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        mode = "demo (built-in Openapi sandbox)" if settings.OPENAPI_DEMO else "Openapi account"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nPEC portal running on http://{host}:{port}/  [{mode}]\n"
                "Ctrl-C stops everything.\n"
            )
        )
        try:
            while not stopping:
                for name, proc in procs:
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            self._stop_all(procs)

    def _stop_all(self, procs):
        # SIGTERM to each main process (Celery then stops its own pool children); whatever is
        # still alive after the deadline, with its whole process group, gets SIGKILL.
        for _name, proc in procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 20
        for _name, proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the group, if any
        self.stdout.write("All portal processes stopped.")
