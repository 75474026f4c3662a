"""The "Da fare" list: what needs doing, grouped by whose move it is.

Each kind costs a fixed number of queries whatever the portfolio's size (todo_boxes,
todo_calls)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from mailboxes import selectors as mailbox_selectors
from mailboxes.models import ACTIVATABLE, Stato
from portal.turno import Turno
from signing.selectors import latest_links

from . import common
from .todo_boxes import BoxEntries, box_counts, boxes_list_url, holder_accountants, sending_call
from .todo_calls import (
    call_counts,
    comunica_moving,
    failed_comunica,
    failed_operations,
    low_credit,
    open_operations,
    procura_awaited,
)
from .todo_entries import NORMAL_WAIT, Group, Kind, Todo, age, days

GROUPS = (Turno.UFFICIO, Turno.COMMERCIALISTA, Turno.CLIENTE, Turno.OPENAPI)
GROUP_HINTS = {
    Turno.UFFICIO: _("Tocca all'ufficio"),
    Turno.COMMERCIALISTA: _("Tocca ai commercialisti"),
    Turno.CLIENTE: _("Si aspetta il cliente"),
    Turno.OPENAPI: _("In lavorazione presso Openapi"),
}


def todo(user, *, now: dt.datetime | None = None, both: common.Shared | None = None) -> Todo:
    """The "Da fare" list, grouped by whose move it is."""
    now = now or timezone.now()
    office = roles.is_office(user)
    if both is None:
        both = common.shared(user, timezone.localdate(now), renewals=False)
    boxes = mailbox_selectors.caselle_for(user)
    counts = common.office_wide(user, "box-counts", lambda: box_counts(boxes))
    idle = boxes.filter(~Exists(sending_call()))
    waiting = idle.filter(stato=Stato.REGISTRATA)
    entries = BoxEntries(now)

    def since_registration(c):
        return c.ts_registrazione or c.created_at

    def since_change(c):
        return c.ts_ultima_modifica or c.updated_at

    def in_status(stato, key, label, action, *, among=boxes, **add) -> Kind:
        """The boxes of one status: counted, the oldest few of ``among`` in that status, all of
        them in the boxes list filtered by it."""
        return entries.kind(
            key,
            label,
            counts[stato],
            among.filter(stato=stato),
            action,
            all_url=boxes_list_url(stato=stato),
            **add,
        )

    groups = {t: Group(t, Turno(t).label, GROUP_HINTS[t]) for t in GROUPS}

    ufficio = groups[Turno.UFFICIO].kinds
    ufficio.append(
        in_status(
            Stato.NON_REGISTRATA,
            "non_registrata",
            _("Registrazioni non riuscite"),
            lambda c, m: _("Leggi il motivo, correggi e riprova la registrazione."),
            since=lambda c: c.updated_at,
        )
    )
    ufficio.append(
        in_status(
            Stato.DOCUMENTI_ERRATI,
            "documenti_errati",
            _("Documenti rifiutati da Openapi"),
            lambda c, m: _("Carica di nuovo il modulo firmato e il documento d'identità."),
            among=idle,
            since=since_change,
        )
    )
    ufficio.append(
        entries.kind(
            "senza_titolare",
            _("Caselle attive senza titolare"),
            counts["senza_titolare"],
            boxes.filter(stato=Stato.EVASA, titolare__isnull=True),
            lambda c, m: _("Collega la casella al suo titolare."),
            since=lambda c: c.created_at,
            url=lambda c: f"{reverse('portfolio:adopt')}#casella-{c.pk}",
            all_url=reverse("portfolio:adopt"),
        )
    )
    calls = call_counts(boxes, now)
    failed = failed_operations(boxes, now, calls["failed"])
    ufficio.append(Kind("operazioni_fallite", _("Operazioni non riuscite"), *failed))
    if office:
        ufficio.append(failed_comunica(user, both.comunica, now))
        low = low_credit(user, now, both)
        if low is not None:
            ufficio.append(low)

    # boxes waiting for the signed form: the accountant's move when the holder has one
    with_accountant = Exists(holder_accountants())
    for turno, key, label, counted, holders, waited in (
        (
            Turno.COMMERCIALISTA,
            "documenti_da_caricare",
            _("Moduli firmati da caricare"),
            "registrata_commercialista",
            with_accountant,
            _(
                "Fai firmare il modulo al cliente e carica i documenti "
                "(in attesa da %(days)d giorni)."
            ),
        ),
        (
            Turno.CLIENTE,
            "firma_attesa",
            _("Firma del cliente attesa"),
            "registrata_cliente",
            ~with_accountant,
            _(
                "Firma del modulo attesa da %(days)d giorni: sollecita il cliente, "
                "poi carica i documenti."
            ),
        ),
    ):
        groups[turno].kinds.append(
            entries.kind(
                key,
                label,
                counts[counted],
                waiting.filter(holders),
                lambda c, m, waited=waited: waited % {"days": days(m, now)},
                since=since_registration,
                all_url=boxes_list_url(stato=Stato.REGISTRATA),
            )
        )
    if office:
        groups[Turno.CLIENTE].kinds.append(procura_awaited(user, both.comunica, now))

    openapi = groups[Turno.OPENAPI].kinds
    openapi.append(
        in_status(
            Stato.NUOVA,
            "in_registrazione",
            _("Registrazioni in corso"),
            lambda c, m: _("Openapi registra la casella (da %(age)s).") % {"age": age(m, now)},
            since=lambda c: c.created_at,
            normal=NORMAL_WAIT["registrazione"],
        )
    )
    openapi.append(
        in_status(
            Stato.IN_EVASIONE,
            "in_evasione",
            _("Documenti in lavorazione"),
            lambda c, m: _("Openapi verifica i documenti (da %(age)s).") % {"age": age(m, now)},
            since=since_change,
            normal=NORMAL_WAIT["in_evasione"],
        )
    )
    openapi.append(
        entries.kind(
            "in_invio",
            _("Documenti in invio"),
            counts["in_invio"],
            boxes.filter(Exists(sending_call()), stato__in=ACTIVATABLE),
            lambda c, m: _("Il portale invia i documenti a Openapi."),
            since=lambda c: c.updated_at,
            normal=NORMAL_WAIT["operazione"],
        )
    )
    openapi.append(open_operations(boxes, now, calls["open"]))
    if office:
        openapi.append(comunica_moving(user, both.comunica, now))
    entries.read()
    if office:
        _with_links(groups[Turno.CLIENTE].kinds)
    return Todo([groups[t] for t in GROUPS])


def _with_links(kinds) -> None:
    """Say, for each item waiting for the client, whether a signing link was sent and opened
    (one query per kind of object, whatever the number of items)."""
    shown = [e for k in kinds for e in k.entries]
    ids = {"casella": [], "comunica": []}
    for e in shown:
        kind, _sep, pk = e.key.partition("-")
        if kind in ids:
            ids[kind].append(int(pk))
            e.offers_link = True
    links = latest_links(caselle=ids["casella"], richieste=ids["comunica"])
    for e in shown:
        e.link = links.get(e.key)
