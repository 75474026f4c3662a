"""Comunica e-mails name the company and link to the request with an absolute address."""

import uuid

import pytest

from .factories import model_data

pytestmark = pytest.mark.django_db


def test_a_comunica_email_names_the_company_and_links_absolutely(
    office_user, queued, mailoutbox, settings
):
    from comunica.services import creation
    from comunica.services.notifications import notify_stato

    settings.PORTAL_LINK_URL = "http://127.0.0.1:8000"
    call = creation.create_richiesta(
        data=model_data(), user=office_user, intent_key=str(uuid.uuid4())
    )
    richiesta = call.richiesta
    notify_stato(richiesta.pk, "Richiesta inviata.")
    [mail] = mailoutbox
    assert richiesta.ragione_sociale in mail.subject
    assert mail.body.startswith(f"{richiesta.ragione_sociale} · {richiesta.casella_pec}")
    assert f"http://127.0.0.1:8000/comunica/{richiesta.pk}/" in mail.body
