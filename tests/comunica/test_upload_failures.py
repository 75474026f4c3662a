"""A failure while the signed procura is stored (a full disk half-way through the file, a database
error after it) leaves no file, no row, the request as it was, and a message: never a 500."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import override_settings

from comunica.models import ComunicaCall, ProcuraFirmata
from comunica.services import procura_upload
from tests.mailboxes.test_upload_failures import FULL_DISK_MESSAGE, FullDisk, files_in

from .factories import make_p7m
from .test_views import _waiting, text, upload

pytestmark = pytest.mark.django_db


def _storage(backend, location, settings):
    options = {"location": str(location), "base_url": None}
    default = {"BACKEND": backend, "OPTIONS": options}
    return override_settings(STORAGES={**settings.STORAGES, "default": default})


def _state(r):
    r.refresh_from_db()
    return (r.stato, r.updated_at, ProcuraFirmata.objects.count(), ComunicaCall.objects.count())


def test_a_full_disk_leaves_no_procura(
    office_client, office_user, openapi, queued, tmp_path, settings
):
    r = _waiting(office_user, openapi)
    before = _state(r)
    FullDisk.room, FullDisk.written = 0, 0  # the .p7m is cut short
    with _storage("tests.mailboxes.test_upload_failures.FullDiskStorage", tmp_path, settings):
        response = upload(office_client, r, make_p7m())
        assert response.status_code == 302
        page = text(office_client.get(response["Location"]))
    assert FULL_DISK_MESSAGE in page
    assert files_in(tmp_path) == []
    assert _state(r) == before
    assert not queued.called


@pytest.mark.parametrize("where", ["event", "call"])
def test_a_database_error_after_the_file_leaves_no_procura(
    office_client, office_user, openapi, queued, tmp_path, settings, monkeypatch, where
):
    r = _waiting(office_user, openapi)
    before = _state(r)

    def broken(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(procura_upload, "record" if where == "event" else "_start_upload", broken)
    with _storage("django.core.files.storage.FileSystemStorage", tmp_path, settings):
        response = upload(office_client, r, make_p7m())
        assert response.status_code == 302
        page = text(office_client.get(response["Location"]))
    assert "Il database non ha potuto registrare il caricamento" in page
    assert files_in(tmp_path) == []
    assert _state(r) == before
