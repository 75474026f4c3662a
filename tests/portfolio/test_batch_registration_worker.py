"""The batch registration of an imported file with a real Celery worker (and beat) against the
sandbox losing 30% of its answers after performing the call: one charge per row, every box
registered, the confirmation sent twice records nothing new, the same file imported again asks
for nothing."""

from __future__ import annotations

import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mailboxes.models import Casella, CasellaCall, Stato
from mailboxes.services.address import expected_domain
from mailboxes.services.registration import registration_price
from portfolio.services import batch_registration, import_boxes, importing
from tests import figures
from tests.mailboxes.conftest import pec  # noqa: F401 (the portal pointed at the sandbox)
from tests.mailboxes.test_worker_integration import wait_for

from .test_import import piva

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

N = 20
REQUESTER = {
    "r_cognome": "Rossi",
    "r_nome": "Mario",
    "r_codice_fiscale": "rssmra80a01h501u",
    "r_sesso": "M",
    "r_data_nascita": "01/01/1980",
    "r_nazione_nascita": "IT",
    "r_comune_nascita": "Roma",
    "r_provincia_nascita": "RM",
    "r_email": "mario.rossi@esempio.it",
    "r_telefono": "0612345678",
    "r_tipo_documento": "CARTA_D_IDENTITA",
    "r_numero_documento": "CA12345AB",
    "r_documento_rilasciato_da": "Comune di Roma",
    "r_data_rilascio_documento": "01/01/2024",
    "r_data_scadenza_documento": "01/01/2034",
}


def the_file() -> bytes:
    keys = [c.field for c in (*importing.HOLDER_COLUMNS, *import_boxes.COLUMNS)]
    header = importing.template_rows()[0]
    run = uuid.uuid4().hex[:6]
    domain = expected_domain("STANDARD")
    rows = []
    for i in range(N):
        code = piva(9000 + i)
        row = {
            "tipo_cliente": "IM",
            "sottotipo_cliente": "SI",
            "denominazione": f"Lotto Nicolò {i} Srl",
            "codice_fiscale": code,
            "partita_iva": code,
            "indirizzo": "Via Roma 1",
            "cap": "00184",
            "comune": "Roma",
            "provincia": "RM",
            "nazione": "IT",
            "casella_pec": f"lotto{i}-{run}@{domain}",
            "tipo_casella": "STANDARD",
            **REQUESTER,
        }
        rows.append(row)
    rows.append(
        {
            "codice_fiscale": piva(9000),
            "casella_pec": f"aruba-{run}@pec.it",
            "gestore": "Aruba",
            "data_scadenza": "31/12/2027",
        }
    )
    lines = [";".join(header)] + [";".join(r.get(k, "") for k in keys) for r in rows]
    return "\ufeff".encode() + "\r\n".join(lines).encode()


def upload(client, content):
    return client.post("/portafoglio/importa/", {"file": SimpleUploadedFile("lotto.csv", content)})


def test_batch_registration_charges_once_per_row_when_answers_are_lost(
    pec,  # noqa: F811
    celery_worker_process,
    celery_beat_process,
    client,
    office,
):
    pec.set_credit(1000)
    content = the_file()
    client.force_login(office)
    assert len(upload(client, content).context["preview"].to_register) == N
    response = client.post("/portafoglio/importa/", {"modo": "tutto"})
    assert response.url == "/portafoglio/importa/registrazioni/"
    assert Casella.objects.filter(gestore="aruba").count() == 1

    page = client.get("/portafoglio/importa/registrazioni/")
    total = registration_price("STANDARD") * N
    assert page.context["plan"].total == total and page.context["wallet"].credit == 1000
    html = page.content.decode()
    assert f"{page.context['total_text']} € + IVA" in html and 'id="credito"' in html
    lotto = page.context["lotto"]

    pec.set_faults(lost_rate=0.3)
    started = time.monotonic()
    response = client.post("/portafoglio/importa/registrazioni/", {"lotto": lotto})
    assert response.url == f"/portafoglio/importa/registrazioni/?lotto={lotto}"
    # The same confirmation again (a double click): nothing new recorded.
    again = client.post("/portafoglio/importa/registrazioni/", {"lotto": lotto}, follow=True)
    assert "nessun nuovo addebito" in again.content.decode()
    assert CasellaCall.objects.count() == N
    live = client.get(f"/portafoglio/importa/registrazioni/avanzamento/?lotto={lotto}")
    assert live.status_code == 200

    wait_for(
        lambda: batch_registration.progress(lotto).done == N, timeout=240, what="N registrations"
    )
    elapsed = time.monotonic() - started
    pec.clear_faults()
    final = client.get(f"/portafoglio/importa/registrazioni/avanzamento/?lotto={lotto}")
    assert 'data-open="0"' in final.content.decode() and "hx-get" not in final.content.decode()
    charges = [c for c in pec.charges() if c["operation"] == "registrazione"]
    posts = [c for c in pec.calls() if c["method"] == "POST" and c["path"] == "/pec"]
    lost = [c for c in pec.calls() if c.get("fault") == "lost"]
    figures.record(
        "batch registration",
        f"{N} rows imported and confirmed once (twice submitted), lost_rate 0.3: "
        f"{len(lost)} answers lost, {len(posts)} POST /pec, {len(charges)} charges, "
        f"all registered in {elapsed:.0f}s (real worker)",
    )
    assert len(charges) == N and len({c["id"] for c in charges}) == N
    assert len(posts) == N  # never sent twice
    assert Casella.objects.filter(stato=Stato.REGISTRATA, gestore="openapi").count() == N
    assert CasellaCall.objects.exclude(state="done").count() == 0

    # The same file again: nothing to import, nothing to register.
    result = upload(client, content).context["preview"]
    assert result.valid == 0 and not result.to_register
