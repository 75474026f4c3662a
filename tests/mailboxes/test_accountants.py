"""Accountants from the portal: the office invites one (account, group, holders in one form),
the accountant chooses a password through the e-mailed link and sees only their holders; they
are told by e-mail when a form waits for them; e-mails name the holder and link absolutely."""

import re

import pytest

from accounts import roles

from .conftest import run_calls

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://127\.0\.0\.1:8000(/account/imposta-password/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def demo_links(settings):
    settings.PORTAL_LINK_URL = "http://127.0.0.1:8000"


def test_office_invites_an_accountant_who_chooses_a_password_and_sees_their_holders(
    office_client, make_titolare, mailoutbox, django_capture_on_commit_callbacks, demo_links
):
    from django.contrib.auth import get_user_model
    from django.test import Client

    theirs = make_titolare(denominazione="Alfa Srl")
    other = make_titolare(denominazione="Beta Srl", codice_fiscale="01234567890")
    page = office_client.get("/caselle/commercialisti/invita/")
    assert page.status_code == 200 and "Alfa Srl" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = office_client.post(
            "/caselle/commercialisti/invita/",
            {
                "first_name": "Carla",
                "last_name": "Verdi",
                "email": "Carla.Verdi@Studio.example",
                "titolari": [theirs.pk],
            },
        )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="carla.verdi@studio.example")
    assert roles.is_accountant(user) and not user.has_usable_password()
    assert list(theirs.commercialisti.all()) == [user]
    assert not other.commercialisti.exists()

    [mail] = mailoutbox
    assert mail.to == ["carla.verdi@studio.example"] and "Alfa Srl" in mail.body
    path = LINK.search(mail.body).group(1)

    browser = Client()
    form = browser.get(path, follow=True)
    assert "carla.verdi@studio.example" in form.content.decode()
    done = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": "tramonto-sul-lago-42", "new_password2": "tramonto-sul-lago-42"},
    )
    assert done.status_code == 302
    assert browser.get(path, follow=True).context["validlink"] is False  # used once

    logged_in = browser.post(
        "/account/login/", {"username": user.username, "password": "tramonto-sul-lago-42"}
    )
    assert logged_in.status_code == 302
    holders = browser.get("/caselle/titolari/").content.decode()
    assert "Alfa Srl" in holders and "Beta Srl" not in holders


def test_an_office_user_cannot_be_invited_as_accountant(office_client, office_user, make_titolare):
    office_user.email = "ufficio@studio.example"
    office_user.save()
    response = office_client.post(
        "/caselle/commercialisti/invita/",
        {
            "first_name": "A",
            "last_name": "B",
            "email": "ufficio@studio.example",
            "titolari": [make_titolare().pk],
        },
    )
    assert response.status_code == 400
    assert "già un utente dello studio" in response.content.decode()
    assert not roles.is_accountant(office_user)


def test_accountants_cannot_invite(client, accountant_user):
    client.force_login(accountant_user)
    assert client.get("/caselle/commercialisti/invita/").status_code == 403


def test_the_accountant_is_told_when_a_form_waits_for_them(
    pec,
    make_casella,
    make_titolare,
    make_user,
    mailoutbox,
    django_capture_on_commit_callbacks,
    demo_links,
):
    accountant = make_user(roles.ACCOUNTANT, username="rossi")
    titolare = make_titolare(denominazione="Gamma Sas", commercialisti=[accountant])
    casella = make_casella(titolare=titolare)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_calls(casella) == ["done"]
    [mail] = [m for m in mailoutbox if m.to == [accountant.email]]
    assert casella.casella_pec in mail.subject and "Gamma Sas" in mail.subject
    assert f"http://127.0.0.1:8000/caselle/{casella.pk}/" in mail.body


def test_emails_name_the_holder_and_link_absolutely(
    make_casella, make_titolare, office_user, mailoutbox, demo_links
):
    from mailboxes.models import Stato
    from mailboxes.services.notifications import notify_active

    casella = make_casella(titolare=make_titolare(denominazione="Delta Spa"))
    casella.stato = Stato.EVASA
    casella.save()
    notify_active(casella.pk)
    [mail] = mailoutbox
    assert "Delta Spa" in mail.subject and "Delta Spa" in mail.body
    assert f"http://127.0.0.1:8000/caselle/{casella.pk}/" in mail.body
