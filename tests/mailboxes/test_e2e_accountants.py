"""In a real browser: the office invites an accountant, who chooses a password from the e-mailed
link and then sees only their holder (axe-core checks each page, tests/plugins/browser.py)."""

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_office_invites_an_accountant_who_logs_in_to_their_holder(
    page, login, office_user, make_titolare, mailoutbox
):
    make_titolare(denominazione="Alfa Srl")
    make_titolare(denominazione="Beta Srl", codice_fiscale="01234567890")
    login(page, office_user)
    page.goto("/caselle/titolari/")
    with page.expect_navigation():
        page.get_by_role("button", name="Invita un commercialista").click()
    page.get_by_label("Nome", exact=True).fill("Carla")
    page.get_by_label("Cognome").fill("Verdi")
    page.get_by_label("E-mail").fill("carla@studio.example")
    page.get_by_label("Alfa Srl").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Invia l'invito").click()
    assert "Invito inviato a carla@studio.example" in page.locator("main").inner_text()

    [mail] = mailoutbox
    path = re.search(r"https?://[^/\s]+(/account/imposta-password/\S+)", mail.body).group(1)
    page.locator("details.dropdown summary").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Esci").click()

    page.goto(path)
    assert "carla@studio.example" in page.locator("main").inner_text()
    page.locator("input[name=new_password1]").fill("tramonto-sul-lago-42")
    page.locator("input[name=new_password2]").fill("tramonto-sul-lago-42")
    with page.expect_navigation():
        page.get_by_role("button", name="Salva la password").click()
    assert page.locator("h1").inner_text() == "Password salvata"

    page.goto("/account/login/")
    page.fill("input[name=username]", "carla@studio.example")
    page.fill("input[name=password]", "tramonto-sul-lago-42")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.goto("/caselle/titolari/")
    holders = page.locator("main").inner_text()
    assert "Alfa Srl" in holders and "Beta Srl" not in holders
