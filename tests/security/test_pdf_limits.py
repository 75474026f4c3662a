"""Costly PDFs: every check ends within its bounds, accepted or refused with its message, and the
web process neither grows nor logs more than a line per file.

Timings and peak memory are figures for ``make bench`` (P9); here: the outcome, the process
that runs the check does not grow, the limits refuse with their message when they bite, and
what pypdf says about a file becomes at most one log line.
"""

from __future__ import annotations

import io
import logging
import resource
import tracemalloc

import pytest
from django.core.exceptions import ValidationError

from . import corpus

COSTLY = [pytest.param(make, allowed, id=label) for label, make, allowed in corpus.COSTLY_PDFS]


def _outcome(data: bytes):
    from portal.pdf import check_pdf

    try:
        check_pdf(io.BytesIO(data))
    except ValidationError as exc:
        return exc
    return "ok"


@pytest.mark.parametrize(("make", "allowed"), COSTLY)
def test_costly_pdf_is_checked_without_growing_the_web_process(make, allowed):
    from portal.pdf import MESSAGES

    data = make()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    outcome = _outcome(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    code = outcome if outcome == "ok" else outcome.code
    assert code in allowed
    if outcome != "ok":
        assert outcome.messages == [str(MESSAGES[code])]
    # the file itself and the child's answer: nothing of the decoding happens here
    assert peak < 3 * len(data) + 5 * 1024 * 1024
    assert grown_mb < 50


def test_a_check_past_its_memory_is_refused_as_too_complex(monkeypatch):
    import portal.pdf

    monkeypatch.setattr(portal.pdf, "CHECK_MEMORY", 4 * 1024 * 1024)
    outcome = _outcome(corpus.jpeg_scan())
    assert outcome != "ok" and outcome.code == "too_complex"
    assert "troppo complesso" in outcome.messages[0]


@pytest.mark.parametrize("megabytes", [40, 45, 50])
def test_a_parser_out_of_memory_mid_object_is_too_complex_not_damaged(monkeypatch, megabytes):
    """pypdf wraps a MemoryError met while reading an object in its own PdfReadError: the file
    did not fit the check, it is not shown to be damaged (seen on CI at the default limit)."""
    import portal.pdf

    monkeypatch.setattr(portal.pdf, "CHECK_MEMORY", megabytes * 1024 * 1024)
    outcome = _outcome(corpus.many_objects())
    assert outcome != "ok" and outcome.code == "too_complex"


def test_a_check_past_its_cpu_time_is_refused_as_too_complex(monkeypatch):
    import portal.pdf

    monkeypatch.setattr(portal.pdf, "CHECK_SECONDS", 0.05)
    # 100,000 repeated keys: about 1.4 s of the child's CPU, accepted with the default limit
    outcome = _outcome(corpus.repeated_keys(100_000))
    assert outcome != "ok" and outcome.code == "too_complex"


def _spin(stop):
    while not stop.is_set():
        pass


def test_an_ordinary_scan_is_accepted_on_a_machine_busy_with_other_work():
    """The time limit is the file's CPU time: 16 processes spinning beside the check (a loaded
    server) make it wait, not fail. A 1.8 s wall-clock limit refused it as "too complex"."""
    import multiprocessing

    stop = multiprocessing.Event()
    spinners = [multiprocessing.Process(target=_spin, args=(stop,)) for _ in range(16)]
    for proc in spinners:
        proc.start()
    try:
        outcomes = [_outcome(corpus.good_pdf()) for _ in range(3)]
    finally:
        stop.set()
        for proc in spinners:
            proc.join(5)
            proc.kill()
    assert outcomes == ["ok"] * 3


def test_no_answer_within_the_wall_backstop_asks_to_try_again(monkeypatch):
    """Only a machine too busy to run the check reaches the wall-clock backstop: that says
    nothing about the file, so the user is asked to try again (nothing is stored)."""
    import portal.pdf

    monkeypatch.setattr(portal.pdf, "CHECK_WALL_SECONDS", 0.01)
    outcome = _outcome(corpus.good_pdf())
    assert outcome != "ok" and outcome.code == "unavailable"
    assert "riprova" in outcome.messages[0]


def test_a_slow_filter_is_refused_at_once_not_decoded():
    """9.5 MB of LZW: refused by the cap on slow filters, before any decoding."""
    from portal.pdf.inspection import inspect

    assert inspect(corpus.lzw_stream(), 50)["code"] == "too_complex"


def test_a_file_that_makes_the_parser_warn_100000_times_logs_one_line(caplog):
    caplog.set_level(logging.DEBUG)
    data = corpus.repeated_keys(100_000)
    _outcome(data)
    assert len(caplog.records) <= 2, [r.getMessage()[:100] for r in caplog.records[:5]]
    assert sum(len(r.getMessage()) for r in caplog.records) < 1000


def test_warnings_are_counted_in_the_summary_line(caplog):
    caplog.set_level(logging.INFO, logger="portal.pdf")
    assert _outcome(corpus.repeated_keys(200)) == "ok"
    (line,) = [r.getMessage() for r in caplog.records if r.name == "portal.pdf"]
    assert line.startswith("pdf check: 199 parser warnings")
