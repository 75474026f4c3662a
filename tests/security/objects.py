"""Objects of every kind the portal shows, with marker values a leak would reveal.

Used by the access matrix and the no-leak scan. The holder is assigned to one accountant only
(``assigned``); ``other`` is an accountant of another holder; ``norole`` has no group at all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts import roles

CF_HOLDER = "RSSMRA85T10A562S"  # Rossi Mario, M, 10/12/1985 (valid check character)
DOC_NUMBER = "CA99887XY"
MARKERS = ("Segreto Leak Srl", "leak-marker-box", CF_HOLDER, DOC_NUMBER, "Procura Segreta Spa")
PASSWORD = "correct-horse-battery"


def minimal_pdf(text: str = "documento") -> bytes:
    from pec_sandbox.pdf import make_pdf

    return make_pdf(text, [str(uuid.uuid4())])


@dataclass
class World:
    office: Any
    superuser: Any
    assigned: Any
    other: Any
    norole: Any
    titolare: Any
    other_titolare: Any
    casella: Any
    documento: Any
    call: Any
    evento: Any
    richiesta: Any
    procura: Any
    comunica_call: Any


def user(username: str, *groups: str, **extra):
    User = get_user_model()
    email = extra.pop("email", f"{username}@example.com")
    u = User.objects.create_user(username, email, PASSWORD, **extra)
    # get_or_create: a transactional test before this one may have flushed the migration's groups
    u.groups.add(*(Group.objects.get_or_create(name=g)[0] for g in groups))
    return u


def richiedente_data(**kw) -> dict:
    today = dt.date.today()
    data = {
        "nome": "Mario",
        "cognome": "Rossi",
        "codice_fiscale": CF_HOLDER,
        "data_nascita": dt.date(1985, 12, 10),
        "sesso": "M",
        "nazione_nascita": "IT",
        "comune_nascita": "Roma",
        "provincia_nascita": "RM",
        "email": "mario.rossi@example.com",
        "telefono": "061234567",
        "cellulare": "",
        "tipo_documento": "CARTA_D_IDENTITA",
        "numero_documento": DOC_NUMBER,
        "documento_rilasciato_da": "Comune di Roma",
        "data_rilascio_documento": today - dt.timedelta(days=400),
        "data_scadenza_documento": today + dt.timedelta(days=2000),
    }
    data.update(kw)
    return data


def titolare(**kw):
    from mailboxes.models import Titolare

    data = {
        "tipo_cliente": "IM",
        "sottotipo_cliente": "SI",
        "denominazione": "Segreto Leak Srl",
        "codice_fiscale": "00743110157",
        "partita_iva": "00743110157",
        "indirizzo": "Via Roma 1",
        "comune": "Roma",
        "cap": "00100",
        "provincia": "RM",
        "nazione": "IT",
        "email": "info@segreto.example",
    }
    data.update(kw)
    return Titolare.objects.create(**data)


def build_world() -> World:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from comunica.models import ComunicaCall, ProcuraFirmata, RichiestaComunicazione
    from mailboxes.models import Casella, CasellaCall, Documento, Evento, Richiedente

    office = user("ufficio", roles.OFFICE)
    superuser = user("root", is_superuser=True, is_staff=True)
    assigned = user("comm-assegnato", roles.ACCOUNTANT)
    other = user("comm-altro", roles.ACCOUNTANT)
    norole = user("senza-ruolo")

    t = titolare()
    t.commercialisti.set([assigned])
    other_t = titolare(
        denominazione="Altro Cliente Srl", codice_fiscale="01234567897", partita_iva=""
    )
    other_t.commercialisti.set([other])

    casella = Casella.objects.create(
        titolare=t,
        remote_id=uuid.uuid4().hex[:24],
        casella_pec="leak-marker-box@legalmail.it",
        tipo_casella="STANDARD",
        stato="registrata",
        registered_by=office,
    )
    Richiedente.objects.create(casella=casella, **richiedente_data())
    documento = Documento(
        casella=casella, tipo="identita", nome_originale="carta.pdf", uploaded_by=assigned
    )
    content = minimal_pdf("Carta d'identita segreta")
    documento.dimensione = len(content)
    documento.file.save("x.pdf", ContentFile(content), save=False)
    documento.save()
    call = CasellaCall.objects.create(
        casella=casella,
        kind="registrazione",
        intent_key=str(uuid.uuid4()),
        params={"casella_pec": casella.casella_pec},
        state="done",
    )
    evento = Evento.objects.create(casella=casella, tipo="stato", messaggio="registrata")

    richiesta = RichiestaComunicazione.objects.create(
        remote_id=uuid.uuid4().hex[:24],
        casella_pec="leak-marker-box@legalmail.it",
        pec_amministratore=False,
        ragione_sociale="Procura Segreta Spa",
        cf_piva="00743110157",
        comune="Roma",
        provincia="RM",
        cf=CF_HOLDER,
        nome="Mario",
        cognome="Rossi",
        qualifica="LEGALE_RAPPRESENTANTE",
        email="mario.rossi@example.com",
        cellulare="3471234567",
        stato="in_attesa_di_documenti",
        titolare=t,
        casella=casella,
        created_by=office,
    )
    procura = ProcuraFirmata.objects.create(
        richiesta=richiesta,
        file=default_storage.save("comunica/matrix.p7m", ContentFile(b"0\x80 signed")),
        nome_originale="procura.p7m",
        size=10,
        certificato_soggetto="CN=MARIO ROSSI",
        certificato_emittente="CN=Test CA",
    )
    comunica_call = ComunicaCall.objects.create(
        richiesta=richiesta, kind="create", intent_key=str(uuid.uuid4()), state="done"
    )
    AccessAttempt.objects.create(
        username="x", ip_address="127.0.0.1", user_agent="t", failures_since_start=1
    )
    AccessLog.objects.create(username="x", ip_address="127.0.0.1", user_agent="t")
    AccessFailureLog.objects.create(username="x", ip_address="127.0.0.1", user_agent="t")
    return World(
        office=office,
        superuser=superuser,
        assigned=assigned,
        other=other,
        norole=norole,
        titolare=t,
        other_titolare=other_t,
        casella=casella,
        documento=documento,
        call=call,
        evento=evento,
        richiesta=richiesta,
        procura=procura,
        comunica_call=comunica_call,
    )
