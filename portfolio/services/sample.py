"""A sample portfolio for the demo (``SAMPLE=1 make run``, or ``manage.py sample_portfolio``):
holders of every kind, boxes in several states seeded at the built-in sandbox and imported by
the portal's own sync, and a comunica request on its way. Only against the demo's sandbox, and
only once (a second run finds the sample's holders and does nothing)."""

from __future__ import annotations

import uuid

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from accounts import roles
from comunica.services import creation
from mailboxes.models import Casella, Titolare
from mailboxes.services import sync

#: (slug, ragione sociale / nome cognome, tipo, sottotipo, codice fiscale, partita IVA, comune,
#: provincia, cap)
HOLDERS = [
    (
        "rossibianchi",
        "Rossi & Bianchi Srl",
        "IM",
        "SI",
        "00743110157",
        "00743110157",
        "Milano",
        "MI",
        "20121",
    ),
    (
        "ferraricostruzioni",
        "Ferrari Costruzioni Spa",
        "IM",
        "ED",
        "01234560017",
        "01234560017",
        "Torino",
        "TO",
        "10121",
    ),
    (
        "altavalle",
        "Comunità Montana Alta Valle",
        "PL",
        "LM",
        "80012340018",
        "",
        "Sondrio",
        "SO",
        "23100",
    ),
    (
        "mario.rossi",
        "Mario Rossi",
        "PS",
        "PC",
        "RSSMRA85T10A562S",
        "12345678903",
        "Roma",
        "RM",
        "00184",
    ),
]
#: Boxes seeded at the sandbox: (holder's slug, status, type).
BOXES = [
    ("rossibianchi", "evasa", "STANDARD"),
    ("rossibianchi", "evasa", "GOLD"),
    ("rossibianchi", "registrata", "STANDARD"),
    ("rossibianchi", "in_evasione", "STANDARD"),
    ("ferraricostruzioni", "evasa", "SILVER"),
    ("ferraricostruzioni", "documenti_errati", "STANDARD"),
    ("ferraricostruzioni", "revocata", "STANDARD"),
    ("altavalle", "evasa", "STANDARD"),
    ("altavalle", "registrata", "STANDARD"),
    ("mario.rossi", "evasa", "DOMICILIODIGITALE"),
    ("mario.rossi", "registrata", "STANDARD"),
]
#: The demo accountant (the demo administrator's password) follows these holders.
ACCOUNTANT = "commercialista"
ACCOUNTANT_HOLDERS = ("rossibianchi", "ferraricostruzioni")


class SampleError(Exception):
    """The sample cannot be made here (not the demo, or its sandbox does not answer)."""


def _seed(slug: str, stato: str, tipo: str) -> None:
    body = {"n": 1, "stato": stato, "tipo": tipo, "prefix": f"{slug}-"}
    try:
        response = requests.post(
            f"{settings.SANDBOX_URL.rstrip('/')}/_sandbox/seed", json=body, timeout=10
        )
        response.raise_for_status()
    except requests.RequestException as exc:
        raise SampleError(f"the sandbox at {settings.SANDBOX_URL} does not answer ({exc})") from exc


def make_sample(*, user, accountant_password: str = "") -> dict[str, int]:
    """Make the sample portfolio; what was made (empty when it was already there)."""
    if not settings.OPENAPI_DEMO:
        raise SampleError("a sample portfolio is made only in the demo (the built-in sandbox)")
    if Titolare.objects.filter(codice_fiscale=HOLDERS[0][4]).exists():
        return {}
    for slug, stato, tipo in BOXES:
        _seed(slug, stato, tipo)
    sync.sync_account()
    with transaction.atomic():
        holders = {}
        for slug, name, tipo, sottotipo, cf, piva, comune, provincia, cap in HOLDERS:
            person = tipo == "PS"
            nome, cognome = name.split(" ", 1) if person else ("", "")
            holders[slug] = Titolare.objects.create(
                tipo_cliente=tipo,
                sottotipo_cliente=sottotipo,
                denominazione="" if person else name,
                nome=nome,
                cognome=cognome,
                codice_fiscale=cf,
                partita_iva=piva,
                indirizzo="Via Roma 1",
                comune=comune,
                provincia=provincia,
                cap=cap,
                email=f"info@{slug}.invalid",
            )
        boxes = list(Casella.objects.filter(titolare__isnull=True).only("pk", "casella_pec"))
        for box in boxes:
            slug = box.casella_pec.rsplit("-", 1)[0]
            box.titolare = holders.get(slug)
        boxes = [box for box in boxes if box.titolare]
        Casella.objects.bulk_update(boxes, ["titolare"])
        accountant = _accountant(accountant_password)
        for slug in ACCOUNTANT_HOLDERS:
            holders[slug].commercialisti.add(accountant)
    first = holders[HOLDERS[0][0]]
    active = Casella.objects.filter(titolare=first, stato="evasa").order_by("casella_pec").first()
    creation.create_richiesta(
        data={
            "pec_amministratore": False,
            "casella_pec": active.casella_pec if active else "rossibianchi@legalmail.it",
            "pec_impresa": "",
            "ragione_sociale": first.denominazione,
            "cf_piva": first.partita_iva,
            "comune": first.comune,
            "provincia": first.provincia,
            "nome": "Mario",
            "cognome": "Rossi",
            "cf": "RSSMRA85T10A562S",
            "qualifica": "LEGALE_RAPPRESENTANTE",
            "email": "mario.rossi@esempio.invalid",
            "cellulare": "3471234567",
        },
        user=user,
        intent_key=f"sample-{uuid.uuid4()}",
        titolare=first,
        casella=active,
    )
    return {"holders": len(holders), "boxes": len(boxes), "comunica": 1}


def _accountant(password: str):
    User = get_user_model()
    user = User.objects.filter(username=ACCOUNTANT).first()
    if user is None:
        user = User.objects.create_user(
            ACCOUNTANT,
            f"{ACCOUNTANT}@esempio.invalid",
            password or None,
            first_name="Carla",
            last_name="Verdi",
        )
    user.groups.add(Group.objects.get_or_create(name=roles.ACCOUNTANT)[0])
    return user
