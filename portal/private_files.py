"""The private storage (``STORAGES["default"]``: local disk or S3) seen from the rows that refer
to its files: an upload that fails leaves no file behind, and a sweep deletes the files no row
refers to (what a crash between writing a file and committing its row may still leave).

- :func:`uploading` wraps the writes of one upload (files, then the rows that name them, in a
  transaction). When the block fails (a full disk, S3 down, a database error, a bug), the files it
  wrote are deleted and a :class:`~django.core.exceptions.ValidationError` with a message for the
  user is raised instead; when it ends without an error but its rows were rolled back anyway (a
  double submit that found the first intent), the files no row names are deleted too.
- :func:`sweep` deletes the files under :data:`SWEPT_FOLDERS` that no row refers to and that are
  older than :data:`SWEEP_GRACE` (an upload in flight has its file before its row).
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, models
from django.utils import timezone
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

#: The folders uploads are written to (Documento.file, comunica.files, and the spreadsheets of
#: holders waiting between their import preview and the user's choice, which no row names and
#: which hold codici fiscali): the sweep looks only here, so a bucket shared with something else
#: loses nothing else.
SWEPT_FOLDERS = ("documenti", "comunica", "importazioni")
#: A file younger than this is never swept: its row may not be committed yet.
SWEEP_GRACE = dt.timedelta(hours=1)
#: CharFields that hold a private-storage name (FileFields on the default storage are found by
#: themselves).
NAME_FIELDS = (("comunica.ProcuraFirmata", "file"),)
#: Names compared with the database per query.
BATCH = 500
FULL_DISK = (errno.ENOSPC, errno.EDQUOT)


def reference_fields() -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every column that names a file of the private storage."""
    found = [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField) and field.storage is default_storage
    ]
    found += [(apps.get_model(label), name) for label, name in NAME_FIELDS]
    return found


def referenced(names: list[str]) -> set[str]:
    """Which of ``names`` some row refers to."""
    hits: set[str] = set()
    for start in range(0, len(names), BATCH):
        batch = names[start : start + BATCH]
        for model, field in reference_fields():
            hits.update(
                model._default_manager.filter(**{f"{field}__in": batch}).values_list(
                    field, flat=True
                )
            )
    return hits


def _delete(name: str) -> bool:
    try:
        default_storage.delete(name)
    except Exception:  # the sweep will find it; the user's answer must not depend on it
        log.warning("private storage: could not delete %s", name, exc_info=True)
        return False
    return True


class Written:
    """The files one upload wrote (see :func:`uploading`)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def save(self, name: str, data: bytes) -> str:
        """Write ``data`` under ``name`` (a generated, fresh name); returns the stored name. The
        name is remembered before writing: a write that fails half-way leaves a partial file
        (FileSystemStorage does not remove it), deleted with the others."""
        self.names.append(name)
        stored = default_storage.save(name, ContentFile(data))
        if stored != name:
            self.names.append(stored)
        return stored

    def discard(self, names: list[str] | None = None) -> None:
        for name in self.names if names is None else names:
            _delete(name)

    def discard_unreferenced(self) -> None:
        if self.names:
            kept = referenced(self.names)
            self.discard([n for n in self.names if n not in kept])


def failure_message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno in FULL_DISK:
        return _(
            "Spazio su disco esaurito: il file non è stato salvato e nulla è cambiato. "
            "Riprova più tardi o avvisa l'amministratore."
        )
    if isinstance(exc, DatabaseError):
        return _(
            "Il database non ha potuto registrare il caricamento: nulla è stato salvato. "
            "Riprova tra poco."
        )
    return _(
        "Il caricamento non è riuscito per un errore del server (archivio dei documenti "
        "non disponibile?): nulla è stato salvato. Riprova più tardi o avvisa l'amministratore."
    )


@contextmanager
def uploading() -> Iterator[Written]:
    """Wrap an upload's writes: ``with uploading() as written: name = written.save(...)``, then
    the transaction that records the rows naming those files, inside the block."""
    written = Written()
    try:
        yield written
    except ValidationError:  # a business refusal: nothing was recorded
        written.discard()
        raise
    except Exception as exc:
        written.discard()
        log.error("upload failed, %d file(s) removed", len(written.names), exc_info=True)
        raise ValidationError(failure_message(exc), code="storage") from exc
    written.discard_unreferenced()


def _walk(folder: str) -> Iterator[str]:
    try:
        dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in dirs:
        yield from _walk(f"{folder}/{sub}")


def sweep(*, now: dt.datetime | None = None, grace: dt.timedelta = SWEEP_GRACE) -> dict[str, int]:
    """Delete the files of :data:`SWEPT_FOLDERS` no row refers to, older than ``grace``.
    Returns figures: files seen, orphans deleted, orphans too young to delete."""
    now = now or timezone.now()
    figures = {"files": 0, "deleted": 0, "young": 0}
    for folder in SWEPT_FOLDERS:
        names = list(_walk(folder))
        figures["files"] += len(names)
        kept = referenced(names)
        for name in names:
            if name in kept:
                continue
            try:
                modified = default_storage.get_modified_time(name)
            except Exception:  # deleted meanwhile (S3 answers 404 as a ClientError)
                log.info("private storage: %s vanished during the sweep", name)
                continue
            if timezone.is_naive(modified):
                modified = timezone.make_aware(modified)
            if now - modified < grace:
                figures["young"] += 1
            elif _delete(name):
                figures["deleted"] += 1
    if figures["deleted"]:
        log.info("private storage: %(deleted)d orphan file(s) deleted", figures)
    return figures
