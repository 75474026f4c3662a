"""Generated data (deterministic, built at run time, never committed)."""

from __future__ import annotations

import datetime as dt
import random

SURNAMES = [
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "DeLuca",
    "Mancini",
    "Costa",
    "Giordano",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Barbieri",
    "Fontana",
    "Santoro",
    "Mariani",
    "Rinaldi",
    "Caruso",
    "Ferrara",
    "Galli",
    "Martini",
    "Leone",
    "Longo",
    "Gentile",
    "Martinelli",
    "Vitale",
    "Lombardo",
    "Serra",
    "Coppola",
    "DeSantis",
    "Dangelo",
    "Marchetti",
    "Parisi",
    "Villa",
    "Conte",
    "Ferraro",
    "Ferri",
    "Fabbri",
    "Bianco",
    "Marini",
    "Grasso",
    "Valentini",
    "Messina",
    "Sala",
    "DeAngelis",
    "Gatti",
    "Pellegrini",
    "Palumbo",
    "Sanna",
    "Farina",
    "Rizzi",
    "Monti",
]
NAMES = [
    "Marco",
    "Giulia",
    "Luca",
    "Francesca",
    "Andrea",
    "Chiara",
    "Matteo",
    "Sara",
    "Alessandro",
    "Elena",
    "Davide",
    "Martina",
    "Simone",
    "Laura",
    "Federico",
    "Anna",
    "Lorenzo",
    "Valentina",
    "Stefano",
    "Paola",
    "Giorgio",
    "Silvia",
    "Paolo",
    "Marta",
]
WORDS = [
    "Alfa",
    "Beta",
    "Delta",
    "Nord",
    "Sud",
    "Adriatica",
    "Tirrena",
    "Lombarda",
    "Veneta",
    "Sarda",
    "Sicula",
    "Toscana",
    "Emiliana",
    "Ligure",
    "Alpina",
    "Marittima",
    "Tecno",
    "Edil",
    "Agri",
    "Logistica",
    "Servizi",
    "Impianti",
    "Costruzioni",
    "Commerciale",
    "Informatica",
    "Trasporti",
    "Meccanica",
    "Alimentari",
    "Moda",
    "Arredi",
    "Turismo",
    "Energia",
    "Ambiente",
    "Consulting",
]
FORMS = ("Srl", "Spa", "Snc", "Sas", "Srls")
STATI = ["evasa"] * 16 + ["registrata", "in_evasione", "documenti_errati", "revocata"]
TIPI = ["STANDARD"] * 5 + ["BRONZE", "SILVER", "GOLD", "DOMICILIODIGITALE", "PECMASSIVA"]
DOMAINS = {
    "STANDARD": "legalmail.it",
    "BRONZE": "legalmail.it",
    "SILVER": "legalmail.it",
    "GOLD": "legalmail.it",
    "DOMICILIODIGITALE": "domiciliodigitale.com",
    "PECMASSIVA": "pecmassiva.com",
}


def holders(n: int, seed: int = 1):
    from mailboxes.models import Titolare

    rnd = random.Random(seed)
    out = []
    for i in range(n):
        if i % 5 < 3:
            words = (rnd.choice(WORDS), rnd.choice(WORDS), rnd.choice(SURNAMES), rnd.choice(FORMS))
            name = " ".join(words)
            out.append(
                Titolare(
                    tipo_cliente="IM",
                    sottotipo_cliente="SI",
                    denominazione=name,
                    codice_fiscale=f"{i:011d}",
                    partita_iva=f"{i:011d}",
                    indirizzo="Via Roma 1",
                    comune="Roma",
                    cap="00100",
                    provincia="RM",
                )
            )
        else:
            out.append(
                Titolare(
                    tipo_cliente="PV",
                    nome=rnd.choice(NAMES),
                    cognome=rnd.choice(SURNAMES),
                    codice_fiscale=f"X{i:015d}",
                    indirizzo="Via Po 2",
                    comune="Milano",
                    cap="20100",
                    provincia="MI",
                )
            )
    Titolare.objects.bulk_create(out, batch_size=5000)
    return list(Titolare.objects.values_list("pk", "denominazione", "cognome", "nome"))


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())[:20] or "box"


def boxes(n: int, holder_rows, *, start: int = 0, seed: int = 2) -> None:
    """``n`` boxes (numbers start..start+n) over the holders, spread over three years."""
    from django.db import connection

    from mailboxes.models import Casella

    rnd = random.Random(seed + start)
    today = dt.date.today()
    base = dt.datetime.now(dt.UTC)
    created = Casella._meta.get_field("created_at")
    created.auto_now_add = False  # creation dates spread over three years (bench data only)
    batch = []
    try:
        for i in range(start, start + n):
            pk, denom, cognome, nome = rnd.choice(holder_rows)
            tipo = rnd.choice(TIPI)
            local = _slug(denom.split()[0] + denom.split()[-2] if denom else f"{nome}.{cognome}")
            stato = rnd.choice(STATI)
            batch.append(
                Casella(
                    titolare_id=pk if i % 50 else None,
                    remote_id=f"{0xBE:08x}{i:016x}",
                    casella_pec=f"{local}.{i}@{DOMAINS[tipo]}",
                    tipo_casella=tipo,
                    stato=stato,
                    data_scadenza=(today + dt.timedelta(days=rnd.randint(-30, 700)))
                    if stato == "evasa"
                    else None,
                    importata=i % 7 == 0,
                    created_at=base - dt.timedelta(minutes=15 * (200_000 - i)),
                )
            )
            if len(batch) == 5000:
                Casella.objects.bulk_create(batch)
                batch = []
        if batch:
            Casella.objects.bulk_create(batch)
    finally:
        created.auto_now_add = True
    with connection.cursor() as cur:
        # What autovacuum does on a live database: statistics and the visibility map.
        cur.execute("VACUUM ANALYZE mailboxes_casella")
        cur.execute("VACUUM ANALYZE mailboxes_titolare")


def wipe() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE mailboxes_evento, mailboxes_documento, mailboxes_richiedente, "
            "mailboxes_casellacall, mailboxes_casella, mailboxes_titolare_commercialisti, "
            "mailboxes_titolare RESTART IDENTITY CASCADE"
        )
