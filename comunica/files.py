"""Where the signed procure are kept: the portal's private storage (``STORAGES["default"]``:
no base URL, files 0600, S3 private ACL in production), under generated names, served only by
the checked view comunica.views.procura_file.

One small API for the app: ``save(written, data) -> name`` (inside
``portal.private_files.uploading()``, which deletes the file if the upload fails),
``read(name) -> bytes``, ``delete(name)``, ``serve(name, filename)``.
"""

from __future__ import annotations

import uuid

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils import timezone

from portal.private_files import Written

CONTENT_TYPE = "application/pkcs7-mime"


def _name() -> str:
    """A generated name: nothing of the uploaded file's name or of the person reaches disk."""
    return f"comunica/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.p7m"


def save(written: Written, data: bytes) -> str:
    return written.save(_name(), data)


def read(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def delete(name: str) -> None:
    default_storage.delete(name)


def serve(name: str, filename: str) -> FileResponse:
    if not default_storage.exists(name):
        raise FileNotFoundError(name)
    response = FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPE,
    )
    response["Cache-Control"] = "no-store"
    return response
