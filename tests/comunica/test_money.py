"""The comunica confirmation states its money like every paid confirmation (issue 16, item 2)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.mailboxes.test_money import expected, figures

from .factories import REQUEST_DATA

pytestmark = pytest.mark.django_db


def test_comunica_confirmation_states_net_vat_total_and_credit(
    openapi, office_client, queued, django_capture_on_commit_callbacks
):
    confirm = office_client.post(reverse("comunica:richiesta_new"), REQUEST_DATA)
    page = confirm.content.decode()
    assert figures(page) == expected("15.70", str(openapi.credit()))
    assert "Conferma e invia (15,70 € + IVA)" in page
    openapi.set_credit("10.00")
    page = office_client.post(reverse("comunica:richiesta_new"), REQUEST_DATA).content.decode()
    assert "mancano 5,70 €" in page
