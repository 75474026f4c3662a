"""A comunica request refused by Openapi is explained in Italian on its page (issue 16, item 1)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from comunica.services import creation
from portal.remote_calls import CallState, run_intent
from tests.mailboxes.test_italian_pages import assert_italian

from .factories import model_data

pytestmark = pytest.mark.django_db


def test_refused_request_is_explained_in_italian(openapi, office_user, office_client, queued):
    openapi.set_credit("1.00")
    created = creation.create_richiesta(
        data=model_data(), user=office_user, intent_key=str(uuid.uuid4())
    )
    call = created.richiesta.calls.get()
    assert run_intent("comunica.ComunicaCall", call.pk) == CallState.FAILED
    url = reverse("comunica:richiesta_detail", args=[created.richiesta.pk])
    page = office_client.get(url).content.decode()
    assert "Credito Openapi insufficiente (1,00 €)" in page
    assert_italian(page)
