"""End to end in headless Chromium: an operator registers a DOMICILIODIGITALE and a GOLD box,
an accountant downloads the form and uploads the PDFs, and the box page turns active by itself."""

from __future__ import annotations

import uuid

import pytest

from accounts import roles

from .conftest import CF_MARIO, pdf_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _register(page, titolare, tipo, address):
    page.goto(f"/caselle/nuova/?titolare={titolare.pk}")
    page.select_option("#id_tipo_casella", tipo)
    page.fill("#id_casella_pec", address)
    page.wait_for_selector("#address-answer .answer.ok")  # checked as you type
    for name, value in {
        "cognome": "Rossi",
        "nome": "Mario",
        "codice_fiscale": CF_MARIO,
        "data_nascita": "1985-12-10",
        "comune_nascita": "Roma",
        "provincia_nascita": "RM",
        "email": "mario.rossi@example.com",
        "telefono": "06 1234567",
        "numero_documento": "CA12345AB",
        "documento_rilasciato_da": "Comune di Roma",
        "data_rilascio_documento": "2022-03-01",
        "data_scadenza_documento": "2032-03-01",
    }.items():
        page.fill(f"#id_r-{name}", value)
    page.select_option("#id_r-sesso", "M")
    page.select_option("#id_r-tipo_documento", "CARTA_D_IDENTITA")
    page.click("#continua")
    page.wait_for_selector("#prezzo")
    price = page.inner_text("#prezzo")
    page.click("#conferma")
    page.wait_for_selector("#casella-live")
    page.evaluate("window.__noReload = true")
    page.wait_for_selector('#casella-live[data-stato="registrata"]', timeout=30_000)
    assert page.evaluate("window.__noReload === true")  # htmx updated it, no reload
    return price, page.url


def test_operator_registers_accountant_uploads_box_turns_active(
    pec, celery_worker_process, celery_beat_process, page, login, make_user, make_titolare, tmp_path
):
    office = make_user(roles.OFFICE, username="operatrice")
    accountant = make_user(roles.ACCOUNTANT, username="ragioniere")
    titolare = make_titolare(commercialisti=[accountant])
    dd = f"dd-{uuid.uuid4().hex[:6]}@test.domiciliodigitale.com"
    gold = f"gold-{uuid.uuid4().hex[:6]}@testcert.legalmail.it"

    login(page, office)
    price_dd, url_dd = _register(page, titolare, "DOMICILIODIGITALE", dd)
    price_gold, url_gold = _register(page, titolare, "GOLD", gold)
    assert "4,50 €" in price_dd and "64,00 €" in price_gold

    page.context.clear_cookies()
    login(page, accountant)
    modulo = tmp_path / "modulo-firmato.pdf"
    identita = tmp_path / "carta-identita.pdf"
    modulo.write_bytes(pdf_bytes("Modulo di attivazione firmato"))
    identita.write_bytes(pdf_bytes("Carta d'identita"))
    for url in (url_dd, url_gold):
        page.goto(url)
        with page.expect_download() as download:
            page.click("#download-modulo")
        assert download.value.suggested_filename.startswith("modulo-attivazione")
        page.set_input_files("#id_modulo", str(modulo))
        page.set_input_files("#id_identita", str(identita))
        page.click("#invia-documenti")
        page.wait_for_selector("#casella-live")
        page.evaluate("window.__noReload = true")
        page.wait_for_selector('#casella-live[data-stato="evasa"]', timeout=45_000)
        assert page.evaluate("window.__noReload === true")
        assert "La casella è attiva" in page.inner_text("#casella-attiva")
        assert page.inner_text("#data-scadenza") != "—"
    charges = sorted(c["operation"] for c in pec.charges())
    assert charges == ["registrazione", "registrazione"]
