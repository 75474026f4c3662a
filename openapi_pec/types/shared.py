"""The pieces boxes and comunica requests share: the callback, the timestamps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .enums import CallbackMethod
from .parsing import Record, enum_or_str

__all__ = ["Callback", "Timestamps"]


@dataclass(frozen=True)
class Callback:
    """The optional callback of POST /pec and POST /comunica_pec."""

    url: str
    field: str | None = None
    method: CallbackMethod | str | None = None
    data: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.url}
        if self.field is not None:
            out["field"] = self.field
        if self.method is not None:
            out["method"] = str(self.method)
        if self.data is not None:
            out["data"] = self.data
        return out

    @classmethod
    def from_raw(cls, raw: Any) -> Callback | None:
        """``callback`` as received: an object, or ``false``/absent (-> None)."""
        if not isinstance(raw, dict) or not raw.get("url"):
            return None
        return cls(
            url=str(raw["url"]),
            field=raw.get("field"),
            method=enum_or_str(CallbackMethod, raw.get("method"), upper=True),
            data=raw.get("data") if isinstance(raw.get("data"), dict) else None,
        )


@dataclass(frozen=True)
class Timestamps(Record):
    registrazione: dt.datetime | None = None
    ultima_modifica: dt.datetime | None = None
    evasione: dt.datetime | None = None
    scadenza: dt.datetime | None = None
    revoca: dt.datetime | None = None
