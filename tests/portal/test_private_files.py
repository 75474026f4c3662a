"""The sweep of the private storage: files no row refers to (left by a crash between writing a
file and committing its row) are deleted once older than the grace period; files a row refers
to, fresh files (an upload in flight) and files outside the upload folders are kept. On S3 too:
tests/security/test_s3.py."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.utils import timezone

from portal import private_files
from tests.security.objects import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def disk(tmp_path, settings):
    storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path), "base_url": None},
    }
    with override_settings(STORAGES={**settings.STORAGES, "default": storage}):
        yield tmp_path


def _age(name: str, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(default_storage.path(name), (then, then))


def _exists(name: str) -> bool:
    return default_storage.exists(name)


def test_the_sweep_deletes_old_orphans_and_keeps_the_rest(disk):
    from mailboxes.models import Documento

    world = build_world()  # a Documento and a ProcuraFirmata, each with its file
    purged = Documento.objects.create(casella=world.casella, tipo="identita", file="")
    referenced = [world.documento.file.name, world.procura.file]
    orphans = [
        default_storage.save("documenti/2020/01/orfano.pdf", ContentFile(b"%PDF scan")),
        default_storage.save("comunica/2020/01/orfano.p7m", ContentFile(b"0\x80")),
    ]
    young = default_storage.save("documenti/2026/01/in-volo.pdf", ContentFile(b"%PDF"))
    elsewhere = default_storage.save("altro/non-mio.txt", ContentFile(b"x"))
    for name in [*referenced, *orphans, elsewhere]:
        _age(name, 48)

    figures = private_files.sweep()

    assert figures == {"files": 5, "deleted": 2, "young": 1}
    assert not any(_exists(n) for n in orphans)
    assert all(_exists(n) for n in [*referenced, young, elsewhere])
    assert Documento.objects.filter(pk=purged.pk).exists()
    # the fresh one goes once it is older than the grace period
    later = timezone.now() + private_files.SWEEP_GRACE + dt.timedelta(minutes=1)
    assert private_files.sweep(now=later)["deleted"] == 1
    assert not _exists(young)
    assert all(_exists(n) for n in referenced)


def test_the_sweep_is_a_periodic_task():
    from django.conf import settings

    from portal import tasks

    tasks_in_beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "portal.sweep_private_files" in tasks_in_beat
    assert tasks.sweep_private_files.name == "portal.sweep_private_files"


def test_the_sweep_of_an_empty_storage_finds_nothing(disk):
    assert tasks_sweep() == {"files": 0, "deleted": 0, "young": 0}


def tasks_sweep():
    from portal import tasks

    return tasks.sweep_private_files()


def test_an_abandoned_import_file_is_swept_after_the_grace_period(disk):
    """A spreadsheet of holders left between its preview and the user's choice (codici fiscali
    in it) does not stay in the private storage."""
    pending = default_storage.save("importazioni/abbandonato", ContentFile(b"codice_fiscale;nome"))
    assert private_files.sweep()["deleted"] == 0  # the user may still choose
    _age(pending, 2)
    assert private_files.sweep()["deleted"] == 1
    assert not _exists(pending)
