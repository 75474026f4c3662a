"""The checking child process: ``main`` reads a PDF on stdin, checks it within hard limits
and writes one JSON line on stdout (no Django here; portal/pdf/__init__.py starts it).

The limits are the kernel's, so nothing in the file can talk its way past them: address space
(what the interpreter and pypdf take once imported, plus the check's allowance), CPU seconds
(a SIGPROF timer, the kernel's SIGXCPU then SIGKILL behind it), no core dumps, no files
written. What pypdf logs or warns about the file is counted, never written anywhere: the portal
logs one summary line.
"""

from __future__ import annotations

import json
import logging
import math
import resource
import signal
import sys
import warnings


class _Counter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0
        self.first = ""

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if not self.first:
            try:
                self.first = record.getMessage()[:200]
            except Exception:  # a message that does not format is still a warning
                self.first = str(record.msg)[:200]


def _status(field: str) -> int:
    """A size from /proc/self/status, in bytes (VmSize: address space, VmHWM: peak RSS); 0
    where there is no /proc (not Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _limit(memory: int, seconds: float) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    # CPU time, not wall time, is what a file costs: SIGPROF (whose default action ends the
    # process) after ``seconds`` of user + system time from here; the kernel's whole-second
    # limit behind it, counted from the start (the import of pypdf included).
    used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    hard = math.ceil(used + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (hard, hard + 1))
    signal.setitimer(signal.ITIMER_PROF, max(seconds, 0.001))
    size = _status("VmSize")
    if size:  # elsewhere (macOS) the address space is no measure of memory: time bounds it
        resource.setrlimit(resource.RLIMIT_AS, (size + memory, resource.RLIM_INFINITY))


def main(argv: list[str]) -> int:
    params = json.loads(argv[0])
    counter = _Counter()
    root = logging.getLogger()
    root.handlers[:] = [counter]
    root.setLevel(logging.DEBUG)
    logging.captureWarnings(True)
    warnings.simplefilter("always")

    import pypdf  # noqa: F401  (imported before the limits: it is the baseline)

    from .inspection import inspect

    _limit(int(params["memory"]), float(params["cpu_seconds"]))
    try:
        raw = sys.stdin.buffer.read()
        result = inspect(raw, int(params["pages_limit"]), int(params["max_decoded"]))
        signal.setitimer(signal.ITIMER_PROF, 0)  # the answer is in: writing it is not the file's
    except MemoryError:
        result = {"code": "too_complex"}
    result["warnings"] = counter.count
    result["first_warning"] = counter.first
    result["peak_bytes"] = _status("VmHWM")
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0
