"""One browser walk, as a new office user would do it: from a new request to
comunicazione_evasa, with a real Celery worker and beat against the sandbox."""

from __future__ import annotations

import re
import time

import pytest

from comunica.models import RichiestaComunicazione, StatoRichiesta
from mailboxes.models import Casella, Titolare

from .factories import APPLICANT_CF, COMPANY_PIVA, make_p7m, make_pdf

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_new_request_to_comunicazione_evasa_in_the_browser(
    celery_worker_process, celery_beat_process, openapi, page, login, office_user, tmp_path
):
    from playwright.sync_api import expect

    titolare = Titolare.objects.create(
        tipo_cliente="IM",
        denominazione="ACME S.r.l.",
        codice_fiscale=COMPANY_PIVA,
        partita_iva=COMPANY_PIVA,
        indirizzo="Via Roma 1",
        comune="Roma",
        cap="00100",
        provincia="RM",
        email="info@acme.example.com",
    )
    casella = Casella.objects.create(
        titolare=titolare,
        casella_pec="acme@testcert.legalmail.it",
        tipo_casella="STANDARD",
        stato="evasa",
    )
    started = time.monotonic()
    login(page, office_user)
    page.goto("/comunica/")
    page.get_by_role("button", name="Nuova comunicazione").click()
    expect(page.get_by_text("Regola per la PEC dell'amministratore")).to_be_visible()
    page.goto(f"/comunica/nuova/?titolare={titolare.pk}&casella={casella.pk}")
    expect(page.locator("input[name=ragione_sociale]")).to_have_value("ACME S.r.l.")
    expect(page.locator("input[name=casella_pec]")).to_have_value("acme@testcert.legalmail.it")
    page.fill("input[name=nome]", "Mario")
    page.fill("input[name=cognome]", "Rossi")
    page.fill("input[name=cf]", APPLICANT_CF)
    page.select_option("select[name=qualifica]", "LEGALE_RAPPRESENTANTE")
    page.fill("input[name=email]", "mario.rossi@example.com")
    page.fill("input[name=cellulare]", "3471234567")
    # the director's PEC may not be the company's: the rule is enforced
    page.check("input[name=pec_amministratore][value='1']")
    page.get_by_role("button", name="Continua").click()
    expect(page.locator(".answer.bad").first).to_contain_text("deve essere diverso")
    page.check("input[name=pec_amministratore][value='0']")
    page.get_by_role("button", name="Continua").click()

    expect(page.locator("article.cost #prezzo")).to_contain_text("15,70 € + IVA")
    expect(page.locator("article.cost #addebito-lordo")).to_have_text("19,15 €")
    page.get_by_role("button", name=re.compile("Conferma e invia")).click()
    # the confirmation's notice is neutral and goes once the live status shows the outcome
    badge = page.locator("#stato-badge")
    expect(badge).to_have_text("In attesa della procura firmata", timeout=30_000)

    with page.expect_download() as download_info:
        page.locator("#scarica-procura").click()
    procura_pdf = open(download_info.value.path(), "rb").read()  # noqa: SIM115
    assert procura_pdf.startswith(b"%PDF")

    # a plain PDF is refused, with its own message, and nothing is sent
    plain = tmp_path / "procura.pdf"
    plain.write_bytes(make_pdf())
    page.set_input_files("input[name=file]", str(plain))
    page.get_by_role("button", name="Carica la procura firmata").click()
    expect(page.locator("#p7m-error")).to_contain_text("PDF non firmato")
    assert not [c for c in openapi.calls() if c["method"] == "PATCH"]

    signed = tmp_path / "procura.pdf.p7m"
    signed.write_bytes(make_p7m(procura_pdf))
    page.set_input_files("input[name=file]", str(signed))
    page.get_by_role("button", name="Carica la procura firmata").click()
    expect(page.get_by_text("Procura accettata")).to_be_visible()
    expect(page.get_by_text("MARIO ROSSI").first).to_be_visible()
    expect(page.get_by_text(APPLICANT_CF).first).to_be_visible()
    expect(badge).to_have_text("Comunicazione evasa", timeout=30_000)
    expect(page.locator("#codice-ri")).to_have_text(re.compile(r"RI\d+"))
    expect(page.locator("#ricevute")).to_contain_text("_0_registro_imprese.p7m")

    richiesta = RichiestaComunicazione.objects.get()
    assert richiesta.stato == StatoRichiesta.COMUNICAZIONE_EVASA
    assert richiesta.titolare == titolare
    assert [c["amount"] for c in openapi.charges()] == ["15.70"]
    from tests import figures

    calls = openapi.calls()
    figures.record(
        "comunica browser flow",
        f"new request -> comunicazione_evasa in {time.monotonic() - started:.1f}s; "
        f"{sum(c['method'] == 'POST' for c in calls)} POST, "
        f"{sum(c['method'] == 'PATCH' for c in calls)} PATCH, 1 charge of 15.70",
    )
    page.goto("/comunica/?stato=comunicazione_evasa")
    expect(page.get_by_role("link", name="acme@testcert.legalmail.it")).to_be_visible()
