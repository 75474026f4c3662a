"""Helpers of the signing-link tests."""

from __future__ import annotations

import uuid

from django.utils import timezone

from comunica.services import creation, polling
from mailboxes.models import Casella
from mailboxes.services.polling import BOXES
from portal.polling import poll_due
from portal.remote_calls import run_intent
from tests.comunica.factories import model_data
from tests.mailboxes.conftest import run_calls


def registered_box(make_casella, **kw) -> Casella:
    """A box registered at the sandbox, waiting for its signed form and ID document."""
    casella = make_casella(**kw)
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.stato == "registrata"
    return casella


def wait_evasa(pec, casella) -> Casella:
    pec.advance()
    Casella.objects.filter(pk=casella.pk).update(next_poll_at=timezone.now())
    poll_due(BOXES)
    casella.refresh_from_db()
    return casella


def waiting_richiesta(user, openapi):
    created = creation.create_richiesta(data=model_data(), user=user, intent_key=str(uuid.uuid4()))
    run_intent("comunica.ComunicaCall", created.richiesta.calls.get().pk)
    r = created.richiesta
    r.refresh_from_db()
    openapi.set_stato("comunica", r.remote_id, "in_attesa_di_documenti")
    polling.refresh_richiesta(r)
    r.refresh_from_db()
    return r


def patches(sandbox) -> list[dict]:
    return [c for c in sandbox.calls() if c["method"] == "PATCH"]
