"""In a real browser: log in, switch to English, log out."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_login_switch_language_and_logout(page, login, office_user):
    login(page, office_user)  # the home page is the office's cockpit
    assert page.locator("h1").first.inner_text() == "Cruscotto"
    with page.expect_navigation():
        page.get_by_role("button", name="EN", exact=True).click()
    assert page.locator("h1").first.inner_text() == "Dashboard"
    page.locator("details.dropdown summary").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/account/login/**")
    assert page.locator("h1").first.inner_text() in ("Log in", "Accesso")


def test_wrong_password_keeps_the_user_out(page, office_user):
    page.goto("/account/login/")
    page.fill("input[name=username]", "operatore")
    page.fill("input[name=password]", "wrong-password")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/account/login/" in page.url
    page.goto("/caselle/")
    assert "/account/login/" in page.url
