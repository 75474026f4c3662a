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
