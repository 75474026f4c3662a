"""The deployed shape of docker-compose.yml, run as local processes (there is no Docker engine
here): Debian's nginx with deploy/nginx.conf.template in front of gunicorn with
deploy/gunicorn.conf.py (three processes of four threads), production settings, on this suite's
database and broker (under CI: PostgreSQL and Redis; .ci/run installs nginx)."""

import os
import re
import time

import pytest
import requests
from django.utils.crypto import salted_hmac
from requests.adapters import HTTPAdapter

from bench.core import free_port
from bench.deployed import (
    DeployedShape,
    SlowBodies,
    environment,
    nginx_binary,
    raw_request,
    timed_gets,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed"),
]

SECRET_KEY = "deployed-shape-test-key-" + "k" * 40
CODICE_FISCALE = "RSSMRA80A01H501U"
PASSWORD = "correct-horse-battery"  # tests/conftest.py make_user


@pytest.fixture(scope="module")
def deployed(django_db_setup, tmp_path_factory):
    from tests.plugins.worker import _database_url

    env = environment(
        {
            "DATABASE_URL": _database_url(),
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_SECURE_SSL_REDIRECT": "true",
        }
    )
    # Openapi (the sandbox) does not answer: nothing here needs it.
    env["SANDBOX_URL"] = f"http://127.0.0.1:{free_port()}"
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    shape = DeployedShape(env, folder=tmp_path_factory.mktemp("deployed")).start()
    yield shape
    shape.stop()


class _From(HTTPAdapter):
    """Connections from a given loopback address (Linux answers on all of 127.0.0.0/8), so
    that the proxy sees distinct clients."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _client(deployed, address="127.0.0.1") -> requests.Session:
    http = requests.Session()
    http.trust_env = False  # no CA bundle or proxy from the environment: the proxy's own cert
    http.mount("https://", _From(address))
    http.mount("http://", _From(address))
    http.verify = str(deployed.cert)
    return http


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _access_lines(text: str) -> list[str]:
    """The request part ("METHOD path PROTOCOL") of each access log line."""
    return re.findall(r'"([A-Z]+ \S* HTTP/[\d.]+)"', text)


def test_login_page_answers_while_twenty_clients_trickle_bodies(deployed):
    login = f"{deployed.https_url}/account/login/"
    logged_before = len(deployed.logs()["gunicorn.log"])
    with SlowBodies(deployed.front, 20) as slow:
        time.sleep(2)  # all twenty connected and sending
        # Without the proxy the first GET waits ~30 s (gunicorn's timeout) for a free worker.
        results = timed_gets(login, duration=8, timeout=10, verify=str(deployed.cert))
        still_sending = list(slow.bytes_sent)
    assert results
    assert [status for status, _ in results] == [200] * len(results)
    # The slow clients were trickling the whole time, never cut off nor let through.
    assert min(still_sending) >= 8
    assert sum(slow.reconnects) == 0
    assert "POST /account/login/" not in deployed.logs()["gunicorn.log"][logged_before:]


def test_a_body_over_the_limit_is_refused_by_its_content_length_before_it_is_sent(deployed):
    logged_before = len(deployed.logs()["gunicorn.log"])
    answer = raw_request(
        deployed.front,
        "POST /account/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        "Content-Length: 2147483648\r\n\r\n",
    )
    assert _status(answer) == 413
    assert "POST /account/login/" not in deployed.logs()["gunicorn.log"][logged_before:]


def test_only_the_proxy_says_whether_a_request_came_over_https(deployed):
    forged = "GET /account/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n\r\n"
    # Through the proxy over plain http: the proxy overwrites the header, Django redirects.
    answer = raw_request(deployed.front, forged)
    assert _status(answer) == 301
    assert b"Location: https://127.0.0.1/account/login/" in answer
    # Over https through the proxy: served.
    assert _client(deployed).get(f"{deployed.https_url}/account/login/").status_code == 200
    # Straight to gunicorn from an address that is not the proxy's: the header is ignored...
    gunicorn = ("127.0.0.1", deployed.gunicorn_port)
    assert _status(raw_request(gunicorn, forged, source="127.0.0.2")) == 301
    # ...and believed from the proxy's address (FORWARDED_ALLOW_IPS) only.
    assert _status(raw_request(gunicorn, forged, source="127.0.0.1")) == 200


def _callback_secret(pk) -> str:
    """portal.callbacks.callback_token of a box under the gunicorn processes' SECRET_KEY."""
    return salted_hmac(
        "mailboxes.callback", str(pk), secret=SECRET_KEY, algorithm="sha256"
    ).hexdigest()[:40]


@pytest.mark.django_db(transaction=True)
def test_no_query_string_nor_callback_secret_reaches_a_log(deployed):
    from mailboxes.models import Casella

    http = _client(deployed)
    base = deployed.https_url
    token = _callback_secret(999999)
    # A box whose callback makes the portal ask Openapi, which does not answer here.
    box = Casella.objects.create(
        casella_pec="log@legalmail.it", tipo_casella="STANDARD", stato="in_evasione", remote_id="r1"
    )
    box_token = _callback_secret(box.pk)
    http.post(f"{base}/caselle/{box.pk}/callback/{box_token}/", json={"stato": "evasa"})
    search = f"?q={CODICE_FISCALE}"
    referer = {"Referer": f"{base}/caselle/{search}"}
    assert http.get(f"{base}/caselle/titolari/{search}", allow_redirects=False).status_code == 302
    page = http.get(f"{base}/caselle/{search}&stato=evasa", headers=referer, allow_redirects=False)
    assert page.status_code == 302
    callback = f"{base}/caselle/999999/callback/{token}/"
    assert http.post(callback, json={"stato": "attiva"}).status_code == 200
    assert http.post(f"{callback}{search}", data={"data": "{}"}).status_code == 200
    assert http.post(f"{base}/caselle/999999/callback/wrong/").status_code == 403
    # Straight to gunicorn as well (e.g. from another container).
    direct = f"{deployed.gunicorn_url}/caselle/999999/callback/{token}/{search}"
    assert http.post(direct, json={}, headers={"X-Forwarded-Proto": "https"}).ok
    time.sleep(0.5)  # nginx and gunicorn write their lines after answering

    logs = deployed.logs()
    for name, text in logs.items():
        assert CODICE_FISCALE not in text, name
        assert token not in text, name
        assert box_token not in text, name
    for name in ("gunicorn.log", "nginx-access.log"):
        requests_logged = _access_lines(logs[name])
        assert requests_logged, name
        assert not [line for line in requests_logged if "?" in line], name
        assert any("/caselle/999999/callback/[secret]/" in line for line in requests_logged)
        assert any(line.startswith("GET /caselle/titolari/ ") for line in requests_logged)


@pytest.mark.django_db(transaction=True)
def test_login_throttling_tells_clients_apart_behind_the_proxy(deployed, office_user):
    login = f"{deployed.https_url}/account/login/"

    def attempt(http, password):
        page = http.get(login)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return http.post(
            login,
            data={"username": "operatore", "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": login},
            allow_redirects=False,
        ).status_code

    attacker = _client(deployed, "127.0.0.2")
    statuses = [attempt(attacker, "wrong-password") for _ in range(5)]
    assert statuses[-1] == 429
    assert attempt(attacker, PASSWORD) == 429
    # Every request reaches gunicorn from the proxy's address; the user at another address is
    # still let in.
    assert attempt(_client(deployed, "127.0.0.3"), PASSWORD) == 302
