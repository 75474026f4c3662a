import pytest

from openapi_company import CompanyClient
from tests.openapi_pec.conftest import FAST
from tests.openapi_pec.fake_server import FakeServer


@pytest.fixture
def fake():
    with FakeServer() as server:
        yield server


@pytest.fixture
def make_client(fake):
    def make(**kw):
        kw.setdefault("token", "tok-SECRET-123")
        kw.setdefault("timeout", 1.0)
        kw.setdefault("retry", FAST)
        kw.setdefault("pending_waits", (0.01, 0.01))
        return CompanyClient(company_url=fake.url, oauth_url=fake.url, **kw)

    return make
