"""Openapi's messages mapped to Italian by error number and shape (portal/openapi_messages.py)."""

from __future__ import annotations

import pytest
from django.utils import translation

from portal.history import Sentence
from portal.openapi_messages import explain


@pytest.fixture(autouse=True)
def italian():
    with translation.override("it"):
        yield


@pytest.mark.parametrize(
    ("message", "code", "status", "expected"),
    [
        (
            "Insufficient Credit in Wallet: 3.00",
            262,
            402,
            "Credito Openapi insufficiente (3,00 €): ricarica il conto e riprova.",
        ),
        ("", 290, 402, "Credito Openapi insufficiente: ricarica il conto e riprova."),
        ("you can revoke the pec only if it is active", 304, 428, "Si può revocare solo una "),
        ("maximum number of users reached: 25", 217, 406, "utenti aggiuntivi (25)"),
        (
            "data_nascita_richiedente not valid, accepted format: dd/mm/yyyy",
            242,
            406,
            "Openapi non accetta il valore di: data di nascita del richiedente.",
        ),
        ("casella_pec required", 224, 428, "Openapi richiede un dato mancante: indirizzo PEC."),
        ("service temporarily unavailable", 402, 503, "momentaneamente non disponibile"),
        ("no pec found", 266, 404, "Openapi non trova la casella."),
    ],
)
def test_known_messages_in_italian(message, code, status, expected):
    explained = explain(message, code=code, status=status)
    assert explained.known and expected in explained.text
    assert message in explained.detail


def test_unknown_message_has_our_sentence_and_the_original_as_detail():
    explained = explain("the moon is not aligned", code=999, status=406)
    assert not explained.known
    assert "the moon" not in explained.text and "Openapi ha rifiutato" in explained.text
    assert explained.detail == "the moon is not aligned (HTTP 406, error 999)"


def test_the_portals_own_message_is_kept_and_translated():
    text = "Un documento da inviare non è più disponibile: caricalo di nuovo."
    assert explain(text).text == text
    with translation.override("en"):
        assert explain(text).text != text


def test_a_history_line_is_made_in_the_readers_language():
    from portal.openapi_messages import call_sentence

    class Call:
        last_error, error_code, http_status = "Insufficient Credit in Wallet: 3.00", 262, 402

    line = Sentence.decode(
        "Openapi ha rifiutato la registrazione: %(msg)s",
        Sentence(
            "Openapi ha rifiutato la registrazione: %(msg)s", msg=call_sentence(Call())
        ).encode(),
    )
    assert "Credito Openapi insufficiente (3,00 €)" in line.render()
    with translation.override("en"):
        assert "Insufficient" not in line.render() or "Openapi credit" in line.render()


def test_wallet_movements_in_italian():
    from portal.openapi_messages import movement

    assert movement("API usage - test.pec.openapi.it rinnovo", -11).text == (
        "Addebito Openapi: rinnovo di una casella"
    )
    assert movement("Wallet recharge", 100).text == "Ricarica del conto"
    odd = movement("Something new", -2)
    assert odd.text == "Addebito Openapi" and odd.detail == "Something new" and not odd.known


def test_a_repeat_notice_has_level_text_and_tags_whatever_the_state():
    import datetime as dt

    from portal.remote_calls import PENDING, CallState, repeat_message

    class Call:
        created_at = finished_at = dt.datetime(2026, 1, 2, 10, 0, tzinfo=dt.UTC)
        last_error, error_code, http_status = "Insufficient Credit in Wallet: 3.00", 262, 402

        def get_state_display(self):
            return "In corso"

    for state, tag in ((CallState.DONE, ""), (CallState.FAILED, ""), (CallState.PENDING, PENDING)):
        call = Call()
        call.state = state
        _level, text, tags = repeat_message(call, "Rinnovo")
        assert "già richiesta il 02/01/2026" in text and "nessun nuovo addebito" in text
        assert tags == tag
