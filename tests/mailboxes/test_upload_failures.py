"""A failure in the middle of an upload (a full disk after the first file, a database error after
the files) leaves no file on disk, no row, the box as it was, and tells the user why: never a
500. The same for the activation documents and the preservation documents."""

from __future__ import annotations

import errno
import os
import uuid
from pathlib import Path

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse

from mailboxes.models import Casella, CasellaCall, Documento, Evento, Stato
from mailboxes.services import activation

from .conftest import pdf_bytes, run_calls, upload
from .operations_support import *  # noqa: F403 (the active_box fixture)

pytestmark = pytest.mark.django_db

FULL_DISK_MESSAGE = "Spazio su disco esaurito"


class FullDisk:
    """Room for ``room`` files; the next one is written in part, then ENOSPC (as a real full
    disk does: FileSystemStorage leaves the partial file behind)."""

    room = 1
    written = 0


def _full_disk_storage():
    from django.core.files.storage import FileSystemStorage

    class FullDiskStorage(FileSystemStorage):
        def _save(self, name, content):
            if FullDisk.written >= FullDisk.room:
                path = Path(self.path(name))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content.read()[:100])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            FullDisk.written += 1
            return super()._save(name, content)

    return FullDiskStorage


FullDiskStorage = _full_disk_storage()


@pytest.fixture
def disk(tmp_path, settings):
    """The private storage in a folder of its own (so "no file left" can be counted)."""
    storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path), "base_url": None},
    }
    with override_settings(STORAGES={**settings.STORAGES, "default": storage}):
        yield tmp_path


@pytest.fixture
def full_disk(tmp_path, settings):
    FullDisk.room, FullDisk.written = 1, 0
    storage = {
        "BACKEND": f"{__name__}.FullDiskStorage",
        "OPTIONS": {"location": str(tmp_path), "base_url": None},
    }
    with override_settings(STORAGES={**settings.STORAGES, "default": storage}):
        yield tmp_path


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@pytest.fixture
def registered(pec, make_casella):
    casella = make_casella()
    run_calls(casella)
    casella.refresh_from_db()
    assert casella.stato == Stato.REGISTRATA
    return casella


def _post_activation(client, casella):
    return client.post(
        reverse("mailboxes:casella_upload", args=[casella.pk]),
        {
            "modulo": upload("modulo.pdf", pdf_bytes()),
            "identita": upload("ci.pdf", pdf_bytes("Carta d'identità")),
            "intent_key": str(uuid.uuid4()),
        },
        follow=True,
    )


def _snapshot(casella):
    casella.refresh_from_db()
    return (
        casella.stato,
        casella.updated_at,
        Documento.objects.filter(casella=casella).count(),
        CasellaCall.objects.filter(casella=casella).count(),
        Evento.objects.filter(casella=casella).count(),
    )


@pytest.mark.parametrize("room", [0, 1])
def test_a_full_disk_during_the_activation_upload_leaves_nothing(
    registered, office_client, full_disk, room
):
    """room 0: the first file is cut short; room 1: the signed form is written, the ID scan
    is cut short."""
    FullDisk.room = room
    before = _snapshot(registered)
    response = _post_activation(office_client, registered)
    assert response.status_code == 200  # the box page again, with the message
    assert FULL_DISK_MESSAGE in response.content.decode()
    assert files_in(full_disk) == []
    assert _snapshot(registered) == before
    assert registered.stato == Stato.REGISTRATA


def test_a_database_error_after_the_files_leaves_nothing(
    registered, office_client, disk, monkeypatch
):
    def broken(*args, **kwargs):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(activation, "record", broken)
    before = _snapshot(registered)
    response = _post_activation(office_client, registered)
    assert response.status_code == 200
    assert "Il database non ha potuto registrare il caricamento" in response.content.decode()
    assert files_in(disk) == []
    assert _snapshot(registered) == before


def test_any_error_after_the_files_leaves_nothing_and_is_no_500(
    registered, office_client, disk, monkeypatch
):
    monkeypatch.setattr(
        activation.CasellaCall.objects, "create", lambda **kw: (_ for _ in ()).throw(KeyError("x"))
    )
    before = _snapshot(registered)
    response = _post_activation(office_client, registered)
    assert response.status_code == 200
    assert "nulla è stato salvato" in response.content.decode()
    assert files_in(disk) == []
    assert _snapshot(registered) == before


def test_a_successful_upload_keeps_its_files(registered, office_client, disk):
    response = _post_activation(office_client, registered)
    assert response.status_code == 200
    docs = Documento.objects.filter(casella=registered)
    assert docs.count() == 2
    assert sorted(str(p.relative_to(disk)) for p in files_in(disk)) == sorted(
        d.file.name for d in docs
    )


def test_a_second_upload_while_the_first_is_sent_writes_nothing(registered, disk):
    from django.core.exceptions import ValidationError

    from .conftest import checked

    first = activation.upload_documents(
        casella=registered,
        modulo=checked(pdf_bytes()),
        identita=checked(pdf_bytes("CI")),
        intent_key=str(uuid.uuid4()),
        user=None,
    )
    assert len(files_in(disk)) == 2
    with pytest.raises(ValidationError):
        activation.upload_documents(
            casella=Casella.objects.get(pk=registered.pk),
            modulo=checked(pdf_bytes()),
            identita=checked(pdf_bytes("CI")),
            intent_key=str(uuid.uuid4()),
            user=None,
        )
    assert CasellaCall.objects.filter(casella=registered, kind="attivazione").get() == first
    assert len(files_in(disk)) == 2


def test_a_full_disk_during_the_preservation_upload_leaves_nothing(
    pec, active_box, office_client, full_disk
):
    casella = active_box()
    url = reverse("mailboxes:conservazione", args=[casella.pk])
    step2 = office_client.post(url, {"spazio": 512, "step": "documenti"}).content.decode()
    key = step2.split('name="intent_key" value="', 1)[1].split('"', 1)[0]
    before = _snapshot(casella)
    response = office_client.post(
        url,
        {
            "spazio": 512,
            "step": "conferma",
            "intent_key": key,
            "modulo": upload("modulo.pdf", pdf_bytes("Modulo conservazione firmato")),
            "identita": upload("ci.pdf", pdf_bytes("CI")),
        },
    )
    assert response.status_code == 400
    assert FULL_DISK_MESSAGE in response.content.decode()
    assert files_in(full_disk) == []
    assert _snapshot(casella) == before
