"""Warnings other apps add to a box's operation pages, without the boxes knowing those apps
(e.g. the compliance app warns before a ceased company's box is renewed): an app registers a
function ``(casella, kind) -> str | None`` in its AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_warnings: list[Callable[[Any, str], Any]] = []


def add_operation_warning(fn: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    if fn not in _warnings:
        _warnings.append(fn)
    return fn


def operation_warnings(casella, kind: str) -> list:
    """The warnings to show on the pages of operation ``kind`` on ``casella``."""
    return [w for fn in _warnings if (w := fn(casella, kind))]
