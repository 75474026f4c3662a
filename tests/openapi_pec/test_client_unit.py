"""Client behaviour against a scripted fake server (no sandbox)."""

import base64
import json
import logging
import socket
import time

import pytest

from openapi_pec import FileTokenStore, MemoryTokenStore, PecClient, errors, types
from openapi_pec.auth import pec_scopes

from .conftest import FAST
from .fake_server import Reply, fail, ok

CASELLA = {
    "id": "6040e4613a716838dc4eee0e",
    "casella_pec": "a@testcert.legalmail.it",
    "tipo_casella": "STANDARD",
    "stato": "registrata",
}


def test_bearer_header_and_envelope(fake, make_client):
    fake.script("GET", "/pec/6040e4613a716838dc4eee0e", ok(CASELLA))
    c = make_client().get_casella("6040e4613a716838dc4eee0e")
    assert c.stato is types.StatoCasella.REGISTRATA
    (seen,) = fake.seen()
    assert seen.headers["Authorization"] == "Bearer tok-SECRET-123"


def test_error_mapping(fake, make_client):
    client = make_client()
    cases = [
        (400, errors.WrongId),
        (401, errors.AuthError),
        (402, errors.InsufficientCredit),
        (403, errors.AuthError),
        (404, errors.NotFound),
        (406, errors.InvalidValue),
        (428, errors.PreconditionFailed),
    ]
    for status, cls in cases:
        fake.script("DELETE", "/pec/x", fail(status, f"msg {status}", 300 + status))
        with pytest.raises(cls) as info:
            client.revoke_casella("x")
        assert info.value.status == status
        assert info.value.error_code == 300 + status
        assert info.value.message == f"msg {status}"
        assert info.value.permanent


def test_missing_envelope_fields_tolerated(fake, make_client):
    fake.script("GET", "/pec/x", Reply(404, {"message": "no pec found"}))
    with pytest.raises(errors.NotFound) as info:
        make_client().get_casella("x")
    assert info.value.error_code is None
    fake.script("GET", "/pec/y", Reply(200, {"data": CASELLA}))  # no success/message/error
    assert make_client().get_casella("y").id == CASELLA["id"]


def test_empty_lists_are_404(fake, make_client):
    fake.script("GET", "/pec", fail(404, "no pec linked to this account", 200))
    fake.script("GET", "/comunica_pec", fail(404, "no request linked to this account", 332))
    client = make_client()
    assert client.list_caselle() == []
    assert client.list_comunica() == []


def test_the_raw_list_gives_the_items_as_sent(fake, make_client):
    """The daily sync reads GET /pec's items unparsed, through the client's public method."""
    fake.script("GET", "/pec", ok([CASELLA, "not an object"]), fail(404, "no pec", 200))
    client = make_client()
    assert client.list_caselle_raw() == [CASELLA]
    assert client.list_caselle_raw() == []


def test_verifica_pec_both_shapes(fake, make_client):
    client = make_client()
    fake.script("GET", "/verifica_pec/a@testcert.legalmail.it", ok({"available": True}))
    assert client.verifica_pec("a@testcert.legalmail.it") is True
    fake.script("GET", "/verifica_pec/b@testcert.legalmail.it", ok({"available": False}))
    assert client.verifica_pec("b@testcert.legalmail.it") is False
    fake.script(
        "GET", "/verifica_pec/c@testcert.legalmail.it", fail(406, "casella_pec not available", 209)
    )
    assert client.verifica_pec("c@testcert.legalmail.it") is False
    fake.script("GET", "/verifica_pec/d@x", fail(406, "invalid casella_pec", 208))
    with pytest.raises(errors.InvalidValue):
        client.verifica_pec("d@x")
    # the @ is percent-encoded on the wire
    assert fake.seen()[0].raw_path == "/verifica_pec/a%40testcert.legalmail.it"


def test_pdf_download_and_text_plain_errors(fake, make_client):
    client = make_client()
    fake.script(
        "GET",
        "/pec/x/modulo_attivazione",
        Reply(200, b"%PDF-1.4 fake", content_type="application/pdf"),
    )
    assert client.modulo_attivazione("x").startswith(b"%PDF")
    fake.script(
        "GET",
        "/pec/x/modulo_conservazione",
        Reply(406, "you cannot activate conservation if you do not first activate a pec"),
    )
    with pytest.raises(errors.InvalidValue) as info:
        client.modulo_conservazione("x")
    assert "first activate" in info.value.message
    fake.script("GET", "/comunica_pec/x/procura_registro_imprese", Reply(400, "Invalid id"))
    with pytest.raises(errors.WrongId):
        client.procura_registro_imprese("x")


def test_reads_retried_with_retry_after(fake, make_client):
    fake.script(
        "GET",
        "/pec",
        Reply(
            503,
            {"success": False, "message": "busy", "error": None},
            headers={"Retry-After": "0.15"},
        ),
        fail(502, "bad gateway"),
        ok([CASELLA]),
    )
    started = time.monotonic()
    assert len(make_client().list_caselle()) == 1
    assert len(fake.seen("GET", "/pec")) == 3
    assert time.monotonic() - started >= 0.15


def test_reads_give_up_after_max_attempts(fake, make_client):
    fake.script("GET", "/pec", fail(503, "service temporarily unavailable", 402))
    with pytest.raises(errors.TransientError) as info:
        make_client().list_caselle()
    assert not info.value.permanent
    assert len(fake.seen("GET", "/pec")) == FAST.max_attempts


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        (
            "POST",
            "/pec/x/multiutenza",
            lambda c: c.multiutenza(
                "x", nome="a", cognome="b", descrizione="c", email_gestione_password="d@e.it"
            ),
        ),
        ("GET", "/pec/x/rinnovo", lambda c: c.rinnovo("x", anni=2)),
        ("PATCH", "/pec/x/modifica", lambda c: c.modifica("x", spazio_disco=2048)),
        ("DELETE", "/pec/x", lambda c: c.revoke_casella("x")),
    ],
)
def test_writes_and_rinnovo_never_retried(fake, make_client, method, path, call):
    fake.script(method, path, fail(503, "unavailable"), ok(CASELLA))
    with pytest.raises(errors.TransientError):
        call(make_client())
    assert len(fake.seen(method, path)) == 1


def test_lost_answer_is_outcome_unknown_and_not_retried(fake, make_client):
    fake.script("PATCH", "/pec/x/trasformazione", Reply(drop=True), ok(CASELLA))
    with pytest.raises(errors.OutcomeUnknown):
        make_client().trasformazione("x", "GOLD")
    assert len(fake.seen("PATCH", "/pec/x/trasformazione")) == 1


def test_read_timeout_is_outcome_unknown(fake, make_client):
    fake.script("PATCH", "/comunica_pec/x", Reply(sleep=0.6, body={"data": {}}))
    with pytest.raises(errors.OutcomeUnknown):
        make_client(timeout=0.2).upload_comunica("x", [b"p7m"])
    assert len(fake.seen("PATCH", "/comunica_pec/x")) == 1


def test_connection_refused_is_transient_not_outcome_unknown():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = PecClient(
        pec_url=f"http://127.0.0.1:{port}",
        oauth_url=f"http://127.0.0.1:{port}",
        token="t",
        timeout=0.5,
        retry=FAST,
    )
    with pytest.raises(errors.TransientError) as info:
        client.register_casella(_registration())
    assert not isinstance(info.value, errors.OutcomeUnknown)


def test_documents_plain_base64(fake, make_client):
    fake.script("PATCH", "/pec/x/attivazione", ok(CASELLA))
    make_client().attivazione("x", [b"%PDF-1.4 a", b"%PDF-1.4 b"])
    body = fake.seen("PATCH")[0].json()
    assert body == {
        "documenti": [
            base64.b64encode(b"%PDF-1.4 a").decode(),
            base64.b64encode(b"%PDF-1.4 b").decode(),
        ]
    }


def test_modifica_absolute_only(fake, make_client):
    fake.script("PATCH", "/pec/x/modifica", ok(CASELLA))
    client = make_client()
    with pytest.raises(TypeError):
        client.modifica("x", spazio_disco="+1024")
    client.modifica("x", spazio_disco=2048, spazio_conservazione=1024)
    assert fake.seen("PATCH")[0].json() == {"spazio_disco": 2048, "spazio_conservazione": 1024}


def test_domini_pec_found_and_204(fake, make_client):
    fake.script("GET", "/domini_pec/legalmail.it", ok([], "legalmail.it found!"))
    fake.script("GET", "/domini_pec/nowhere.example", Reply(204))
    client = make_client()
    found = client.domini_pec("legalmail.it")
    assert found.found and found.message == "legalmail.it found!" and found.domains == []
    assert client.domini_pec("nowhere.example").found is False


# ---------------------------------------------------------------- auth


def _registration():
    import datetime as dt

    return types.RegistrationRequest(
        casella_pec="a@testcert.legalmail.it",
        tipo_casella="STANDARD",
        tipo_cliente="PV",
        nome_richiedente="a",
        cognome_richiedente="b",
        email="e@x.it",
        telefono="1",
        codice_fiscale_richiedente="RSSMRA80A01H501U",
        data_nascita_richiedente=dt.date(1980, 1, 1),
        sesso_richiedente="M",
        nazione_nascita_richiedente="IT",
        indirizzo_titolare="v",
        comune_titolare="c",
        cap_titolare="00100",
        nazione_titolare="IT",
        provincia_titolare="RM",
    )


def _token_reply(token, wrapped=False, expire_in=3600):
    detail = {
        "token": token,
        "scopes": pec_scopes("http://127.0.0.1"),
        "expireAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expire_in)),
    }
    return Reply(200, {"data": detail, "success": True} if wrapped else detail)


@pytest.mark.parametrize("wrapped", [False, True])
def test_mint_token_basic_and_exact_scopes(fake, make_client, wrapped):
    fake.script("POST", "/tokens", _token_reply("minted-1", wrapped))
    fake.script("GET", "/pec", ok([]))
    client = make_client(token=None, email="studio@example.com", apikey="KEY-SECRET")
    assert client.list_caselle() == []
    mint = fake.seen("POST", "/tokens")[0]
    expected = base64.b64encode(b"studio@example.com:KEY-SECRET").decode()
    assert mint.headers["Authorization"] == f"Basic {expected}"
    assert sorted(mint.json()["scopes"]) == sorted(
        [
            "GET:test.pec.openapi.it/domini_pec",
            "GET:test.pec.openapi.it/verifica_pec",
            "GET:test.pec.openapi.it/pec",
            "POST:test.pec.openapi.it/pec",
            "PATCH:test.pec.openapi.it/pec",
            "DELETE:test.pec.openapi.it/pec",
            "GET:test.pec.openapi.it/comunica_pec",
            "POST:test.pec.openapi.it/comunica_pec",
            "PATCH:test.pec.openapi.it/comunica_pec",
        ]
    )
    assert fake.seen("GET", "/pec")[0].headers["Authorization"] == "Bearer minted-1"
    client.list_caselle()
    assert len(fake.seen("POST", "/tokens")) == 1  # cached


def test_production_scopes():
    assert "POST:pec.openapi.it/pec" in pec_scopes("https://pec.openapi.it")


def test_token_shared_through_store_and_renewed_before_expiry(fake, make_client, tmp_path):
    store = FileTokenStore(tmp_path / "tokens.json")
    fake.script(
        "POST",
        "/tokens",
        _token_reply("short", expire_in=3600),
        _token_reply("fresh", expire_in=30 * 86400),
    )
    fake.script("GET", "/pec", ok([]))
    a = make_client(token=None, email="s@x.it", apikey="K", token_store=store)
    b = make_client(token=None, email="s@x.it", apikey="K", token_store=store)
    a.list_caselle()
    b.list_caselle()  # reuses the token a minted
    assert len(fake.seen("POST", "/tokens")) == 1
    # fake the clock: 95% of the lifetime has passed -> renewed before the next call
    item = store.get(a.auth.store_key)
    store.set(a.auth.store_key, {**item, "expires_at": time.time() + 100}, 100)
    b.list_caselle()
    assert len(fake.seen("POST", "/tokens")) == 2
    assert fake.seen("GET", "/pec")[-1].headers["Authorization"] == "Bearer fresh"


def test_401_one_renewal_one_retry(fake, make_client):
    fake.script("POST", "/tokens", _token_reply("t1"), _token_reply("t2"), _token_reply("t3"))
    fake.script("POST", "/pec", fail(401, "Authorization is not valid or empty"), ok(CASELLA))
    client = make_client(token=None, email="s@x.it", apikey="K")
    assert client.register_casella(_registration()).id == CASELLA["id"]
    posts = fake.seen("POST", "/pec")
    assert [p.headers["Authorization"] for p in posts] == ["Bearer t1", "Bearer t2"]
    # twice rejected -> AuthError, no loop
    fake.script("POST", "/pec", fail(401, "Authorization is not valid or empty"))
    with pytest.raises(errors.AuthError):
        client.register_casella(_registration())
    assert len(fake.seen("POST", "/pec")) == 4


def test_static_token_401_is_auth_error(fake, make_client):
    fake.script("GET", "/pec", fail(401, "Authorization is not valid or empty"))
    with pytest.raises(errors.AuthError):
        make_client().list_caselle()
    assert len(fake.seen("GET", "/pec")) == 1


def test_mint_failure_is_auth_error(fake, make_client):
    fake.script("POST", "/tokens", fail(422, "Invalid scopes specified or API not enabled", 90))
    with pytest.raises(errors.AuthError) as info:
        make_client(token=None, email="s@x.it", apikey="K").list_caselle()
    assert info.value.error_code == 90


def test_secrets_never_leak(fake, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    fake.script("POST", "/tokens", _token_reply("MINTED-SECRET"))
    fake.script("GET", "/pec", fail(401, "Authorization is not valid or empty"))
    client = make_client(token="STATIC-SECRET", email="s@x.it", apikey="APIKEY-SECRET")
    with pytest.raises(errors.AuthError) as info:
        client.list_caselle()
    texts = [
        repr(client),
        str(client),
        repr(client.auth),
        repr(client.transport),
        str(info.value),
        repr(info.value),
        caplog.text,
        repr(MemoryTokenStore()),
    ]
    for text in texts:
        for secret in ("STATIC-SECRET", "APIKEY-SECRET", "MINTED-SECRET"):
            assert secret not in text


def test_wallet_uses_basic_when_apikey(fake, make_client):
    fake.script("GET", "/wallet", Reply(200, {"data": {"credit": 125.5}}))
    fake.script(
        "GET",
        "/wallet/transactions",
        Reply(
            200,
            {
                "data": [
                    {
                        "id": "t1",
                        "amount": -15.5,
                        "createdAt": "2026-02-12T08:30:00+00:00",
                        "description": "API usage",
                    }
                ]
            },
        ),
    )
    client = make_client(token=None, email="s@x.it", apikey="K")
    assert str(client.wallet().credit) == "125.5"
    (tx,) = client.wallet_transactions()
    assert str(tx.amount) == "-15.5"
    assert fake.seen("GET", "/wallet")[0].headers["Authorization"].startswith("Basic ")
    assert not fake.seen("POST", "/tokens")


def test_json_request_body_is_json(fake, make_client):
    fake.script("POST", "/pec", ok(CASELLA))
    make_client().register_casella(_registration())
    seen = fake.seen("POST", "/pec")[0]
    assert seen.headers["Content-Type"] == "application/json"
    assert json.loads(seen.body)["data_nascita_richiedente"] == "01/01/1980"


def test_early_renewal_failure_keeps_current_token(fake, make_client):
    fake.script("POST", "/tokens", _token_reply("old", expire_in=3600), fail(503, "oauth down"))
    fake.script("GET", "/pec", ok([]))
    client = make_client(token=None, email="s@x.it", apikey="K")
    client.list_caselle()
    item = client.auth.store.get(client.auth.store_key)
    client.auth.store.set(client.auth.store_key, {**item, "expires_at": time.time() + 300}, 300)
    client.list_caselle()  # renewal due, OAuth answers 503 -> the old token is used
    assert len(fake.seen("POST", "/tokens")) == 2
    assert fake.seen("GET", "/pec")[-1].headers["Authorization"] == "Bearer old"
