"""Operations on active boxes: which type/status takes which operation (allowed and refused
pairs), each operation through the service and its task against the sandbox, at most once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mailboxes.models import Casella, CasellaCall, Documento, Stato
from mailboxes.operations import (
    conservazione,
    modifica,
    multiutenza,
    revoca,
    rinnovo,
    rules,
    trasformazione,
)
from portal.remote_calls import run_intent

from .conftest import checked, pdf_bytes, run_calls
from .operations_support import *  # noqa: F403 (the active_box fixture)
from .operations_support import key

pytestmark = pytest.mark.django_db

ALL_STATES = [s for s in Stato.values]
LEGALMAIL = ["STANDARD", "BRONZE", "SILVER", "GOLD"]
OTHERS = ["DOMICILIODIGITALE", "PECMASSIVA"]


def box(tipo="STANDARD", stato="evasa", **kw) -> Casella:
    """An unsaved box: the rules read only its fields."""
    data = {
        "remote_id": "a" * 24,
        "casella_pec": "x@testcert.legalmail.it",
        "tipo_casella": tipo,
        "stato": stato,
        "spazio_disco": 1024,
        "spazio_storico": 1024,
        **kw,
    }
    return Casella(**data)


# --------------------------------------------------------------------------- the rules

ALLOWED_STATES = {
    "rinnovo": {"evasa", "revocata"},
    "revoca": {"evasa"},
    "modifica": {"evasa"},
    "conservazione": {"evasa"},
    "trasformazione": {"evasa"},
    "multiutenza": {"evasa"},
}
LEGALMAIL_ONLY = {
    "modifica",
    "conservazione",
    "trasformazione",
    "multiutenza",
}


@pytest.mark.parametrize("kind", list(ALLOWED_STATES))
@pytest.mark.parametrize("stato", ALL_STATES)
def test_status_rules(kind, stato):
    verdict = rules.check(box("STANDARD", stato), kind, busy=False)
    assert verdict.ok is (stato in ALLOWED_STATES[kind])
    if not verdict.ok:
        assert verdict.reason  # an Italian reason the page shows


@pytest.mark.parametrize("kind", list(ALLOWED_STATES))
@pytest.mark.parametrize("tipo", LEGALMAIL + OTHERS)
def test_type_rules(kind, tipo):
    verdict = rules.check(box(tipo, "evasa"), kind, busy=False)
    expected = tipo in LEGALMAIL or kind not in LEGALMAIL_ONLY
    if kind == "trasformazione" and tipo == "GOLD":
        expected = False  # nothing above Gold
    assert verdict.ok is expected, verdict.reason
    if tipo in OTHERS and kind in LEGALMAIL_ONLY:
        assert "Legalmail" in verdict.reason


def test_limits():
    assert not rules.check(box(conservazione=True), "conservazione", busy=False)
    users = [{"nome": str(i)} for i in range(25)]
    assert not rules.check(box(last_payload={"multiutenza": users}), "multiutenza", busy=False)
    assert rules.check(box(last_payload={"multiutenza": users[:24]}), "multiutenza", busy=False)
    assert not rules.check(box(), "rinnovo", busy=True)
    assert not rules.check(box(remote_id=None), "rinnovo", busy=False)
    assert rules.higher_types("STANDARD") == ["BRONZE", "SILVER", "GOLD"]
    assert rules.higher_types("SILVER") == ["GOLD"]
    assert rules.higher_types("DOMICILIODIGITALE") == []


def test_absolute_sizes_and_multiples():
    b = box(spazio_disco=2048, spazio_storico=1024, spazio_conservazione=512, conservazione=True)
    assert modifica.modifica_targets(b, disco_add=1024, conservazione_add=512) == {
        "spazio_disco": 3072,
        "spazio_conservazione": 1024,
    }
    for bad in (
        {"disco_add": 1000},
        {"storico_add": -1024},
        {"conservazione_add": 256},
        {"disco_add": 0},
        {"disco_add": 100 * 1024},
    ):
        with pytest.raises(ValidationError):
            modifica.modifica_targets(b, **bad)
    with pytest.raises(ValidationError, match="conservazione"):
        modifica.modifica_targets(box(), conservazione_add=512)


# --------------------------------------------------------------------------- each operation


def test_renew_for_two_years(pec, active_box, office_user):
    casella = active_box()
    before = casella.data_scadenza
    call = rinnovo.renew(casella=casella, anni=2, intent_key=key(), user=office_user)
    assert call.price == rinnovo.renewal_price("STANDARD", 2) == 22
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.data_scadenza == before.replace(year=before.year + 2)
    assert [c["operation"] for c in pec.charges()] == ["registrazione", "rinnovo"]
    assert "Rinnovata per 2 anni" in casella.eventi.first().testo


def test_renew_a_revoked_box_reactivates_it(pec, active_box, office_user):
    casella = active_box(stato="revocata")
    rinnovo.renew(casella=casella, anni=1, intent_key=key(), user=office_user)
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.stato == Stato.EVASA


def test_running_the_renew_task_twice_renews_once(pec, active_box, office_user):
    casella = active_box()
    call = rinnovo.renew(casella=casella, anni=1, intent_key=key(), user=office_user)
    assert run_intent("mailboxes.CasellaCall", call.pk) == "done"
    assert run_intent("mailboxes.CasellaCall", call.pk) == "done"
    renewals = [c for c in pec.charges() if c["operation"] == "rinnovo"]
    assert len(renewals) == 1
    # The wallet (GET /wallet/transactions, as the expiry page shows it) has one charge.
    txs = pec.client().wallet_transactions()
    assert sum(1 for t in txs if "rinnovo" in t.description) == 1
    assert [c["path"] for c in pec.calls()].count(f"/pec/{casella.remote_id}/rinnovo") == 1


def test_double_submit_is_one_intent(pec, active_box, office_user):
    casella = active_box()
    k = key()
    a = rinnovo.renew(casella=casella, anni=1, intent_key=k, user=office_user)
    b = rinnovo.renew(casella=casella, anni=1, intent_key=k, user=office_user)
    assert a.pk == b.pk and CasellaCall.objects.filter(kind="rinnovo").count() == 1


def test_a_second_operation_waits_for_the_first(pec, active_box, office_user):
    casella = active_box()
    rinnovo.renew(casella=casella, anni=1, intent_key=key(), user=office_user)
    with pytest.raises(ValidationError, match="in corso"):
        rinnovo.renew(casella=casella, anni=1, intent_key=key(), user=office_user)
    with pytest.raises(ValidationError, match="in corso"):
        revoca.revoke(
            casella=casella, conferma=casella.casella_pec, intent_key=key(), user=office_user
        )
    assert CasellaCall.objects.filter(kind__in=["rinnovo", "revoca"]).count() == 1


def test_lost_renewal_answer_is_settled_by_reading(pec, active_box, office_user):
    """The renewal was performed but the answer was lost: GET /pec/{id} shows the later expiry,
    so the intent is done without a second renewal."""
    casella = active_box()
    before = casella.data_scadenza
    call = rinnovo.renew(casella=casella, anni=1, intent_key=key(), user=office_user)
    pec.set_faults(lost_next=1, path_prefix=f"/pec/{casella.remote_id}/rinnovo")
    assert run_calls(casella) == ["unclear"]
    CasellaCall.objects.filter(pk=call.pk).update(next_attempt_at=timezone.now())
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.data_scadenza == before.replace(year=before.year + 1)
    assert len([c for c in pec.charges() if c["operation"] == "rinnovo"]) == 1
    assert [c["path"] for c in pec.calls()].count(f"/pec/{casella.remote_id}/rinnovo") == 1


def test_unclear_renewal_not_performed_is_sent_again(pec, active_box, office_user, settings):
    """The request never arrived (503 then a timeout with nothing behind): after the grace
    period GET /pec/{id} shows the old expiry, so it is sent once more, and charged once."""
    settings.REMOTE_CALL_SETTLE_GRACE = 0
    casella = active_box()
    call = rinnovo.renew(casella=casella, anni=1, intent_key=key(), user=office_user)
    CasellaCall.objects.filter(pk=call.pk).update(
        state="unclear", last_sent_at=timezone.now() - dt.timedelta(seconds=5)
    )
    assert run_calls(casella) == ["done"]
    assert len([c for c in pec.charges() if c["operation"] == "rinnovo"]) == 1


def test_insufficient_credit_fails_once_and_alerts_the_staff(
    pec, active_box, office_user, make_user, mailoutbox
):
    from accounts import roles

    colleague = make_user(roles.OFFICE, username="collega")
    casella = active_box(tipo="GOLD")
    pec.set_credit("10.00")
    call = rinnovo.renew(casella=casella, anni=1, intent_key=key(), user=office_user)
    assert run_calls(casella) == ["failed"]
    call.refresh_from_db()
    assert call.http_status == 402 and "Insufficient Credit" in call.last_error
    assert run_intent("mailboxes.CasellaCall", call.pk) == "failed"  # nothing retried by itself
    assert run_calls(casella) == []
    assert [c["path"] for c in pec.calls()].count(f"/pec/{casella.remote_id}/rinnovo") == 1
    assert len(mailoutbox) == 1
    assert set(mailoutbox[0].to) >= {office_user.email, colleague.email}
    assert "Credito Openapi insufficiente (10,00 €)" in mailoutbox[0].body
    casella.refresh_from_db()
    assert "non riuscita" in casella.eventi.first().testo


def test_revoke_needs_the_typed_address(pec, active_box, office_user):
    casella = active_box()
    with pytest.raises(ValidationError, match="scrivi esattamente"):
        revoca.revoke(casella=casella, conferma="altro@x.it", intent_key=key(), user=office_user)
    assert not CasellaCall.objects.filter(kind="revoca").exists()
    revoca.revoke(
        casella=casella, conferma=casella.casella_pec.upper(), intent_key=key(), user=office_user
    )
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.stato == Stato.REVOCATA
    assert not rules.check(casella, "revoca")
    assert rules.check(casella, "rinnovo")


def test_revoke_lost_answer_settled_by_reading(pec, active_box, office_user):
    casella = active_box()
    call = revoca.revoke(
        casella=casella, conferma=casella.casella_pec, intent_key=key(), user=office_user
    )
    pec.set_faults(lost_next=1, methods=["DELETE"])
    assert run_calls(casella) == ["unclear"]
    CasellaCall.objects.filter(pk=call.pk).update(next_attempt_at=timezone.now())
    assert run_calls(casella) == ["done"]
    assert [c["method"] for c in pec.calls()].count("DELETE") == 1


def test_enlarge_sends_absolute_sizes_and_a_repeat_adds_nothing(pec, active_box, office_user):
    casella = active_box()
    assert casella.spazio_disco == 1024
    call = modifica.enlarge(
        casella=casella, disco_add=2048, storico_add=1024, intent_key=key(), user=office_user
    )
    assert call.params["targets"] == {"spazio_disco": 3072, "spazio_storico": 2048}
    assert call.price == 15
    pec.set_faults(lost_next=1, methods=["PATCH"])
    assert run_calls(casella) == ["unclear"]
    CasellaCall.objects.filter(pk=call.pk).update(next_attempt_at=timezone.now())
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert (casella.spazio_disco, casella.spazio_storico) == (3072, 2048)
    assert [c["operation"] for c in pec.charges()].count("modifica") == 1


def test_enlarge_refused_for_domicilio_digitale(pec, active_box, office_user):
    casella = active_box(tipo="DOMICILIODIGITALE")
    with pytest.raises(ValidationError, match="Legalmail"):
        modifica.enlarge(casella=casella, disco_add=1024, intent_key=key(), user=office_user)
    assert not CasellaCall.objects.filter(kind="modifica").exists()


def test_preservation_with_signed_form_and_id_document(
    pec, active_box, office_user, django_capture_on_commit_callbacks
):
    casella = active_box(tipo="SILVER")
    modulo = pec.client().modulo_conservazione(casella.remote_id)
    assert modulo.startswith(b"%PDF")
    call = conservazione.enable_preservation(
        casella=casella,
        modulo=checked(pdf_bytes("Modulo di conservazione firmato")),
        identita=checked(pdf_bytes("Carta d'identita")),
        spazio=1024,
        intent_key=key(),
        user=office_user,
    )
    assert call.price == conservazione.conservazione_price(1024) == 35
    with django_capture_on_commit_callbacks(execute=True):
        assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.conservazione and casella.spazio_conservazione == 1024
    identity = Documento.objects.get(casella=casella, tipo="id_cons")
    assert identity.deleted_at is not None and not identity.file  # Openapi has it now
    assert Documento.objects.get(casella=casella, tipo="mod_cons").sent_at is not None
    assert not rules.check(casella, "conservazione")
    # Now the preservation space can be enlarged too (multiples of 512).
    modifica.enlarge(casella=casella, conservazione_add=512, intent_key=key(), user=office_user)
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.spazio_conservazione == 1536


def test_preservation_refused_with_the_same_file_twice(pec, active_box, office_user):
    casella = active_box()
    pdf = checked(pdf_bytes("x"))
    with pytest.raises(ValidationError, match="stesso file"):
        conservazione.enable_preservation(
            casella=casella, modulo=pdf, identita=pdf, intent_key=key(), user=office_user
        )
    assert not Documento.objects.filter(casella=casella).exclude(tipo__in=["modulo"]).exists()


def test_upgrade_only_upwards(pec, active_box, office_user):
    casella = active_box(tipo="BRONZE")
    with pytest.raises(ValidationError, match="superiore"):
        trasformazione.upgrade(casella=casella, tipo="STANDARD", intent_key=key(), user=office_user)
    call = trasformazione.upgrade(casella=casella, tipo="GOLD", intent_key=key(), user=office_user)
    assert call.price == trasformazione.trasformazione_price("BRONZE", "GOLD") == 45
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.tipo_casella == "GOLD"
    assert not rules.check(casella, "trasformazione")


def test_upgrade_lost_answer_settled_by_reading(pec, active_box, office_user):
    casella = active_box()
    call = trasformazione.upgrade(
        casella=casella, tipo="SILVER", intent_key=key(), user=office_user
    )
    pec.set_faults(lost_next=1, methods=["PATCH"])
    assert run_calls(casella) == ["unclear"]
    CasellaCall.objects.filter(pk=call.pk).update(next_attempt_at=timezone.now())
    assert run_calls(casella) == ["done"]
    assert [c["operation"] for c in pec.charges()].count("trasformazione") == 1


def test_add_user_and_lost_answer(pec, active_box, office_user):
    casella = active_box()
    call = multiutenza.add_user(
        casella=casella,
        nome="Anna",
        cognome="Bianchi",
        descrizione="Amministrazione",
        email_gestione_password="anna@example.com",
        intent_key=key(),
        user=office_user,
    )
    pec.set_faults(lost_next=1, methods=["POST"])
    assert run_calls(casella) == ["unclear"]
    CasellaCall.objects.filter(pk=call.pk).update(next_attempt_at=timezone.now())
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert [u["email_gestione_password"] for u in rules.users_of(casella)] == ["anna@example.com"]
    assert [c["operation"] for c in pec.charges()].count("multiutenza") == 1


def test_add_user_refused_on_a_full_box_and_bad_input(pec, active_box, office_user):
    casella = active_box()
    with pytest.raises(ValidationError, match="obbligatori"):
        multiutenza.add_user(
            casella=casella,
            nome="",
            cognome="B",
            descrizione="d",
            email_gestione_password="a@b.it",
            intent_key=key(),
            user=office_user,
        )
    Casella.objects.filter(pk=casella.pk).update(
        last_payload={"multiutenza": [{"nome": str(i)} for i in range(25)]}
    )
    casella.refresh_from_db()
    with pytest.raises(ValidationError, match="25"):
        multiutenza.add_user(
            casella=casella,
            nome="A",
            cognome="B",
            descrizione="d",
            email_gestione_password="a@b.it",
            intent_key=key(),
            user=office_user,
        )
    assert not CasellaCall.objects.filter(kind="multiutenza").exists()


def test_operation_not_sent_when_openapi_says_the_box_moved_on(pec, active_box, office_user):
    """Allowed locally, but Openapi already shows the box revoked: nothing is sent or charged,
    the intent fails with the reason and the mirror catches up."""
    casella = active_box()
    call = trasformazione.upgrade(casella=casella, tipo="GOLD", intent_key=key(), user=office_user)
    pec.set_stato("casella", casella.remote_id, "revocata")
    assert run_calls(casella) == ["failed"]
    call.refresh_from_db()
    assert "revocata" in call.last_error
    assert not [c for c in pec.calls() if c["method"] == "PATCH"]
    casella.refresh_from_db()
    assert casella.stato == Stato.REVOCATA


@pytest.mark.parametrize(
    ("before", "after", "performed"),
    [
        ("2027-01-10", "2028-01-10", True),
        ("2027-01-10", "2027-01-10", False),
        (None, "2028-01-10", True),
        (None, None, False),
        ("2027-01-10", None, False),
    ],
)
def test_renewal_is_confirmed_by_a_later_expiry(before, after, performed):
    from types import SimpleNamespace

    from mailboxes.operations.rinnovo import RinnovoHandler

    call = SimpleNamespace(params={"anni": 1, "scadenza_prima": before})
    current = SimpleNamespace(
        data_scadenza=dt.date.fromisoformat(after) if after else None, stato="evasa"
    )
    assert RinnovoHandler().reached(call, current) is performed
