"""The control calls (``/_sandbox/*``, no API counterpart): force a status, seed many boxes."""

from __future__ import annotations

import time
from typing import Any

from .common import ApiError, add_years, fmt_date, public, today
from .tables import SANDBOX_DOMAINS, TIPI_CASELLA, StatoCasella


class ControlOperations:
    """The control calls of :class:`pec_sandbox.state.Sandbox`."""

    def force_stato(self, kind: str, ident: str, stato: str) -> dict[str, Any]:
        with self.lock:
            kind = "caselle" if kind == "caselle" else "comunica"
            record = self.state[kind].get(ident)
            if record is None:
                raise ApiError(404, "not found", None)
            record.pop("_pending", None)
            self._set_stato(kind, record, stato, time.time())
            self.save()
            return public(record)

    def set_stati(self, ids: list[str], stato: str) -> int:
        """Control: force one status on many boxes at once (a bulk change for benchmarks)."""
        now = int(time.time())
        with self.lock:
            n = 0
            for ident in ids:
                box = self.state["caselle"].get(ident)
                if box is None:
                    continue
                box.pop("_pending", None)
                self._set_stato("caselle", box, stato, now)
                n += 1
            self.save()
            return n

    def seed(
        self,
        n: int,
        *,
        stato: str = "evasa",
        tipo: str = "STANDARD",
        prefix: str = "seed",
        callback: dict[str, Any] | None = None,
    ) -> list[str]:
        """Control: create ``n`` lean boxes at once, free of charge (benchmarks: 100,000 boxes
        in a second or two instead of 100,000 POST /pec)."""
        if tipo not in TIPI_CASELLA:
            raise ApiError(406, "tipo_casella not valid", 242)
        if stato not in {str(s) for s in StatoCasella}:
            raise ApiError(406, "stato not valid", 242)
        domain = SANDBOX_DOMAINS[tipo]
        now = int(time.time())
        scadenza = fmt_date(add_years(today(), 1))
        ids = []
        with self.lock:
            start = len(self.state["caselle"])
            for i in range(start, start + int(n)):
                ident = f"{now:08x}{i:016x}"
                box = {
                    "id": ident,
                    "casella_pec": f"{prefix}{i:07d}@{domain}",
                    "tipo_casella": tipo,
                    "stato": stato,
                    "data_scadenza": scadenza if stato == StatoCasella.EVASA else "",
                    "owner": self.owner,
                    "callback": callback or False,
                    "autorinnovo": False,
                    "dominio": domain,
                    "timestamp": {"registrazione": now, "ultima_modifica": now},
                }
                self.state["caselle"][ident] = box
                ids.append(ident)
            self.save()
        return ids
