"""Where the signed procure are kept: the portal's private storage (never under a URL).

A thin adapter over :mod:`portal.private_files`, so the rest of the app has one small API:
``save(data) -> name``, ``read(name) -> bytes``, ``delete(name)``, ``serve(name, filename)``.
Until that module is present the same is done directly on ``default_storage`` (private: it has
no base URL), with generated names.
"""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils import timezone

try:
    from portal import private_files
except ImportError:  # pragma: no cover - the shared module is being written
    private_files = None

CONTENT_TYPE = "application/pkcs7-mime"


def _name() -> str:
    return f"comunica/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.p7m"


def save(data: bytes) -> str:
    if private_files is not None and hasattr(private_files, "save_private"):
        return private_files.save_private(data, name=_name())
    return default_storage.save(_name(), ContentFile(data))


def read(name: str) -> bytes:
    if private_files is not None and hasattr(private_files, "read_private"):
        return private_files.read_private(name)
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def delete(name: str) -> None:
    if private_files is not None and hasattr(private_files, "delete_private"):
        private_files.delete_private(name)
        return
    default_storage.delete(name)


def serve(name: str, filename: str):
    if private_files is not None and hasattr(private_files, "serve_private"):
        return private_files.serve_private(name, filename=filename, content_type=CONTENT_TYPE)
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
