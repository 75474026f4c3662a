"""Signing links through the Django test client: the token, throttling, repeated submits,
preservation, resending, and the cockpit's "waiting for the client" items."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from accounts import roles
from mailboxes.models import CasellaCall, Documento
from signing import services, tokens
from signing.models import LinkFirma, Scopo
from tests.mailboxes.conftest import pdf_bytes
from tests.mailboxes.test_upload_failures import (  # noqa: F401 (the full_disk fixture)
    FULL_DISK_MESSAGE,
    files_in,
    full_disk,
)

from .support import registered_box

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(make_user):
    return make_user(roles.OFFICE, username="ufficio")


@pytest.fixture
def box(pec, queued, make_casella, office):
    return registered_box(make_casella, user=office)


def _files(intent_key=None):
    return {
        "modulo": SimpleUploadedFile("m.pdf", pdf_bytes("Modulo"), "application/pdf"),
        "identita": SimpleUploadedFile("ci.pdf", pdf_bytes("Carta"), "application/pdf"),
        "intent_key": intent_key or str(uuid.uuid4()),
    }


def test_the_token_is_long_random_and_stored_only_hashed(box, office):
    new = services.create_link(scopo=Scopo.ATTIVAZIONE, user=office, casella=box)
    assert len(new.token) == 43
    link = LinkFirma.objects.get()
    assert link.token_hash == tokens.digest(new.token) != new.token
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM signing_linkfirma")
        assert new.token not in repr(cursor.fetchall())
    assert services.create_link(scopo=Scopo.ATTIVAZIONE, user=office, casella=box).token != (
        new.token
    )


def test_throttled_per_link_and_per_address(box, office, client, settings):
    settings.SIGNING_LINK_RATE = 3
    new = services.create_link(scopo=Scopo.ATTIVAZIONE, user=office, casella=box)
    statuses = [client.get(new.path, REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]  # per link, from any address
    wrong = [
        client.get(f"/firma/{'Z' * 42}{i}/", REMOTE_ADDR="10.9.9.9").status_code for i in range(4)
    ]
    assert wrong == [404, 404, 404, 429]  # per address, whatever the token
    assert client.get(f"/firma/{'Z' * 43}/", REMOTE_ADDR="10.9.9.8").status_code == 404


def test_a_repeated_submit_is_the_same_upload(box, office, client, pec):
    new = services.create_link(scopo=Scopo.ATTIVAZIONE, user=office, casella=box)
    key = str(uuid.uuid4())
    first = client.post(new.path, _files(key))
    again = client.post(new.path, _files(key))
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == "/firma/fatto/"
    [call] = CasellaCall.objects.filter(casella=box, kind="attivazione")
    assert call.requested_by == office  # told of a failure as of their own
    assert Documento.objects.filter(casella=box, uploaded_by__isnull=True).count() == 2
    # another submit (a new key) on the used link: the neutral page, nothing stored
    assert client.post(new.path, _files()).status_code == 404
    assert Documento.objects.filter(casella=box).count() == 2


def test_a_link_is_over_when_the_office_uploads_meanwhile(box, office, client):
    from mailboxes.services import activation
    from tests.mailboxes.conftest import checked

    new = services.create_link(scopo=Scopo.ATTIVAZIONE, user=office, casella=box)
    activation.upload_documents(
        casella=box,
        modulo=checked(pdf_bytes("a")),
        identita=checked(pdf_bytes("b")),
        intent_key=str(uuid.uuid4()),
        user=office,
    )
    assert client.get(new.path).status_code == 404


def test_preservation_link_charges_the_space_the_office_chose(
    pec, queued, make_casella, office, client
):
    from mailboxes.models import Casella

    box = registered_box(make_casella, user=office, tipo="STANDARD")
    Casella.objects.filter(pk=box.pk).update(stato="evasa", conservazione=False)
    box.refresh_from_db()
    office_client = type(client)()
    office_client.force_login(office)
    page = office_client.get(f"/caselle/{box.pk}/").content.decode()
    assert 'id="crea-link-conservazione"' in page
    created = office_client.post(
        f"/link-firma/caselle/{box.pk}/",
        {"scopo": "conservazione", "email": "", "spazio": "1024"},
    )
    link = LinkFirma.objects.get(scopo="conservazione")
    assert link.params == {"spazio_conservazione": 1024} and link.sent_at is None
    path = re.search(r"(/firma/[\w-]{43}/)", created.content.decode()).group(1)
    page = client.get(path).content.decode()
    assert "1024 MB" in page and "conservazione" in page
    assert client.post(path, _files()).status_code == 302
    call = CasellaCall.objects.get(casella=box, kind="conservazione")
    assert call.params["spazio_conservazione"] == 1024
    assert call.requested_by == office and call.price is not None


def test_resend_replaces_the_link_and_the_cockpit_says_sent_and_opened(
    box, office, client, mailoutbox
):
    office_client = type(client)()
    office_client.force_login(office)
    first = services.create_link(
        scopo=Scopo.ATTIVAZIONE, user=office, casella=box, email="cliente@example.com"
    )
    html = office_client.get("/cruscotto/da-fare/").content.decode()
    item = re.search(rf'data-key="casella-{box.pk}".*?</li>', html, flags=re.S).group(0)
    assert 'data-link="attivo"' in item and "non ancora aperto" in item
    client.get(first.path)
    html = office_client.get("/cruscotto/da-fare/").content.decode()
    item = re.search(rf'data-key="casella-{box.pk}".*?</li>', html, flags=re.S).group(0)
    assert "aperto il" in item and "Invia di nuovo il link" in item

    link = LinkFirma.objects.get()
    response = office_client.post(f"/link-firma/{link.pk}/reinvia/", {"next": "home"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get(first.path).status_code == 404  # the old one no longer opens
    assert len(mailoutbox) == 2 and mailoutbox[1].to == ["cliente@example.com"]
    new_path = re.search(r"(/firma/[\w-]{43}/)", mailoutbox[1].body).group(1)
    assert client.get(new_path).status_code == 200
    assert LinkFirma.objects.usable().count() == 1


def test_without_a_link_the_cockpit_offers_one(box, office, client):
    client.force_login(office)
    html = client.get("/cruscotto/da-fare/").content.decode()
    item = re.search(rf'data-key="casella-{box.pk}".*?</li>', html, flags=re.S).group(0)
    assert 'data-link="nessuno"' in item and "#link-firma" in item


def test_the_page_in_english_on_request(box, office, client):
    new = services.create_link(scopo=Scopo.ATTIVAZIONE, user=office, casella=box)
    client.cookies["django_language"] = "en"
    page = client.get(new.path).content.decode()
    assert "Documents to sign" in page and 'lang="en"' in page


def test_the_token_stays_out_of_the_log_lines():
    import importlib.util
    from pathlib import Path

    from portal.log_redaction import without_secrets

    token = tokens.new_token()
    assert token not in without_secrets(f"GET /firma/{token}/modulo.pdf HTTP/1.1")
    assert without_secrets("GET /firma/fatto/ HTTP/1.1") == "GET /firma/fatto/ HTTP/1.1"
    spec = importlib.util.spec_from_file_location(
        "gunicorn_conf", Path(__file__).parents[2] / "deploy" / "gunicorn.conf.py"
    )
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert conf._path_only(f"/firma/{token}/?x=1") == "/firma/[secret]/"


def test_a_refused_mail_leaves_the_link_to_copy(box, office, client, settings):
    settings.EMAIL_BACKEND = "tests.signing.test_links.RefusingBackend"
    client.force_login(office)
    page = client.post(
        f"/link-firma/caselle/{box.pk}/", {"scopo": "attivazione", "email": "c@example.com"}
    ).content.decode()
    assert "non è partita" in page and 'id="link-url"' in page
    assert LinkFirma.objects.get().sent_at is None


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


def test_a_full_disk_during_the_clients_upload_leaves_nothing_and_says_why(
    box,
    office,
    client,
    full_disk,  # noqa: F811
):
    new = services.create_link(scopo=Scopo.ATTIVAZIONE, user=office, casella=box)
    response = client.post(new.path, _files())
    assert response.status_code == 400
    assert FULL_DISK_MESSAGE in response.content.decode()
    assert files_in(full_disk) == []
    assert Documento.objects.count() == 0
    assert CasellaCall.objects.filter(casella=box, kind="attivazione").count() == 0
    assert LinkFirma.objects.get().used_at is None
