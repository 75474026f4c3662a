"""The pages as a user sees them: lists, new box flow, upload checks, access."""

import io
import uuid

import pytest
from django.urls import reverse

from accounts import roles
from mailboxes.models import Casella, CasellaCall, Documento, Stato, Titolare

from .conftest import PIVA, pdf_bytes, richiedente_post, run_calls, upload

pytestmark = pytest.mark.django_db


def test_lists_and_pages_render(pec, office_client, make_casella):
    casella = make_casella()
    for url in (
        reverse("mailboxes:casella_list"),
        reverse("mailboxes:casella_list") + "?q=box&stato=nuova&sort=-scadenza&scadenza_entro=30",
        reverse("mailboxes:casella_detail", args=[casella.pk]),
        reverse("mailboxes:casella_status", args=[casella.pk]),
        reverse("mailboxes:casella_badge", args=[casella.pk]),
        reverse("mailboxes:titolare_list"),
        reverse("mailboxes:titolare_detail", args=[casella.titolare.pk]),
        reverse("mailboxes:titolare_new"),
        reverse("mailboxes:casella_new"),
        reverse("admin:mailboxes_casella_changelist"),
    ):
        response = office_client.get(url)
        assert response.status_code in (200, 302), url
    page = office_client.get(reverse("mailboxes:casella_list")).content.decode()
    assert casella.casella_pec in page
    assert 'hx-trigger="every 3s"' in page  # the badge refreshes itself while moving


def test_search_by_codice_fiscale_and_filter(pec, office_client, make_casella, make_titolare):
    a = make_casella()
    other = make_titolare(codice_fiscale="01114601006", denominazione="Altra Spa")
    b = make_casella(titolare=other)
    page = office_client.get(reverse("mailboxes:casella_list") + "?q=01114601006").content.decode()
    assert b.casella_pec in page and a.casella_pec not in page
    page = office_client.get(
        reverse("mailboxes:casella_list") + f"?titolare={a.titolare.pk}"
    ).content.decode()
    assert a.casella_pec in page and b.casella_pec not in page


def test_address_check_as_you_type(pec, office_client):
    url = reverse("mailboxes:check_address")
    ok = office_client.get(
        url, {"tipo_casella": "STANDARD", "casella_pec": "nuova@testcert.legalmail.it"}
    )
    assert "disponibile" in ok.content.decode() and 'class="answer ok"' in ok.content.decode()
    taken = office_client.get(
        url, {"tipo_casella": "STANDARD", "casella_pec": "occupata@testcert.legalmail.it"}
    )
    assert "già occupato" in taken.content.decode()
    wrong = office_client.get(
        url, {"tipo_casella": "DOMICILIODIGITALE", "casella_pec": "x12@gmail.com"}
    )
    assert "@test.domiciliodigitale.com" in wrong.content.decode()
    custom = office_client.get(
        url, {"tipo_casella": "STANDARD", "casella_pec": "mario@studio-demo.it"}
    )
    assert 'class="answer ok"' in custom.content.decode()


def _new_post(titolare, address, **extra):
    data = {
        "titolare": titolare.pk,
        "tipo_casella": "GOLD",
        "casella_pec": address,
        **richiedente_post(),
    }
    data.update(extra)
    return data


def test_new_box_confirm_states_price_then_registers_once(
    pec, office_client, make_titolare, django_capture_on_commit_callbacks
):
    titolare = make_titolare()
    address = f"gold-{uuid.uuid4().hex[:6]}@testcert.legalmail.it"
    url = reverse("mailboxes:casella_new")
    confirm = office_client.post(url, {**_new_post(titolare, address), "step": "dati"})
    text = confirm.content.decode()
    assert confirm.status_code == 200 and "64,00 €" in text
    assert Casella.objects.count() == 0  # nothing recorded, nothing sent before confirming
    key = str(uuid.uuid4())
    final = {**_new_post(titolare, address), "step": "conferma", "intent_key": key}
    with django_capture_on_commit_callbacks(execute=False):
        first = office_client.post(url, final)
        second = office_client.post(url, final)  # double submit
    assert first.status_code == 302 and second.status_code == 302
    assert Casella.objects.count() == 1 and CasellaCall.objects.count() == 1
    assert pec.charges() == []  # the task sends it, after commit


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"r-codice_fiscale": "RSSMRA85T10A562X"}, "codice_fiscale", "carattere di controllo"),
        ({"r-nome": "Luigi"}, "nome", "Il nome non corrisponde"),
        ({"r-cognome": "Bianchi"}, "cognome", "Il cognome non corrisponde"),
        ({"r-data_nascita": "1985-12-11"}, "data_nascita", "La data di nascita non corrisponde"),
        ({"r-sesso": "F"}, "sesso", "Il sesso non corrisponde"),
        ({"r-data_scadenza_documento": "2020-01-01"}, "", "è scaduto"),
        ({"r-data_rilascio_documento": "2999-01-01"}, "", "nel passato"),
        ({"r-provincia_nascita": "XX"}, "", "Sigla di provincia"),
        ({"r-telefono": "12ab"}, "", "Numero di telefono non valido"),
        ({"r-email": "non-una-mail"}, "", "email valido"),
        ({"casella_pec": "x12@gmail.com"}, "", "deve finire in @testcert.legalmail.it"),
    ],
)
def test_new_box_bad_input_is_refused_with_its_message(
    pec, office_client, make_titolare, override, field, message
):
    titolare = make_titolare()
    data = {**_new_post(titolare, f"g{uuid.uuid4().hex[:6]}@testcert.legalmail.it"), "step": "dati"}
    data.update(override)
    response = office_client.post(reverse("mailboxes:casella_new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Casella.objects.count() == 0


def test_holder_form_checks_cf_cap_and_subtype(office_client):
    url = reverse("mailboxes:titolare_new")
    base = {
        "tipo_cliente": "IM",
        "sottotipo_cliente": "SI",
        "denominazione": "Acme Srl",
        "codice_fiscale": PIVA,
        "indirizzo": "Via Po 2",
        "cap": "10100",
        "comune": "Torino",
        "provincia": "TO",
        "nazione": "IT",
    }
    for override, message in (
        ({"codice_fiscale": "00743110158"}, "cifra di controllo"),
        ({"cap": "1010"}, "Il CAP ha 5 cifre"),
        ({"sottotipo_cliente": "PC"}, "non esiste per questo tipo"),
        ({"tipo_cliente": "PV", "sottotipo_cliente": ""}, "Obbligatorio per una persona"),
    ):
        response = office_client.post(url, {**base, **override})
        assert response.status_code == 400, override
        assert message in response.content.decode(), override
    assert Titolare.objects.count() == 0
    assert office_client.post(url, base).status_code == 302
    assert Titolare.objects.count() == 1


@pytest.fixture
def registered(pec, make_casella):
    casella = make_casella()
    run_calls(casella)
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA
    return casella


def _upload(client, casella, modulo, identita):
    return client.post(
        reverse("mailboxes:casella_upload", args=[casella.pk]),
        {"modulo": modulo, "identita": identita, "intent_key": str(uuid.uuid4())},
    )


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt("segreta")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _javascript_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('ciao');"),
        }
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class _Big(io.BytesIO):
    pass


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("testo.pdf", b"Solo testo, non un PDF.\n" * 20, "non è un PDF"),
        ("cifrato.pdf", "encrypted", "protetto da password"),
        ("script.pdf", "javascript", "JavaScript"),
        ("vuoto.pdf", b"", "vuoto"),
        ("enorme.pdf", "big", "troppo grande"),
        ("rotto.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ngarbage", "danneggiato"),
        ("lungo.pdf", "pages", "troppe pagine"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored_or_sent(
    office_client, registered, pec, name, content, message
):
    if content == "encrypted":
        content = _encrypted_pdf()
    elif content == "javascript":
        content = _javascript_pdf()
    elif content == "pages":
        from pypdf import PdfWriter

        writer = PdfWriter()
        for _ in range(51):
            writer.add_blank_page(595, 842)
        out = io.BytesIO()
        writer.write(out)
        content = out.getvalue()
    elif content == "big":
        # over PDF_MAX_BYTES, within the request limit (beyond it: tests/security/test_request_size)
        content = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    before = len(pec.calls())
    response = _upload(
        office_client, registered, upload(name, content), upload("id.pdf", pdf_bytes())
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Documento.objects.count() == 0
    assert registered.calls.filter(kind="attivazione").count() == 0
    assert len(pec.calls()) == before


def test_good_upload_is_stored_and_queued(
    office_client, registered, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _upload(
            office_client,
            registered,
            upload("modulo.pdf", pdf_bytes()),
            upload("ci.pdf", pdf_bytes("ID")),
        )
    assert response.status_code == 302
    assert Documento.objects.filter(casella=registered).count() == 2
    assert len(callbacks) == 1  # the task is enqueued after commit
    doc = Documento.objects.first()
    assert "ci.pdf" not in doc.file.name and "modulo" not in doc.file.name


def test_accountant_sees_only_assigned_holders(client, make_user, registered, make_titolare):
    accountant = make_user(roles.ACCOUNTANT)
    other = make_user(roles.ACCOUNTANT)
    registered.titolare.commercialisti.add(accountant)
    doc_response = None
    client.force_login(other)
    for url in (
        reverse("mailboxes:casella_detail", args=[registered.pk]),
        reverse("mailboxes:modulo_attivazione", args=[registered.pk]),
        reverse("mailboxes:titolare_detail", args=[registered.titolare.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        registered.casella_pec not in client.get(reverse("mailboxes:casella_list")).content.decode()
    )
    client.force_login(accountant)
    assert client.get(reverse("mailboxes:casella_detail", args=[registered.pk])).status_code == 200
    form = client.get(reverse("mailboxes:modulo_attivazione", args=[registered.pk]))
    assert form.status_code == 200 and form["Content-Type"] == "application/pdf"
    response = _upload(
        client, registered, upload("m.pdf", pdf_bytes()), upload("i.pdf", pdf_bytes("I"))
    )
    assert response.status_code == 302
    doc = Documento.objects.filter(casella=registered).first()
    doc_response = client.get(reverse("mailboxes:documento_download", args=[doc.pk]))
    assert doc_response.status_code == 200
    client.force_login(other)
    assert client.get(reverse("mailboxes:documento_download", args=[doc.pk])).status_code == 404
    assert client.get(reverse("mailboxes:casella_new")).status_code == 403


def test_refused_registration_can_be_tried_again(pec, office_client, make_casella):
    pec.set_credit("1.00")
    casella = make_casella()
    run_calls(casella)
    casella.refresh_from_db()
    assert casella.stato == Stato.NON_REGISTRATA
    page = office_client.get(reverse("mailboxes:casella_detail", args=[casella.pk]))
    html = page.content.decode()
    assert "Credito Openapi insufficiente" in html and 'id="riprova"' in html
    pec.set_credit("100.00")
    key = str(uuid.uuid4())
    url = reverse("mailboxes:casella_retry", args=[casella.pk])
    assert office_client.post(url, {"intent_key": key}).status_code == 302
    assert office_client.post(url, {"intent_key": key}).status_code == 302  # double submit
    assert run_calls(casella) == ["done"]
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA
    assert len(pec.charges()) == 1
    assert casella.calls.count() == 2


def test_status_panel_polls_while_moving_and_stops_when_settled(pec, office_client, registered):
    url = reverse("mailboxes:casella_status", args=[registered.pk])
    assert "every 3s" not in office_client.get(url).content.decode()  # waiting for the user
    Casella.objects.filter(pk=registered.pk).update(stato=Stato.IN_EVASIONE)
    assert "every 3s" in office_client.get(url).content.decode()
    Casella.objects.filter(pk=registered.pk).update(stato=Stato.EVASA)
    text = office_client.get(url).content.decode()
    assert "every 3s" not in text and "La casella è attiva" in text


def test_imported_box_page_renders_without_holder_or_requester(office_client):
    casella = Casella.objects.create(
        casella_pec="fuori@testcert.legalmail.it",
        tipo_casella="STANDARD",
        stato=Stato.EVASA,
        remote_id="a" * 24,
        importata=True,
    )
    page = office_client.get(reverse("mailboxes:casella_detail", args=[casella.pk]))
    assert page.status_code == 200
    assert "registrata fuori dal portale" in page.content.decode()
    listing = office_client.get(reverse("mailboxes:casella_list")).content.decode()
    assert "importata" in listing


def test_sync_button_explains_itself_in_the_readers_language(pec, office_client):
    url = reverse("mailboxes:casella_list")
    italian = office_client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "GET /pec" not in italian
    assert 'title="Chiede subito a Openapi lo stato aggiornato di tutte le caselle' in italian
    english = office_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'title="Asks Openapi now for the current status of every box' in english
