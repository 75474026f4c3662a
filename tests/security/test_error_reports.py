"""Error reports (the debug page, the e-mail to ADMINS) never show a password held in a URL.

Django hides settings by name (PASSWORD, API_KEY...), not the password inside the *value* of
DATABASE_URL, REDIS_URL, a cache LOCATION or the broker URL; runserver also copies the process
environment into request.META.
"""

import secrets
from unittest import mock

import pytest
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db


def password(name: str) -> str:
    # made at run time, so that the report's source excerpts cannot contain it
    return f"{name}-{secrets.token_hex(6)}"


PASSWORDS = {
    name: password(name)
    for name in ("db", "redis", "cache", "broker", "mail", "s3", "query", "location", "local")
}
URL_SETTINGS = {
    "DATABASE_URL": f"postgres://portal:{PASSWORDS['db']}@db:5432/portal",
    "REDIS_URL": f"redis://:{PASSWORDS['redis']}@redis:6379/0",
    "REDIS_CACHE_URL": f"rediss://default:{PASSWORDS['cache']}@redis:6380/1",
    "CELERY_BROKER_URL": f"redis://broker:{PASSWORDS['broker']}@redis/0",
    "EMAIL_URL": f"smtp+tls://mailer:{PASSWORDS['mail']}@smtp.example.com:587",
    "AWS_S3_ENDPOINT_URL": f"https://ak:{PASSWORDS['s3']}@s3.example.com",
    "SENTRY_URL": f"https://sentry.example.com/1?token={PASSWORDS['query']}",
}


@pytest.fixture
def secret_urls(settings):
    for name, url in URL_SETTINGS.items():
        setattr(settings, name, url)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"redis://:{PASSWORDS['location']}@cache:6379/1",  # a name for locmem
        }
    }
    return list(PASSWORDS.values())


def failing_view(*args, **kwargs):
    connection_url = f"redis://worker:{PASSWORDS['local']}@redis:6379/0"  # noqa: F841
    raise RuntimeError("the broker is down")


def crash(client: Client):
    with mock.patch("cockpit.selectors.todo.todo", side_effect=failing_view):
        return client.get("/", **URL_SETTINGS)  # runserver's META holds the environment


def test_debug_page_shows_no_url_password(secret_urls, settings, office_user):
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    client.force_login(office_user)
    response = crash(client)
    page = response.content.decode()
    assert response.status_code == 500 and "RuntimeError" in page and "REDIS_URL" in page
    assert "@redis:6379" in page  # the hosts are still there to help
    leaked = [password for password in secret_urls if password in page]
    assert leaked == []


def test_error_email_shows_no_url_password(secret_urls, settings, office_user):
    settings.DEBUG = False
    settings.ADMINS = [("Ufficio", "it@studio.example")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = Client(raise_request_exception=False)
    client.force_login(office_user)
    mail.outbox.clear()
    response = crash(client)
    assert response.status_code == 500
    assert "Traceback" not in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    texts = [message.body] + [str(content) for content, _ in message.alternatives]
    assert "the broker is down" in message.body and "REDIS_URL" in message.body
    leaked = [password for password in secret_urls for text in texts if password in text]
    assert leaked == []
