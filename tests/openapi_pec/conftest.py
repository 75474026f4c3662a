import pytest

from openapi_pec import PecClient, RetryPolicy

from .fake_server import FakeServer

FAST = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.05, retry_after_cap=0.2)


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
        return PecClient(pec_url=fake.url, oauth_url=fake.url, **kw)

    return make
