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

from .conftest import person_cf, piva

pytestmark = pytest.mark.django_db

PEOPLE = [
    ("Mario", "Rossi", person_cf("RSSMRA80A01H501")),
    ("Anna", "Bianchi", person_cf("BNCNNA75C41F205")),
    ("Luigi", "Verdi", person_cf("VRDLGU70E10L219")),
]


@pytest.fixture
def three(company_api, holder, box):
    companies = []
    for n, (name, surname, cf) in enumerate(PEOPLE):
        code = piva(3000001 + n)
        company = holder(f"Impresa {n} srl", code)
        box(company, f"impresa{n}@legalmail.it")
        email = f"{surname.lower()}@example.com"
        person = holder(f"{surname} {name}", cf, person=True, email=email, telefono="3331234567")
        box(person, f"{name.lower()}.{surname.lower()}@legalmail.it")
        company_api.set_company(
            code,
            pec=f"impresa{n}@legalmail.it",
            history=[],
            legalForm="SR",
            ceased=False,
            directors=[{"name": name, "surname": surname, "tax_code": cf, "roles": ["AUN"]}],
        )
        companies.append(company)
    tasks.refresh()
    return companies


def test_campaign_files_one_request_per_company_once(three, company_api, office, client, queued):
    client.force_login(office)
    page = client.get(reverse("compliance:campaign_new"))
    assert len(page.context["filings"]) == 3 and all(f.ok for f in page.context["filings"])
    chosen = {"imprese": [c.pk for c in three]}
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
