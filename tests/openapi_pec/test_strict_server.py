"""The client against a second, strict and minimal server that answers exactly the spec's own
examples (pec.openapi.json), with none of the sandbox's conveniences: tokens wrapped in
``data`` with a v1-style ``expire``, a taken address reported as an error envelope, PDF errors
as text/plain, error bodies without ``data``.  Nothing may depend on the sandbox's quirks."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from openapi_pec import PecClient, errors, types

from .conftest import FAST
from .fake_server import FakeServer, Reply

SPEC = json.loads(
    (Path(__file__).resolve().parents[1] / "pec_sandbox/specs/pec.openapi.json").read_text()
)
ID = "6040e4613a716838dc4eee0e"
CID = "60ad149c3a7168084f1d2b68"


def example(path: str, method: str, status: str = "200"):
    return SPEC["paths"][path][method]["responses"][status]["content"]["application/json"][
        "example"
    ]


@pytest.fixture
def strict():
    with FakeServer() as server:
        server.script(
            "POST",
            "/tokens",
            Reply(
                200,
                {
                    "data": {
                        "token": "wrapped-token",
                        "expire": int(time.time()) + 86400 * 30,
                        "scopes": ["*:test.pec.openapi.it/*"],
                    },
                    "success": True,
                    "message": "",
                    "error": None,
                },
            ),
        )
        for path, item in SPEC["paths"].items():
            for method, op in item.items():
                concrete = (
                    path.replace("{id}", CID if "comunica" in path else ID)
                    .replace("{dominio}", "legalmail.it")
                    .replace("{pec}", "prova_pec@legalmail.it")
                )
                content = op["responses"]["200"]["content"]
                if "application/pdf" in content:
                    reply = Reply(200, b"%PDF-1.4\n%strict\n", content_type="application/pdf")
                else:
                    reply = Reply(200, content["application/json"]["example"])
                server.script(method.upper(), concrete, reply)
        yield server


def make(strict, **kw):
    return PecClient(
        pec_url=strict.url,
        oauth_url=strict.url,
        email="s@x.it",
        apikey="K",
        timeout=1.0,
        retry=FAST,
        **kw,
    )


def test_every_operation_on_spec_examples(strict):
    c = make(strict)
    assert c.domini_pec("legalmail.it").message == "legalmail.it found!"
    assert c.verifica_pec("prova_pec@legalmail.it") is True
    boxes = c.list_caselle()
    assert boxes[0].stato is types.StatoCasella.REVOCATA
    assert boxes[0].data_scadenza == dt.date(2022, 3, 4)
    from tests.pec_sandbox.helpers import comunica_request, registration

    box = c.register_casella(registration())
    assert box.stato is types.StatoCasella.REGISTRATA and box.data_scadenza is None
    assert c.get_casella(ID).multiutenza[0].userid == "MA177993"
    assert c.revoke_casella(ID).stato is types.StatoCasella.REVOCATA
    assert c.attivazione(ID, [b"%PDF-1.4"]).documenti_attivazione
    assert c.modifica(ID, spazio_disco=3072).tipo_casella is types.TipoCasella.GOLD
    assert c.conservazione(ID, [b"%PDF-1.4"]).conservazione
    c.trasformazione(ID, "GOLD")
    c.rinnovo(ID, anni=2)
    c.multiutenza(ID, nome="l", cognome="b", descrizione="d", email_gestione_password="m@d.it")
    assert len(c.list_comunica()) == 2
    req = c.create_comunica(comunica_request())
    assert req.callback is None  # "callback": false in the example
    assert c.get_comunica(CID).stato is types.StatoComunica.COMUNICAZIONE_EVASA
    assert c.upload_comunica(CID, [b"0\x80"]).stato is types.StatoComunica.DOCUMENTI_CARICATI
    for download in (c.modulo_attivazione, c.modulo_conservazione):
        assert download(ID).startswith(b"%PDF")
    assert c.procura_registro_imprese(CID).startswith(b"%PDF")
    # data-wrapped token with a v1 "expire" was understood and minted once
    assert len(strict.seen("POST", "/tokens")) == 1
    assert strict.seen("GET", "/pec")[0].headers["Authorization"] == "Bearer wrapped-token"
    assert strict.seen("GET", f"/pec/{ID}/rinnovo")[0].query == "anni=2"


def test_strict_error_shapes(strict):
    c = make(strict)
    strict.script(
        "GET",
        "/verifica_pec/occupato@legalmail.it",
        Reply(406, {"success": False, "message": "casella_pec not available", "error": 209}),
    )
    assert c.verifica_pec("occupato@legalmail.it") is False
    strict.script("GET", "/pec", Reply(404, example("/pec", "get", "404")))
    assert c.list_caselle() == []
    strict.script("GET", "/comunica_pec", Reply(404, example("/comunica_pec", "get", "404")))
    assert c.list_comunica() == []
    strict.script(
        "GET",
        f"/pec/{ID}/modulo_attivazione",
        Reply(404, "no request matches this id:", content_type="text/plain"),
    )
    with pytest.raises(errors.NotFound) as info:
        c.modulo_attivazione(ID)
    assert info.value.message == "no request matches this id:"
    strict.script("POST", "/pec", Reply(402, example("/pec", "post", "402")))
    from tests.pec_sandbox.helpers import registration

    with pytest.raises(errors.InsufficientCredit) as info:
        c.register_casella(registration())
    assert info.value.error_code == 262 and "182.03" in info.value.message
    strict.script(
        "GET",
        "/domini_pec/legalmail.it",
        Reply(503, example("/domini_pec/{dominio}", "get", "503")),
    )
    with pytest.raises(errors.TransientError) as info:
        c.domini_pec("legalmail.it")
    assert info.value.error_code == 402
    assert len(strict.seen("GET", "/domini_pec/legalmail.it")) == FAST.max_attempts
    # an HTML 502 from a proxy: no envelope at all
    strict.script(
        "DELETE", f"/pec/{ID}", Reply(502, "<html>Bad Gateway</html>", content_type="text/html")
    )
    with pytest.raises(errors.OutcomeUnknown):
        c.revoke_casella(ID)
    assert len(strict.seen("DELETE", f"/pec/{ID}")) == 1
