"""In headless Chromium against the sandbox: the campaign for three directors with no PEC.
The office fills in each director's missing data in one page, sees the total, confirms (twice:
one campaign); three boxes are registered and, once active, three comunica requests filed,
each charged once although every answer is lost; the open progress page follows by itself."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from compliance import tasks
from compliance.models import Campaign
from comunica.models import ComunicaCall
from comunica.services import creation
from mailboxes.models import Casella, CasellaCall
from mailboxes.services import registration
from mailboxes.services.sync import refresh_casella
from portal.remote_calls import CallState, run_intent, settle_grace

from .test_director_campaign import director_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _lose_every_answer_then_settle(sandbox, label, calls):
    sandbox.set_faults(lost_next=len(calls), methods=["POST"])
    assert {run_intent(label, c.pk) for c in calls} == {CallState.UNCLEAR}
    later = timezone.now() + settle_grace() + dt.timedelta(seconds=1)
    assert {run_intent(label, c.pk, now=later) for c in calls} == {CallState.DONE}
    sandbox.clear_faults()


def test_campaign_for_three_directors_in_the_browser(
    directors_without_pec,
    company_api,
    office,
    live_server,
    page,
    login,
    monkeypatch,
):
    monkeypatch.setattr("portal.tasks.run_call.delay", lambda *a, **k: None)
    login(page, office)
    page.goto("/conformita/campagna/")
    assert page.locator("#new-boxes tbody tr").count() == 3
    page.click("#campagna-avanti")
    each = registration.registration_price("STANDARD") + creation.price()
    total = f"{each * 3} €".replace(".", ",")  # as the Italian pages write it
    assert total in page.inner_text("#campaign-cost")
    # the identity comes from the Registro Imprese; the office adds the rest
    for n, company in enumerate(directors_without_pec):
        prefix = f"d{company.pk}-"
        assert (
            page.input_value(f"#id_{prefix}codice_fiscale")
            == director_data(company, n)[f"{prefix}codice_fiscale"]
        )
        for name, value in director_data(company, n).items():
            if name.endswith(("nome", "cognome", "codice_fiscale")):
                continue
            if name.endswith("tipo_documento"):
                page.select_option(f"#id_{name}", value)
            else:
                page.fill(f"#id_{name}", value)
    with page.expect_navigation():
        page.click("#campagna-conferma")
    assert Campaign.objects.count() == 1
    page.go_back()  # back to the filled page, confirmed again: the same campaign
    with page.expect_navigation():
        page.click("#campagna-conferma")
    assert Campaign.objects.count() == 1 and CasellaCall.objects.count() == 3
    assert page.locator("#campaign-items tbody tr").count() == 3

    _lose_every_answer_then_settle(company_api, "mailboxes.CasellaCall", CasellaCall.objects.all())
    for casella in Casella.objects.filter(pk__in=CasellaCall.objects.values("casella")):
        company_api.set_stato("casella", casella.remote_id, "evasa")
        refresh_casella(casella)
    assert tasks.advance_campaigns() == 3
    _lose_every_answer_then_settle(company_api, "comunica.ComunicaCall", ComunicaCall.objects.all())
    charged = Counter(c["operation"] for c in company_api.charges())
    assert charged["registrazione"] == 3 and charged["comunica"] == 3
    # the open progress page shows the three requests without a reload
    badges = page.locator("#campaign-items td span[data-stato]")  # 3 boxes, 3 requests
    expect(badges).to_have_count(6, timeout=20_000)
    assert total in page.inner_text("#campaign-items")
