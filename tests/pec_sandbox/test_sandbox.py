"""Behaviour of the sandbox itself (state machine, wallet, auth, persistence, logging)."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from decimal import Decimal

import pytest
import requests

from openapi_pec import errors, prices, types
from tests.plugins.sandbox import ROOT, _free_port, start_sandbox

from .helpers import pdf, registration


def _evasa(sandbox, client, box):
    sandbox.set_stato("casella", box.id, "evasa")
    return client.get_casella(box.id)


def test_documenti_errati_then_reupload(sandbox):
    c = sandbox.client()
    box = c.register_casella(registration())
    box = c.attivazione(box.id, [pdf("modulo"), pdf("DOCUMENTI ERRATI")])
    assert box.stato is types.StatoCasella.IN_EVASIONE
    sandbox.advance()
    assert c.get_casella(box.id).stato is types.StatoCasella.DOCUMENTI_ERRATI
    box = c.attivazione(box.id, [pdf("modulo firmato"), pdf("carta identita")])
    time.sleep(sandbox.delay + 0.1)
    box = c.get_casella(box.id)
    assert box.stato is types.StatoCasella.EVASA
    assert box.data_scadenza.year == box.data_attivazione.year + 1
    assert box.documenti_attivazione == [
        f"{box.id}_0_attivazione.pdf",
        f"{box.id}_1_attivazione.pdf",
    ]


def test_single_merged_pdf_for_domicilio_digitale(sandbox):
    c = sandbox.client()
    box = c.register_casella(
        registration("dd@test.domiciliodigitale.com", tipo="DOMICILIODIGITALE")
    )
    assert box.dominio == "test.domiciliodigitale.com"
    assert c.attivazione(box.id, [pdf("modulo + documento")]).stato == "in_evasione"


def test_pecmassiva_sandbox_domain_and_custom_domains(sandbox):
    c = sandbox.client()
    assert c.register_casella(registration("m@test.pecmassiva.com", tipo="PECMASSIVA")).id
    assert c.register_casella(registration("info@studio-demo.it")).dominio == "studio-demo.it"
    with pytest.raises(errors.NotFound):
        c.register_casella(registration("info@cliente.it"))
    sandbox.add_domains("cliente.it")
    assert c.register_casella(registration("info@cliente.it")).casella_pec == "info@cliente.it"
    with pytest.raises(errors.NotFound):  # the Legalmail domain is not the DD one
        c.register_casella(registration("x@testcert.legalmail.it", tipo="DOMICILIODIGITALE"))


def test_case_insensitive_input(sandbox):
    c = sandbox.client()
    box = c.register_casella(registration(tipo="bronze", nazione_titolare="it"))
    assert box.tipo_casella is types.TipoCasella.BRONZE and box.nazione_titolare == "IT"


def test_verifica_pec_taken_prefixes(sandbox):
    c = sandbox.client()
    assert c.verifica_pec("occupata.rossi@testcert.legalmail.it") is False
    assert c.verifica_pec("taken@test.domiciliodigitale.com") is False
    assert c.verifica_pec("libera@testcert.legalmail.it") is True


def test_charges_follow_price_list(sandbox):
    c = sandbox.client()
    box = _evasa(sandbox, c, c.register_casella(registration(tipo="SILVER")))
    c.trasformazione(box.id, "GOLD")
    c.rinnovo(box.id, anni=3)
    charges = [(x["operation"], Decimal(x["amount"])) for x in sandbox.charges()]
    assert charges == [
        ("registrazione", prices.price("registrazione", "SILVER")),
        ("trasformazione", prices.price("trasformazione", "GOLD", da="SILVER")),
        ("rinnovo", prices.price("rinnovo", "GOLD", anni=3)),
    ]
    assert sandbox.credit() == Decimal("1000.00") - sum(a for _, a in charges)
    assert c.wallet().credit == sandbox.credit()


def test_rinnovo_reactivates_revoked(sandbox):
    c = sandbox.client()
    box = _evasa(sandbox, c, c.register_casella(registration()))
    expiry = box.data_scadenza
    c.revoke_casella(box.id)
    box = c.rinnovo(box.id)
    assert box.stato is types.StatoCasella.EVASA
    assert box.data_scadenza.year == expiry.year + 1


def test_relative_sizes_accepted_by_sandbox(sandbox):
    """The spec allows "+1024"; the client never sends it, the sandbox still implements it."""
    c = sandbox.client()
    box = _evasa(sandbox, c, c.register_casella(registration()))
    r = requests.patch(
        f"{sandbox.url}/pec/{box.id}/modifica",
        json={"spazio_disco": "+1024"},
        headers={"Authorization": "Bearer demo-token"},
        timeout=5,
    )
    assert r.json()["data"]["spazio_disco"] == box.spazio_disco + 1024


def test_unknown_stato_survives_the_client(sandbox):
    c = sandbox.client()
    box = c.register_casella(registration())
    sandbox.set_stato("casella", box.id, "sospesa")
    assert c.get_casella(box.id).stato == "sospesa"
    assert c.list_caselle()[0].stato == "sospesa"


def test_tokens_basic_auth_and_scopes(sandbox):
    url = sandbox.url
    bad = requests.post(f"{url}/tokens", auth=("me@x.it", "wrong"), json={"scopes": []}, timeout=5)
    assert bad.status_code == 401 and bad.json()["success"] is False
    missing = requests.post(f"{url}/tokens", auth=("me@x.it", "sandbox-apikey"), json={}, timeout=5)
    assert (missing.status_code, missing.json()["error"]) == (422, 70)
    prod = requests.post(
        f"{url}/tokens",
        auth=("me@x.it", "sandbox-apikey"),
        json={"scopes": ["GET:pec.openapi.it/pec"]},
        timeout=5,
    )
    assert (prod.status_code, prod.json()["error"]) == (422, 90)
    ok = requests.post(
        f"{url}/tokens",
        auth=("me@x.it", "sandbox-apikey"),
        json={"scopes": ["GET:test.pec.openapi.it/pec"], "ttl": 60},
        timeout=5,
    )
    token = ok.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{url}/pec", headers=headers, timeout=5).status_code == 404
    denied = requests.post(f"{url}/pec", headers=headers, json={}, timeout=5)
    assert denied.status_code == 403
    assert requests.get(f"{url}/pec", timeout=5).status_code == 401


def test_faults_never_hit_control_endpoints(sandbox):
    sandbox.set_faults(error_rate=1.0, lost_rate=1.0)
    assert sandbox.charges() == []
    assert sandbox.calls() == []
    with pytest.raises(errors.TransientError):
        sandbox.client().list_caselle()


def test_state_persists_across_restarts(tmp_path):
    state = tmp_path / "state.json"
    first = start_sandbox(state)
    try:
        box = first.client().register_casella(registration())
        first.set_credit("42.00")
    finally:
        first.stop()
    second = start_sandbox(state)
    try:
        c = second.client()
        assert [b.id for b in c.list_caselle()] == [box.id]
        assert second.credit() == Decimal("42.00")
    finally:
        second.stop()


def test_log_lines_have_no_secrets_nor_bodies(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pec_sandbox",
            "--port",
            str(port),
            "--state",
            str(tmp_path / "s.json"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{url}/_sandbox/health", timeout=0.2)
                break
            except requests.RequestException:
                time.sleep(0.05)
        secret = base64.b64encode(b"me@x.it:sandbox-apikey").decode()
        requests.post(
            f"{url}/tokens",
            headers={"Authorization": f"Basic {secret}"},
            json={"scopes": ["GET:test.pec.openapi.it/pec"]},
            timeout=5,
        )
        requests.get(f"{url}/pec", headers={"Authorization": "Bearer demo-token"}, timeout=5)
        requests.post(
            f"{url}/pec",
            headers={"Authorization": "Bearer demo-token"},
            json={"nome_richiedente": "BODY-MARKER"},
            timeout=5,
        )
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=5)
    assert "GET /pec -> 404" in err and "POST /tokens -> 200" in err
    for leak in (secret, "demo-token", "sandbox-apikey", "BODY-MARKER", "Authorization"):
        assert leak not in err


def test_subtype_must_belong_to_customer_type(sandbox):
    c = sandbox.client()
    with pytest.raises(errors.InvalidValue) as info:
        c.register_casella(registration(tipo_cliente="IM", sottotipo_cliente="PA"))
    assert info.value.error_code == 242
    assert c.register_casella(registration(tipo_cliente="IM", sottotipo_cliente="IN")).id
