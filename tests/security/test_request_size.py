"""Request bodies over REQUEST_MAX_BYTES are refused by their announced size, before parsing.

An anonymous 2 GB multipart POST used to be read in full and written to the upload temp folder.
"""

from __future__ import annotations

import io
import socket

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from portal.middleware import RequestSizeLimitMiddleware

pytestmark = pytest.mark.django_db

TWO_GB = 2 * 1024**3


class WatchedBody(io.RawIOBase):
    """A request body that records whether anyone read from it."""

    def __init__(self):
        self.bytes_read = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = b"--x\r\n"[: len(buffer)]
        buffer[: len(chunk)] = chunk
        self.bytes_read += len(chunk)
        return len(chunk)


@pytest.fixture
def upload_temp_dir(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def huge_post(client: Client, url: str, **headers):
    body = WatchedBody()
    environ = {
        "CONTENT_TYPE": "multipart/form-data; boundary=x",
        "CONTENT_LENGTH": str(TWO_GB),
        "wsgi.input": body,
        **headers,
    }
    response = client.generic("POST", url, **environ)
    return response, body


URLS = [
    "/account/login/",  # anonymous
    "/caselle/nuova/",  # the upload pages
    "/caselle/1/documenti/",
    "/comunica/nuova/",
    "/comunica/1/procura/",
    "/caselle/1/callback/anything/",  # Openapi's callbacks
    "/healthz",
]


@pytest.mark.parametrize("url", URLS)
def test_a_2_gb_post_is_refused_unread(url, upload_temp_dir, office_user):
    client = Client(raise_request_exception=False)
    if url != "/account/login/":
        client.force_login(office_user)
    response, body = huge_post(client, url)
    assert response.status_code == 413
    page = response.content.decode()
    assert "Richiesta troppo grande" in page and "Request too large" in page
    assert "30 MB" in page  # 3 x PDF_MAX_BYTES
    assert body.bytes_read == 0
    assert list(upload_temp_dir.iterdir()) == []


def test_a_body_of_unknown_size_is_refused_unread(upload_temp_dir):
    body = WatchedBody()
    response = Client().generic(
        "POST",
        "/account/login/",
        CONTENT_TYPE="multipart/form-data; boundary=x",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": body},
    )
    assert response.status_code == 411
    assert "Content-Length" in response.content.decode()
    assert body.bytes_read == 0
    assert list(upload_temp_dir.iterdir()) == []


def test_the_limit_is_the_largest_upload(settings):
    """Two PDFs of the largest size and the form fit; one byte over the limit does not."""
    assert settings.REQUEST_MAX_BYTES >= 2 * settings.PDF_MAX_BYTES + 1024 * 1024
    passed = RequestSizeLimitMiddleware(lambda request: HttpResponse("through"))
    factory = RequestFactory()
    at_limit = factory.post("/caselle/nuova/", CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES))
    over = factory.post("/caselle/nuova/", CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1))
    assert passed(at_limit).content == b"through"
    assert passed(over).status_code == 413


def test_a_streaming_client_gets_413_after_the_headers(live_server, upload_temp_dir):
    """A real socket: the answer comes before the body is sent, and nothing is written."""
    host, port = live_server.thread.host, live_server.thread.port
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(
            b"POST /account/login/ HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            + f"Content-Length: {TWO_GB}\r\n\r\n".encode()
            + b"--x\r\n" * 1000
        )
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert list(upload_temp_dir.iterdir()) == []
