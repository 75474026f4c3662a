"""The demo a newcomer meets: the login page tells the demo administrator's credentials (in
the local demo only), friendly error pages, a favicon."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_password(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.DEMO_MODE = settings.OPENAPI_DEMO = True
    (tmp_path / "demo-credentials.txt").write_text("s3cret-demo\n")
    return "s3cret-demo"


def test_the_login_page_shows_the_demo_credentials(client, demo_password):
    page = client.get("/account/login/").content.decode()
    assert 'id="demo-credenziali"' in page
    assert "<kbd>admin</kbd>" in page and f"<kbd>{demo_password}</kbd>" in page


@pytest.mark.parametrize("outside", ["DEMO_MODE", "OPENAPI_DEMO"])
def test_outside_the_demo_the_login_page_shows_no_password(
    client, settings, demo_password, outside
):
    setattr(settings, outside, False)
    page = client.get("/account/login/").content.decode()
    assert demo_password not in page and "demo-credenziali" not in page


def test_a_missing_page_is_friendly_and_offers_the_search(office_client):
    response = office_client.get("/caselle/non-esiste/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Pagina non trovata" in page and "<code>/caselle/non-esiste/</code>" in page
    assert 'id="cerca-404"' in page and 'href="/"' in page
    assert "URLconf" not in page  # not Django's debug page


def test_a_server_error_is_a_styled_page_in_both_languages(rf):
    from django.views.defaults import server_error

    page = server_error(rf.get("/")).content.decode()
    assert "Qualcosa è andato storto" in page and "Something went wrong" in page
    assert "pico.min.css" in page and "favicon.svg" in page


def test_every_page_has_the_favicon(client):
    page = client.get("/account/login/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200
    assert b"<svg" in b"".join(response.streaming_content)


def test_the_language_is_saved_on_the_user_and_follows_them_to_another_browser(
    client, django_user_model, office_user
):
    from django.test import Client

    def log_in(browser):
        return browser.post(
            "/account/login/",
            {"username": "operatore", "password": "correct-horse-battery"},
            HTTP_ACCEPT_LANGUAGE="it",
        )

    log_in(client)
    client.post("/account/lingua/", {"language": "en", "next": "/"}, HTTP_ACCEPT_LANGUAGE="it")
    assert office_user.preferenze.lingua == "en"

    other = Client()  # another browser, which asks for Italian
    response = log_in(other)
    assert response.cookies["django_language"].value == "en"
    page = other.get("/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "<h1>Dashboard</h1>" in page or ">Dashboard<" in page
