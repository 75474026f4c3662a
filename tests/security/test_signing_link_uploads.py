"""The hostile corpus through the client's signing link: the same refusal, with the same message,
as the office's upload pages (the link's pages use the office's forms); nothing stored, nothing
sent to Openapi, the link still usable."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from . import corpus
from .test_hostile_files import (
    P7M_VIEW_CASES,
    VIEW_CASES,
    _pdf_message,
    _richiesta_for_upload,
    _stored_files,
    box,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def _link(world, scopo: str):
    from signing import services
    from signing.models import Scopo

    if scopo == Scopo.PROCURA:
        return services.create_link(
            scopo=scopo, user=world.office, richiesta=_richiesta_for_upload(world)
        )
    return services.create_link(scopo=scopo, user=world.office, casella=world.casella)


@pytest.fixture
def anonymous(settings):
    settings.SIGNING_LINK_RATE = 100_000  # throttling: tests/signing/test_links.py
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(("label", "name", "make", "code"), VIEW_CASES)
def test_hostile_pdf_through_the_link(box, anonymous, label, name, make, code):  # noqa: F811
    from mailboxes.models import CasellaCall, Documento
    from signing.models import LinkFirma

    world, _office, sandbox = box
    new = _link(world, "attivazione")
    before = _stored_files()
    hostile = SimpleUploadedFile(name, make(), content_type="application/pdf")
    good = SimpleUploadedFile("carta.pdf", corpus.good_pdf("Carta"), content_type="application/pdf")
    response = anonymous.post(
        new.path, {"modulo": hostile, "identita": good, "intent_key": str(uuid.uuid4())}
    )
    page = response.content.decode()
    if hostile.size > django_settings.REQUEST_MAX_BYTES:
        assert response.status_code == 413, label
    else:
        assert response.status_code == 400, label
        expected = _pdf_message(code)
        if code == "empty":
            from django import forms

            expected = str(forms.FileField.default_error_messages["empty"])
        assert escape(expected) in page, f"{label}: {expected!r} not on the link's page"
    assert Documento.objects.count() == 0
    assert CasellaCall.objects.filter(kind="attivazione").count() == 0
    assert _stored_files() == before
    assert sandbox.calls() == []
    assert LinkFirma.objects.get(pk=new.link.pk).used_at is None
    assert anonymous.get(new.path).status_code == 200  # still usable


@pytest.mark.parametrize(("label", "name", "make", "code"), P7M_VIEW_CASES)
def test_hostile_p7m_through_the_link(box, anonymous, label, name, make, code):  # noqa: F811
    from comunica.models import ComunicaCall, ProcuraFirmata
    from comunica.p7m import MESSAGES

    world, _office, sandbox = box
    new = _link(world, "procura")
    procure = ProcuraFirmata.objects.count()
    before = _stored_files()
    response = anonymous.post(
        new.path, {"file": SimpleUploadedFile(name, make()), "intent_key": str(uuid.uuid4())}
    )
    assert response.status_code == 400, label
    page = response.content.decode()
    own = str(MESSAGES[code]).split("%(")[0]
    if code == "empty":
        from django import forms

        own = str(forms.FileField.default_error_messages["empty"])
    assert escape(own) in page, f"{label}: {own!r} not on the link's page"
    assert ProcuraFirmata.objects.count() == procure
    assert ComunicaCall.objects.filter(kind="upload").count() == 0
    assert _stored_files() == before
    assert sandbox.calls() == []
