"""Where the Company API's answers are kept: every lookup is paid, so an answer is not asked for
again while it is younger than the client's ``cache_ttl``.

The portal backs :class:`ResultCache` with Django's cache or a model; values are plain JSON
(dicts, lists, strings, numbers), so any store that keeps JSON will do.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from openapi_pec.auth import MemoryStore

__all__ = ["MemoryResultCache", "ResultCache"]


@runtime_checkable
class ResultCache(Protocol):
    def get(self, key: str) -> Any | None:
        """The value stored under ``key``, or None when absent or expired."""

    def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        """Keep ``value`` (JSON) under ``key`` for ``ttl_seconds``."""


class MemoryResultCache(MemoryStore):
    """Per-process store (the default): lost on restart, not shared between processes."""

    def __repr__(self) -> str:
        return f"MemoryResultCache({len(self._data)} entries)"
