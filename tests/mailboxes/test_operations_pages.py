"""The operations as an office user meets them on the box page: offered only when allowed, each
stating its cost and asking for confirmation, refused if forced; and as Django admin actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mailboxes.models import CasellaCall, Documento

from .conftest import pdf_bytes, run_calls, upload
from .operations_support import *  # noqa: F403 (the active_box fixture)
from .operations_support import key

pytestmark = pytest.mark.django_db

OPS = ("rinnovo", "modifica", "trasformazione", "multiutenza", "conservazione", "revoca")


def offered(client, casella) -> set[str]:
    page = client.get(reverse("mailboxes:casella_detail", args=[casella.pk])).content.decode()
    return {op for op in OPS if f'id="op-{op}"' in page}


def test_box_page_offers_what_the_box_can_take(pec, active_box, office_client):
    standard = active_box()
    assert offered(office_client, standard) == set(OPS)
    gold = active_box(tipo="GOLD")
    assert offered(office_client, gold) == set(OPS) - {"trasformazione"}
    dd = active_box(tipo="DOMICILIODIGITALE")
    assert offered(office_client, dd) == {"rinnovo", "revoca"}
    page = office_client.get(reverse("mailboxes:casella_detail", args=[dd.pk])).content.decode()
    assert "solo per le caselle Legalmail" in page  # why the others are not offered
    revoked = active_box(stato="revocata")
    assert offered(office_client, revoked) == {"rinnovo"}
    registrata = active_box(stato="registrata")
    assert offered(office_client, registrata) == set()


def test_accountant_sees_no_operations_and_cannot_force_them(
    pec, active_box, client, accountant_user
):
    casella = active_box()
    casella.titolare.commercialisti.add(accountant_user)
    client.force_login(accountant_user)
    page = client.get(reverse("mailboxes:casella_detail", args=[casella.pk])).content.decode()
    assert 'id="operazioni"' not in page
    response = client.post(
        reverse("mailboxes:rinnovo", args=[casella.pk]), {"anni": 1, "step": "conferma"}
    )
    assert response.status_code == 403
    assert not CasellaCall.objects.filter(kind="rinnovo").exists()


def test_renew_states_the_cost_and_a_double_submit_is_one_intent(pec, active_box, office_client):
    casella = active_box()
    url = reverse("mailboxes:rinnovo", args=[casella.pk])
    form = office_client.get(url).content.decode()
    assert "2 anni — 22,00 € + IVA" in form
    confirm = office_client.post(url, {"anni": 2, "step": "riepilogo"})
    body = confirm.content.decode()
    assert "22,00 € + IVA" in body and 'name="intent_key"' in body
    assert not CasellaCall.objects.filter(kind="rinnovo").exists()  # nothing until confirmed
    intent = body.split('name="intent_key" value="', 1)[1].split('"', 1)[0]
    data = {"anni": 2, "step": "conferma", "intent_key": intent}
    first = office_client.post(url, data)
    second = office_client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert CasellaCall.objects.filter(kind="rinnovo").count() == 1
    assert run_calls(casella) == ["done"]
    page = office_client.get(reverse("mailboxes:casella_detail", args=[casella.pk]))
    assert "Rinnovata per 2 anni" in page.content.decode()


@pytest.mark.parametrize(
    ("tipo", "stato", "op", "data", "message"),
    [
        ("STANDARD", "registrata", "rinnovo", {"anni": 1}, "Si rinnovano solo"),
        ("STANDARD", "revocata", "revoca", {"conferma": "x"}, "Si revocano solo"),
        ("DOMICILIODIGITALE", "evasa", "modifica", {"disco_add": 1024}, "Legalmail"),
        ("PECMASSIVA", "evasa", "trasformazione", {"tipo": "GOLD"}, "Legalmail"),
        ("GOLD", "evasa", "trasformazione", {"tipo": "GOLD"}, "tipo più alto"),
        ("DOMICILIODIGITALE", "evasa", "multiutenza", {"nome": "A"}, "Legalmail"),
        ("STANDARD", "revocata", "conservazione", {"spazio": 512}, "caselle attive"),
    ],
)
def test_forced_operation_is_refused_and_changes_nothing(
    pec, active_box, office_client, tipo, stato, op, data, message
):
    casella = active_box(tipo=tipo, stato=stato)
    calls_before = len(pec.calls())
    url = reverse(f"mailboxes:{op}", args=[casella.pk])
    for step in ("riepilogo", "conferma"):
        response = office_client.post(
            url, {**data, "step": step, "intent_key": "0b9c2c1e-64c8-4b0e-9a51-7f3f0a6f1e11"}
        )
        assert response.status_code == 409
        assert message in response.content.decode()
        assert "nulla è stato addebitato" in response.content.decode()
    assert office_client.get(url).status_code == 409
    assert not CasellaCall.objects.filter(casella=casella, kind=op).exists()
    assert len(pec.calls()) == calls_before  # nothing sent to Openapi


def test_bad_values_are_refused_with_a_message(pec, active_box, office_client):
    casella = active_box()
    url = reverse("mailboxes:modifica", args=[casella.pk])
    response = office_client.post(url, {"disco_add": 1000, "storico_add": 0, "step": "riepilogo"})
    assert response.status_code == 400
    response = office_client.post(url, {"disco_add": 0, "storico_add": 0, "step": "riepilogo"})
    assert response.status_code == 400
    assert "Indica quanto spazio aggiungere" in response.content.decode()
    url = reverse("mailboxes:rinnovo", args=[casella.pk])
    response = office_client.post(url, {"anni": 50, "step": "conferma"})
    assert response.status_code == 400
    assert not CasellaCall.objects.filter(casella=casella, kind__in=["modifica", "rinnovo"])


def test_revoke_page_wants_the_typed_address(pec, active_box, office_client):
    casella = active_box()
    url = reverse("mailboxes:revoca", args=[casella.pk])
    page = office_client.get(url).content.decode()
    assert "La revoca ha effetto subito." in page and "Per riaverla servirà un rinnovo" in page
    assert "irreversibile" not in page  # no "irreversible... can be reactivated" contradiction
    assert 'placeholder=""' in page and 'class="danger"' in page
    key = page.split('name="intent_key" value="', 1)[1].split('"', 1)[0]
    wrong = office_client.post(url, {"conferma": "altro@testcert.legalmail.it", "intent_key": key})
    assert wrong.status_code == 400 and "non corrisponde" in wrong.content.decode()
    assert not CasellaCall.objects.filter(kind="revoca").exists()
    ok = office_client.post(url, {"conferma": casella.casella_pec, "intent_key": key})
    assert ok.status_code == 302
    again = office_client.post(url, {"conferma": casella.casella_pec, "intent_key": key})
    assert again.status_code == 302  # the same intent, not a refusal
    assert CasellaCall.objects.filter(kind="revoca").count() == 1


def test_operation_in_progress_polls_the_box_page(pec, active_box, office_client):
    casella = active_box()
    office_client.post(
        reverse("mailboxes:rinnovo", args=[casella.pk]),
        {"anni": 1, "step": "conferma", "intent_key": "5a0f6f7e-1111-4c1b-9d5e-3c2a1b0f9e88"},
    )
    status = reverse("mailboxes:casella_status", args=[casella.pk])
    page = office_client.get(status).content.decode()
    assert 'id="operazione-in-corso"' in page and 'hx-trigger="every 2s"' in page
    assert 'id="op-rinnovo"' not in page  # one operation at a time
    run_calls(casella)
    page = office_client.get(status).content.decode()
    assert 'id="operazione-in-corso"' not in page and "every 2s" not in page
    assert 'id="operazione-esito"' in page


def test_preservation_pages(pec, active_box, office_client, django_capture_on_commit_callbacks):
    casella = active_box()
    url = reverse("mailboxes:conservazione", args=[casella.pk])
    assert "512 MB — 25,00 € + IVA" in office_client.get(url).content.decode()
    step2 = office_client.post(url, {"spazio": 1024, "step": "documenti"}).content.decode()
    assert "35,00 € + IVA" in step2 and "modulo-conservazione" in step2
    key = step2.split('name="intent_key" value="', 1)[1].split('"', 1)[0]
    modulo = office_client.get(reverse("mailboxes:modulo_conservazione", args=[casella.pk]))
    assert modulo["Content-Type"] == "application/pdf" and modulo.content.startswith(b"%PDF")
    not_pdf = office_client.post(
        url,
        {
            "spazio": 1024,
            "step": "conferma",
            "intent_key": key,
            "modulo": upload("modulo.pdf", b"not a pdf"),
            "identita": upload("ci.pdf", pdf_bytes("CI")),
        },
    )
    assert not_pdf.status_code == 400 and "non è un PDF" in not_pdf.content.decode()
    assert not Documento.objects.filter(casella=casella, tipo="mod_cons").exists()
    ok = office_client.post(
        url,
        {
            "spazio": 1024,
            "step": "conferma",
            "intent_key": key,
            "modulo": upload("modulo.pdf", pdf_bytes("Modulo conservazione firmato")),
            "identita": upload("ci.pdf", pdf_bytes("CI")),
        },
    )
    assert ok.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.conservazione and casella.spazio_conservazione == 1024


def test_admin_actions_run_the_same_services(pec, active_box, admin_client):
    a, b = active_box(), active_box(tipo="DOMICILIODIGITALE")
    url = reverse("admin:mailboxes_casella_changelist")
    page = admin_client.post(url, {"action": "op_rinnova", "_selected_action": [a.pk, b.pk]})
    body = page.content.decode()
    assert page.status_code == 200 and "11,00 € + IVA" in body and "4,50 € + IVA" in body
    batch = body.split('name="batch" value="', 1)[1].split('"', 1)[0]
    data = {
        "action": "op_rinnova",
        "_selected_action": [a.pk, b.pk],
        "apply": "1",
        "anni": 1,
        "batch": batch,
    }
    assert admin_client.post(url, data).status_code == 302
    assert admin_client.post(url, data).status_code == 302  # a double submit
    assert CasellaCall.objects.filter(kind="rinnovo").count() == 2
    run_calls(a)
    run_calls(b)
    assert [c["operation"] for c in pec.charges()].count("rinnovo") == 2

    # Upgrade: refused for the Domicilio Digitale box, done for the Legalmail one.
    page = admin_client.post(url, {"action": "op_trasformazione", "_selected_action": [a.pk, b.pk]})
    assert "Legalmail" in page.content.decode()
    batch = page.content.decode().split('name="batch" value="', 1)[1].split('"', 1)[0]
    admin_client.post(
        url,
        {
            "action": "op_trasformazione",
            "_selected_action": [a.pk, b.pk],
            "apply": "1",
            "tipo": "SILVER",
            "batch": batch,
        },
    )
    assert list(CasellaCall.objects.filter(kind="trasformazione").values_list("casella", flat=True))
    assert not CasellaCall.objects.filter(kind="trasformazione", casella=b).exists()

    # Revoke: only where the address was typed.
    run_calls(a)
    page = admin_client.post(url, {"action": "op_revoca", "_selected_action": [a.pk, b.pk]})
    batch = page.content.decode().split('name="batch" value="', 1)[1].split('"', 1)[0]
    admin_client.post(
        url,
        {
            "action": "op_revoca",
            "_selected_action": [a.pk, b.pk],
            "apply": "1",
            "batch": batch,
            f"conferma_{a.pk}": a.casella_pec,
            f"conferma_{b.pk}": "",
        },
    )
    assert list(CasellaCall.objects.filter(kind="revoca").values_list("casella", flat=True)) == [
        a.pk
    ]
    run_calls(a)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.stato, b.stato) == ("revocata", "evasa")


def test_admin_other_actions_render(pec, active_box, admin_client):
    a = active_box()
    url = reverse("admin:mailboxes_casella_changelist")
    for action in ("op_modifica", "op_multiutenza", "op_conservazione"):
        page = admin_client.post(url, {"action": action, "_selected_action": [a.pk]})
        assert page.status_code == 200, action
    batch = "7d0a1d5e-2222-4c1b-9d5e-3c2a1b0f9e88"
    admin_client.post(
        url,
        {
            "action": "op_multiutenza",
            "_selected_action": [a.pk],
            "apply": "1",
            "batch": batch,
            "nome": "Anna",
            "cognome": "Bianchi",
            "descrizione": "Segreteria",
            "email_gestione_password": "anna@example.com",
        },
    )
    admin_client.post(
        url,
        {
            "action": "op_modifica",
            "_selected_action": [a.pk],
            "apply": "1",
            "batch": "7d0a1d5e-3333-4c1b-9d5e-3c2a1b0f9e88",
            "disco_add": 1024,
            "storico_add": 0,
            "conservazione_add": 0,
        },
    )
    assert sorted(run_calls(a)) == ["done"]  # one at a time: the second one was refused
    assert CasellaCall.objects.filter(kind="multiutenza", state="done").count() == 1
    assert not CasellaCall.objects.filter(kind="modifica").exists()


def test_panel_asks_again_when_the_box_was_read_before_the_outcome(pec, active_box, office_user):
    """The box page read the box, then the call's answer committed, then the panel read the
    call: the facts shown are older than the outcome, so the panel refreshes once more."""
    from mailboxes.operations import rinnovo
    from mailboxes.templatetags.mailboxes_operations import operations_panel

    casella = active_box()
    rinnovo.renew(casella=casella, anni=1, intent_key=key(), user=office_user)
    read_before = type(casella).objects.get(pk=casella.pk)
    run_calls(casella)
    assert operations_panel({"casella": read_before, "live": False})["stale"] is True
    fresh = type(casella).objects.get(pk=casella.pk)
    assert operations_panel({"casella": fresh, "live": False})["stale"] is False


def test_confirmation_shows_the_credit_and_warns_when_short(pec, active_box, office_client):
    casella = active_box(tipo="GOLD")
    url = reverse("mailboxes:rinnovo", args=[casella.pk])
    page = office_client.post(url, {"anni": 1, "step": "riepilogo"}).content.decode()
    assert 'id="credito"' in page and "Credito Openapi insufficiente" not in page
    pec.set_credit("20.00")
    page = office_client.post(url, {"anni": 1, "step": "riepilogo"}).content.decode()
    assert "20,00 €" in page and "Credito Openapi insufficiente" in page
