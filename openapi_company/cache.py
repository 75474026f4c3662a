"""Where the Company API's answers are kept: every lookup is paid, so an answer is not asked for
again while it is younger than the client's ``cache_ttl``.

The portal backs :class:`ResultCache` with Django's cache or a model; values are plain JSON
(dicts, lists, strings, numbers), so any store that keeps JSON will do.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol, runtime_checkable

__all__ = ["MemoryResultCache", "ResultCache"]


@runtime_checkable
class ResultCache(Protocol):
    def get(self, key: str) -> Any | None:
        """The value stored under ``key``, or None when absent or expired."""

    def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        """Keep ``value`` (JSON) under ``key`` for ``ttl_seconds``."""


class MemoryResultCache:
    """Per-process store (the default): lost on restart, not shared between processes."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryResultCache({len(self._data)} entries)"

    def get(self, key: str) -> Any | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            if item[0] <= time.time():
                del self._data[key]
                return None
            return item[1]

    def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        with self._lock:
            now = time.time()
            self._data = {k: v for k, v in self._data.items() if v[0] > now}
            self._data[key] = (now + max(1, int(ttl_seconds)), value)
