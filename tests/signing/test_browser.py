"""The holder signs from a link, in headless Chromium at a phone's width (390 px), without an
account: the office sends the link, the client downloads the form, is refused a renamed text
file with the office pages' message, uploads valid files; Openapi gets one PATCH; the link then
no longer opens (the neutral page, which says the documents may already be in)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from accounts import roles
from comunica.models import ProcuraFirmata, StatoRichiesta
from comunica.services import polling as comunica_polling
from mailboxes.models import Documento
from portal.remote_calls import run_intent
from signing import services
from signing.models import LinkFirma, Scopo
from tests.comunica.factories import APPLICANT_CF, make_p7m, make_pdf
from tests.mailboxes.conftest import pdf_bytes, run_calls

from .support import patches, registered_box, wait_evasa, waiting_richiesta

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _office_creates_link(page, login, office, path, scopo, email):
    login(page, office)
    page.goto(path)
    page.fill(f"#link-email-{scopo}", email)
    page.click(f"#crea-link-{scopo}")
    page.wait_for_selector("#link-creato")
    assert f"Inviato per e-mail a {email}" in page.inner_text("#link-creato")
    url = page.input_value("#link-url")
    page.context.clear_cookies()  # the client has no account
    return url


def _client_page(browser, live_server):
    context = browser.new_context(
        locale="it-IT",
        base_url=live_server.url,
        viewport=PHONE,
        extra_http_headers={"Accept-Language": "it-IT,it;q=0.9"},
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _neutral(page, url):
    response = page.goto(url)
    assert response.status == 404
    return response.text()


def test_the_client_activates_a_box_from_a_link_on_a_phone(
    pec, queued, browser, live_server, page, login, make_user, make_casella, tmp_path
):
    office = make_user(roles.OFFICE, username="operatrice")
    office.first_name, office.last_name = "Anna", "Verdi"
    office.save()
    casella = registered_box(make_casella, user=office)
    other = registered_box(make_casella, user=office)
    mail.outbox.clear()

    url = _office_creates_link(
        page, login, office, f"/caselle/{casella.pk}/", "attivazione", "cliente@example.com"
    )
    assert re.search(r"/firma/[A-Za-z0-9_-]{43}/$", url)
    [sent] = mail.outbox
    assert sent.to == ["cliente@example.com"] and url in sent.body
    assert "Portale PEC" in sent.body and "modulo" in sent.body

    context, client = _client_page(browser, live_server)
    client.goto(url)
    assert "Anna Verdi" in client.inner_text("#chi-chiede")
    assert casella.casella_pec in client.inner_text("#perche")
    assert other.casella_pec not in client.content()
    _fits_the_phone(client)
    link = LinkFirma.objects.get(casella=casella)
    assert link.opened_at is not None and link.used_at is None

    with client.expect_download() as download:
        client.click("#scarica-modulo")
    assert open(download.value.path(), "rb").read().startswith(b"%PDF")  # noqa: SIM115

    text = tmp_path / "modulo-firmato.pdf"
    text.write_bytes(b"Solo testo, non un PDF.\n" * 20)
    identita = tmp_path / "carta-identita.pdf"
    identita.write_bytes(pdf_bytes("Carta d'identita"))
    client.set_input_files("#id_modulo", str(text))
    client.set_input_files("#id_identita", str(identita))
    client.click("#invia")
    assert "non è un PDF" in client.inner_text("#modulo-error")
    _fits_the_phone(client)
    assert Documento.objects.count() == 0 and patches(pec) == []

    modulo = tmp_path / "modulo-vero.pdf"
    modulo.write_bytes(pdf_bytes("Modulo di attivazione firmato"))
    client.set_input_files("#id_modulo", str(modulo))
    client.set_input_files("#id_identita", str(identita))
    client.click("#invia")
    client.wait_for_selector("#ricevuto")
    assert "Ricevuto: lo inviamo a Openapi" in client.inner_text("h1")
    _fits_the_phone(client)

    link.refresh_from_db()
    assert link.used_at is not None
    # the office is told (the member who created the link)
    notice = [m for m in mail.outbox if m.to == ["operatrice@example.com"]]
    assert len(notice) == 1 and casella.casella_pec in notice[0].subject

    assert run_calls(casella) == ["done"]
    casella = wait_evasa(pec, casella)
    assert casella.stato == "evasa"
    assert [c["path"] for c in patches(pec)] == [f"/pec/{casella.remote_id}/attivazione"]
    assert Documento.objects.filter(casella=casella, uploaded_by__isnull=True).count() == 2

    # used: the neutral page, which says the documents may already be in
    used = _neutral(client, url)
    assert "già stati caricati" in used

    # expired, revoked, wrong tokens: the same page, status and body
    expired = services.create_link(scopo=Scopo.ATTIVAZIONE, user=office, casella=other)
    LinkFirma.objects.filter(pk=expired.link.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    revoked = services.create_link(scopo=Scopo.ATTIVAZIONE, user=office, casella=other)
    services.revoke(link=revoked.link, user=office)
    token = url.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    bodies = {
        _neutral(client, f"/firma/{t}/")
        for t in (expired.token, revoked.token, tampered, "x" * 43, "0")
    }
    assert bodies == {used}
    assert other.casella_pec not in used
    # the other box's live link shows only that box
    live = services.create_link(scopo=Scopo.ATTIVAZIONE, user=office, casella=other)
    client.goto(live.path)
    assert other.casella_pec in client.inner_text("#perche")
    assert casella.casella_pec not in client.content()
    context.close()

    # the office sees who opened and used it
    login(page, office)
    page.goto(f"/caselle/{casella.pk}/")
    panel = page.inner_text("#link-firma")
    assert "aperto il" in panel and "usato il" in panel


def test_the_client_signs_the_procura_from_a_link(
    openapi, queued, browser, live_server, page, login, make_user, tmp_path
):
    office = make_user(roles.OFFICE, username="operatore")
    richiesta = waiting_richiesta(office, openapi)
    url = _office_creates_link(
        page, login, office, f"/comunica/{richiesta.pk}/", "procura", "mario.rossi@example.com"
    )
    context, client = _client_page(browser, live_server)
    client.goto(url)
    assert ".p7m" in client.inner_text("#come")
    assert richiesta.casella_pec in client.inner_text("#perche")
    _fits_the_phone(client)
    with client.expect_download() as download:
        client.click("#scarica-modulo")
    procura_pdf = open(download.value.path(), "rb").read()  # noqa: SIM115
    assert procura_pdf.startswith(b"%PDF")

    plain = tmp_path / "procura.pdf.p7m"
    plain.write_bytes(make_pdf())
    client.set_input_files("input[name=file]", str(plain))
    client.click("#invia")
    assert "PDF non firmato" in client.inner_text("#p7m-error")
    assert patches(openapi) == []

    signed = tmp_path / "procura-firmata.pdf.p7m"
    signed.write_bytes(make_p7m(procura_pdf))
    client.set_input_files("input[name=file]", str(signed))
    client.click("#invia")
    client.wait_for_selector("#ricevuto")
    _fits_the_phone(client)
    assert "già stati caricati" in _neutral(client, url)
    context.close()

    procura = ProcuraFirmata.objects.get(richiesta=richiesta)
    assert procura.uploaded_by is None and procura.firmatario_cf == APPLICANT_CF
    assert procura.calls.get().requested_by == office
    run_intent("comunica.ComunicaCall", procura.calls.get().pk)
    assert len(patches(openapi)) == 1
    openapi.advance()
    comunica_polling.refresh_richiesta(richiesta)
    richiesta.refresh_from_db()
    assert richiesta.stato == StatoRichiesta.COMUNICAZIONE_EVASA

    # the office sees the signer afterwards
    login(page, office)
    page.goto(f"/comunica/{richiesta.pk}/")
    assert "MARIO ROSSI" in page.content()
    assert APPLICANT_CF in page.content()
    assert "usato il" in page.inner_text("#link-firma")
