"""GET /pec read as it arrives (iter_caselle_raw): the same items and the same errors as the
whole answer (list_caselle_raw), never retried once an item was handed out."""

import json

import pytest

from openapi_pec import errors

from .fake_server import Reply, fail, ok

BOXES = [
    {
        "id": f"{i:024x}",
        "casella_pec": f"box{i}@testcert.legalmail.it",
        "tipo_casella": "STANDARD",
        "stato": "evasa",
        "data_scadenza": "05/12/2027",
        "timestamp": {"registrazione": 1796431819 + i, "ultima_modifica": 1796431819},
        "owner": "demo@studio-demo.it",
        "note": "città é ✓",
    }
    for i in range(3000)  # about 700 kB: many pieces
]

SAME = [
    ok(BOXES[:3]),
    ok([BOXES[0], "not an object", 7, BOXES[1]]),
    ok(BOXES),
    ok([]),
    ok(None),
    Reply(200, {"data": BOXES[:2]}),  # no success/message/error
    Reply(200, {"success": True, "data": BOXES[:2], "message": "ok ]", "error": None}),
    Reply(200, b""),
    Reply(204),
]

FAILING = [
    (fail(404, "no pec linked to this account", 200), None),  # the API's empty list
    (ok({"item": BOXES[0]}), errors.ProtocolError),  # data is not a list
    (ok("text"), errors.ProtocolError),
    (Reply(200, [BOXES[0]]), errors.ProtocolError),  # not an envelope
    (Reply(200, "<html>oops</html>", content_type="text/html"), errors.ProtocolError),
    (Reply(200, {"success": False, "message": "no", "error": 9}), errors.OpenapiError),
    (Reply(200, {"data": BOXES[:2], "success": False, "message": "no"}), errors.OpenapiError),
    (Reply(200, {"data": BOXES[:2], "success": False, "message": "a ] b"}), errors.OpenapiError),
    (Reply(200, json.dumps({"data": BOXES[:5]})[:-3] + "xx}"), errors.ProtocolError),  # broken
    (fail(403, "forbidden", 5), errors.AuthError),
]


@pytest.mark.parametrize("reply", SAME, ids=range(len(SAME)))
def test_the_streamed_list_is_the_whole_list(fake, make_client, reply):
    fake.script("GET", "/pec", reply)
    client = make_client()
    whole = client.list_caselle_raw()
    assert list(client.iter_caselle_raw()) == whole


@pytest.mark.parametrize("reply,error", FAILING, ids=range(len(FAILING)))
def test_the_streamed_list_fails_as_the_whole_list(fake, make_client, reply, error):
    fake.script("GET", "/pec", reply)
    client = make_client()
    if error is None:
        assert client.list_caselle_raw() == [] == list(client.iter_caselle_raw())
        return
    with pytest.raises(error) as whole:
        client.list_caselle_raw()
    with pytest.raises(error) as streamed:
        list(client.iter_caselle_raw())
    assert type(streamed.value) is type(whole.value)
    assert streamed.value.status == whole.value.status
    assert streamed.value.message == whole.value.message
    assert streamed.value.error_code == whole.value.error_code


def test_a_truncated_answer_fails_as_the_whole_list(fake, make_client):
    body = json.dumps({"data": BOXES, "success": True}).encode()
    fake.script("GET", "/pec", Reply(200, body, content_type="application/json", truncate=100))
    client = make_client()
    with pytest.raises(errors.OutcomeUnknown) as whole:
        client.list_caselle_raw()
    with pytest.raises(errors.OutcomeUnknown) as streamed:
        list(client.iter_caselle_raw())
    assert streamed.value.message == whole.value.message == "answer interrupted"


def test_retried_before_the_first_item_never_after(fake, make_client):
    body = json.dumps({"data": BOXES, "success": True}).encode()
    cut = Reply(200, body, content_type="application/json", truncate=len(body) // 2)
    fake.script("GET", "/pec", fail(503, "busy", 402), fail(503, "busy", 402), ok(BOXES[:2]))
    assert list(make_client().iter_caselle_raw()) == BOXES[:2]  # retried, as any free read
    assert len(fake.seen("GET", "/pec")) == 3

    fake.requests.clear()
    fake.script("GET", "/pec", cut, ok(BOXES[:2]))
    got = []
    with pytest.raises(errors.OutcomeUnknown):
        got.extend(make_client().iter_caselle_raw())
    assert 0 < len(got) < len(BOXES) and got == BOXES[: len(got)]
    assert len(fake.seen("GET", "/pec")) == 1  # items were handed out: not read again
