"""In headless Chromium against the sandbox: the issue's portfolio shows each finding once with
its action; a monitor callback that changes a company's PEC brings its finding onto the open
page without a reload."""

from __future__ import annotations

import pytest
from celery import current_app

from compliance import tasks
from compliance.models import Monitor, MonitorCall
from compliance.services import monitors
from mailboxes.models import Titolare
from portal.remote_calls import run_intent

from .conftest import piva
from .test_findings import EXPECTED, portfolio  # noqa: F401 - the issue's portfolio

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KAPPA = piva(5000001)


def test_findings_once_and_a_callback_updates_the_open_page(
    portfolio,  # noqa: F811
    holder,
    box,
    office,
    live_server,
    page,
    login,
    settings,
    monkeypatch,
):
    settings.PORTAL_PUBLIC_URL = live_server.url
    monkeypatch.setitem(current_app.conf, "task_always_eager", True)
    kappa = holder("Kappa snc", KAPPA)
    box(kappa, "kappa@legalmail.it")
    portfolio.set_company(
        KAPPA, pec="kappa@legalmail.it", history=[], legalForm="SN", ceased=False,
        directors=[{"name": "Pia", "surname": "Neri", "tax_code": "NREPIA60A41H501X",
                    "roles": ["SOA"]}],
    )  # fmt: skip
    tasks.refresh()
    monkeypatch.setattr("portal.tasks.run_call.delay", lambda *a, **k: None)
    for call in monitors.watch(kappa, user=office):
        run_intent("compliance.MonitorCall", call.pk)
    assert MonitorCall.objects.filter(state="done").count() == 2

    login(page, office)
    page.goto("/conformita/")
    for (company, kind), n in EXPECTED.items():
        pk = Titolare.objects.get(denominazione=company).pk
        assert page.locator(f'#impresa-{pk} li[data-kind="{kind}"]').count() == n
    assert page.locator("li.finding").count() == sum(EXPECTED.values())
    assert page.locator(f"#impresa-{kappa.pk}").count() == 0
    # the director without a PEC: the action opens the holder form, prefilled
    delta = Titolare.objects.get(denominazione="Delta srl").pk
    with page.expect_navigation():
        page.click(f'#impresa-{delta} a[data-action="director_no_pec"]')
    assert page.input_value("input[name=codice_fiscale]").startswith("RSSMRA80A01H501")
    page.go_back()

    # Kappa's PEC changes at the Registro Imprese: the sandbox calls back, the portal re-reads
    # the monitor, and the open page shows the finding by itself
    portfolio.set_company(KAPPA, pec="kappa.nuova@pec.it")
    page.wait_for_selector(f'#impresa-{kappa.pk} li[data-kind="pec_not_managed"]', timeout=20_000)
    assert Monitor.objects.get(titolare=kappa, dataset="IT-pec").last_change_at is not None
