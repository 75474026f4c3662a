"""pytest plugin: print the figures of tests/figures.py together at the end of the run."""

from __future__ import annotations

import json
import os

from tests import figures


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    recorded = figures.all_figures()
    if not recorded:
        return
    terminalreporter.section("pec-portal figures")
    width = max(len(name) for name in recorded)
    for name, value in sorted(recorded.items()):
        terminalreporter.write_line(f"{name.ljust(width)}  {value}")
    path = os.environ.get("PEC_FIGURES_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            for name, value in sorted(recorded.items()):
                fh.write(json.dumps({"name": name, "value": value}) + "\n")
