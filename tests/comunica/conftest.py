import pytest


@pytest.fixture
def openapi(settings, sandbox):
    """The portal's Openapi client pointed at the test sandbox."""
    settings.OPENAPI_PEC_URL = sandbox.url
    settings.OPENAPI_OAUTH_URL = sandbox.url
    settings.OPENAPI_TOKEN = "demo-token"
    settings.OPENAPI_EMAIL = ""
    settings.OPENAPI_APIKEY = ""
    settings.OPENAPI_TIMEOUT = 2.0
    return sandbox


@pytest.fixture
def queued():
    """Tasks are not sent to the broker: the tests run them by hand (the mock records them)."""
    from unittest import mock

    with mock.patch("comunica.tasks.run_call.delay") as delay:
        yield delay
