"""Audit: who started each paid action, who uploaded, viewed or downloaded each document."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from tests import figures

from .objects import build_world, richiedente_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def test_each_paid_action_records_who_started_it(world):
    from mailboxes.models import CasellaCall, Evento
    from mailboxes.services import registration
    from openapi_pec.domains import SANDBOX_DOMAINS

    casella = registration.register_casella(
        titolare=world.titolare,
        tipo_casella="STANDARD",
        casella_pec=f"audit-{uuid.uuid4().hex[:6]}@{SANDBOX_DOMAINS['STANDARD']}",
        richiedente=richiedente_data(),
        autorinnovo=False,
        intent_key=str(uuid.uuid4()),
        user=world.office,
    )
    call = CasellaCall.objects.get(casella=casella, kind="registrazione")
    assert call.requested_by == world.office and call.price is not None
    event = Evento.objects.filter(casella=casella, tipo="registrazione").get()
    assert event.user == world.office
    figures.record("audit", "paid calls: requester + price on the intent and in the history")


def test_uploads_record_who_uploaded(world):
    assert world.documento.uploaded_by == world.assigned
    assert world.documento.uploaded_at is not None


def test_downloading_an_id_document_is_recorded(world):
    from mailboxes.models import Evento

    before = Evento.objects.filter(casella=world.casella).count()
    c = Client()
    c.force_login(world.assigned, backend="django.contrib.auth.backends.ModelBackend")
    response = c.get(f"/caselle/documenti/{world.documento.pk}/")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    new = Evento.objects.filter(casella=world.casella).order_by("-pk")
    assert new.count() == before + 1
    assert new.first().user == world.assigned
