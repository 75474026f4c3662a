"""The comunica pages, through Django's test client (office staff only)."""

import re
import uuid

import pytest
from django.urls import reverse

from comunica.models import ComunicaCall, ProcuraFirmata, RichiestaComunicazione, StatoRichiesta
from comunica.services import creation, polling
from mailboxes.models import Casella, Titolare
from portal.remote_calls import run_intent

from .factories import (
    APPLICANT_CF,
    COMPANY_PIVA,
    OTHER_CF,
    REQUEST_DATA,
    make_certificate,
    make_p7m,
    make_pdf,
    model_data,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def titolare():
    return Titolare.objects.create(
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


@pytest.fixture
def casella(titolare):
    return Casella.objects.create(
        titolare=titolare,
        casella_pec="acme@testcert.legalmail.it",
        tipo_casella="STANDARD",
        stato="evasa",
        remote_id="a" * 24,
    )


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize(
    "name,args",
    [
        ("comunica:richiesta_list", []),
        ("comunica:richiesta_new", []),
    ],
)
def test_accountants_and_users_without_role_get_403(client, make_user, name, args):
    from accounts import roles

    for user in (make_user(roles.ACCOUNTANT), make_user()):
        client.force_login(user)
        assert client.get(reverse(name, args=args)).status_code == 403
    client.logout()
    assert client.get(reverse(name, args=args)).status_code == 302


def test_accountants_cannot_see_a_request_or_its_files(client, make_user, office_user, queued):
    from accounts import roles

    r = creation.create_richiesta(data=model_data(), user=office_user, intent_key="k").richiesta
    client.force_login(make_user(roles.ACCOUNTANT))
    for name in ("richiesta_detail", "richiesta_status", "procura_pdf"):
        assert client.get(reverse(f"comunica:{name}", args=[r.pk])).status_code == 403


def test_the_form_is_prefilled_from_a_holder_and_its_box(office_client, titolare, casella):
    url = reverse("comunica:richiesta_new") + f"?titolare={titolare.pk}&casella={casella.pk}"
    page = text(office_client.get(url))
    assert 'value="ACME S.r.l."' in page
    assert f'value="{COMPANY_PIVA}"' in page
    assert 'value="acme@testcert.legalmail.it"' in page
    assert "qualunque gestore" in page
    assert "deve essere diverso dalla PEC dell&#x27;impresa" in page  # the director's rule


def test_a_new_request_shows_the_cost_then_is_recorded_once(office_client, titolare, queued):
    data = {**REQUEST_DATA, "titolare": titolare.pk}
    confirm = office_client.post(reverse("comunica:richiesta_new"), data)
    page = text(confirm)
    assert "15.70 €" in page or "15,70 €" in page
    assert RichiestaComunicazione.objects.count() == 0
    hidden = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', confirm.content.decode()))
    assert hidden["intent_key"]
    post = {**hidden, "conferma": "1"}
    first = office_client.post(reverse("comunica:richiesta_new"), post)
    second = office_client.post(reverse("comunica:richiesta_new"), post)  # double submit
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    richiesta = RichiestaComunicazione.objects.get()
    assert richiesta.titolare == titolare
    assert richiesta.stato == StatoRichiesta.NUOVA
    assert ComunicaCall.objects.filter(kind="create").count() == 1
    detail = text(office_client.get(first["Location"]))
    assert "In invio a Openapi" in detail
    assert 'hx-trigger="every 3s"' in detail


def test_any_providers_pec_is_accepted(office_client, queued):
    data = {**REQUEST_DATA, "casella_pec": "ufficio@pec.aruba.it"}
    assert "Conferma e invio" in text(office_client.post(reverse("comunica:richiesta_new"), data))


def test_the_directors_pec_must_differ_from_the_companys(office_client):
    data = {
        **REQUEST_DATA,
        "pec_amministratore": "1",
        "casella_pec": "acme@pec.example.it",
        "pec_impresa": "ACME@pec.example.it",
    }
    page = text(office_client.post(reverse("comunica:richiesta_new"), data))
    assert "deve essere diverso dalla PEC dell&#x27;impresa" in page
    assert "Conferma e invio" not in page
    data["pec_impresa"] = ""
    page = text(office_client.post(reverse("comunica:richiesta_new"), data))
    assert "indicare anche la PEC dell&#x27;impresa" in page
    data["casella_pec"] = "mario.rossi@pec.example.it"
    data["pec_impresa"] = "acme@pec.example.it"
    assert "Conferma e invio" in text(office_client.post(reverse("comunica:richiesta_new"), data))


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("cf_piva", "01234560018", "partita IVA non è valida"),
        ("cf_piva", "123", "partita IVA (11 cifre) o il codice fiscale (16 caratteri)"),
        ("cf", "RSSMRA80A01H501X", "carattere di controllo"),
        ("provincia", "R1", "sigla della provincia"),
        ("cellulare", "abc", "cellulare"),
        ("qualifica", "PRESIDENTE", "Scegli un&#x27;opzione valida"),
    ],
)
def test_bad_input_gets_a_clear_message_and_records_nothing(office_client, field, value, message):
    page = text(
        office_client.post(reverse("comunica:richiesta_new"), {**REQUEST_DATA, field: value})
    )
    assert message in page
    assert RichiestaComunicazione.objects.count() == 0


def test_a_sole_proprietors_codice_fiscale_is_a_valid_company_code(office_client):
    data = {**REQUEST_DATA, "cf_piva": APPLICANT_CF.lower()}
    assert "Conferma e invio" in text(office_client.post(reverse("comunica:richiesta_new"), data))


def _waiting(office_user, openapi):
    created = creation.create_richiesta(
        data=model_data(), user=office_user, intent_key=str(uuid.uuid4())
    )
    run_intent("comunica.ComunicaCall", created.richiesta.calls.get().pk)
    r = created.richiesta
    r.refresh_from_db()
    openapi.set_stato("comunica", r.remote_id, "in_attesa_di_documenti")
    polling.refresh_richiesta(r)
    r.refresh_from_db()
    return r


def upload(client, richiesta, data, name="procura.pdf.p7m"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("comunica:procura_upload", args=[richiesta.pk]),
        {"file": SimpleUploadedFile(name, data), "intent_key": str(uuid.uuid4())},
    )


def test_the_procura_is_downloaded_through_the_portal(office_client, office_user, openapi, queued):
    r = _waiting(office_user, openapi)
    page = text(office_client.get(reverse("comunica:richiesta_detail", args=[r.pk])))
    assert "Scaricare la procura" in page
    assert "catena di certificazione" in page  # the check's limit is stated
    response = office_client.get(reverse("comunica:procura_pdf", args=[r.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_p7m_wrapping_a_pdf_is_accepted_and_its_signer_shown(
    office_client, office_user, openapi, queued, django_capture_on_commit_callbacks
):
    r = _waiting(office_user, openapi)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office_client, r, make_p7m())
    assert response.status_code == 302
    page = text(office_client.get(response["Location"]))
    assert "Procura accettata" in page
    assert "MARIO ROSSI" in page and APPLICANT_CF in page
    assert "Certificato valido dal" in page
    procura = ProcuraFirmata.objects.get()
    assert procura.calls.get().kind == "upload"
    assert queued.called
    # the stored .p7m is served only through the checked view
    file_url = reverse("comunica:procura_file", args=[r.pk, procura.pk])
    assert file_url in page
    download = office_client.get(file_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:1] == b"\x30"


@pytest.mark.parametrize(
    "data,message",
    [
        (make_pdf(), "PDF non firmato"),
        (make_p7m()[:300], "danneggiato o incompleto"),
        (make_p7m(b"Not a PDF, just words."), "non è un PDF"),
    ],
    ids=["plain-pdf", "corrupted-p7m", "p7m-without-pdf"],
)
def test_refused_uploads_have_their_own_message_and_nothing_is_sent(
    office_client, office_user, openapi, queued, django_capture_on_commit_callbacks, data, message
):
    r = _waiting(office_user, openapi)
    before = len(openapi.calls())
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office_client, r, data)
    assert response.status_code == 400
    assert message in text(response)
    assert ProcuraFirmata.objects.count() == 0
    assert not ComunicaCall.objects.filter(kind="upload").exists()
    assert not queued.called
    assert len(openapi.calls()) == before


def test_a_different_signer_needs_an_explicit_send_anyway(
    office_client, office_user, openapi, queued
):
    r = _waiting(office_user, openapi)
    cert, key = make_certificate(cf=OTHER_CF, given_name="Luigi", surname="Verdi")
    response = upload(office_client, r, make_p7m(cert=cert, key=key))
    page = text(office_client.get(response["Location"]))
    assert "NON è stata inviata" in page
    assert f"Il firmatario (CF {OTHER_CF}) non è il richiedente (CF {APPLICANT_CF})" in page
    procura = ProcuraFirmata.objects.get()
    assert not ComunicaCall.objects.filter(kind="upload").exists()
    send = reverse("comunica:procura_send", args=[r.pk, procura.pk])
    refused = office_client.post(send, {"intent_key": str(uuid.uuid4())})  # box not ticked
    assert refused.status_code == 400
    assert not ComunicaCall.objects.filter(kind="upload").exists()
    ok = office_client.post(send, {"intent_key": str(uuid.uuid4()), "conferma": "on"})
    assert ok.status_code == 302
    assert ComunicaCall.objects.filter(kind="upload").count() == 1


def test_an_expired_certificate_needs_an_explicit_send_anyway(
    office_client, office_user, openapi, queued
):
    r = _waiting(office_user, openapi)
    cert, key = make_certificate(expired=True)
    response = upload(office_client, r, make_p7m(cert=cert, key=key))
    assert "non è valido oggi" in text(office_client.get(response["Location"]))
    assert not ComunicaCall.objects.filter(kind="upload").exists()


def test_upload_is_refused_before_openapi_asks_for_documents(office_client, office_user, queued):
    r = creation.create_richiesta(data=model_data(), user=office_user, intent_key="k").richiesta
    response = upload(office_client, r, make_p7m())
    assert response.status_code == 302
    assert ProcuraFirmata.objects.count() == 0


def test_list_search_and_filters(office_client, office_user, queued):
    a = creation.create_richiesta(data=model_data(), user=office_user, intent_key="a").richiesta
    creation.create_richiesta(
        data=model_data(
            casella_pec="luigi.verdi@pec.example.it",
            pec_amministratore=True,
            pec_impresa="beta@pec.example.it",
            ragione_sociale="Beta S.p.A.",
            cf_piva="12345670017",
            nome="Luigi",
            cognome="Verdi",
            cf=OTHER_CF,
        ),
        user=office_user,
        intent_key="b",
    )
    RichiestaComunicazione.objects.filter(pk=a.pk).update(stato=StatoRichiesta.COMUNICAZIONE_EVASA)
    url = reverse("comunica:richiesta_list")

    def rows(**params):
        return text(office_client.get(url, params)).count("<tr>") - 1

    assert rows() == 2
    assert rows(q="beta") == 1
    assert rows(q="12345670017") == 1
    assert rows(q="Luigi Verdi") == 1
    assert rows(q="acme@pec") == 1
    assert rows(stato="comunicazione_evasa") == 1
    assert rows(tipo="amministratore") == 1
    assert rows(tipo="impresa") == 1
    assert "Nessuna richiesta corrisponde" in text(office_client.get(url, {"q": "zzz"}))


def test_status_fragment_stops_refreshing_when_settled(office_client, office_user, queued):
    r = creation.create_richiesta(data=model_data(), user=office_user, intent_key="k").richiesta
    status = reverse("comunica:richiesta_status", args=[r.pk])
    assert 'hx-trigger="every 3s"' in text(office_client.get(status))
    ComunicaCall.objects.update(state="done")
    RichiestaComunicazione.objects.filter(pk=r.pk).update(
        stato=StatoRichiesta.COMUNICAZIONE_EVASA,
        codice_registro_imprese="RI123",
        documenti_registro_imprese=["x_0_registro_imprese.p7m"],
    )
    page = text(office_client.get(status))
    assert "hx-trigger" not in page
    assert "RI123" in page and "x_0_registro_imprese.p7m" in page


def test_admin_lists_requests_with_read_only_remote_fields(client, django_user_model, queued):
    admin = django_user_model.objects.create_superuser("admin", "a@example.com", "pw-long-enough")
    client.force_login(admin)
    r = creation.create_richiesta(data=model_data(), user=admin, intent_key="k").richiesta
    assert (
        client.get(reverse("admin:comunica_richiestacomunicazione_changelist")).status_code == 200
    )
    page = client.get(reverse("admin:comunica_richiestacomunicazione_change", args=[r.pk]))
    assert page.status_code == 200
    assert 'name="remote_id"' not in page.content.decode()


def test_admin_actions_sync_the_account_and_refresh(client, django_user_model, openapi, queued):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    from openapi_pec import types

    admin = django_user_model.objects.create_superuser("admin", "a@example.com", "pw-long-enough")
    client.force_login(admin)
    remote = openapi.client().create_comunica(
        types.ComunicaRequest(**{k: v for k, v in model_data().items() if k != "pec_impresa"})
    )
    changelist = reverse("admin:comunica_richiestacomunicazione_changelist")
    response = client.post(changelist, {"action": "sync_account"}, follow=True)
    assert "Importate: 1" in text(response)
    richiesta = RichiestaComunicazione.objects.get(remote_id=remote.id)
    openapi.set_stato("comunica", remote.id, "in_attesa_di_documenti")
    response = client.post(
        changelist,
        {"action": "refresh_selected", ACTION_CHECKBOX_NAME: [richiesta.pk]},
        follow=True,
    )
    assert "Aggiornate: 1" in text(response)
    richiesta.refresh_from_db()
    assert richiesta.stato == StatoRichiesta.IN_ATTESA_DI_DOCUMENTI
    change = reverse("admin:comunica_richiestacomunicazione_change", args=[richiesta.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="casella_pec"' not in page.content.decode()  # known to Openapi: read only


def test_an_unclear_outcome_is_explained_on_the_page(office_client, office_user, queued):
    r = creation.create_richiesta(data=model_data(), user=office_user, intent_key="k").richiesta
    ComunicaCall.objects.update(state="unclear")
    page = text(office_client.get(reverse("comunica:richiesta_status", args=[r.pk])))
    assert "nessun doppio addebito" in page
    assert 'hx-trigger="every 3s"' in page


def test_a_request_typed_by_hand_is_linked_to_the_matching_holder(
    office_client, office_user, titolare, casella, queued
):
    created = creation.create_richiesta(
        data=model_data(casella_pec="ACME@testcert.legalmail.it"),
        user=office_user,
        intent_key="by-hand",
    )
    assert created.richiesta.titolare == titolare
    assert created.richiesta.casella == casella
    other = creation.create_richiesta(
        data=model_data(casella_pec="x@pec.example.it", cf_piva="12345670017"),
        user=office_user,
        intent_key="other",
    )
    assert other.richiesta.titolare is None and other.richiesta.casella is None


def test_the_holder_picker_prefills_the_holder_and_its_active_box(office_client, titolare, casella):
    form = text(office_client.get(reverse("comunica:richiesta_new")))
    assert f'<option value="{titolare.pk}">ACME S.r.l.' in form
    page = text(office_client.get(reverse("comunica:richiesta_new"), {"titolare": titolare.pk}))
    assert 'value="acme@testcert.legalmail.it"' in page
    assert f'name="casella" value="{casella.pk}"' in page
