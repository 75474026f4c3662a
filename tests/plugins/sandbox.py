"""pytest plugin: the PEC sandbox as a real subprocess on a free loopback port.

Fixtures:
- ``sandbox_server`` (session): starts ``python -m pec_sandbox`` with a temp state file and
  short delays (evasione/comunica 0.3 s), waits until it answers, kills it at teardown.
- ``sandbox`` (function): the same server, reset (state, faults, request log) before each test.

Both yield a :class:`SandboxHandle`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
FAST_DELAY = 0.3


class SandboxHandle:
    def __init__(self, url: str, process: subprocess.Popen, state_path: Path, delay: float):
        self.url = url
        self.process = process
        self.state_path = state_path
        self.delay = delay  # evasione/comunica delay in seconds
        self._http = requests.Session()

    def __repr__(self) -> str:
        return f"SandboxHandle(url={self.url!r})"

    def _post(self, path: str, body: dict | None = None) -> Any:
        r = self._http.post(f"{self.url}/_sandbox/{path}", json=body or {}, timeout=5)
        r.raise_for_status()
        return r.json()

    def _get(self, path: str) -> Any:
        r = self._http.get(f"{self.url}/_sandbox/{path}", timeout=5)
        r.raise_for_status()
        return r.json()

    def reset(self) -> None:
        """Empty account, start credit, default domains, no faults, empty request log."""
        self._post("reset")

    def set_faults(
        self,
        error_rate: float = 0.0,
        latency: float = 0.0,
        timeout_rate: float = 0.0,
        lost_rate: float = 0.0,
        **more: Any,
    ) -> dict:
        """Replace the fault settings.  ``more``: timeout_seconds, error_next, timeout_next,
        lost_next, retry_after, methods (list), path_prefix."""
        if timeout_rate and "timeout_seconds" not in more and "timeout_next" not in more:
            more["timeout_seconds"] = 2.5  # just over the fixture client's 2 s timeout
        if more.get("timeout_next") and "timeout_seconds" not in more:
            more["timeout_seconds"] = 2.5
        body = {
            "error_rate": error_rate,
            "latency": latency,
            "timeout_rate": timeout_rate,
            "lost_rate": lost_rate,
            **more,
        }
        return self._post("faults", body)

    def clear_faults(self) -> dict:
        return self._post("faults", {})

    def charges(self) -> list[dict]:
        """Paid calls recorded: operation, id, amount (str, EUR), time."""
        return self._get("charges")["charges"]

    def credit(self) -> Decimal:
        return Decimal(self._get("charges")["credit"])

    def calls(self) -> list[dict]:
        """Request log (PEC/OAuth paths): method, path, status, fault, time."""
        return self._get("calls")["calls"]

    def set_stato(self, kind: str, id: str, stato: str) -> dict:
        """Force a state. ``kind``: "casella"/"caselle" or "comunica"."""
        table = "caselle" if kind.startswith("casell") else "comunica"
        return self._post(f"{table}/{id}/stato", {"stato": stato})

    def set_credit(self, amount: Any) -> Decimal:
        return Decimal(self._post("credit", {"amount": str(amount)})["credit"])

    def add_domains(self, *domains: str) -> list[str]:
        return self._post("domains", {"domains": list(domains)})["domains"]

    def advance(self) -> None:
        """Make every pending time-based transition happen now."""
        self._post("advance")

    def expire_tokens(self) -> int:
        """Expire every minted token (the demo token stays valid)."""
        return self._post("tokens/expire")["expired"]

    def client(self, **overrides: Any):
        """A PecClient on this sandbox (demo token, 2 s timeout, fast retries)."""
        from openapi_pec import PecClient, RetryPolicy

        kw: dict[str, Any] = {
            "pec_url": self.url,
            "oauth_url": self.url,
            "token": "demo-token",
            "timeout": 2.0,
            "retry": RetryPolicy(
                max_attempts=3, backoff_base=0.02, backoff_cap=0.1, retry_after_cap=0.5
            ),
        }
        kw.update(overrides)
        return PecClient(**kw)

    def company_client(self, **overrides: Any):
        """A CompanyClient on this sandbox (demo token, 2 s timeout, fast retries, its own
        in-memory cache)."""
        from openapi_company import CompanyClient
        from openapi_pec import RetryPolicy

        kw: dict[str, Any] = {
            "company_url": self.url,
            "oauth_url": self.url,
            "token": "demo-token",
            "timeout": 2.0,
            "retry": RetryPolicy(
                max_attempts=3, backoff_base=0.02, backoff_cap=0.1, retry_after_cap=0.5
            ),
        }
        kw.update(overrides)
        return CompanyClient(**kw)

    def company(self, code: str) -> dict:
        """The company the sandbox has under ``code`` (free, not an API call)."""
        return self._get(f"companies/{code}")

    def set_company(self, code: str, **changes: Any) -> dict:
        """Set a company's pec, history, managers / directors, ceased, exists, companyName,
        legalForm; the monitors watching a changed field call back."""
        return self._post(f"companies/{code}", changes)

    def callbacks(self) -> list[dict]:
        """Callback deliveries: kind, id, status, attempts."""
        return self._get("callbacks")["callbacks"]

    def stop(self) -> None:
        self._http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(state_path: Path, delay: float = FAST_DELAY, *extra: str) -> SandboxHandle:
    """Start a sandbox subprocess and wait until it answers (10 s at most)."""
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "pec_sandbox",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--state",
        str(state_path),
        "--evasione-seconds",
        str(delay),
        "--comunica-seconds",
        str(delay),
        "--quiet",
        *extra,
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    handle = SandboxHandle(f"http://127.0.0.1:{port}", process, state_path, delay)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pec_sandbox exited with {process.returncode}")
        try:
            if requests.get(f"{handle.url}/_sandbox/health", timeout=0.5).ok:
                return handle
        except requests.RequestException:
            time.sleep(0.05)
    handle.stop()
    raise RuntimeError("pec_sandbox did not start within 10 s")


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    handle = start_sandbox(tmp_path_factory.mktemp("pec_sandbox") / "sandbox.json")
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def sandbox(sandbox_server):
    sandbox_server.reset()
    yield sandbox_server
    sandbox_server.clear_faults()
