"""The issue's campaign for three directors with no PEC: three holders and three boxes
registered (POST /pec), then, once each box is active, three comunica requests with
pec_amministratore; each charged once even when every answer is lost (counted at the sandbox)."""

import datetime as dt
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import tasks
from compliance.models import Campaign, CampaignItem
from comunica.models import ComunicaCall, RichiestaComunicazione
from comunica.services import creation
from mailboxes.models import Casella, CasellaCall, Richiedente, Titolare
from mailboxes.services import registration
from mailboxes.services.sync import refresh_casella
from portal.remote_calls import CallState, run_intent, settle_grace

from .conftest import DIRECTORS as PEOPLE

pytestmark = pytest.mark.django_db

NEXT_YEAR = dt.date.today() + dt.timedelta(days=365)


DOMAIN = "testcert.legalmail.it"  # the sandbox's domain of the Legalmail types


def director_data(company, n: int) -> dict:
    name, surname, cf = PEOPLE[n]
    values = {
        "casella_pec": f"{name.lower()}.{surname.lower()}@{DOMAIN}",
        "nome": name,
        "cognome": surname,
        "codice_fiscale": cf,
        "email": f"{surname.lower()}@example.com",
        "telefono": "3331234567",
        "indirizzo": "Via Verdi 2",
        "cap": "00100",
        "comune": "Roma",
        "provincia": "RM",
        "tipo_documento": "CARTA_D_IDENTITA",
        "numero_documento": f"CA1234{n}AB",
        "documento_rilasciato_da": "Comune di Roma",
        "data_rilascio_documento": "2020-01-10",
        "data_scadenza_documento": NEXT_YEAR.isoformat(),
    }
    return {f"d{company.pk}-{k}": v for k, v in values.items()}


def _posts(sandbox, word: str) -> int:
    return sum(1 for c in sandbox.calls() if c["method"] == "POST" and c["path"].endswith(word))


def test_three_directors_three_boxes_three_filings_each_charged_once(
    directors_without_pec, company_api, office, client, queued
):
    client.force_login(office)
    page = client.get(reverse("compliance:campaign_new"))
    assert [b.titolare for b in page.context["new_boxes"]] == directors_without_pec
    assert page.context["filings"] == []
    chosen = {"imprese": [c.pk for c in directors_without_pec], "tipo_casella": "STANDARD"}
    confirm = client.post(reverse("compliance:campaign_new"), chosen)
    box_price = registration.registration_price("STANDARD")
    # the total before confirming: a box and a filing per director
    assert confirm.context["total"] == (box_price + creation.price()) * 3
    forms = [form for _new, form in confirm.context["directors"]]
    assert [f.initial["codice_fiscale"] for f in forms] == [p[2] for p in PEOPLE]
    # a suggestion on the type's domain (the sandbox's test domain here)
    domain = forms[0].initial["casella_pec"].split("@")[1]
    assert forms[0].initial["casella_pec"] == f"mario.rossi@{domain}"
    key = str(confirm.context["key"])
    body = {**chosen, "key": key, "conferma": 1}
    # what the office must add is asked, in Italian, and nothing is recorded
    missing = client.post(reverse("compliance:campaign_new"), body)
    assert missing.status_code == 400
    assert "Questo campo è obbligatorio." in missing.content.decode()
    assert not Campaign.objects.exists() and not CasellaCall.objects.exists()
    for n, company in enumerate(directors_without_pec):
        body.update(director_data(company, n))
    body[f"d{directors_without_pec[0].pk}-codice_fiscale"] = PEOPLE[1][
        2
    ]  # tampered: the form ignores it
    first = client.post(reverse("compliance:campaign_new"), body)
    again = client.post(reverse("compliance:campaign_new"), body)  # a double submit
    assert first.status_code == 302 and first["Location"] == again["Location"]
    assert Campaign.objects.count() == 1

    # three holders prefilled from the Registro Imprese, three registrations, no filing yet
    people = Titolare.objects.filter(codice_fiscale__in=[p[2] for p in PEOPLE])
    assert sorted((p.nome, p.cognome, p.email) for p in people) == [
        ("Anna", "Bianchi", "bianchi@example.com"),
        ("Luigi", "Verdi", "verdi@example.com"),
        ("Mario", "Rossi", "rossi@example.com"),
    ]
    assert sorted(Richiedente.objects.values_list("codice_fiscale", flat=True)) == sorted(
        p[2] for p in PEOPLE
    )
    calls = list(CasellaCall.objects.all())
    assert len(calls) == 3 and not ComunicaCall.objects.exists()
    progress = client.get(first["Location"])
    assert progress.context["boxes"] == 3 and progress.context["moving"]
    assert "in attesa che la casella sia attiva" in progress.content.decode()

    # every answer of POST /pec is lost: settled from GET /pec, never sent again
    company_api.set_faults(lost_next=3, methods=["POST"])
    assert {run_intent("mailboxes.CasellaCall", c.pk) for c in calls} == {CallState.UNCLEAR}
    later = timezone.now() + settle_grace() + dt.timedelta(seconds=1)
    for c in calls:
        assert run_intent("mailboxes.CasellaCall", c.pk, now=later) == CallState.DONE
    company_api.clear_faults()
    assert _posts(company_api, "/pec") == 3
    assert tasks.advance_campaigns() == 0  # registered, not active yet: nothing filed

    # the boxes become active (documents accepted at Openapi): the filings follow, once
    for casella in Casella.objects.filter(titolare__in=people):
        company_api.set_stato("casella", casella.remote_id, "evasa")
        refresh_casella(casella)
    assert tasks.advance_campaigns() == 3
    assert tasks.advance_campaigns() == 0
    requests = RichiestaComunicazione.objects.order_by("cf_piva")
    assert [(r.pec_amministratore, r.casella_pec, r.pec_impresa) for r in requests] == [
        (True, f"mario.rossi@{DOMAIN}", "impresa0@legalmail.it"),
        (True, f"anna.bianchi@{DOMAIN}", "impresa1@legalmail.it"),
        (True, f"luigi.verdi@{DOMAIN}", "impresa2@legalmail.it"),
    ]
    filings = list(ComunicaCall.objects.all())
    assert len(filings) == 3
    company_api.set_faults(lost_next=3, methods=["POST"])
    for call in filings:
        assert run_intent("comunica.ComunicaCall", call.pk) == CallState.UNCLEAR
    later = timezone.now() + settle_grace() + dt.timedelta(seconds=1)
    for call in filings:
        assert run_intent("comunica.ComunicaCall", call.pk, now=later) == CallState.DONE
    assert _posts(company_api, "/comunica_pec") == 3
    charged = Counter(c["operation"] for c in company_api.charges())
    assert charged["registrazione"] == 3 and charged["comunica"] == 3

    progress = client.get(first["Location"])
    assert progress.context["sent"] == 3
    assert progress.context["total"] == (box_price + creation.price()) * 3
    assert CampaignItem.objects.filter(richiesta=None).count() == 0
    # nothing left to do for these companies
    tasks.refresh()
    page = client.get(reverse("compliance:campaign_new"))
    assert page.context["new_boxes"] == [] and page.context["filings"] == []


def test_a_second_campaign_does_not_take_a_director_already_being_registered(
    directors_without_pec, company_api, office, client, queued
):
    client.force_login(office)
    body = {"imprese": [directors_without_pec[0].pk], "tipo_casella": "STANDARD", "conferma": 1}
    confirm = client.post(
        reverse("compliance:campaign_new"), {"imprese": [directors_without_pec[0].pk]}
    )
    body.update(director_data(directors_without_pec[0], 0), key=str(confirm.context["key"]))
    assert client.post(reverse("compliance:campaign_new"), body).status_code == 302
    page = client.get(reverse("compliance:campaign_new"))
    assert [b.titolare for b in page.context["new_boxes"]] == directors_without_pec[1:]
    tasks.recompute()  # the box being registered makes the finding "to file": still not offered
    page = client.get(reverse("compliance:campaign_new"))
    assert page.context["filings"] == []
    assert CasellaCall.objects.count() == 1


def _campaign_for_first(client, three):
    body = {"imprese": [three[0].pk], "tipo_casella": "STANDARD", "conferma": 1}
    confirm = client.post(reverse("compliance:campaign_new"), {"imprese": [three[0].pk]})
    body.update(director_data(three[0], 0), key=str(confirm.context["key"]))
    return client.post(reverse("compliance:campaign_new"), body)


def test_a_refused_registration_waits_a_box_that_ends_stops_the_item(
    directors_without_pec, company_api, office, client, queued
):
    client.force_login(office)
    progress_url = _campaign_for_first(client, directors_without_pec)["Location"]
    company_api.set_credit(0)
    call = CasellaCall.objects.get()
    assert run_intent("mailboxes.CasellaCall", call.pk) == CallState.FAILED
    assert tasks.advance_campaigns() == 0
    item = CampaignItem.objects.get()
    assert item.problem == "" and item.casella.stato == "non_registrata"
    page = client.get(progress_url).content.decode()
    assert "Registrazione non riuscita" in page  # retried from the box's page, linked here
    Casella.objects.filter(pk=item.casella_id).update(stato="registrazione_annullata")
    assert tasks.advance_campaigns() == 0
    item.refresh_from_db()
    assert item.problem and item.richiesta is None
    assert not ComunicaCall.objects.exists()


def test_filing_after_activation_is_a_periodic_task(settings):
    from celery import current_app

    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "compliance.advance_campaigns" in beat
    assert "compliance.advance_campaigns" in current_app.tasks
