"""Fixtures of the mailboxes tests: the portal pointed at the sandbox, holders, PDFs."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest

from pec_sandbox.pdf import make_pdf

CF_MARIO = "RSSMRA85T10A562S"  # Rossi Mario, M, 10/12/1985
PIVA = "00743110157"


@pytest.fixture
def pec(settings, sandbox):
    """The portal talks to the (reset) test sandbox."""
    from django.core.cache import cache

    settings.OPENAPI_PEC_URL = sandbox.url
    settings.OPENAPI_OAUTH_URL = sandbox.url
    settings.OPENAPI_TOKEN = "demo-token"
    settings.OPENAPI_EMAIL = ""
    settings.OPENAPI_APIKEY = ""
    settings.OPENAPI_TIMEOUT = 3.0
    cache.clear()
    return sandbox


@pytest.fixture
def make_titolare(db):
    from mailboxes.models import Titolare

    def make(**kw):
        data = {
            "tipo_cliente": "IM",
            "sottotipo_cliente": "SI",
            "denominazione": "Studio Demo Srl",
            "codice_fiscale": PIVA,
            "partita_iva": PIVA,
            "indirizzo": "Via Roma 1",
            "comune": "Roma",
            "cap": "00100",
            "provincia": "RM",
            "nazione": "IT",
            "email": "info@studio-demo.it",
        }
        data.update(kw)
        commercialisti = data.pop("commercialisti", [])
        titolare = Titolare.objects.create(**data)
        titolare.commercialisti.set(commercialisti)
        return titolare

    return make


def richiedente_data(**kw) -> dict:
    today = dt.date.today()
    data = {
        "nome": "Mario",
        "cognome": "Rossi",
        "codice_fiscale": CF_MARIO,
        "data_nascita": dt.date(1985, 12, 10),
        "sesso": "M",
        "nazione_nascita": "IT",
        "comune_nascita": "Roma",
        "provincia_nascita": "RM",
        "email": "mario.rossi@example.com",
        "telefono": "061234567",
        "cellulare": "",
        "tipo_documento": "CARTA_D_IDENTITA",
        "numero_documento": "CA12345AB",
        "documento_rilasciato_da": "Comune di Roma",
        "data_rilascio_documento": today - dt.timedelta(days=400),
        "data_scadenza_documento": today + dt.timedelta(days=2000),
    }
    data.update(kw)
    return data


def richiedente_post(prefix="r", **kw) -> dict:
    out = {}
    for key, value in richiedente_data(**kw).items():
        if isinstance(value, dt.date):
            value = value.isoformat()
        out[f"{prefix}-{key}"] = value
    return out


def pdf_bytes(text="Modulo firmato") -> bytes:
    return make_pdf(text, ["Firmato dal richiedente", str(uuid.uuid4())])


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def checked(content: bytes, name="doc.pdf"):
    from portal.pdf import check_pdf

    return check_pdf(io.BytesIO(content) if not hasattr(content, "read") else content)


@pytest.fixture
def make_casella(db, make_titolare, office_user):
    """A box recorded through the service (registration intent included, not yet run)."""
    from mailboxes.models import Titolare
    from mailboxes.services import registration
    from openapi_pec.domains import SANDBOX_DOMAINS

    def make(tipo="STANDARD", address=None, titolare=None, user=None):
        address = address or f"box-{uuid.uuid4().hex[:10]}@{SANDBOX_DOMAINS[tipo]}"
        titolare = titolare or Titolare.objects.filter(codice_fiscale=PIVA).first()
        return registration.register_casella(
            titolare=titolare or make_titolare(),
            tipo_casella=tipo,
            casella_pec=address,
            richiedente=richiedente_data(),
            autorinnovo=False,
            intent_key=str(uuid.uuid4()),
            user=user or office_user,
        )

    return make


def run_calls(casella) -> list[str]:
    """Run the box's open calls in this process, as the worker would."""
    from mailboxes.calls import handler_for
    from mailboxes.models import CasellaCall
    from portal.remote_calls import OPEN_STATES, run_call

    states = []
    for call in CasellaCall.objects.filter(casella=casella, state__in=OPEN_STATES):
        states.append(run_call(CasellaCall, call.pk, handler_for(call.kind)))
    return states
