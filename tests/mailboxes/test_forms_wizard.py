"""The registration wizard and the forms (issue 16, item 4): required fields marked, the address
check's "verifica in corso…" state, the type's name (not its code), the files asked again
after a refused one, subtypes by client type (in the browser)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from mailboxes.models import Titolare

from .conftest import pdf_bytes, run_calls, upload


@pytest.mark.django_db
def test_required_fields_and_the_checking_state(pec, office_client, make_titolare):
    make_titolare()
    page = office_client.get(reverse("mailboxes:casella_new")).content.decode()
    assert page.count('<abbr class="required"') > 10
    assert 'hx-indicator="#verifica-indirizzo"' in page
    assert 'id="verifica-indirizzo" class="htmx-indicator"' in page and "verifica in corso…" in page
    answer = office_client.get(
        reverse("mailboxes:check_address"),
        {"tipo_casella": "STANDARD", "casella_pec": "x"},
    ).content.decode()
    assert "Una casella Legalmail Standard finisce in" in answer and "STANDARD" not in answer


@pytest.mark.django_db
def test_the_files_are_asked_again_after_a_refused_one(pec, office_client, make_casella):
    casella = make_casella()
    run_calls(casella)
    response = office_client.post(
        reverse("mailboxes:casella_upload", args=[casella.pk]),
        {
            "modulo": upload("m.pdf", b"not a pdf"),
            "identita": upload("i.pdf", pdf_bytes("I")),
            "intent_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 400
    assert 'id="file-di-nuovo"' in response.content.decode()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_subtypes_follow_the_client_type(page, login, office_user):
    login(page, office_user)
    page.goto(reverse("mailboxes:titolare_new"))
    page.select_option("#id_tipo_cliente", "PS")  # professionista
    shown = page.eval_on_selector_all(
        "#id_sottotipo_cliente option:not([hidden])", "os => os.map(o => o.value)"
    )
    assert set(shown) == {"", "PC", "PR", "PN", "PT", "PA", "PL", "X"}
    assert "Comunità Montana" not in page.inner_text("#id_sottotipo_cliente") or (
        page.eval_on_selector("#id_sottotipo_cliente option[value=LM]", "o => o.hidden")
    )
    page.select_option("#id_tipo_cliente", "PV")  # privato: no subtypes
    assert page.eval_on_selector("#id_sottotipo_cliente", "s => s.disabled")
    page.select_option("#id_tipo_cliente", "PL")  # PA locale
    page.select_option("#id_sottotipo_cliente", "LM")
    assert "Comunità Montana" in page.eval_on_selector(
        "#id_sottotipo_cliente", "s => s.options[s.selectedIndex].text"
    )
    assert Titolare.objects.count() == 0


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_address_check_says_it_is_checking_while_openapi_is_slow(
    pec, page, login, office_user, make_titolare
):
    make_titolare()
    pec.set_faults(latency=1.5)
    login(page, office_user)
    page.goto(reverse("mailboxes:casella_new"))
    assert not page.is_visible("#verifica-indirizzo")
    page.fill("#id_casella_pec", f"n{uuid.uuid4().hex[:6]}@testcert.legalmail.it")
    page.wait_for_selector("#verifica-indirizzo", state="visible", timeout=5_000)
    page.wait_for_selector("#address-answer [data-ok]", timeout=15_000)
    assert not page.is_visible("#verifica-indirizzo")
