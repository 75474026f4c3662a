"""The findings: each client company's registered PEC and director compared with what the
portal knows (its boxes, its holders, its comunica requests), one Finding per company and kind.

Computed for the whole portfolio at once (a PEC shared by two companies, or a director's PEC
equal to another company's, is only seen across companies) from the stored CompanyChecks: no
Openapi call here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Lower, Trim, Upper
from django.utils import timezone
from django.utils.functional import cached_property

from comunica.models import RichiestaComunicazione, StatoRichiesta
from mailboxes.choices import Stato
from mailboxes.models import Casella, Titolare

from ..choices import Kind
from ..models import CompanyCheck, Finding
from .checks import check_portfolio, company_holders

#: Boxes that are (or are becoming) someone's PEC.
LIVE = (Stato.NUOVA, Stato.REGISTRATA, Stato.IN_EVASIONE, Stato.EVASA, Stato.DOCUMENTI_ERRATI)
#: Boxes that no longer receive anything.
DEAD = (Stato.REVOCATA, Stato.CHIUSA)


class Box(NamedTuple):
    """What the findings read of a box (a tuple: tens of thousands are read at a time)."""

    pk: int
    titolare_id: int
    casella_pec: str
    stato: str
    data_scadenza: dt.date | None


@dataclass
class Found:
    kind: Kind
    casella: Box | None = None
    params: dict = field(default_factory=dict)


def _address(value: str) -> str:
    return (value or "").strip().lower()


#: An address as the findings compare them, in the database (``_address`` in Python); the
#: boxes are indexed on it (mb_box_address_folded_idx).
ADDRESS = Lower(Trim("casella_pec"))
#: What the findings read of a company holder and its check.
HOLDER_FIELDS = ("denominazione", "cognome", "nome", "codice_fiscale", "partita_iva")
CHECK_FIELDS = ("registered_pec", "error", "ceased", "director", "director_obliged")
#: Rows written per statement.
BATCH = 1000


def _boxes(queryset) -> list[Box]:
    """Newest first, as the findings name "the" box of a holder."""
    rows = queryset.order_by("-created_at", "-id").values_list(*Box._fields)
    return [Box._make(row) for row in rows]


class Portfolio:
    """What the portal knows, read once for every company: only what the findings compare (the
    checked companies' boxes, the boxes at their registered PECs, their directors' boxes), in a
    few set-based queries whatever the number of companies or boxes."""

    def __init__(self, today: dt.date):
        self.today = today
        checked = company_holders().filter(compliance_check__isnull=False)
        self.holders = list(
            checked.select_related("compliance_check").only(
                *HOLDER_FIELDS, *(f"compliance_check__{f}" for f in CHECK_FIELDS)
            )
        )
        self.checks = {t.pk: t.compliance_check for t in self.holders}
        self._checked = checked
        checks = CompanyCheck.objects.filter(titolare__in=company_holders())
        registered = (
            checks.filter(error="", ceased=False)
            .exclude(registered_pec="")
            .values(address=Lower(Trim("registered_pec")))
        )
        #: The boxes at a registered PEC (the oldest one when an address has several).
        self.box_by_address = {
            _address(b.casella_pec): b
            for b in _boxes(
                Casella.objects.exclude(titolare=None)
                .annotate(address=ADDRESS)
                .filter(address__in=Subquery(registered))
            )
        }
        self.registered_by: dict[str, list[Titolare]] = defaultdict(list)
        for t in self.holders:
            check = self.checks[t.pk]
            if check.registered_pec and not check.error and not check.ceased:
                self.registered_by[_address(check.registered_pec)].append(t)
        #: The directors' tax codes (upper case), as the checks give them.
        self._director_cfs = (
            checks.annotate(cf=Upper(KeyTextTransform("codice_fiscale", "director")))
            .filter(cf__isnull=False)
            .exclude(cf="")
            .values("cf")
        )
        self.people = {
            t.codice_fiscale.upper(): t
            for t in Titolare.objects.filter(codice_fiscale__in=self._director_cfs).only(
                "codice_fiscale"
            )
        }
        #: The boxes in LIVE states of the checked companies and of the directors.
        self.live_boxes: dict[int, list[Box]] = defaultdict(list)
        for box in _boxes(
            Casella.objects.filter(stato__in=LIVE, titolare__in=checked.values("pk"))
        ):
            self.live_boxes[box.titolare_id].append(box)
        companies = set(self.checks)
        for box in _boxes(self._director_boxes()):
            if box.titolare_id not in companies:  # a company's boxes are all read above
                self.live_boxes[box.titolare_id].append(box)
        self.office_pecs = {_address(a) for a in settings.COMPLIANCE_OFFICE_PECS}

    def _director_boxes(self):
        return Casella.objects.filter(
            stato__in=LIVE, titolare__codice_fiscale__in=self._director_cfs
        )

    @cached_property
    def company_pecs(self) -> set[str]:
        """The company PECs a director's box may not be: the registered ones and the addresses
        of every company holder's boxes (only those a director's box has are read)."""
        directors = self._director_boxes().annotate(address=ADDRESS).values("address").order_by()
        owned = (
            Casella.objects.filter(titolare__in=company_holders())
            .annotate(address=ADDRESS)
            .filter(address__in=Subquery(directors))
            .values_list("address", flat=True)
            .order_by()
            .distinct()
        )
        return set(self.registered_by) | set(owned)

    @cached_property
    def _filed(self) -> dict[str, set[str]]:
        """The directors' PECs sent to the Registro Imprese, by the company's code."""
        out: dict[str, set[str]] = defaultdict(set)
        codes = Q(cf_piva__in=self._checked.values("partita_iva")) | Q(
            cf_piva__in=self._checked.values("codice_fiscale")
        )
        requests = (
            RichiestaComunicazione.objects.filter(codes, pec_amministratore=True)
            .exclude(stato=StatoRichiesta.NON_INVIATA)
            .values_list("cf_piva", "casella_pec")
            .order_by()
        )
        for code, address in requests:
            out[code].add(_address(address))
        return out

    def filed_director_pecs(self, titolare: Titolare) -> set[str]:
        codes = {c for c in (titolare.partita_iva, titolare.codice_fiscale) if c}
        return set().union(*(self._filed.get(code, ()) for code in codes))


def _expired(box: Box, today: dt.date) -> bool:
    return box.stato in DEAD or (box.data_scadenza is not None and box.data_scadenza < today)


def company_findings(titolare: Titolare, p: Portfolio) -> list[Found]:
    check: CompanyCheck | None = p.checks.get(titolare.pk)
    if check is None:
        return []
    if check.error:
        return [Found(Kind.CHECK_FAILED, params={"error": check.error})]
    if check.ceased:
        return [Found(Kind.CEASED, params={"boxes": len(p.live_boxes.get(titolare.pk, []))})]
    out: list[Found] = []
    own = p.live_boxes.get(titolare.pk, [])
    active = [b for b in own if b.stato == Stato.EVASA and not _expired(b, p.today)]
    registered = _address(check.registered_pec)
    if not registered:
        out.append(Found(Kind.PEC_MISSING, casella=active[0] if active else None))
    else:
        if registered in p.office_pecs:
            out.append(Found(Kind.PEC_OFFICE, params={"pec": registered}))
        others = [t for t in p.registered_by.get(registered, []) if t.pk != titolare.pk]
        if others:
            out.append(
                Found(
                    Kind.PEC_SHARED,
                    params={"pec": registered, "others": [t.display_name for t in others]},
                )
            )
        box = p.box_by_address.get(registered)
        if box is not None and _expired(box, p.today):
            out.append(Found(Kind.PEC_BOX_INACTIVE, casella=box, params={"pec": registered}))
        elif (
            box is not None
            and box.data_scadenza is not None
            and box.data_scadenza <= p.today + dt.timedelta(days=settings.COMPLIANCE_EXPIRING_DAYS)
        ):
            out.append(
                Found(
                    Kind.PEC_BOX_EXPIRING,
                    casella=box,
                    params={"pec": registered, "expires": box.data_scadenza.isoformat()},
                )
            )
        if active and registered not in {_address(b.casella_pec) for b in active}:
            out.append(
                Found(
                    Kind.PEC_NOT_MANAGED,
                    casella=active[0],
                    params={"pec": registered, "managed": active[0].casella_pec},
                )
            )
    out.extend(director_findings(titolare, check, p, registered, own))
    return out


def director_findings(titolare, check, p: Portfolio, registered: str, own) -> list[Found]:
    director = check.director
    if not (check.director_obliged and director):
        return []
    name = f"{director.get('nome', '')} {director.get('cognome', '')}".strip()
    params = {
        "director": name,
        "role": director.get("role", ""),
        "deadline": settings.COMPLIANCE_DIRECTOR_DEADLINE.isoformat(),
    }
    person = p.people.get(str(director.get("codice_fiscale", "")).upper())
    boxes = [b for b in p.live_boxes.get(person.pk, [])] if person else []
    if not boxes:
        return [Found(Kind.DIRECTOR_NO_PEC, params=params)]
    if p.today >= settings.COMPLIANCE_DIRECTOR_DISTINCT_FROM:
        company_pecs = p.company_pecs
    else:
        company_pecs = {registered} | {_address(b.casella_pec) for b in own}
    distinct = [b for b in boxes if _address(b.casella_pec) not in company_pecs]
    if not distinct:
        return [
            Found(
                Kind.DIRECTOR_PEC_NOT_DISTINCT,
                casella=boxes[0],
                params={**params, "pec": boxes[0].casella_pec},
            )
        ]
    filed = p.filed_director_pecs(titolare)
    if not any(_address(b.casella_pec) in filed for b in distinct):
        box = distinct[0]
        params = {**params, "pec": box.casella_pec}
        return [Found(Kind.DIRECTOR_PEC_TO_FILE, casella=box, params=params)]
    return []


def _pk(found: Found) -> int | None:
    return found.casella.pk if found.casella else None


def compute_findings(*, today: dt.date | None = None) -> dict[str, int]:
    """Recompute every company's findings and store them: a finding still there keeps its row
    (and since when it is known), one solved goes, a new one is added. Returns counts by kind."""
    p = Portfolio(today or timezone.localdate())
    wanted: dict[tuple[int, str], Found] = {}
    for titolare in p.holders:
        for found in company_findings(titolare, p):
            wanted.setdefault((titolare.pk, str(found.kind)), found)
    counts: dict[str, int] = defaultdict(int)
    for _holder_pk, kind in wanted:
        counts[kind] += 1
    with transaction.atomic():
        existing = {(f.titolare_id, f.kind): f for f in Finding.objects.select_for_update()}
        gone = [row.pk for key, row in existing.items() if key not in wanted]
        for start in range(0, len(gone), BATCH):
            Finding.objects.filter(pk__in=gone[start : start + BATCH]).delete()
        new, changed = [], []
        for (holder_pk, kind), found in wanted.items():
            row = existing.get((holder_pk, kind))
            if row is None:
                new.append(
                    Finding(
                        titolare_id=holder_pk, kind=kind, casella_id=_pk(found), params=found.params
                    )
                )
            elif row.params != found.params or row.casella_id != _pk(found):
                row.params, row.casella_id = found.params, _pk(found)
                changed.append(row)
        Finding.objects.bulk_create(new, batch_size=BATCH)
        Finding.objects.bulk_update(changed, ["params", "casella"], batch_size=BATCH)
    return dict(counts)


def refresh(*, refresh: bool = False) -> dict[str, int]:
    """The task's work: check the companies (cache permitting), then recompute."""
    check_portfolio(refresh=refresh)
    return compute_findings()
