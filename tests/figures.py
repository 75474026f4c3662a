"""Figures measured by the reliability and security tests, printed together at the end of a run.

A test calls ``figures.record("access matrix", "34 urls x 3 users, 0 leaks")``; the plugin
tests/plugins/figures.py prints every recorded figure in the terminal summary (and, when
``PEC_FIGURES_FILE`` is set, writes them there as JSON lines for RELIABILITY.md/SECURITY.md).
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_figures: dict[str, str] = {}


def record(name: str, value: str) -> None:
    """Record (or replace) one figure; the last value recorded under a name wins."""
    with _lock:
        _figures[name] = str(value)


def all_figures() -> dict[str, str]:
    with _lock:
        return dict(_figures)


def clear() -> None:
    with _lock:
        _figures.clear()
