import datetime as dt

import pytest
from stdnum import luhn
from stdnum.it import codicefiscale

from accounts import roles


def piva(n: int) -> str:
    body = f"{n:010d}"
    return body + luhn.calc_check_digit(body)


def person_cf(body: str) -> str:
    return body + codicefiscale.calc_check_digit(body)


#: The amministratori unici of the campaign tests' three srl.
DIRECTORS = [
    ("Mario", "Rossi", person_cf("RSSMRA80A01H501")),
    ("Anna", "Bianchi", person_cf("BNCNNA75C41F205")),
    ("Luigi", "Verdi", person_cf("VRDLGU70E10L219")),
]


@pytest.fixture
def make_user(make_user):
    from django.contrib.auth.models import Group

    for name in roles.ROLES:
        Group.objects.get_or_create(name=name)
    return make_user


@pytest.fixture
def office(make_user):
    return make_user(roles.OFFICE, username="ufficio")


@pytest.fixture
def company_api(settings, sandbox):
    """The Company API on, pointed at the test sandbox, with an empty cache and no client kept
    from an earlier test."""
    from django.core.cache import cache

    from compliance.company import forget_clients

    settings.COMPANY_API_ENABLED = True
    settings.OPENAPI_COMPANY_URL = sandbox.url
    settings.OPENAPI_PEC_URL = sandbox.url
    settings.OPENAPI_OAUTH_URL = sandbox.url
    settings.OPENAPI_TOKEN = "demo-token"
    settings.OPENAPI_EMAIL = ""
    settings.OPENAPI_APIKEY = ""
    settings.OPENAPI_TIMEOUT = 2.0
    settings.COMPANY_API_CACHE_SECONDS = 3600
    settings.COMPLIANCE_OFFICE_PECS = ["studio@legalmail.it"]
    cache.clear()
    forget_clients()
    yield sandbox
    forget_clients()


@pytest.fixture
def holder(db):
    from mailboxes.models import Titolare

    def make(name: str, code: str, *, person: bool = False, **kw):
        data = {
            "tipo_cliente": "PV" if person else "IM",
            "denominazione": "" if person else name,
            "codice_fiscale": code,
            "partita_iva": "" if person else code,
            "indirizzo": "Via Roma 1",
            "comune": "Roma",
            "cap": "00100",
            "provincia": "RM",
            **kw,
        }
        if person:
            data["cognome"], data["nome"] = name.split(" ", 1)
        return Titolare.objects.create(**data)

    return make


@pytest.fixture
def box(db):
    from mailboxes.models import Casella

    def make(titolare, address: str, *, stato="evasa", expires=None):
        return Casella.objects.create(
            titolare=titolare,
            casella_pec=address,
            tipo_casella="STANDARD",
            stato=stato,
            data_scadenza=expires or dt.date.today() + dt.timedelta(days=300),
        )

    return make


@pytest.fixture
def queued():
    """Tasks are not sent to the broker: the tests run them by hand."""
    from unittest import mock

    with mock.patch("portal.tasks.run_call.delay") as delay:
        yield delay


@pytest.fixture
def campaign_companies(company_api, holder, box):
    """``make(first_code)``: one srl per director (partita IVA ``first_code``, the next...), its
    box the PEC registered at the Registro Imprese, the director its amministratore unico (with a
    box of their own when ``director_boxes``); the findings computed. The companies."""
    from compliance import tasks

    def make(first_code: int, *, directors=DIRECTORS, director_boxes=False, name="Impresa"):
        companies = []
        for n, (nome, surname, cf) in enumerate(directors):
            code = piva(first_code + n)
            company = holder(f"{name} {n} srl", code)
            address = f"{name.lower()}{n}@legalmail.it"
            box(company, address)
            if director_boxes:
                email = f"{surname.lower()}@example.com"
                person = holder(
                    f"{surname} {nome}", cf, person=True, email=email, telefono="3331234567"
                )
                box(person, f"{nome.lower()}.{surname.lower()}@legalmail.it")
            company_api.set_company(
                code,
                pec=address,
                history=[],
                legalForm="SR",
                ceased=False,
                directors=[{"name": nome, "surname": surname, "tax_code": cf, "roles": ["AUN"]}],
            )
            companies.append(company)
        tasks.refresh()
        return companies

    return make


@pytest.fixture
def directors_with_pec(campaign_companies):
    """Three srl whose directors each have a PEC box in the portal, not filed yet."""
    return campaign_companies(3000001, director_boxes=True)


@pytest.fixture
def directors_without_pec(campaign_companies):
    """Three srl, each with its own box, whose amministratore unico has no PEC (and is not yet
    a holder of the portal)."""
    from compliance.models import Finding

    companies = campaign_companies(6000001)
    assert Finding.objects.filter(kind="director_no_pec").count() == 3
    return companies
