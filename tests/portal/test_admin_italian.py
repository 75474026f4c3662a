"""Admin in Italian (issue 16, item 1): axes' models and our fields carry Italian labels."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_admin_index_and_lists_in_italian(admin_client):
    index = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Tentativi di accesso" in index
    assert "Access attempts" not in index and "Access logs" not in index
    page = admin_client.get(
        reverse("admin:mailboxes_titolare_changelist"), HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    assert "Display name" not in page


def test_box_fields_in_italian():
    from mailboxes.models import Casella, CasellaCall

    assert str(Casella._meta.get_field("next_poll_at").verbose_name) == "prossima lettura"
    assert str(Casella._meta.get_field("ts_scadenza").verbose_name) == "scade il (Openapi)"
    assert str(CasellaCall._meta.get_field("http_status").verbose_name) == "stato HTTP"
