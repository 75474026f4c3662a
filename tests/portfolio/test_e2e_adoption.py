"""In headless Chromium: an imported box gets the holder its Openapi data names in one click;
twenty imported boxes get one holder at once."""

from __future__ import annotations

import pytest

from accounts import roles

from ..cockpit import portfolio

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _imported(payload=None):
    from mailboxes.models import Stato

    box = portfolio.box(None, Stato.EVASA, importata=True)
    box.last_payload = payload or {}
    box.save(update_fields=["last_payload"])
    return box


def test_one_click_then_twenty_in_bulk(live_server, page, login, make_user):
    from mailboxes.models import Casella

    office = make_user(roles.OFFICE, username="operatrice")
    company = portfolio.holder(denominazione="Alfa Srl", partita_iva="01234567890")
    studio = portfolio.holder(denominazione="Studio Beta", codice_fiscale="09876543210")
    proposed = _imported({"cf_piva_titolare": "IT01234567890"})
    bulk = [_imported() for _ in range(20)]

    login(page, office)
    page.goto("/portafoglio/da-collegare/")
    with page.expect_navigation():
        page.click(f"#casella-{proposed.pk} button.proposta")
    assert "collegata a Alfa Srl" in page.inner_text("main")
    assert Casella.objects.get(pk=proposed.pk).titolare == company
    assert not page.query_selector(f"#casella-{proposed.pk}")

    page.check("#tutte")
    page.fill("input[name=titolare]", studio.codice_fiscale)
    with page.expect_navigation():
        page.click("#collega-titolare")
    assert "20 caselle collegate." in page.inner_text("main")
    assert Casella.objects.filter(pk__in=[b.pk for b in bulk], titolare=studio).count() == 20
    assert "Ogni casella ha il suo titolare." in page.inner_text("main")
