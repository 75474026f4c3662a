"""End to end in headless Chromium with a real Celery worker and beat: an operator renews an
active box for 2 years (the price stated before confirming), then revokes it typing its address;
the box page follows both by itself."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from accounts import roles
from mailboxes.models import Casella
from mailboxes.services import sync as box_sync

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_renew_two_years_then_revoke_with_the_typed_address(
    pec, celery_worker_process, celery_beat_process, page, login, make_user, make_casella
):
    office = make_user(roles.OFFICE, username="operatrice")
    casella = make_casella(user=office)  # the worker registers it at the sandbox
    remote_id = wait_for(
        lambda: Casella.objects.filter(pk=casella.pk).values_list("remote_id", flat=True).first(),
        what="the registration",
    )
    pec.set_stato("casella", remote_id, "evasa")
    box_sync.refresh_casella(Casella.objects.get(pk=casella.pk))
    casella.refresh_from_db()
    before = casella.data_scadenza
    assert casella.stato == "evasa" and before

    login(page, office)
    page.goto(f"/caselle/{casella.pk}/")
    page.click("#op-rinnovo")
    page.select_option("#id_anni", "2")
    page.click("#continua")
    price = page.inner_text("#prezzo")
    assert "22,00 € + IVA" in price
    page.click("#conferma")
    page.wait_for_selector("#casella-live")
    page.evaluate("window.__noReload = true")
    page.wait_for_selector('#operazione-esito[data-kind="rinnovo"]', timeout=30_000)
    assert page.evaluate("window.__noReload === true")  # htmx refreshed the panel
    expected = before.replace(year=before.year + 2).strftime("%d/%m/%Y")
    # (the outcome may be drawn a moment before the facts: the panel then refreshes once more)
    expect(page.locator("#data-scadenza")).to_have_text(expected, timeout=10_000)
    expect(page.locator(".timeline")).to_contain_text("Rinnovata per 2 anni")

    page.click("#op-revoca")
    assert "ha effetto subito" in page.inner_text("#avviso-revoca")
    page.fill("#id_conferma", "sbagliato@testcert.legalmail.it")
    page.click("#conferma-revoca")
    assert "non corrisponde" in page.inner_text("#revoca-form")
    page.fill("#id_conferma", casella.casella_pec)
    page.click("#conferma-revoca")
    page.wait_for_selector('#casella-live[data-stato="revocata"]', timeout=30_000)
    assert 'id="op-rinnovo"' in page.content()  # a revoked box can be renewed again
    assert page.locator("#op-revoca").count() == 0

    page.click("#nav-scadenze")
    page.wait_for_selector("#conto")
    charges = sorted(c["operation"] for c in pec.charges())
    assert charges == ["registrazione", "rinnovo"]  # renewed once; revoking is free
