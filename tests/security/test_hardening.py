"""Hardening, checked on real pages: headers, login throttling, session lifetime, bandit.

(`check --deploy` in production mode is tests/portal/test_settings.py.)
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from tests import figures

from .objects import PASSWORD, build_world

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def logged_in(user) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


def csp_directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_hardened(response, where: str) -> None:
    h = response.headers
    csp = csp_directives(h.get("Content-Security-Policy", ""))
    assert csp, f"{where}: no Content-Security-Policy"
    assert csp["default-src"] == ["'self'"], where
    assert csp["script-src"] == ["'self'"], f"{where}: scripts from elsewhere or inline"
    sources = {s for values in csp.values() for s in values}
    assert "'unsafe-inline'" not in sources, where
    assert "'unsafe-eval'" not in sources, where
    assert csp["frame-ancestors"] == ["'none'"], where
    assert csp["object-src"] == ["'none'"], where
    assert csp["base-uri"] == ["'none'"], where
    assert csp["form-action"] == ["'self'"], where
    assert h.get("X-Frame-Options") == "DENY", where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Referrer-Policy") == "same-origin", where
    assert h.get("Cross-Origin-Opener-Policy") == "same-origin", where
    assert "camera=()" in h.get("Permissions-Policy", ""), where


def _signing_link(world) -> str:
    from signing import services

    return services.create_link(scopo="attivazione", user=world.office, casella=world.casella).path


def test_security_headers_on_real_pages(world):
    link = _signing_link(world)
    pages = [
        # the client's signing link (no login), its neutral page and its end state
        (Client(), link, 200),
        (Client(), f"/firma/{'W' * 43}/", 404),
        (Client(), "/firma/fatto/", 200),
        (Client(), "/account/login/", 200),
        (Client(), "/caselle/", 302),
        (logged_in(world.office), "/caselle/", 200),
        (logged_in(world.office), f"/caselle/{world.casella.pk}/", 200),
        (logged_in(world.office), "/caselle/titolari/", 200),
        (logged_in(world.office), "/comunica/", 200),
        (logged_in(world.office), "/caselle/999999/", 404),
        (logged_in(world.other), "/comunica/", 403),
        (logged_in(world.superuser), "/admin/", 200),
        (logged_in(world.superuser), f"/admin/mailboxes/casella/{world.casella.pk}/change/", 200),
    ]
    for client, url, status in pages:
        response = client.get(url)
        assert response.status_code == status, url
        assert_hardened(response, url)
    download = logged_in(world.office).get(f"/caselle/documenti/{world.documento.pk}/")
    assert download.status_code == 200
    assert_hardened(download, "document download")
    assert "no-store" in download["Cache-Control"] and "private" in download["Cache-Control"]
    assert download["Content-Disposition"].startswith("attachment")
    figures.record("security headers", f"{len(pages) + 1} pages: CSP without inline, DENY, nosniff")


def test_pages_carry_no_inline_script(world):
    """CSP forbids inline scripts; the templates must not rely on them (they would break)."""
    import re

    c = logged_in(world.office)
    link = _signing_link(world)
    for url in (
        "/caselle/",
        f"/caselle/{world.casella.pk}/",
        "/caselle/nuova/",
        "/comunica/",
        link,
        "/firma/fatto/",
    ):
        html = c.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline <script> on {url}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler on {url}"


def test_login_throttling_locks_after_five_failures(world):
    c = Client()
    statuses = [
        c.post("/account/login/", {"username": "ufficio", "password": "wrong-one"}).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks the account
    locked = c.post("/account/login/", {"username": "ufficio", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in c.session
    # another user from the same address is not locked out
    other = Client().post("/account/login/", {"username": "comm-altro", "password": PASSWORD})
    assert other.status_code == 302
    figures.record("login throttling", "5 failures -> 429, also with the right password")


def test_password_change_throttles_wrong_current_passwords(world):
    """The current password is an oracle for whoever holds a session: 5 wrong ones lock it."""
    c = logged_in(world.office)
    new = {"new_password1": "a-New-passw0rd-2026", "new_password2": "a-New-passw0rd-2026"}
    statuses = []
    for attempt in range(5):
        response = c.post("/account/password/", {"old_password": f"guess-{attempt}", **new})
        statuses.append(response.status_code)
        if response.status_code == 200:
            assert "password attuale" in response.content.decode()  # the form's own error
    assert statuses == [200, 200, 200, 200, 429]
    assert "cambio password" in response.content.decode()
    # locked: the right password changes nothing, and logging in is locked too
    locked = c.post("/account/password/", {"old_password": PASSWORD, **new})
    assert locked.status_code == 429
    world.office.refresh_from_db()
    assert world.office.check_password(PASSWORD)
    login = Client().post("/account/login/", {"username": "ufficio", "password": PASSWORD})
    assert login.status_code == 429
    # another user is not affected, and a right current password changes the password
    other = logged_in(world.assigned)
    changed = other.post("/account/password/", {"old_password": PASSWORD, **new})
    assert changed.status_code == 302 and changed["Location"] == "/account/password/done/"
    world.assigned.refresh_from_db()
    assert world.assigned.check_password(new["new_password1"])
    figures.record("password change", "5 wrong current passwords -> 429, also with the right one")


def test_session_ends_after_30_idle_minutes(world, settings):
    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    c = Client()
    assert c.post("/account/login/", {"username": "ufficio", "password": PASSWORD}).status_code
    assert c.get("/caselle/").status_code == 200
    session = Session.objects.get(session_key=c.cookies[settings.SESSION_COOKIE_NAME].value)
    left = session.expire_date - timezone.now()
    assert dt.timedelta(minutes=29) < left <= dt.timedelta(minutes=30)
    cookie = c.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # 31 idle minutes later (time travel on the stored session)
    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    again = c.get("/caselle/")
    assert again.status_code == 302 and again["Location"].startswith("/account/login/")


def test_activity_keeps_the_session_alive(world, settings):
    from django.contrib.sessions.models import Session

    c = Client()
    c.post("/account/login/", {"username": "ufficio", "password": PASSWORD})
    key = c.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + dt.timedelta(minutes=2))
    assert c.get("/caselle/").status_code == 200
    left = Session.objects.get(pk=key).expire_date - timezone.now()
    assert left > dt.timedelta(minutes=29)


def test_session_has_an_absolute_limit_of_8_hours(world, settings):
    """Active or not, a session ends 8 hours after login (settings: SESSION_ABSOLUTE_AGE)."""
    c = Client()
    c.post("/account/login/", {"username": "ufficio", "password": PASSWORD})
    assert c.get("/caselle/").status_code == 200
    session = c.session
    started = session.get("portal_login_at")
    assert started, "the login time is not recorded in the session"
    session["portal_login_at"] = started - settings.SESSION_ABSOLUTE_AGE - 1
    session.save()
    response = c.get("/caselle/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")
    figures.record("session lifetime", "30 min idle (sliding), 8 h absolute")


@pytest.mark.skipif(not shutil.which("bandit", path=str(Path(sys.executable).parent)), reason="")
def test_bandit_is_clean_at_medium_and_above():
    bandit = str(Path(sys.executable).parent / "bandit")
    proc = subprocess.run(
        [bandit, "-q", "-c", "pyproject.toml", "-r", ".", "-ll", "-f", "txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    figures.record("bandit -ll", "0 issues at medium or high severity")
