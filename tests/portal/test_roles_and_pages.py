import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts import roles

pytestmark = pytest.mark.django_db


def test_the_three_roles_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)


def test_administrators_get_the_portal_models_permissions():
    perms = set(
        Group.objects.get(name=roles.ADMINISTRATOR).permissions.values_list(
            "content_type__app_label", flat=True
        )
    )
    assert "auth" in perms


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("mailboxes:casella_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_and_real_login(client, office_user):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert "Accesso" in page.content.decode()
    response = client.post(
        reverse("login"), {"username": "operatore", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.get(reverse("mailboxes:casella_list")).status_code == 200


def test_wrong_password_is_refused(client, office_user):
    response = client.post(reverse("login"), {"username": "operatore", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout(office_client):
    response = office_client.post(reverse("logout"))
    assert response.status_code == 302
    assert office_client.get(reverse("mailboxes:casella_list")).status_code == 302


def test_password_change(office_client, office_user):
    response = office_client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "a-new-Long-passphrase-42",
            "new_password2": "a-new-Long-passphrase-42",
        },
    )
    assert response.status_code == 302
    office_user.refresh_from_db()
    assert office_user.check_password("a-new-Long-passphrase-42")


def test_accountant_is_refused_staff_pages(client, accountant_user):
    client.force_login(accountant_user)
    assert client.get(reverse("comunica:richiesta_list")).status_code == 403
    assert client.get(reverse("mailboxes:casella_list")).status_code == 200
    # and has no Django admin
    assert client.get(reverse("admin:index")).status_code == 302


def test_user_without_a_role_is_refused(client, make_user):
    client.force_login(make_user())
    assert client.get(reverse("mailboxes:casella_list")).status_code == 403
    assert client.get(reverse("comunica:richiesta_list")).status_code == 403


def test_italian_by_default_and_english_selectable(office_client):
    page = office_client.get(reverse("mailboxes:casella_list"))
    assert '<html lang="it">' in page.content.decode()
    assert "Caselle" in page.content.decode()
    office_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = office_client.get(reverse("mailboxes:casella_list"))
    assert '<html lang="en">' in page.content.decode()
    assert "Mailboxes" in page.content.decode()


def test_demo_mode_is_announced(office_client):
    assert "Modalità demo" in office_client.get(reverse("mailboxes:casella_list")).content.decode()


def test_healthz_answers_without_a_known_host(client):
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200


def test_pages_carry_security_headers(office_client):
    response = office_client.get(reverse("mailboxes:casella_list"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_admin_has_the_portal_name(admin_client):
    assert "Portale PEC" in admin_client.get(reverse("admin:index")).content.decode()


def test_login_is_throttled_after_five_failures(client, office_user):
    for _ in range(5):
        client.post(reverse("login"), {"username": "operatore", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "operatore", "password": "correct-horse-battery"}
    )
    assert response.status_code == 429
    assert "Accesso bloccato" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sessions_are_short_for_a_site_holding_id_documents(settings):
    assert settings.SESSION_COOKIE_AGE <= 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
