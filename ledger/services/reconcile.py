"""Reconciling the ledger with the Openapi wallet's movements (GET /wallet/transactions).

The movements are read back to a date and stored (unique by their Openapi id); each expense is
then paired with one entry of the ledger: same amount (the list price charged), the same
operation when the movement's description names one, and a time between the intent's request
and its completion (Openapi charges while the call is performed, which is after the intent was
recorded and before the portal saw it done), give or take the two clocks' skew. Of the
candidates, the entry whose window closes first takes the movement (earliest deadline first:
it pairs as many as can be paired).

What is left is flagged: a movement the portal cannot explain (an expense no charged intent
accounts for), and an entry with no movement although the wallet was read after its charge."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from django.db import transaction
from django.utils import timezone

from openapi_pec import PecClient

from ..models import Addebito, LetturaConto, MovimentoConto, Operazione

#: Openapi's clock and the portal's may disagree by this much.
SKEW = dt.timedelta(minutes=2)
#: The wallet is read this much further back than asked: an intent recorded just before the
#: period and done in it was charged before the period started.
MARGIN = dt.timedelta(days=1)
#: Movements read per call (the API's maximum) and at most this many calls per read.
PAGE = 100
MAX_PAGES = 500


@dataclass(frozen=True)
class Esito:
    letti: int  #: movements read from Openapi
    nuovi: int  #: of which not seen before
    abbinati: int  #: entries paired with a movement by this run


def fetch_movements(client: PecClient, since: dt.datetime, *, now: dt.datetime | None = None):
    """Read the wallet's movements back to ``since`` (and MARGIN before) and store the new
    ones; record that the wallet was read over [since, now]. Returns (read, new)."""
    now = now or timezone.now()
    covered, since = since, since - MARGIN
    read = []
    for page in range(MAX_PAGES):
        items = client.wallet_transactions(skip=page * PAGE, limit=PAGE)
        read.extend(t for t in items if t.id and t.created_at is not None)
        if len(items) < PAGE or _reaches_back(items, since):
            break
    rows = [
        MovimentoConto(
            remote_id=t.id[:80],
            importo=Decimal(t.amount).quantize(Decimal("0.01")),
            at=t.created_at,
            descrizione=(t.description or "")[:300],
        )
        for t in read
        if t.created_at >= since
    ]
    with transaction.atomic():
        known = set(
            MovimentoConto.objects.filter(remote_id__in=[r.remote_id for r in rows]).values_list(
                "remote_id", flat=True
            )
        )
        fresh = [r for r in rows if r.remote_id not in known]
        MovimentoConto.objects.bulk_create(fresh, ignore_conflicts=True)
        LetturaConto.objects.create(dal=covered, al=now, movimenti=len(rows))
    return len(rows), len(fresh)


def _reaches_back(items, since: dt.datetime) -> bool:
    """Does this page, listed newest first as Openapi lists movements, reach back before
    ``since``? (Listed in any other order, every page is read.)"""
    dated = [t.created_at for t in items if t.created_at is not None]
    newest_first = all(a >= b for a, b in pairwise(dated))
    return bool(dated) and newest_first and dated[-1] < since


def named_operation(description: str) -> str:
    """The paid operation a movement's description names ("API usage - host registrazione"),
    or "" when it names none."""
    words = description.replace("/", " ").split()
    for word in reversed(words):
        if word.lower() in Operazione.values:
            return word.lower()
    return ""


def match() -> int:
    """Pair the unpaired expenses with the unpaired entries; returns how many were paired."""
    movements = list(
        MovimentoConto.objects.filter(importo__lt=0, addebito__isnull=True).order_by("at", "pk")
    )
    if not movements:
        return 0
    first = movements[0].at - SKEW
    by_amount: dict[Decimal, list[Addebito]] = defaultdict(list)
    for entry in (
        Addebito.objects.filter(movimento__isnull=True, addebitato_il__gte=first)
        .only("pk", "prezzo", "operazione", "richiesto_il", "addebitato_il")
        .order_by("addebitato_il", "pk")
    ):
        by_amount[entry.prezzo].append(entry)
    paired: list[tuple[Addebito, MovimentoConto]] = []
    for movement in movements:
        candidates = by_amount.get(-movement.importo)
        if not candidates:
            continue
        operation = named_operation(movement.descrizione)
        # Entries whose window closed before this movement cannot take any later one either.
        while candidates and candidates[0].addebitato_il + SKEW < movement.at:
            candidates.pop(0)
        for i, entry in enumerate(candidates):
            if operation and entry.operazione != operation:
                continue
            if entry.richiesto_il - SKEW <= movement.at <= entry.addebitato_il + SKEW:
                paired.append((entry, movement))
                del candidates[i]
                break
    with transaction.atomic():
        for entry, movement in paired:
            Addebito.objects.filter(pk=entry.pk, movimento__isnull=True).update(movimento=movement)
    return len(paired)


def reconcile(client: PecClient, since: dt.datetime, *, now: dt.datetime | None = None) -> Esito:
    """Record the charged intents, read the wallet back to ``since`` and pair the two."""
    from .recording import record_charges

    record_charges()
    read, new = fetch_movements(client, since, now=now)
    return Esito(letti=read, nuovi=new, abbinati=match())
