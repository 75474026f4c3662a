"""``manage.py pec`` and ``portal.openapi.get_client`` against the sandbox (no database)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from portal.openapi import DjangoCacheTokenStore, get_client
from tests.pec_sandbox.helpers import comunica_request, registration
from tests.plugins.sandbox import ROOT


@pytest.fixture
def pointed(sandbox, settings):
    """Settings in demo mode, pointing at the test sandbox."""
    settings.OPENAPI_PEC_URL = sandbox.url
    settings.OPENAPI_OAUTH_URL = sandbox.url
    settings.OPENAPI_TOKEN = "demo-token"
    settings.OPENAPI_EMAIL = ""
    settings.OPENAPI_APIKEY = ""
    settings.OPENAPI_TIMEOUT = 2.0
    settings.OPENAPI_DEMO = True
    return sandbox


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("pec", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_empty_account(pointed):
    out, err = run("list")
    assert "No PEC boxes" in out and "demo mode" in err
    assert "No comunica requests" in run("comunica-list")[0]


def test_domain_and_availability(pointed):
    assert "legalmail.it: FOUND" in run("domain", "legalmail.it")[0]
    assert "NOT FOUND" in run("domain", "nessuno.example")[0]
    assert ": available" in run("available", "libera@testcert.legalmail.it")[0]
    assert "NOT available" in run("available", "occupata@testcert.legalmail.it")[0]


def test_list_show_comunica_wallet(pointed):
    client = pointed.client()
    box = client.register_casella(registration())
    req = client.create_comunica(comunica_request())
    out, _ = run("list")
    assert box.id in out and "mario.rossi@testcert.legalmail.it" in out and "registrata" in out
    out, _ = run("show", box.id)
    assert "mario.rossi@testcert.legalmail.it" in out and "STANDARD" in out
    assert req.id in run("comunica-list")[0]
    out, _ = run("comunica-show", req.id)
    assert "ACME srl" in out and "codice_in_richiesta" in out
    out, _ = run("wallet")
    assert "Credit: EUR 973.30" in out  # 1000 - 11.00 - 15.70
    assert "-15.70" in out


def test_api_error_message_and_number(pointed):
    with pytest.raises(CommandError) as info:
        run("show", "not-an-id")
    assert "Wrong id" in str(info.value) and "error 201" in str(info.value)
    with pytest.raises(CommandError) as info:
        run("show", "0123456789abcdef01234567")
    assert "no pec found" in str(info.value) and "HTTP 404" in str(info.value)


def test_cli_exit_status_and_stderr(sandbox, tmp_path):
    env = {
        **os.environ,
        "SANDBOX_URL": sandbox.url,
        "DATA_DIR": str(tmp_path),
        "OPENAPI_TOKEN": "",
        "OPENAPI_EMAIL": "",
        "OPENAPI_APIKEY": "",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "pec", "show", "not-an-id"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Wrong id" in result.stderr and "201" in result.stderr
    ok = subprocess.run(
        [sys.executable, "manage.py", "pec", "available", "libera@testcert.legalmail.it"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and "available" in ok.stdout


def test_get_client_shares_minted_token_through_django_cache(pointed, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pec-tests",
        }
    }
    settings.OPENAPI_TOKEN = ""
    settings.OPENAPI_EMAIL = "studio@example.com"
    settings.OPENAPI_APIKEY = "sandbox-apikey"
    settings.OPENAPI_DEMO = False
    client = get_client()
    assert client is get_client()  # one pooled client per configuration
    assert isinstance(client.auth.store, DjangoCacheTokenStore)
    client.list_caselle()
    # another process with the same cache: a fresh client reuses the cached token
    from openapi_pec import PecClient

    other = PecClient(
        pec_url=pointed.url,
        oauth_url=pointed.url,
        email="studio@example.com",
        apikey="sandbox-apikey",
        token_store=DjangoCacheTokenStore(),
    )
    other.list_caselle()
    assert [c["path"] for c in pointed.calls()].count("/tokens") == 1
    assert "sandbox-apikey" not in repr(client) and "sandbox-apikey" not in repr(client.auth)
