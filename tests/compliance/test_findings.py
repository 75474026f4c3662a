"""The compliance page against the sandbox: each finding once, with the right action; nothing
asked twice of the Company API within the period (counted at the sandbox)."""

import datetime as dt
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import tasks
from compliance.company import forget_clients
from compliance.models import CompanyCheck, Finding

from .conftest import person_cf, piva

pytestmark = pytest.mark.django_db

ALFA, BETA, GAMMA, DELTA, EPSILON, ZETA, ETA = (piva(n) for n in range(1000001, 1000008))
ROSSI = person_cf("RSSMRA80A01H501")
BIANCHI = person_cf("BNCNNA75C41F205")
VERDI = person_cf("VRDLGU70E10L219")
PARTNER = {"name": "Paolo", "surname": "Neri", "tax_code": person_cf("NREPLA60A01H501"),
           "roles": ["SOA"]}  # fmt: skip


def _partnership(sandbox, code, pec):
    sandbox.set_company(
        code, pec=pec, history=[], legalForm="SN", directors=[PARTNER], ceased=False
    )


def _srl(sandbox, code, pec, director):
    sandbox.set_company(
        code, pec=pec, history=[], legalForm="SR", directors=[director], ceased=False
    )


@pytest.fixture
def portfolio(company_api, holder, box):
    """The issue's portfolio."""
    s = company_api
    # Alfa: registered PEC differs from the box the office manages for it.
    alfa = holder("Alfa snc", ALFA)
    box(alfa, "alfa@legalmail.it")
    _partnership(s, ALFA, "alfa.vecchia@pec.it")
    # Beta and Gamma: one PEC registered for both.
    beta = holder("Beta snc", BETA)
    box(beta, "condivisa@legalmail.it")
    holder("Gamma snc", GAMMA)
    _partnership(s, BETA, "condivisa@legalmail.it")
    _partnership(s, GAMMA, "condivisa@legalmail.it")
    # Delta srl: its amministratore unico has no PEC in the portal.
    delta = holder("Delta srl", DELTA)
    box(delta, "delta@legalmail.it")
    rossi = {"name": "Mario", "surname": "Rossi", "tax_code": ROSSI, "roles": ["AUN"]}
    _srl(s, DELTA, "delta@legalmail.it", rossi)
    # Epsilon srl: its director's PEC is the company's registered PEC.
    holder("Epsilon srl", EPSILON)
    bianchi = holder("Bianchi Anna", BIANCHI, person=True)
    box(bianchi, "epsilon@legalmail.it")
    anna = {"name": "Anna", "surname": "Bianchi", "tax_code": BIANCHI, "roles": ["AUN"],
            "gender": "F"}  # fmt: skip
    _srl(s, EPSILON, "epsilon@legalmail.it", anna)
    # Zeta: ceased.
    zeta = holder("Zeta snc", ZETA)
    box(zeta, "zeta@legalmail.it")
    s.set_company(ZETA, pec="zeta@legalmail.it", history=[], legalForm="SN", ceased=True)
    # Eta srl: its presidente has a PEC of their own, not filed yet; a board member is not
    # the obliged director; the box registered for it is expiring.
    eta = holder("Eta srl", ETA)
    box(eta, "eta@legalmail.it", expires=dt.date.today() + dt.timedelta(days=10))
    verdi = holder("Verdi Luigi", VERDI, person=True)
    box(verdi, "luigi.verdi@legalmail.it")
    board = [
        {"name": "Carlo", "surname": "Blu", "tax_code": person_cf("BLUCRL65A01H501"),
         "roles": ["CON"]},
        {"name": "Luigi", "surname": "Verdi", "tax_code": VERDI, "roles": ["PCA"]},
    ]  # fmt: skip
    s.set_company(ETA, pec="eta@legalmail.it", history=[], legalForm="SP", directors=board,
                  ceased=False)  # fmt: skip
    return s


def _found():
    return Counter((f.titolare.denominazione, f.kind) for f in Finding.objects.all())


EXPECTED = Counter(
    {
        ("Alfa snc", "pec_not_managed"): 1,
        ("Beta snc", "pec_shared"): 1,
        ("Gamma snc", "pec_shared"): 1,
        ("Delta srl", "director_no_pec"): 1,
        ("Epsilon srl", "director_pec_not_distinct"): 1,
        ("Zeta snc", "ceased"): 1,
        ("Eta srl", "pec_box_expiring"): 1,
        ("Eta srl", "director_pec_to_file"): 1,
    }
)


def test_each_finding_once_with_its_action(portfolio, office, client):
    tasks.refresh()
    assert _found() == EXPECTED
    eta = CompanyCheck.objects.get(titolare__partita_iva=ETA)
    assert eta.director["codice_fiscale"] == VERDI and eta.director["role"] == "PCA"
    client.force_login(office)
    page = client.get(reverse("compliance:portfolio")).content.decode()
    by_kind = Counter()
    for (_company, kind), n in EXPECTED.items():
        by_kind[kind] += n
    for kind, n in by_kind.items():
        assert page.count(f'data-action="{kind}"') == n
    # the actions lead where the fix is made
    alfa = Finding.objects.get(kind="pec_not_managed")
    assert f"{reverse('comunica:richiesta_new')}?titolare={alfa.titolare_id}&amp;casella=" in page
    delta = Finding.objects.get(kind="director_no_pec")
    assert reverse("compliance:director_holder", args=[delta.titolare_id]) in page
    assert reverse("compliance:director_file", args=[Finding.objects.get(
        kind="director_pec_to_file").titolare_id]) in page  # fmt: skip
    assert "Rinnovare la casella prima della scadenza." in page
    # the same again: the findings are not duplicated
    tasks.refresh()
    assert _found() == EXPECTED


def test_nothing_asked_twice_within_the_period(portfolio):
    tasks.refresh()
    first = Counter(c["operation"] for c in portfolio.charges())
    # 7 companies: IT-pec, IT-closed, IT-advanced each; stakeholders for the 3 capital
    # companies that are not ceased
    assert first == {"IT-pec": 7, "IT-closed": 7, "IT-advanced": 7, "IT-stakeholders": 3}
    tasks.refresh()
    forget_clients()  # another process: the answers are in Django's cache, not the client
    tasks.refresh()
    assert Counter(c["operation"] for c in portfolio.charges()) == first


def test_after_a_filing_is_evasa_the_registered_pec_is_read_again(portfolio, office):
    from comunica.models import RichiestaComunicazione

    tasks.refresh()
    before = len(portfolio.charges())
    portfolio.set_company(ALFA, pec="alfa@legalmail.it")
    RichiestaComunicazione.objects.create(
        casella_pec="alfa@legalmail.it", ragione_sociale="Alfa snc", cf_piva=ALFA,
        comune="Roma", provincia="RM", nome="Paolo", cognome="Neri", cf=PARTNER["tax_code"],
        qualifica="SOCIO", email="neri@example.com", cellulare="3331234567",
        stato="comunicazione_evasa", evasa_at=timezone.now(),
    )  # fmt: skip
    tasks.refresh()
    again = [c["operation"] for c in portfolio.charges()[before:]]
    assert sorted(again) == ["IT-advanced", "IT-closed", "IT-pec"]  # Alfa's, and only once
    assert not Finding.objects.filter(kind="pec_not_managed").exists()
    tasks.refresh()
    assert len(portfolio.charges()) == before + 3


def test_director_pec_filed_is_no_longer_a_finding(portfolio):
    from comunica.models import RichiestaComunicazione

    RichiestaComunicazione.objects.create(
        casella_pec="luigi.verdi@legalmail.it", pec_amministratore=True,
        pec_impresa="eta@legalmail.it", ragione_sociale="Eta srl", cf_piva=ETA, comune="Roma",
        provincia="RM", nome="Luigi", cognome="Verdi", cf=VERDI, qualifica="AMMINISTRATORE",
        email="verdi@example.com", cellulare="3331234567", stato="in_attesa_di_documenti",
    )  # fmt: skip
    tasks.refresh()
    assert ("Eta srl", "director_pec_to_file") not in _found()


def test_office_pec_and_revoked_box(company_api, holder, box):
    teta = holder("Teta snc", piva(2000001))
    iota = holder("Iota snc", piva(2000002))
    box(iota, "iota@legalmail.it", stato="revocata")
    _partnership(company_api, piva(2000001), "studio@legalmail.it")
    _partnership(company_api, piva(2000002), "iota@legalmail.it")
    tasks.refresh()
    assert set(Finding.objects.values_list("titolare", "kind")) == {
        (teta.pk, "pec_office"),
        (iota.pk, "pec_box_inactive"),
    }


def test_director_holder_prefilled_then_the_registration_flow(portfolio, office, client):
    tasks.refresh()
    delta = Finding.objects.get(kind="director_no_pec").titolare
    client.force_login(office)
    url = reverse("compliance:director_holder", args=[delta.pk])
    form = client.get(url).context["form"]
    assert (form.initial["nome"], form.initial["cognome"]) == ("Mario", "Rossi")
    assert form.initial["codice_fiscale"] == ROSSI and form.initial["tipo_cliente"] == "PV"
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(indirizzo="Via Po 2", cap="00100", comune="Roma", provincia="RM")
    answer = client.post(url, data)
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("mailboxes:casella_new") + "?titolare=")
    # the director is a holder now: the same link goes straight to the registration
    assert client.get(url)["Location"] == answer["Location"]


def test_director_filing_prefilled(portfolio, office, client):
    tasks.refresh()
    eta = Finding.objects.get(kind="director_pec_to_file").titolare
    client.force_login(office)
    form = client.get(reverse("compliance:director_file", args=[eta.pk])).context["form"]
    assert form.initial["pec_amministratore"] == "1"
    assert form.initial["casella_pec"] == "luigi.verdi@legalmail.it"
    assert form.initial["pec_impresa"] == "eta@legalmail.it"
    assert (form.initial["cf_piva"], form.initial["cf"]) == (ETA, VERDI)


def test_off_the_pages_say_how_to_enable_it(settings, office, client):
    settings.COMPANY_API_ENABLED = False
    client.force_login(office)
    page = client.get(reverse("compliance:portfolio")).content.decode()
    assert "COMPANY_API_ENABLED=true" in page
    assert tasks.refresh() == {}
    # the PEC features are unaffected
    assert client.get(reverse("mailboxes:casella_list")).status_code == 200


def test_renewal_of_a_ceased_companys_box_warns_first(portfolio, office, client):
    from mailboxes.models import Casella

    tasks.refresh()
    Casella.objects.update(remote_id=None)
    zeta = Casella.objects.get(casella_pec="zeta@legalmail.it")
    alfa = Casella.objects.get(casella_pec="alfa@legalmail.it")
    for n, c in enumerate((zeta, alfa)):
        c.remote_id = f"remote-{n}"
        c.save(update_fields=["remote_id"])
    client.force_login(office)
    page = client.get(reverse("mailboxes:rinnovo", args=[zeta.pk])).content.decode()
    assert "Zeta snc risulta cessata al Registro Imprese" in page
    page = client.get(reverse("mailboxes:rinnovo", args=[alfa.pk])).content.decode()
    assert "data-warning" not in page


def test_batch_renewal_with_a_ceased_companys_box_warns_first(portfolio, office, client):
    from mailboxes.models import Casella

    tasks.refresh()
    zeta = Casella.objects.get(casella_pec="zeta@legalmail.it")
    zeta.remote_id = "remote-zeta"
    zeta.data_scadenza = dt.date.today() + dt.timedelta(days=20)
    zeta.save(update_fields=["remote_id", "data_scadenza"])
    client.force_login(office)
    page = client.post(reverse("mailboxes:scadenze"), {"caselle": [zeta.pk], "anni": 1})
    assert "Zeta snc risulta cessata al Registro Imprese" in page.content.decode()


def test_the_page_in_english(portfolio, office, client):
    from django.conf import settings

    tasks.refresh()
    client.force_login(office)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("compliance:portfolio")).content.decode()
    assert "Registered PEC differs from the managed box" in page
    assert "File the box the office manages with the Registro Imprese." in page
    assert "Director without a PEC" in page and "Amministratore senza PEC" not in page


def test_a_box_registered_for_the_director_changes_the_finding_without_asking_openapi(
    portfolio, holder, box
):
    tasks.refresh()
    charged = len(portfolio.charges())
    rossi = holder("Rossi Mario", ROSSI, person=True)
    box(rossi, "mario.rossi@legalmail.it")
    tasks.recompute()
    assert ("Delta srl", "director_no_pec") not in _found()
    assert _found()[("Delta srl", "director_pec_to_file")] == 1
    assert len(portfolio.charges()) == charged


def test_the_beat_runs_registered_tasks(settings):
    from celery import current_app

    beat = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in ("compliance.refresh", "compliance.recompute"):
        assert name in beat and name in current_app.tasks


def _checked_companies(holder, box, numbers):
    """Companies whose registered PEC is the box the office manages for them and whose director
    has a box of their own, not filed yet: a director_pec_to_file finding each."""
    from compliance.models import CompanyCheck

    for i in numbers:
        company = holder(f"Impresa {i:03d} srl", piva(3000000 + i))
        box(company, f"impresa{i}@legalmail.it")
        director = holder(f"Rossi Mario{i}", person_cf(f"RSSMRA80A01H{i:03d}"), person=True)
        box(director, f"mario.rossi{i}@legalmail.it")
        CompanyCheck.objects.create(
            titolare=company,
            registered_pec=f"impresa{i}@legalmail.it",
            legal_form="SR",
            director={
                "nome": "Mario",
                "cognome": "Rossi",
                "codice_fiscale": director.codice_fiscale,
                "role": "AUN",
            },
            director_obliged=True,
            checked_at=timezone.now(),
        )


def _changed_companies():
    """One company in two ceased (its finding replaced), the others with a new registered PEC
    (a finding added) and a director renamed (a finding updated)."""
    from compliance.models import CompanyCheck

    for n, check in enumerate(CompanyCheck.objects.order_by("pk")):
        if n % 2:
            check.ceased = True
        else:
            check.registered_pec = f"altra{n}@pec.it"
            check.director = {**check.director, "nome": "Marco"}
        check.save()


def _queries_of_compute() -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from compliance.services.findings import compute_findings

    with CaptureQueriesContext(connection) as queries:
        compute_findings()
    return len(queries.captured_queries)


def test_the_findings_take_as_many_queries_for_30_companies_as_for_3(settings, holder, box):
    settings.COMPLIANCE_OFFICE_PECS = []
    counted = {}
    for n in (3, 30):
        Finding.objects.all().delete()
        CompanyCheck.objects.all().delete()
        _checked_companies(holder, box, range(n, 2 * n))
        first = _queries_of_compute()
        assert Counter(Finding.objects.values_list("kind", flat=True)) == {
            "director_pec_to_file": n
        }
        _changed_companies()
        again = _queries_of_compute()
        assert Counter(Finding.objects.values_list("kind", flat=True)) == {
            "ceased": n // 2,
            "pec_not_managed": n - n // 2,
            "director_pec_to_file": n - n // 2,
        }
        assert Finding.objects.filter(params__director="Marco Rossi").count() == n - n // 2
        counted[n] = (first, again)
    assert counted[30] == counted[3]
