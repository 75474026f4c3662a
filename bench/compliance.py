"""P11: the compliance findings (compliance/services/findings.py) of the companies the portal
has checked at the Registro Imprese, among all the boxes, against the way they were computed
before (kept here only, as the naive peer): every box with a holder loaded, one query per
company for its filed director's PEC, one statement per Finding row."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from . import core, data
from .figures import Row, _fmt_s, holders_for

#: The share of the company holders the bench checks (one in this many).
CHECKED_ONE_IN = 12
#: Who filed the directors' PECs the bench records as filed.
FILER = dict(comune="Roma", provincia="RM", nome="Mario", cognome="Rossi", email="m@example.com",
             cellulare="3331234567")  # fmt: skip


# --------------------------------------------------------------------------- the naive peer


class NaivePortfolio:
    """compliance.services.findings.Portfolio as it was until 5 December 2026: every box with a
    holder read (with its holder) for every run."""

    def __init__(self, today: dt.date):
        from django.conf import settings

        from compliance.services.checks import company_holders
        from compliance.services.findings import LIVE, _address
        from mailboxes.models import Casella, Titolare

        self.today = today
        self.holders = list(company_holders().select_related("compliance_check"))
        self.checks = {
            t.pk: t.compliance_check for t in self.holders if hasattr(t, "compliance_check")
        }
        boxes = list(Casella.objects.exclude(titolare=None).select_related("titolare"))
        self.box_by_address = {_address(b.casella_pec): b for b in boxes}
        self.live_boxes: dict[int, list] = defaultdict(list)
        for box in boxes:
            if box.stato in LIVE:
                self.live_boxes[box.titolare_id].append(box)
        company_ids = {t.pk for t in self.holders}
        self.registered_by: dict[str, list] = defaultdict(list)
        for t in self.holders:
            check = self.checks.get(t.pk)
            if check and check.registered_pec and not check.error and not check.ceased:
                self.registered_by[_address(check.registered_pec)].append(t)
        self.company_pecs = set(self.registered_by) | {
            _address(b.casella_pec) for b in boxes if b.titolare_id in company_ids
        }
        director_cfs = {
            c.director["codice_fiscale"].upper()
            for c in self.checks.values()
            if c.director and c.director.get("codice_fiscale")
        }
        self.people = {
            t.codice_fiscale.upper(): t
            for t in Titolare.objects.filter(codice_fiscale__in=director_cfs)
        }
        self.office_pecs = {_address(a) for a in settings.COMPLIANCE_OFFICE_PECS}

    def filed_director_pecs(self, titolare) -> set[str]:
        from compliance.services.findings import _address
        from comunica.models import RichiestaComunicazione, StatoRichiesta

        codes = {c for c in (titolare.partita_iva, titolare.codice_fiscale) if c}
        return {
            _address(a)
            for a in RichiestaComunicazione.objects.filter(
                cf_piva__in=codes, pec_amministratore=True
            )
            .exclude(stato=StatoRichiesta.NON_INVIATA)
            .values_list("casella_pec", flat=True)
        }


def naive_compute_findings() -> dict[str, int]:
    """compute_findings as it was: the naive portfolio, a statement per Finding row."""
    from django.db import transaction
    from django.utils import timezone

    from compliance.models import Finding
    from compliance.services.findings import company_findings

    p = NaivePortfolio(timezone.localdate())
    wanted = {}
    for titolare in p.holders:
        for found in company_findings(titolare, p):
            wanted.setdefault((titolare.pk, str(found.kind)), found)
    counts: dict[str, int] = defaultdict(int)
    with transaction.atomic():
        existing = {(f.titolare_id, f.kind): f for f in Finding.objects.select_for_update()}
        for key, row in existing.items():
            if key not in wanted:
                row.delete()
        for (holder_pk, kind), found in wanted.items():
            counts[kind] += 1
            row = existing.get((holder_pk, kind))
            if row is None:
                Finding.objects.create(
                    titolare_id=holder_pk, kind=kind, casella=found.casella, params=found.params
                )
            elif row.params != found.params or row.casella_id != (
                found.casella.pk if found.casella else None
            ):
                row.params, row.casella = found.params, found.casella
                row.save(update_fields=["params", "casella"])
    return dict(counts)


# --------------------------------------------------------------------------- the data


def checks(companies: int, seed: int = 11) -> dict[str, int]:
    """CompanyChecks for one company holder in CHECKED_ONE_IN (at most ``companies``), as the
    Registro Imprese would give them: mostly the PEC of one of the company's boxes, some
    another address, shared, missing, ceased or not found; a director for half (a person holder
    of the portal for half of those, a third of whom filed already). What was made."""
    from django.db import connection
    from django.utils import timezone

    from compliance.models import CompanyCheck, Finding
    from comunica.models import RichiestaComunicazione
    from mailboxes.models import Casella, Titolare

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE compliance_finding, compliance_companycheck, "
            "comunica_richiestacomunicazione RESTART IDENTITY CASCADE"
        )
    rnd = random.Random(seed)
    picked = list(
        Titolare.objects.filter(tipo_cliente="IM")
        .order_by("pk")
        .values_list("pk", "partita_iva", "denominazione")[::CHECKED_ONE_IN][:companies]
    )
    ids = [pk for pk, *_r in picked]
    own: dict[int, list[str]] = defaultdict(list)
    for holder, address in (
        Casella.objects.filter(titolare__in=ids)
        .order_by("pk")
        .values_list("titolare_id", "casella_pec")
        .iterator(chunk_size=10_000)
    ):
        own[holder].append(address)
    people = list(
        Titolare.objects.filter(tipo_cliente="PV")
        .order_by("pk")
        .values_list("codice_fiscale", flat=True)[: len(picked)]
    )
    person_box = dict(
        Casella.objects.filter(titolare__codice_fiscale__in=people)
        .order_by("titolare_id", "pk")
        .values_list("titolare__codice_fiscale", "casella_pec")
    )
    now = timezone.now()
    made, filings, last = [], [], ""
    for n, (pk, code, name) in enumerate(picked):
        roll = rnd.random()
        pec = rnd.choice(own[pk]) if own[pk] else ""
        if roll < 0.10:
            pec = f"{code}@pec-altrove.it"
        elif roll < 0.15 and last:
            pec = last  # one PEC for two companies
        elif roll < 0.20:
            pec = ""
        last = pec or last
        check = CompanyCheck(
            titolare_id=pk,
            registered_pec=pec,
            legal_form="SR" if n % 2 else "SN",
            ceased=0.20 <= roll < 0.22,
            error="not_found" if 0.22 <= roll < 0.25 else "",
            checked_at=now,
        )
        if n % 2:
            cf = people[n] if n % 4 == 1 and n < len(people) else f"Z{n:015d}"
            check.director = {"nome": "Mario", "cognome": "Rossi", "codice_fiscale": cf,
                              "role": "AUN"}  # fmt: skip
            check.director_obliged = True
            if n % 12 == 1 and cf in person_box:
                filing = RichiestaComunicazione(
                    casella_pec=person_box[cf], pec_amministratore=True, ragione_sociale=name,
                    cf_piva=code, cf=cf, qualifica="AMMINISTRATORE", stato="in_attesa_di_documenti",
                    **FILER)  # fmt: skip
                filings.append(filing)
        made.append(check)
    data.copy(CompanyCheck, made)
    RichiestaComunicazione.objects.bulk_create(filings, batch_size=1000)
    data.analyze(
        CompanyCheck._meta.db_table,
        Finding._meta.db_table,
        RichiestaComunicazione._meta.db_table,
    )
    return {"checks": len(made), "filings": len(filings)}


def findings() -> list[tuple]:
    """What the findings say, comparable between two runs."""
    from compliance.models import Finding

    return sorted(
        (f.titolare_id, f.kind, f.casella_id, repr(sorted(f.params.items())))
        for f in Finding.objects.order_by()
    )


def _empty_findings() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE compliance_finding RESTART IDENTITY")


# --------------------------------------------------------------------------- the figure


def p11(env, sizes) -> list[Row]:
    """compute_findings (a fresh process each: its time and peak memory) of one company holder
    in CHECKED_ONE_IN among ``sizes`` boxes: from an empty Finding table, then again with nothing
    changed (the daily recomputation); the naive peer the same, and both must agree."""
    h = holders_for(sizes)
    rows: list[Row] = []
    for n in sizes:
        data.ensure(h, n, sizes[-1])
        made = checks(h)
        runs = {}
        results = {}
        for who in ("portal", "naive"):
            _empty_findings()
            first = core.run_job(f"findings_{who}", env)
            again = core.run_job(f"findings_{who}", env)
            runs[who] = (first, again)
            results[who] = findings()
        same = results["portal"] == results["naive"]
        what = f"{made['checks']:,} companies' findings among {n:,} boxes / {h:,} holders"
        for label, i in (("from none", 0), ("again, unchanged", 1)):
            portal, naive = runs["portal"][i], runs["naive"][i]
            rows.append(
                (
                    "P11",
                    f"{what}, {label}",
                    f"{_fmt_s(portal['seconds'])}, peak +{portal['peak_mb']:.0f} MB, "
                    f"{portal['queries']:,} queries",
                    f"all boxes read: {_fmt_s(naive['seconds'])}, peak "
                    f"+{naive['peak_mb']:.0f} MB, {naive['queries']:,} queries",
                    core.ratio(portal["seconds"], naive["seconds"]),
                )
            )
        rows.append(
            (
                "P11",
                f"the same {len(results['portal']):,} findings from both at {n:,} boxes",
                "yes" if same else "NO",
                "",
                "",
            )
        )
    return rows


def _counted(fn) -> dict:
    """``fn`` as the worker runs it (its modules imported, connected): its time, its peak
    memory above what the process holds then, its queries."""
    import time

    from django.db import connection

    connection.ensure_connection()
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    base = core.peak_start()
    t0 = time.perf_counter()
    with connection.execute_wrapper(counter):
        found = fn()
    return {
        "seconds": time.perf_counter() - t0,
        "peak_mb": core.peak_rss_mb() - base,
        "queries": count[0],
        "findings": sum(found.values()),
    }


def findings_portal() -> dict:
    from compliance.services.findings import compute_findings

    return _counted(compute_findings)


def findings_naive() -> dict:
    return _counted(naive_compute_findings)
