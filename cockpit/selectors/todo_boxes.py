"""The boxes of the "Da fare" list: how many of each kind (a few aggregates read from indexes
alone) and the oldest few of each kind (read together, not read when the kind has none)."""

from __future__ import annotations

import datetime as dt

from django.db import connections
from django.db.models import Count, Exists, OuterRef, Q, Value
from django.urls import reverse

from mailboxes.models import ACTIVATABLE, CallKind, CasellaCall, Stato
from portal.remote_calls import OPEN_STATES

from . import common
from .todo_entries import Entry, Kind, holder

#: What an entry shows of a box (no payload: the oldest few are picked among thousands).
ENTRY_FIELDS = (
    "casella_pec",
    "stato",
    "titolare_id",
    "created_at",
    "updated_at",
    "ts_registrazione",
    "ts_ultima_modifica",
    "titolare__denominazione",
    "titolare__nome",
    "titolare__cognome",
    "titolare__codice_fiscale",
)


class BoxEntries:
    """The oldest few boxes of each kind (by creation: the order of the status index), read
    together when the page is built: one UNION ALL of the kinds' ordered and limited parts
    where the database allows it (PostgreSQL: one round trip instead of one per kind), else
    one query per kind (SQLite). A kind the counters say is empty is not read."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self.parts = []

    def add(self, qs, count, action, *, since, normal=None, url=None) -> list[Entry]:
        """The kind's entries (each linked to its box's page or to ``url(box)``): a list
        filled by ``read()``."""
        out: list[Entry] = []
        if count:
            self.parts.append((qs, out, action, since, normal, url))
        return out

    def kind(self, key, label, count, qs, action, *, all_url="", **add) -> Kind:
        """A kind of boxes: ``count`` of them, the oldest few of ``qs`` (see ``add``), all of
        them at ``all_url``."""
        return Kind(key, label, count, self.add(qs, count, action, **add), all_url)

    def read(self) -> None:
        if not self.parts:
            return
        queries = [
            qs.select_related("titolare")
            .only(*ENTRY_FIELDS)
            .annotate(part=Value(i))
            .order_by("created_at", "pk")[: common.SHOWN]
            for i, (qs, *_rest) in enumerate(self.parts)
        ]
        first, *others = queries
        if others and connections[first.db].features.supports_slicing_ordering_in_compound:
            boxes = sorted(
                first.union(*others, all=True), key=lambda c: (c.part, c.created_at, c.pk)
            )
        else:
            boxes = [c for query in queries for c in query]
        for c in boxes:
            _qs, out, action, since, normal, url = self.parts[c.part]
            moment = since(c)
            out.append(
                Entry(
                    title=c.casella_pec,
                    action=action(c, moment),
                    url=url(c) if url else reverse("mailboxes:casella_detail", args=[c.pk]),
                    since=moment,
                    holder=holder(c),
                    stuck=bool(normal and moment and self.now - moment > normal),
                    key=f"casella-{c.pk}",
                )
            )


def boxes_list_url(**params) -> str:
    from urllib.parse import urlencode

    return f"{reverse('mailboxes:casella_list')}?{urlencode(params)}"


def box_counts(boxes) -> dict[str, int]:
    """Per status (those of the cockpit), the boxes waiting for documents split by accountant,
    those whose documents are being sent, and the active boxes without a holder.

    Two queries. The counts per status, with those whose holder has an accountant, and the
    active boxes without a holder (one UNION) are read from the (status, holder) index alone,
    the holders with an accountant hashed once (a join reads each waiting box's row: ~2,000 pages at
    100,000 boxes). The boxes being sent are few: found from their open calls (a correlated
    subquery per waiting box inside one aggregate costs half a second at 100,000 boxes)."""
    statuses = (Stato.NON_REGISTRATA, Stato.NUOVA, Stato.IN_EVASIONE, *ACTIVATABLE)
    counts = {s.value: 0 for s in statuses}
    assisted = 0
    per_stato = (
        boxes.filter(stato__in=statuses)
        .values_list("stato")
        .annotate(
            n=Count("*"),
            assisted=Count("titolare_id", filter=Q(titolare_id__in=assisted_holders())),
        )
        .order_by()
    )
    # the row of the active boxes (a status the first part does not count) is those without one
    no_holder = (
        boxes.filter(stato=Stato.EVASA, titolare__isnull=True)
        .values_list("stato")
        .annotate(n=Count("*"), assisted=Value(0))
        .order_by()
    )
    counts["senza_titolare"] = 0
    for stato, n, with_accountant in per_stato.union(no_holder, all=True):
        if stato == Stato.EVASA:
            counts["senza_titolare"] = n
            continue
        counts[stato] = n
        if stato == Stato.REGISTRATA:
            assisted = with_accountant
    sending = list(
        boxes.filter(Exists(sending_call()), stato__in=ACTIVATABLE)
        .annotate(con=Exists(holder_accountants()))
        .values_list("stato", "con")
    )
    sent_by = {}
    for stato, con in sending:
        key = stato if stato == Stato.DOCUMENTI_ERRATI else (stato, con)
        sent_by[key] = sent_by.get(key, 0) + 1
    waiting = counts[Stato.REGISTRATA]
    counts["registrata_commercialista"] = assisted - sent_by.get((Stato.REGISTRATA, True), 0)
    counts["registrata_cliente"] = waiting - assisted - sent_by.get((Stato.REGISTRATA, False), 0)
    counts[Stato.DOCUMENTI_ERRATI] -= sent_by.get(Stato.DOCUMENTI_ERRATI, 0)
    counts["in_invio"] = len(sending)
    return counts


def sending_call():
    """The open call that sends a box's documents: from upload until Openapi has them, the
    move is Openapi's, not the uploader's."""
    return CasellaCall.objects.filter(
        casella_id=OuterRef("pk"), kind=CallKind.ATTIVAZIONE, state__in=OPEN_STATES
    )


def holder_accountants():
    from mailboxes.models import Titolare

    return Titolare.commercialisti.through.objects.filter(titolare_id=OuterRef("titolare_id"))


def assisted_holders():
    """The holders with an accountant (a set the database builds once per query)."""
    from mailboxes.models import Titolare

    return Titolare.commercialisti.through.objects.values("titolare_id")
