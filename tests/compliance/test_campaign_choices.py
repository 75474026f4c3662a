"""The directors' campaign: automatic renewal chosen once for the campaign (as the form of a
single new box asks it), sent with POST /pec and stated truthfully; the money figures with IVA;
bad input keeps nothing; a second tab gives the same campaign; accountants are refused."""

import html
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import roles
from compliance.models import Campaign, CampaignItem
from comunica.models import ComunicaCall
from comunica.services import creation
from mailboxes.forms import IndirizzoForm
from mailboxes.models import Casella, CasellaCall, Richiedente, Titolare
from mailboxes.operations.pricing import vat_rate
from mailboxes.services import registration
from openapi_pec import prices
from portal.remote_calls import CallState, run_intent
from tests.pec_sandbox.helpers import SPECS

from .conftest import DIRECTORS as PEOPLE
from .test_director_campaign import director_data

pytestmark = pytest.mark.django_db

URL = "compliance:campaign_new"


def it(amount: Decimal) -> str:
    """An amount as the Italian pages write it."""
    return f"{amount:.2f}".replace(".", ",")


def _confirm_page(client, companies, **choice):
    return client.post(reverse(URL), {"imprese": [c.pk for c in companies], **choice})


def _confirm(client, companies, page, **choice):
    """Confirm for the first ``len(companies)`` directors, with their data filled in."""
    body = {"imprese": [c.pk for c in companies], "conferma": 1, "key": str(page.context["key"])}
    body.update(choice)
    for n, company in enumerate(companies):
        body.update(director_data(company, n))
    return client.post(reverse(URL), body)


@pytest.fixture
def directors(directors_without_pec):
    return directors_without_pec


def test_the_choice_is_the_registration_forms_own(directors, office, client, queued):
    client.force_login(office)
    page = client.get(reverse(URL)).content.decode()
    ordinary = IndirizzoForm().fields["autorinnovo"]
    assert str(ordinary.label) in page and str(ordinary.help_text) in page
    # the same default as the form of a single new box: not ticked
    checkbox = page[page.index('name="autorinnovo"') - 40 :].split(">")[0]
    assert ("checked" in checkbox) == bool(ordinary.initial)


@pytest.mark.parametrize("chosen", [True, False])
def test_automatic_renewal_as_chosen_at_the_sandbox_and_on_the_pages(
    directors, company_api, office, client, queued, chosen
):
    client.force_login(office)
    choice = {"tipo_casella": "STANDARD", **({"autorinnovo": "on"} if chosen else {})}
    first = directors[:1]
    page = _confirm_page(client, first, **choice)
    yearly = prices.price(prices.Operation.RINNOVO, "STANDARD")
    text = page.content.decode()
    if chosen:
        assert f"con rinnovo automatico: {it(yearly)} € + IVA a ogni scadenza annuale" in text
        assert "senza rinnovo automatico" not in text
    else:
        assert "senza rinnovo automatico" in text and "con rinnovo automatico" not in text
    done = _confirm(client, first, page, **choice)
    assert done.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.autorinnovo is chosen
    box = Casella.objects.get(titolare__codice_fiscale=PEOPLE[0][2])
    assert box.autorinnovo is chosen
    # what POST /pec sends (BodyPostPec.autorinnovo, a boolean in the official spec)...
    spec = json.loads((SPECS / "pec.openapi.json").read_text("utf-8"))
    assert spec["components"]["schemas"]["BodyPostPec"]["properties"]["autorinnovo"] == {
        "type": "boolean",
        "description": spec["components"]["schemas"]["BodyPostPec"]["properties"]["autorinnovo"][
            "description"
        ],
        "default": False,
    }
    assert registration.registration_request(box).to_payload()["autorinnovo"] is chosen
    # ... and what the sandbox recorded
    call = CasellaCall.objects.get()
    assert run_intent("mailboxes.CasellaCall", call.pk) == CallState.DONE
    box.refresh_from_db()
    assert company_api.client().get_casella(box.remote_id).autorinnovo is chosen
    progress = client.get(done["Location"]).content.decode()
    if chosen:
        assert f"con rinnovo automatico: a ogni scadenza annuale {it(yearly)} € + IVA" in progress
    else:
        assert "senza rinnovo automatico" in progress
    english = client.get(done["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    if chosen:
        assert f"automatic renewal: at each yearly expiry {yearly:.2f} € + VAT" in english
    else:
        assert "no automatic renewal" in english


def test_confirmation_in_english_states_the_renewal(directors, office, client, queued):
    client.force_login(office)
    page = client.post(
        reverse(URL),
        {"imprese": [directors[0].pk], "tipo_casella": "STANDARD", "autorinnovo": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    yearly = prices.price(prices.Operation.RINNOVO, "STANDARD")
    assert f"automatic renewal: {yearly:.2f} € + VAT at each yearly expiry" in page
    assert "Automatic renewal chosen" in page


def test_a_bad_box_type_is_told_in_italian_and_nothing_is_recorded(
    directors, office, client, queued
):
    client.force_login(office)
    page = _confirm_page(client, directors, tipo_casella="PLATINO")
    assert page.status_code == 400
    assert "Scegli un'opzione valida" in html.unescape(page.content.decode())
    assert not Campaign.objects.exists()


def test_confirmation_shows_the_total_with_iva(directors, office, client, queued):
    client.force_login(office)
    page = _confirm_page(client, directors, tipo_casella="STANDARD").content.decode()
    net = (registration.registration_price("STANDARD") + creation.price()) * 3
    vat = (net * vat_rate()).quantize(Decimal("0.01"))
    assert f'id="addebito-netto">{it(net)} €' in page
    assert f'id="addebito-iva">{it(vat)} €' in page
    assert f'id="addebito-lordo"><strong>{it(net + vat)} €' in page


def test_two_directors_given_one_address_keep_nothing(directors, office, client, queued):
    client.force_login(office)
    two = directors[:2]
    page = _confirm_page(client, two, tipo_casella="STANDARD")
    body = {"imprese": [c.pk for c in two], "tipo_casella": "STANDARD", "conferma": 1}
    body["key"] = str(page.context["key"])
    body.update(director_data(two[0], 0))
    body.update(director_data(two[1], 1))
    body[f"d{two[1].pk}-casella_pec"] = body[f"d{two[0].pk}-casella_pec"]
    answer = client.post(reverse(URL), body)
    assert answer.status_code == 400
    assert "già indicato per un altro amministratore" in answer.content.decode()
    assert not Campaign.objects.exists() and not CasellaCall.objects.exists()
    assert not Titolare.objects.filter(codice_fiscale__in=[p[2] for p in PEOPLE]).exists()


def test_a_director_refused_by_the_registration_keeps_nothing(
    directors, office, client, queued, monkeypatch
):
    """The second director's box refused by the registration service (an address taken
    meanwhile): the first director's holder and box are not kept either."""
    client.force_login(office)
    two = directors[:2]
    page = _confirm_page(client, two, tipo_casella="STANDARD")
    real = registration.request_registration

    def refuse_second(**kw):
        if kw["titolare"].codice_fiscale == PEOPLE[1][2]:
            from django.core.exceptions import ValidationError

            raise ValidationError("L'indirizzo è già registrato nel portale.")
        return real(**kw)

    monkeypatch.setattr(registration, "request_registration", refuse_second)
    body = {"imprese": [c.pk for c in two], "tipo_casella": "STANDARD", "conferma": 1}
    body["key"] = str(page.context["key"])
    body.update(director_data(two[0], 0))
    body.update(director_data(two[1], 1))
    answer = client.post(reverse(URL), body)
    assert answer.status_code == 400
    assert "già registrato nel portale" in answer.content.decode()
    assert not Campaign.objects.exists() and not CampaignItem.objects.exists()
    assert not CasellaCall.objects.exists() and not Richiedente.objects.exists()
    assert not Titolare.objects.filter(codice_fiscale__in=[p[2] for p in PEOPLE]).exists()


def test_two_tabs_give_one_campaign_and_one_charge(directors_with_pec, office, client, queued):
    client.force_login(office)
    chosen = {"imprese": [c.pk for c in directors_with_pec]}
    tab1 = client.post(reverse(URL), chosen)
    tab2 = client.post(reverse(URL), chosen)
    assert tab1.context["key"] != tab2.context["key"]
    first = client.post(reverse(URL), {**chosen, "key": str(tab1.context["key"]), "conferma": 1})
    second = client.post(reverse(URL), {**chosen, "key": str(tab2.context["key"]), "conferma": 1})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Campaign.objects.count() == 1 and ComunicaCall.objects.count() == 3
    # nor is a company whose request is under way offered to a new campaign
    assert client.get(reverse(URL)).context["filings"] == []


def test_charged_so_far_counts_a_registration_retried_from_the_box_page(
    directors, company_api, office, client, queued
):
    client.force_login(office)
    first = directors[:1]
    page = _confirm_page(client, first, tipo_casella="STANDARD")
    progress_url = _confirm(client, first, page, tipo_casella="STANDARD")["Location"]
    company_api.set_credit(0)
    call = CasellaCall.objects.get()
    assert run_intent("mailboxes.CasellaCall", call.pk) == CallState.FAILED
    company_api.set_credit(1000)
    retry = registration.retry_registration(casella=call.casella, intent_key="retry-1", user=office)
    assert run_intent("mailboxes.CasellaCall", retry.pk) == CallState.DONE
    box_price = registration.registration_price("STANDARD")
    assert client.get(progress_url).context["total"] == box_price
    assert f"addebitati finora {it(box_price)} € + IVA" in client.get(progress_url).content.decode()


def test_accountants_cannot_reach_the_campaign(directors, make_user, office, client, queued):
    accountant = make_user(roles.ACCOUNTANT, username="commercialista")
    for company in directors:
        company.commercialisti.add(accountant)
    campaign = Campaign.objects.create(key="k", created_by=office)
    CampaignItem.objects.create(campaign=campaign, titolare=directors[0])
    client.force_login(accountant)
    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), {"imprese": [directors[0].pk]}).status_code == 403
    assert client.get(reverse("compliance:campaign", args=[campaign.pk])).status_code == 403


def test_one_director_of_two_companies_gets_one_box_and_two_filings(
    campaign_companies, company_api, office, client, queued
):
    """The same person is amministratore unico of two srl: one box is registered, and once it
    is active each company gets its own filing (not the other company's request)."""
    from compliance import tasks
    from comunica.models import RichiestaComunicazione
    from mailboxes.services.sync import refresh_casella

    companies = campaign_companies(7000001, directors=[PEOPLE[0]] * 2, name="Doppia")
    client.force_login(office)
    page = _confirm_page(client, companies, tipo_casella="STANDARD")
    body = {"imprese": [c.pk for c in companies], "tipo_casella": "STANDARD", "conferma": 1}
    body["key"] = str(page.context["key"])
    for company in companies:
        body.update(director_data(company, 0))  # the same person, the same address
    assert client.post(reverse(URL), body).status_code == 302
    assert CasellaCall.objects.count() == 1
    call = CasellaCall.objects.get()
    assert run_intent("mailboxes.CasellaCall", call.pk) == CallState.DONE
    casella = Casella.objects.get(pk=call.casella_id)
    company_api.set_stato("casella", casella.remote_id, "evasa")
    refresh_casella(casella)
    # one request per address at a time at Openapi: the second company's waits its turn
    assert tasks.advance_campaigns() == 1
    assert list(CampaignItem.objects.values_list("problem", flat=True)) == ["", ""]
    first = ComunicaCall.objects.get()
    assert run_intent("comunica.ComunicaCall", first.pk) == CallState.DONE
    assert tasks.advance_campaigns() == 1
    assert tasks.advance_campaigns() == 0
    filed = RichiestaComunicazione.objects.order_by("cf_piva")
    assert [r.cf_piva for r in filed] == [c.partita_iva for c in companies]
    assert ComunicaCall.objects.count() == 2


def test_a_company_taken_meanwhile_updates_the_total_before_anything_is_charged(
    directors_with_pec,
    office,
    client,
    queued,
):
    client.force_login(office)
    both = {"imprese": [c.pk for c in directors_with_pec[:2]]}
    summary = client.post(reverse(URL), both)  # two companies, two filings in the total
    one = {"imprese": [directors_with_pec[0].pk]}
    other_tab = client.post(reverse(URL), one)
    client.post(reverse(URL), {**one, "key": str(other_tab.context["key"]), "conferma": 1})
    again = client.post(reverse(URL), {**both, "key": str(summary.context["key"]), "conferma": 1})
    assert again.status_code == 400
    assert "non sono più da comunicare" in html.unescape(again.content.decode())
    assert again.context["total"] == creation.price()  # the summary, now for one company
    assert Campaign.objects.count() == 1 and ComunicaCall.objects.count() == 1


def test_a_confirmation_without_its_key_is_told(directors_with_pec, office, client, queued):
    client.force_login(office)
    chosen = {"imprese": [directors_with_pec[0].pk], "conferma": 1, "key": "nonsense"}
    answer = client.post(reverse(URL), chosen, follow=True)
    assert "Conferma non valida" in answer.content.decode()
    assert not Campaign.objects.exists()
