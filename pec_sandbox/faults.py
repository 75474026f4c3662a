"""The faults the sandbox can inject into API calls (never into the control calls), as set through
``/_sandbox/faults``."""

from __future__ import annotations

from dataclasses import dataclass

#: The body of an injected 503: the one the spec documents for domini_pec.
UNAVAILABLE = {
    "success": False,
    "message": "service temporarily unavailable",
    "error": 402,
    "data": None,
}


@dataclass
class Faults:
    error_rate: float = 0.0  # share of requests answered 503 (not performed)
    latency: float = 0.0  # seconds added before every request
    timeout_rate: float = 0.0  # share of requests delayed by timeout_seconds, then performed
    timeout_seconds: float = 25.0
    lost_rate: float = 0.0  # share of requests performed, then the connection is dropped
    error_next: int = 0  # deterministic variants: the next N requests ...
    timeout_next: int = 0
    lost_next: int = 0
    retry_after: float | None = None  # Retry-After header on injected 503s
    methods: list[str] | None = None  # restrict faults to these methods
    path_prefix: str | None = None  # ... and/or to paths starting with this

    def applies(self, method: str, path: str) -> bool:
        if self.methods and method not in self.methods:
            return False
        return not (self.path_prefix and not path.startswith(self.path_prefix))
