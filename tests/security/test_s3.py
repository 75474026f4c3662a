"""S3 for real: django-storages on moto's S3 server (a real HTTP endpoint on a loopback port).

The storage options are the ones portal/settings.py builds from the AWS_* environment (read in a
subprocess, so the production branch of the settings is what is tested), pointed at the local
server. Checked: uploads land in the bucket under generated names, private (no public grant, an
anonymous GET refused) and encrypted; the download page streams the file after the access
check (never a redirect to the bucket); signed URLs expire within 60 s; the purge at the end of
the retention period deletes the object from the bucket.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client, override_settings
from django.utils import timezone

from tests import figures

from .objects import build_world

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "pec-portal-documenti"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def production_storage_options(s3_server, tmp_path_factory):
    """STORAGES['default'] as portal/settings.py builds it from the AWS_* variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "AWS_", "DATABASE_", "REDIS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATA_DIR=str(tmp_path_factory.mktemp("s3-settings")),
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_S3_REGION_NAME="eu-south-1",
        AWS_S3_ENDPOINT_URL=s3_server,
    )
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    proc = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    storage = json.loads(proc.stdout.strip().splitlines()[-1])
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    return storage


@pytest.fixture
def s3(s3_server, production_storage_options, settings):
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="eu-south-1",
    )
    bucket = f"{BUCKET}-{uuid.uuid4().hex[:8]}"
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-south-1"}
    )
    storage = json.loads(json.dumps(production_storage_options))
    storage["OPTIONS"]["bucket_name"] = bucket
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(STORAGES={**settings.STORAGES, "default": storage}):
        yield client, bucket, s3_server, storage["OPTIONS"]


def _keys(client, bucket) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def _upload_documents(world):
    """Identity document and signed form, through the service, as the upload page does."""
    from mailboxes.services import activation
    from portal.pdf import check_pdf

    from .corpus import good_pdf

    modulo, identita = good_pdf("Modulo firmato S3"), good_pdf("Carta d'identita S3")
    activation.upload_documents(
        casella=world.casella,
        modulo=check_pdf(io.BytesIO(modulo)),
        identita=check_pdf(io.BytesIO(identita)),
        intent_key=str(uuid.uuid4()),
        user=world.office,
    )
    return modulo, identita


def test_uploads_are_private_encrypted_objects_with_generated_names(s3):
    from mailboxes.models import Documento

    client, bucket, endpoint, options = s3
    world = build_world()  # its first document is written to the bucket too
    modulo, identita = _upload_documents(world)
    # (the procura of build_world is in the bucket too, under comunica/)
    keys = [k for k in _keys(client, bucket) if k.startswith("documenti/")]
    docs = list(Documento.objects.exclude(file=""))
    assert sorted(d.file.name for d in docs) == sorted(keys)
    refused = 0
    for key in keys:
        assert key.startswith("documenti/") and key.endswith(".pdf")
        grants = client.get_object_acl(Bucket=bucket, Key=key)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
        assert all(g["Grantee"]["Type"] == "CanonicalUser" for g in grants), grants
        assert client.head_object(Bucket=bucket, Key=key)["ServerSideEncryption"] == "AES256"
        anonymous = requests.get(f"{endpoint}/{bucket}/{key}", timeout=5)
        assert anonymous.status_code == 403
        refused += 1
    stored = {client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}
    assert {modulo, identita} <= stored
    assert options["default_acl"] == "private" and options["file_overwrite"] is False
    figures.record(
        "S3 (moto server)",
        f"{len(keys)} objects private + AES256, {refused} anonymous GETs refused (403)",
    )


def test_the_download_page_streams_from_the_bucket_after_the_access_check(s3):
    from mailboxes.models import Documento

    client, bucket, endpoint, _options = s3
    world = build_world()
    _upload_documents(world)
    doc = Documento.objects.filter(tipo="identita").exclude(file="").latest("pk")
    c = Client()
    c.force_login(world.office, backend="django.contrib.auth.backends.ModelBackend")
    response = c.get(f"/caselle/documenti/{doc.pk}/")
    assert response.status_code == 200  # streamed by the portal, not a redirect to S3
    body = b"".join(response.streaming_content)
    assert body == client.get_object(Bucket=bucket, Key=doc.file.name)["Body"].read()
    assert endpoint not in str(response.headers)
    other = Client()
    other.force_login(world.other, backend="django.contrib.auth.backends.ModelBackend")
    assert other.get(f"/caselle/documenti/{doc.pk}/").status_code == 404


def test_signed_urls_are_short_lived(s3):
    from django.core.files.storage import default_storage

    name = default_storage.save(f"documenti/probe-{uuid.uuid4().hex}.pdf", io.BytesIO(b"%PDF-x"))
    url = default_storage.url(name)
    query = parse_qs(urlsplit(url).query)
    if "X-Amz-Expires" in query:  # SigV4
        lifetime = int(query["X-Amz-Expires"][0])
    else:  # SigV2: an absolute Expires timestamp
        lifetime = int(query["Expires"][0]) - int(time.time())
    assert 0 < lifetime <= 60, url
    assert requests.get(url, timeout=5).status_code == 200
    unsigned = url.split("?", 1)[0]
    assert requests.get(unsigned, timeout=5).status_code == 403
    figures.record("S3 signed URLs", f"expire after {lifetime}s (querystring_expire=60)")


def test_purge_at_retention_deletes_the_object_from_the_bucket(s3, settings):
    from mailboxes.models import Casella, Documento, Evento
    from mailboxes.services import retention

    client, bucket, _endpoint, _options = s3
    world = build_world()
    _upload_documents(world)
    days = settings.ID_DOCUMENT_RETENTION_DAYS
    identity = list(Documento.objects.filter(tipo="identita").exclude(file=""))
    modulo = Documento.objects.filter(tipo="modulo").exclude(file="").get()
    activated = timezone.now()
    Casella.objects.filter(pk=world.casella.pk).update(stato="evasa", evasa_at=activated)

    # one day before the end of the retention period: nothing is deleted
    assert retention.purge_documents(now=activated + dt.timedelta(days=days - 1)) == 0
    assert all(d.file.name in _keys(client, bucket) for d in identity)

    # at the end of it: the identity documents' objects are gone from the bucket
    purged = retention.purge_documents(now=activated + dt.timedelta(days=days, minutes=1))
    assert purged == len(identity)
    keys = _keys(client, bucket)
    for doc in identity:
        assert doc.file.name not in keys
        doc.refresh_from_db()
        assert not doc.file and doc.deleted_at is not None and doc.deleted_reason
    assert modulo.file.name in keys  # the signed form is not an ID document
    assert Evento.objects.filter(casella=world.casella, tipo="eliminazione").count() == purged
    # and running the purge again is harmless
    assert retention.purge_documents(now=activated + dt.timedelta(days=days + 5)) == 0
    figures.record(
        "retention (S3)",
        f"{purged} ID documents deleted from the bucket at day {days}, 0 at day {days - 1}",
    )


def test_the_sweep_deletes_orphan_objects_from_the_bucket(s3):
    """An object no row refers to (a crash between the upload and its row) is deleted once
    older than the grace period; the objects rows refer to, and fresh ones, stay."""
    from django.core.files.storage import default_storage

    from portal import private_files

    client, bucket, _endpoint, _options = s3
    world = build_world()
    _upload_documents(world)
    referenced = _keys(client, bucket)
    orphan = default_storage.save(f"documenti/2020/01/{uuid.uuid4().hex}.pdf", io.BytesIO(b"%PDF"))
    # now: the orphan is fresh (an upload may be in flight) and stays
    assert private_files.sweep()["deleted"] == 0
    assert orphan in _keys(client, bucket)
    later = timezone.now() + private_files.SWEEP_GRACE + dt.timedelta(minutes=1)
    swept = private_files.sweep(now=later)
    assert swept["deleted"] == 1
    assert sorted(_keys(client, bucket)) == sorted(referenced)
    figures.record(
        "sweep (S3)",
        f"{swept['files']} objects listed, 1 orphan deleted, {len(referenced)} referenced kept",
    )
