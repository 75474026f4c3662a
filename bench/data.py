"""Generated data (deterministic, built at run time, never committed)."""

from __future__ import annotations

import datetime as dt
import random
import time

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
    for obj in out:
        obj.search_text = obj.searchable()  # what Titolare's bulk_create does
    copy(Titolare, out)
    rows = Titolare.objects.order_by("pk").values_list("pk", "denominazione", "cognome", "nome")
    return list(rows)


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())[:20] or "box"


# The generated boxes' remote ids begin so (the sandbox knows none of them).
GENERATED_ID = f"{0xBE:08x}"

# Creation dates: box i was created STEP before box i + 1, the newest now (1.1 million boxes
# span three years; the figures read the newest and the middle ones).
STEP = dt.timedelta(seconds=86)


def boxes(n: int, holder_rows, *, start: int = 0, seed: int = 2, total: int | None = None) -> None:
    """``n`` boxes (numbers start..start+n) over the holders, written with COPY; ``total``: how
    many there will be in all (the newest is created now)."""
    from mailboxes.models import Casella

    rnd = random.Random(seed + start)
    today = dt.date.today()
    base = dt.datetime.now(dt.UTC)
    total = max(total or 0, start + n)

    def made():
        for i in range(start, start + n):
            pk, denom, cognome, nome = rnd.choice(holder_rows)
            tipo = rnd.choice(TIPI)
            local = _slug(denom.split()[0] + denom.split()[-2] if denom else f"{nome}.{cognome}")
            stato = rnd.choice(STATI)
            yield Casella(
                titolare_id=pk if i % 50 else None,
                remote_id=f"{GENERATED_ID}{i:016x}",
                casella_pec=f"{local}.{i}@{DOMAINS[tipo]}",
                tipo_casella=tipo,
                stato=stato,
                data_scadenza=(today + dt.timedelta(days=rnd.randint(-30, 700)))
                if stato == "evasa"
                else None,
                importata=i % 7 == 0,
                created_at=base - STEP * (total - 1 - i),
            )

    t0 = time.monotonic()
    copy(Casella, made(), keep={"created_at"})
    analyze()
    print(f"#      ({n:,} boxes written in {time.monotonic() - t0:.0f} s)", flush=True)


def analyze(*tables: str) -> None:
    """VACUUM ANALYZE ``tables`` (the boxes and holders by default): what autovacuum does on a
    live database (statistics and the visibility map)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for table in tables or ("mailboxes_casella", "mailboxes_titolare"):
            cur.execute(f'VACUUM ANALYZE "{table}"')


# Above this many new rows the table's secondary indexes are dropped and built again after the
# COPY (one sort per index instead of a million insertions, trigram GIN ones above all).
REINDEX_ABOVE = 50_000


def copy(model, objs, *, keep: frozenset | set = frozenset(), chunk: int = 100_000) -> int:
    """Write model instances with PostgreSQL's COPY (psycopg 3): the fields' own conversions
    (auto_now/auto_now_add filled unless named in ``keep``), no ``save()``, no signals.
    Large loads build the secondary indexes again afterwards. The number of rows written."""
    from django.db import connection, models

    if connection.vendor != "postgresql":  # the SQLite demo (R8): bulk_create, as before
        return _bulk(model, objs, keep)
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    table = model._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
    written = 0
    pending: list = []
    dropped: list[tuple[str, str]] = []

    def flush(cur):
        nonlocal written, dropped
        if not dropped and written == 0 and len(pending) >= min(chunk, REINDEX_ABOVE):
            dropped = _drop_indexes(cur, table)
        with cur.cursor.copy(sql) as out:
            for row in pending:
                out.write_row(row)
        written += len(pending)
        pending.clear()

    with connection.cursor() as cur:
        try:
            for obj in objs:
                row = []
                for f in fields:
                    value = getattr(obj, f.attname) if f.attname in keep else f.pre_save(obj, True)
                    row.append(f.get_db_prep_save(value, connection))
                pending.append(row)
                if len(pending) >= chunk:
                    flush(cur)
            if pending:
                flush(cur)
        finally:
            for _name, definition in dropped:
                cur.execute(definition)
    return written


def _bulk(model, objs, keep) -> int:
    kept = [f for f in model._meta.concrete_fields if f.attname in keep]
    for f in kept:
        f.auto_now_add = False  # bench data only: the dates it was given
    try:
        return len(model.objects.bulk_create(list(objs), batch_size=2000))
    finally:
        for f in kept:
            f.auto_now_add = True


def _drop_indexes(cur, table: str) -> list[tuple[str, str]]:
    """Drop ``table``'s indexes that back no constraint (primary key, unique): their names and
    definitions, to build them again."""
    cur.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = %s
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        """,
        [table],
    )
    found = cur.fetchall()
    for name, _definition in found:
        cur.execute(f'DROP INDEX "{name}"')
    return found


# What P3 and P7 built last (the same holders and boxes serve both: one 1M build, not two).
_built: dict = {"holders": 0, "rows": None, "boxes": 0}


def ensure(holders_n: int, n: int, total: int):
    """``holders_n`` holders and ``n`` boxes in the tables (adding to what is there when it is a
    prefix of it, else from scratch); the holder rows."""
    if _built["rows"] is None:
        _adopt(holders_n, n)
    if _built["holders"] != holders_n or _built["boxes"] > n:
        wipe()
        _built.update(holders=holders_n, rows=holders(holders_n), boxes=0)
    if n > _built["boxes"]:
        boxes(n - _built["boxes"], _built["rows"], start=_built["boxes"], total=total)
        _built["boxes"] = n
    return _built["rows"]


def accountants(holder_rows, share: int = 3) -> None:
    """One holder in ``share`` gets an accountant (their waiting boxes are the accountant's)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from mailboxes.models import Titolare

    User = get_user_model()
    accountant, _new = User.objects.get_or_create(username="bench-accountant")
    through = Titolare.commercialisti.through
    with connection.cursor() as cur:  # not DELETE: P3 and P7 each write them, no bloat left
        cur.execute(f'TRUNCATE "{through._meta.db_table}"')
    links = (through(titolare_id=pk, user_id=accountant.pk) for pk, *_r in holder_rows[::share])
    copy(through, links)
    analyze(through._meta.db_table)


def _adopt(holders_n: int, n: int) -> None:
    """Keep the holders and boxes a kept database already has (``--reuse``), when they are the
    numbers asked for."""
    from mailboxes.models import Casella, Titolare

    if Titolare.objects.count() != holders_n or Casella.objects.count() != n:
        return
    rows = Titolare.objects.order_by("pk").values_list("pk", "denominazione", "cognome", "nome")
    _built.update(holders=holders_n, rows=list(rows), boxes=n)
    print(f"#      (reusing {holders_n:,} holders and {n:,} boxes)", flush=True)


def wipe() -> None:
    from django.db import connection

    _built.update(holders=0, rows=None, boxes=0)
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE mailboxes_evento, mailboxes_documento, mailboxes_richiedente, "
            "mailboxes_casellacall, mailboxes_casella, mailboxes_titolare_commercialisti, "
            "mailboxes_titolare RESTART IDENTITY CASCADE"
        )
