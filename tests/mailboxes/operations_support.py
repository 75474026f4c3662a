"""Helpers of the operations tests: active boxes linked to sandbox boxes, quickly."""

from __future__ import annotations

import time
import uuid

import pytest

from .conftest import run_calls

__all__ = ["activate", "active_box", "key"]


def activate(pec, casella, stato="evasa"):
    """Register ``casella`` at the sandbox and force its remote state (default: active)."""
    from mailboxes.services import sync as box_sync

    # run here, or by a session's real worker that took the queued registration first (CI)
    deadline = time.monotonic() + 30
    while True:
        run_calls(casella)
        casella.refresh_from_db()
        if casella.remote_id or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    pec.set_stato("casella", casella.remote_id, stato)
    box_sync.refresh_casella(casella)
    casella.refresh_from_db()
    return casella


@pytest.fixture
def active_box(pec, make_casella):
    """make_active_box(tipo="STANDARD", stato="evasa") -> a Casella mirrored from the sandbox."""

    def make(tipo="STANDARD", stato="evasa", **kw):
        return activate(pec, make_casella(tipo=tipo, **kw), stato)

    return make


def key() -> str:
    return str(uuid.uuid4())
