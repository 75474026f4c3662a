"""A campaign for three directors: three comunica requests with pec_amministratore, one
at-most-once intent each, each charged once even when answers are lost."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import tasks
from compliance.models import Campaign
from comunica.models import ComunicaCall, RichiestaComunicazione
from comunica.services import creation
from portal.remote_calls import CallState, run_intent, settle_grace

pytestmark = pytest.mark.django_db


def test_campaign_files_one_request_per_company_once(
    directors_with_pec, company_api, office, client, queued
):
    client.force_login(office)
    page = client.get(reverse("compliance:campaign_new"))
    assert len(page.context["filings"]) == 3 and all(f.ok for f in page.context["filings"])
    chosen = {"imprese": [c.pk for c in directors_with_pec]}
    confirm = client.post(reverse("compliance:campaign_new"), chosen)
    assert confirm.context["total"] == creation.price() * 3
    key = str(confirm.context["key"])
    first = client.post(reverse("compliance:campaign_new"), {**chosen, "key": key, "conferma": 1})
    again = client.post(reverse("compliance:campaign_new"), {**chosen, "key": key, "conferma": 1})
    assert first["Location"] == again["Location"]  # a double submit: the same campaign
    assert Campaign.objects.count() == 1
    requests = RichiestaComunicazione.objects.order_by("cf_piva")
    assert [(r.pec_amministratore, r.casella_pec, r.pec_impresa) for r in requests] == [
        (True, "mario.rossi@legalmail.it", "impresa0@legalmail.it"),
        (True, "anna.bianchi@legalmail.it", "impresa1@legalmail.it"),
        (True, "luigi.verdi@legalmail.it", "impresa2@legalmail.it"),
    ]
    calls = list(ComunicaCall.objects.all())
    assert len(calls) == 3
    # every answer of POST /comunica_pec is lost: settled from Openapi, never sent again
    company_api.set_faults(lost_next=3, methods=["POST"])
    for call in calls:
        assert run_intent("comunica.ComunicaCall", call.pk) == CallState.UNCLEAR
    later = timezone.now() + settle_grace() + dt.timedelta(seconds=1)
    for call in calls:
        assert run_intent("comunica.ComunicaCall", call.pk, now=later) == CallState.DONE
    posts = [c for c in company_api.calls() if c["method"] == "POST" and "comunica" in c["path"]]
    assert len(posts) == 3
    assert [c["operation"] for c in company_api.charges()].count("comunica") == 3
    progress = client.get(first["Location"])
    assert progress.context["sent"] == 3
    # the findings go once the filings are recorded
    tasks.refresh()
    assert client.get(reverse("compliance:campaign_new")).context["filings"] == []
