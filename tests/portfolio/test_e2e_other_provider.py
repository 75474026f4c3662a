"""In headless Chromium: a box of another provider entered by hand from the boxes list appears
in the list and in the cockpit, marked as not managed through Openapi, with no operation."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts import roles

from ..cockpit import portfolio

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manual_box_of_another_provider(live_server, page, login, make_user):
    from django.utils import timezone

    from mailboxes.models import Casella

    office = make_user(roles.OFFICE, username="operatrice")
    holder = portfolio.holder(denominazione="Bianchi Snc")
    expiry = timezone.localdate() + dt.timedelta(days=25)

    login(page, office)
    page.goto("/caselle/")
    with page.expect_navigation():
        page.click("#altro-gestore")
    page.select_option("#id_titolare", str(holder.pk))
    page.fill("#id_casella_pec", "bianchi@pec.it")
    page.select_option("#id_gestore", "register")
    page.fill("#id_data_scadenza", expiry.isoformat())
    with page.expect_navigation():
        page.click("#salva-casella")
    box = Casella.objects.get(casella_pec="bianchi@pec.it")
    assert "di Register.it registrata" in page.inner_text("main")
    assert "non gestita tramite Openapi" in page.inner_text("main")
    assert not page.query_selector("#operazioni")

    page.goto("/caselle/")
    row = page.locator("tr", has_text="bianchi@pec.it")
    assert "Register.it" in row.inner_text() and "non gestita tramite Openapi" in row.inner_text()

    page.goto("/")
    others = page.locator("#altri-gestori")
    assert "bianchi@pec.it" in others.inner_text() and "Register.it" in others.inner_text()
    assert page.inner_text("#scadenze li[data-bucket='30'] strong") == "1"
    with page.expect_navigation():
        others.locator("a", has_text="bianchi@pec.it").click()
    assert page.url.endswith(f"/caselle/{box.pk}/")
    assert not page.query_selector("#operazioni")
