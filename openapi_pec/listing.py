"""Reading a list answer (``{"data": [item, ...], "success": ..., "message": ..., "error": ...}``)
piece by piece as it arrives, so that GET /pec at 1,000,000 boxes is never held whole in memory.

ijson (C backend) builds the items of ``data``; a second ijson parser reads the envelope's other
values until ``data`` shows itself to be a list, and the values after the list are read from the
answer's last bytes. The checks are those of a whole answer: not a JSON object, ``success:
false``, ``data`` not a list; a broken body raises as soon as the parser sees it."""

from __future__ import annotations

import json
import re
from typing import Any

import ijson

__all__ = ["BrokenAnswer", "ListParser"]

#: How many of the answer's last bytes are kept to read the envelope's values after ``data``.
TAIL_BYTES = 65_536
_SUCCESS_FALSE = re.compile(rb'"success"\s*:\s*false')
_SCALARS = frozenset({"string", "number", "boolean", "null"})


class BrokenAnswer(Exception):
    """The body is not the JSON object of a list answer."""


class ListParser:
    """``feed(chunk)`` returns the items completed by that chunk (objects only, as ``_list``
    keeps them); ``close()`` returns the last ones and the envelope (None for an empty body).
    Raises :class:`BrokenAnswer` for a body that is not a JSON object."""

    def __init__(self) -> None:
        self._items: list[Any] = ijson.sendable_list()
        self._items_parser = ijson.items_coro(self._items, "data.item", use_float=True)
        self._events: list[tuple[str, str, Any]] = ijson.sendable_list()
        self._head: Any = ijson.parse_coro(self._events, use_float=True)
        self._top: dict[str, Any] = {}
        self._key: str | None = None
        self._data = "absent"  # "absent", "list", "null" or "other"
        self._started = False
        self._tail = b""

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        if not chunk:
            return []
        if not self._started:
            start = chunk.lstrip()
            if start:
                self._started = True
                if not start.startswith(b"{"):
                    raise BrokenAnswer("answer is not a JSON object")
        self._tail = (self._tail + chunk)[-TAIL_BYTES:]
        try:
            self._items_parser.send(chunk)
            if self._head is not None:
                self._head.send(chunk)
                self._read_head()
        except ijson.JSONError:
            raise BrokenAnswer("answer is not a JSON object") from None
        return self._take()

    def close(self) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        if not self._started:
            return [], None  # an empty body: no list
        try:
            self._items_parser.close()
            if self._head is not None:
                self._head.close()
                self._read_head()
        except ijson.JSONError:
            raise BrokenAnswer("answer is not a JSON object") from None
        items = self._take()
        envelope = dict(self._top)
        if self._data == "list":
            envelope.update(self._after_data())
        envelope["data"] = {"list": [], "null": None, "absent": None}.get(self._data, "other")
        return items, envelope

    def _take(self) -> list[dict[str, Any]]:
        if not self._items:
            return []
        # An object {"data": {"item": ...}} is no list: its "items" are not handed out.
        out = [i for i in self._items if isinstance(i, dict)] if self._data == "list" else []
        del self._items[:]
        return out

    def _read_head(self) -> None:
        """The envelope's top-level scalars, until ``data`` starts as a list."""
        for prefix, event, value in self._events:
            if prefix == "" and event == "map_key":
                self._key = value
            elif self._key is not None and prefix == self._key:
                if prefix == "data":
                    kind = {"start_array": "list", "null": "null"}.get(event, "other")
                    self._data = kind
                    if kind == "list":
                        self._head = None  # the items parser reads the rest
                        break
                elif event in _SCALARS:
                    self._top[prefix] = value
                self._key = None
        del self._events[:]

    def _after_data(self) -> dict[str, Any]:
        """The envelope's values after the ``data`` list (``success: false`` and its message),
        read from the answer's last bytes: what follows one of the last ``]`` and parses as the
        rest of an object."""
        if not _SUCCESS_FALSE.search(self._tail):
            return {}
        end = len(self._tail)
        for _ in range(50):
            end = self._tail.rfind(b"]", 0, end)
            if end < 0:
                break
            rest = self._tail[end + 1 :].lstrip(b", \t\r\n")
            try:
                values = json.loads(b"{" + rest)
            except ValueError:
                continue
            if isinstance(values, dict):
                return values
        return {"success": False}
