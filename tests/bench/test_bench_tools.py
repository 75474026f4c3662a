"""The bench's own tools (bench/): sizes on the command line, peak memory of a job."""

import argparse
import subprocess
import sys

import pytest

from bench import core
from bench.__main__ import sizes_arg

GROW = """
from bench import core
base = core.peak_start()
block = bytearray(60 * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
print(core.peak_rss_mb() - base)
"""


def test_sizes_are_read_as_people_write_them():
    assert sizes_arg("1k,100k,1M") == [1_000, 100_000, 1_000_000]
    assert sizes_arg("1M, 1k,1000") == [1_000, 1_000_000]
    assert sizes_arg("2.5k") == [2_500]
    with pytest.raises(argparse.ArgumentTypeError):
        sizes_arg("lots")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/status")
def test_a_job_started_by_a_big_process_reports_its_own_peak():
    """A child started by a parent whose peak was 300 MB grows by 60 MB: it says about 60 MB,
    not "+0 MB" (ru_maxrss inherits the parent's peak across vfork + exec)."""
    ballast = bytearray(300 * 1024 * 1024)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    out = subprocess.run(
        [sys.executable, "-c", GROW], cwd=core.ROOT, capture_output=True, text=True, check=True
    )
    del ballast
    grown = float(out.stdout.strip())
    assert 50 <= grown <= 80, grown


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/status")
def test_an_earlier_higher_peak_does_not_hide_the_measured_one():
    block = bytearray(80 * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    del block
    base = core.peak_start()
    small = bytearray(30 * 1024 * 1024)
    for i in range(0, len(small), 4096):
        small[i] = 1
    assert core.peak_rss_mb() - base >= 25
