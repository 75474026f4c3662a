"""No leaks: a full flow with a known API key, token, codice fiscale and ID document number, then
a scan of everything the portal writes that people or other systems read.

A sandbox of its own accepts only a known API key; the portal (this process and a real Celery
worker) mints its token with it. The box is registered and activated through the services, the
worker sends the paid calls, the box becomes active (e-mail), a second registration is refused
for lack of credit (error e-mail, error on the page), and an administrator looks at the admin
pages and runs an admin action (LogEntry). Then: the API key and every minted token appear
nowhere (logs of both processes at DEBUG, Celery messages, e-mails, admin history, admin pages,
portal pages, error pages, the database); the codice fiscale and the document number appear in
no log, no Celery message, no error page and no e-mail.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import time
import uuid
from pathlib import Path

import pytest
from celery.signals import before_task_publish
from django.test import Client

from tests import figures
from tests.plugins.sandbox import start_sandbox
from tests.plugins.worker import _worker

from . import corpus
from .objects import CF_HOLDER, DOC_NUMBER, richiedente_data, titolare, user

APIKEY = "leak-canary-apikey-" + secrets.token_hex(8)
EMAIL = "studio-leak@example.com"


@pytest.fixture
def private_sandbox(tmp_path):
    handle = start_sandbox(tmp_path / "sandbox.json", 0.3, "--apikey", APIKEY)
    yield handle
    handle.stop()


@pytest.fixture
def portal_on_it(settings, private_sandbox):
    settings.OPENAPI_PEC_URL = settings.OPENAPI_OAUTH_URL = private_sandbox.url
    settings.OPENAPI_TOKEN = ""
    settings.OPENAPI_EMAIL, settings.OPENAPI_APIKEY = EMAIL, APIKEY
    settings.OPENAPI_DEMO = False
    settings.OPENAPI_TIMEOUT = 3.0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return private_sandbox


@pytest.fixture
def leak_worker(worker_env, tmp_path_factory, private_sandbox, django_db_blocker):
    """A real worker on its own queue, minting tokens with the known API key, logging DEBUG."""
    queue = f"leaks-{uuid.uuid4().hex[:8]}"
    maildir = tmp_path_factory.mktemp("leak-mail")
    env = dict(worker_env)
    env.update(
        OPENAPI_EMAIL=EMAIL,
        OPENAPI_APIKEY=APIKEY,
        OPENAPI_PEC_URL=private_sandbox.url,
        OPENAPI_OAUTH_URL=private_sandbox.url,
        SANDBOX_URL=private_sandbox.url,
        OPENAPI_TIMEOUT="3",
        LOG_LEVEL="DEBUG",
        # four slashes: django-environ drops the first one of an absolute path (filemail:///tmp/x
        # is read as the relative tmp/x)
        EMAIL_URL=f"filemail:///{maildir}",
    )
    env.pop("OPENAPI_TOKEN", None)
    worker = _worker(env, tmp_path_factory, name="leaks", concurrency=1)
    worker.maildir = Path(maildir)
    worker.argv += ["-Q", queue]
    worker.start()
    yield worker, queue
    worker.stop()


def _on_queue(monkeypatch, queue):
    """The services' after-commit sends go to the leak worker's queue."""
    from celery import current_app
    from django.db import transaction

    from mailboxes.services import polling
    from portal import callbacks, remote_calls

    def enqueue(task_name, *args, countdown=None):
        task = current_app.tasks[task_name]
        transaction.on_commit(lambda: task.apply_async(args, queue=queue, countdown=countdown))

    # the paid intents (remote_calls.enqueue_call), the polls and the callbacks' refreshes
    for module in (remote_calls, polling, callbacks):
        monkeypatch.setattr(module, "enqueue_on_commit", enqueue)


def _wait(predicate, timeout=40.0, tick=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if tick:
            tick()
        time.sleep(0.3)
    return False


def _count(haystacks: dict[str, str], needles: list[str]) -> dict[str, list[str]]:
    """Where each needle occurs: {place: [context of each occurrence]}."""
    out: dict[str, list[str]] = {}
    for where, text in haystacks.items():
        low = text.lower()
        for needle in filter(None, needles):
            start = low.find(needle.lower())
            while start != -1:
                out.setdefault(where, []).append(text[max(0, start - 80) : start + 40])
                start = low.find(needle.lower(), start + 1)
    return out


def _db_dump() -> str:
    from django.apps import apps
    from django.core import serializers

    parts = []
    for label in ("mailboxes", "comunica", "admin", "axes", "sessions", "auth"):
        for model in apps.get_app_config(label).get_models():
            parts.append(serializers.serialize("json", model.objects.all()))
    return "\n".join(parts)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_no_secret_and_no_personal_data_leaks(portal_on_it, leak_worker, monkeypatch, caplog):
    from django.contrib.admin.models import LogEntry
    from django.core import mail

    from mailboxes.models import Casella, CasellaCall
    from mailboxes.services import activation, registration
    from mailboxes.services import sync as box_sync
    from openapi_pec.domains import SANDBOX_DOMAINS
    from pec_sandbox.pdf import make_pdf
    from portal.pdf import check_pdf

    sandbox = portal_on_it
    worker, queue = leak_worker
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []

    def capture(sender=None, body=None, headers=None, **kw):
        messages.append(json.dumps({"task": sender, "body": body, "headers": headers}, default=str))

    before_task_publish.connect(capture, weak=False)
    _on_queue(monkeypatch, queue)
    try:
        office = user("ufficio-leak", "Ufficio", email="ufficio@example.com")
        admin = user("admin-leak", is_superuser=True, is_staff=True, email="admin@example.com")
        holder = titolare()  # the requester (Richiedente) carries CF_HOLDER and DOC_NUMBER
        domain = SANDBOX_DOMAINS["STANDARD"]

        # 1. registration, sent by the worker (the token is minted with the API key)
        casella = registration.register_casella(
            titolare=holder,
            tipo_casella="STANDARD",
            casella_pec=f"leak-{uuid.uuid4().hex[:6]}@{domain}",
            richiedente=richiedente_data(),
            autorinnovo=False,
            intent_key=str(uuid.uuid4()),
            user=office,
        )
        assert _wait(lambda: Casella.objects.get(pk=casella.pk).stato == "registrata"), (
            worker.log()[-3000:]
        )
        # 2. activation: the ID document carries the CF and the document number
        casella.refresh_from_db()
        activation.upload_documents(
            casella=casella,
            modulo=check_pdf(_bytes(make_pdf("Modulo firmato", [CF_HOLDER]))),
            identita=check_pdf(
                _bytes(make_pdf("Carta d'identita", [f"N. {DOC_NUMBER}", CF_HOLDER]))
            ),
            intent_key=str(uuid.uuid4()),
            user=office,
        )

        def tick():
            # The poll runs here, in this process (its client mints a token too): the worker's
            # own follow-up poll goes to the default queue, where another worker of the test
            # session (on another sandbox) may take it.
            with contextlib.suppress(Exception):
                box_sync.refresh_casella(Casella.objects.get(pk=casella.pk))

        assert _wait(lambda: Casella.objects.get(pk=casella.pk).stato == "evasa", tick=tick), (
            worker.log()[-3000:]
        )
        # 3. a registration refused by Openapi (no credit): error e-mail and page
        sandbox.set_credit(0)
        refused = registration.register_casella(
            titolare=holder,
            tipo_casella="STANDARD",
            casella_pec=f"leak-{uuid.uuid4().hex[:6]}@{domain}",
            richiedente=richiedente_data(),
            autorinnovo=False,
            intent_key=str(uuid.uuid4()),
            user=office,
        )
        assert _wait(
            lambda: CasellaCall.objects.get(casella=refused, kind="registrazione").state == "failed"
        )
        assert _wait(lambda: len(worker.outbox()) + len(mail.outbox) >= 2, timeout=10), (
            [m["Subject"] for m in worker.outbox()],
            list(worker.maildir.iterdir()),
            worker.log()[-2000:],
        )

        # 4. pages: the portal's, error pages, admin pages and an admin action (LogEntry)
        pages: dict[str, str] = {}
        office_c, admin_c, anon = Client(), Client(), Client(raise_request_exception=False)
        office_c.force_login(office, backend="django.contrib.auth.backends.ModelBackend")
        admin_c.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
        for url in (
            "/caselle/",
            f"/caselle/{casella.pk}/",
            f"/caselle/{refused.pk}/",
            f"/caselle/{casella.pk}/stato/",
            f"/caselle/titolari/{holder.pk}/",
        ):
            pages[f"page {url}"] = office_c.get(url).content.decode()
        error_pages = {
            # (the needles are never put in a URL: pages reflect their own URL, escaped, in the
            # language switch and the login redirect; that is the user's input, not a leak)
            "404": office_c.get("/caselle/999999/"),
            "404 document": office_c.get("/caselle/documenti/999999/"),
            "403 (no role)": _as_norole().get(f"/caselle/{casella.pk}/"),
            "404 (other accountant)": _as_accountant().get(f"/caselle/{casella.pk}/"),
            "302 login redirect": anon.get(f"/caselle/{casella.pk}/"),
            "400 upload refused": office_c.post(
                f"/caselle/{casella.pk}/documenti/",
                {"modulo": _upload(b"x" + DOC_NUMBER.encode()), "intent_key": "nope"},
            ),
            "login failed": anon.post(
                "/account/login/", {"username": "ufficio-leak", "password": CF_HOLDER + APIKEY}
            ),
        }
        errors_text = {
            name: f"{r.status_code} {dict(r.headers)} {r.content.decode(errors='replace')}"
            for name, r in error_pages.items()
        }
        admin_urls = [
            "/admin/mailboxes/casella/",
            f"/admin/mailboxes/casella/{casella.pk}/change/",
            f"/admin/mailboxes/casella/{refused.pk}/change/",
            "/admin/mailboxes/casellacall/",
            *(
                f"/admin/mailboxes/casellacall/{pk}/change/"
                for pk in CasellaCall.objects.values_list("pk", flat=True)
            ),
            "/admin/mailboxes/richiedente/",
            "/admin/mailboxes/documento/",
            "/admin/mailboxes/evento/",
            "/admin/admin/logentry/",
        ]
        response = admin_c.post(
            "/admin/mailboxes/casella/",
            {"action": "refresh_status", "_selected_action": [casella.pk, refused.pk]},
        )
        assert response.status_code == 302
        # an administrator edits the holder and the box (LogEntry rows with change messages)
        _admin_save(admin_c, f"/admin/mailboxes/titolare/{holder.pk}/change/", note="verificato")
        _admin_save(admin_c, f"/admin/mailboxes/casella/{casella.pk}/change/", autorinnovo=True)
        assert LogEntry.objects.count() >= 2
        for url in admin_urls:
            pages[f"admin {url}"] = admin_c.get(url).content.decode()
        entries = list(LogEntry.objects.all())
        history = "\n".join(f"{e.object_repr} {e.change_message}" for e in entries)
    finally:
        before_task_publish.disconnect(capture)

    # --- the scan ----------------------------------------------------------------------------
    tokens = list(sandbox._get("state")["tokens"])
    assert tokens, "no token was minted: the flow did not use the API key"
    secrets_ = [APIKEY, *tokens]
    personal = [CF_HOLDER, DOC_NUMBER]
    emails = "\n".join(
        [m.as_string() for m in worker.outbox()] + [m.message().as_string() for m in mail.outbox]
    )
    logs = {
        "test process log": "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
        + caplog.text,
        "worker log": worker.log(),
    }
    celery = {"celery messages": "\n".join(messages)}
    everywhere = {
        **logs,
        **celery,
        **errors_text,
        **pages,
        "e-mails": emails,
        "admin history": history,
        "database": _db_dump(),
    }
    secret_hits = _count(everywhere, secrets_)
    personal_hits = _count({**logs, **celery, **errors_text, "e-mails": emails}, personal)
    scanned = sum(len(t) for t in everywhere.values())
    figures.record(
        "no leaks",
        f"API key + {len(tokens)} token(s): {sum(map(len, secret_hits.values()))} occurrences; "
        "CF + ID "
        f"document number in logs/messages/error pages/e-mails: "
        f"{sum(map(len, personal_hits.values()))}; {len(messages)} Celery messages, "
        f"{len(worker.outbox()) + len(mail.outbox)} e-mails, {len(pages)} pages, "
        f"{len(entries)} admin history rows, "
        f"{scanned / 1e6:.1f} MB scanned",
    )
    assert not personal_hits, personal_hits
    assert not secret_hits, secret_hits
    # the Celery messages carry primary keys and the names of what they point at (a model label
    # such as "mailboxes.CasellaCall", a resource name such as "caselle"), nothing else
    identifier = re.compile(r"[a-z_]+(\.[A-Za-z]+)?")
    for message in messages:
        args = json.loads(message)["body"][0]
        assert all(
            isinstance(a, int) or (isinstance(a, str) and identifier.fullmatch(a)) for a in args
        ), message


def _admin_save(client: Client, url: str, **changes) -> None:
    """Submit an admin change form as the page shows it, with ``changes``."""
    page = client.get(url)
    assert page.status_code == 200, url
    data: dict = {}

    def put(form, prefix=""):
        for name in form.fields:
            key = f"{prefix}{name}" if prefix else form.add_prefix(name)
            value = form[name].value()
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            data[key] = [str(v) for v in value] if isinstance(value, (list, tuple)) else value

    put(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        put(formset.management_form)
        for form in formset.forms:
            put(form)
    for name, value in changes.items():
        if value is True:
            data[name] = "on"
        else:
            data[name] = value
    response = client.post(url, data)
    assert response.status_code == 302, (url, response.context and response.context.get("errors"))


def _bytes(data: bytes):
    import io

    return io.BytesIO(data)


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("modulo.pdf", data or corpus.good_pdf())


def _as_accountant() -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(
        user(f"comm-{uuid.uuid4().hex[:6]}", "Commercialisti"),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    return c


def _as_norole() -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(
        user(f"norole-{uuid.uuid4().hex[:6]}"),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    return c
