"""The cockpit's reads: what needs doing and by whom, what is coming, the trends.

Everything is scoped to what the user may see (mailboxes.selectors), so an accountant's cockpit
holds only the boxes of the holders assigned to them; the wallet, the spend and the comunica
requests are the office's. Each list costs a fixed number of queries whatever the portfolio's
size: counts come from one aggregate, the entries shown are the oldest few of each kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from comunica import selectors as comunica_selectors
from comunica.models import MOVING as COMUNICA_MOVING
from comunica.models import ComunicaCall
from comunica.models import StatoRichiesta as StatoComunica
from mailboxes import expiry
from mailboxes import selectors as mailbox_selectors
from mailboxes.models import (
    ACTIVATABLE,
    CallKind,
    Casella,
    CasellaCall,
    PromemoriaScadenza,
    Stato,
    TipoCasellaChoices,
)
from mailboxes.operations import registry, rinnovo
from portal.remote_calls import OPEN_STATES, CallState
from portal.turno import Turno

from . import wallet

#: Entries shown per kind of item (the counters say how many there are in all).
SHOWN = 8
#: How long each wait normally lasts at Openapi; longer is flagged as stuck.
NORMAL_WAIT = {
    "registrazione": dt.timedelta(hours=1),
    "in_evasione": dt.timedelta(days=3),
    "operazione": dt.timedelta(hours=1),
    "comunica": dt.timedelta(days=5),
}
#: A failed operation stays on the list this long unless another call on its box follows it.
FAILED_OPERATION_DAYS = 30
#: Renewals that the credit must cover for it not to be "low".
LOW_CREDIT_DAYS = 30
#: Months of the renewal plan and of the trends.
MONTHS = 12
#: Reminders sent within this many days are listed.
REMINDER_DAYS = 30

GROUPS = (Turno.UFFICIO, Turno.COMMERCIALISTA, Turno.CLIENTE, Turno.OPENAPI)
GROUP_HINTS = {
    Turno.UFFICIO: _("Tocca all'ufficio"),
    Turno.COMMERCIALISTA: _("Tocca ai commercialisti"),
    Turno.CLIENTE: _("Si aspetta il cliente"),
    Turno.OPENAPI: _("In lavorazione presso Openapi"),
}


# --------------------------------------------------------------------------- "Da fare"


@dataclass
class Entry:
    """One thing to do: what it is about, what to do in one line, where it is done."""

    title: str
    action: str
    url: str
    since: dt.datetime | None = None
    holder: str = ""
    stuck: bool = False
    key: str = ""  #: stable id for the page and the tests ("casella-12", "call-3"...)


@dataclass
class Kind:
    """Items of one kind (e.g. "signature awaited"): how many, the oldest few, where all are."""

    key: str
    label: str
    count: int
    entries: list[Entry]
    all_url: str = ""

    @property
    def more(self) -> int:
        return self.count - len(self.entries)


@dataclass
class Group:
    turno: str
    label: str
    hint: str
    kinds: list[Kind] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(k.count for k in self.kinds)


@dataclass
class Todo:
    groups: list[Group]

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)


def _holder(casella: Casella) -> str:
    return str(casella.titolare) if casella.titolare_id else ""


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


def _box_entries(qs, action, *, since, now, normal=None, url=None) -> list[Entry]:
    """The oldest few boxes of ``qs`` (by creation: the order of the status index), each
    linked to its page or to ``url(box)``."""
    out = []
    boxes = qs.select_related("titolare").only(*ENTRY_FIELDS).order_by("created_at", "pk")
    for c in boxes[:SHOWN]:
        moment = since(c)
        out.append(
            Entry(
                title=c.casella_pec,
                action=action(c, moment),
                url=url(c) if url else reverse("mailboxes:casella_detail", args=[c.pk]),
                since=moment,
                holder=_holder(c),
                stuck=bool(normal and moment and now - moment > normal),
                key=f"casella-{c.pk}",
            )
        )
    return out


def _days(moment: dt.datetime | None, now: dt.datetime) -> int:
    return max(0, (now - moment).days) if moment else 0


def _boxes_list_url(**params) -> str:
    from urllib.parse import urlencode

    return f"{reverse('mailboxes:casella_list')}?{urlencode(params)}"


def _box_counts(boxes) -> dict[str, int]:
    """Per status (those of the cockpit), the boxes waiting for documents split by accountant,
    those whose documents are being sent, and the active boxes without a holder.

    Four queries, each on an index or a semi-join: the statuses to act on are a small share of
    the boxes, and the boxes being sent are few (a correlated subquery per waiting box inside
    one aggregate costs half a second at 100,000 boxes)."""
    statuses = (Stato.NON_REGISTRATA, Stato.NUOVA, Stato.IN_EVASIONE, *ACTIVATABLE)
    by_stato = dict(
        boxes.filter(stato__in=statuses).values_list("stato").annotate(n=Count("*")).order_by()
    )
    counts = {s.value: by_stato.get(s, 0) for s in statuses}
    assisted = boxes.filter(Exists(_accountants()), stato=Stato.REGISTRATA).count()
    sending = list(
        boxes.filter(Exists(_sending()), stato__in=ACTIVATABLE)
        .annotate(con=Exists(_accountants()))
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
    counts["senza_titolare"] = boxes.filter(stato=Stato.EVASA, titolare__isnull=True).count()
    return counts


def _sending():
    """The open call that sends a box's documents: from upload until Openapi has them, the
    move is Openapi's, not the uploader's."""
    return CasellaCall.objects.filter(
        casella_id=OuterRef("pk"), kind=CallKind.ATTIVAZIONE, state__in=OPEN_STATES
    )


def _accountants():
    from mailboxes.models import Titolare

    return Titolare.commercialisti.through.objects.filter(titolare_id=OuterRef("titolare_id"))


def todo(user, *, now: dt.datetime | None = None) -> Todo:
    """The "Da fare" list, grouped by whose move it is."""
    now = now or timezone.now()
    office = roles.is_office(user)
    boxes = mailbox_selectors.caselle_for(user)
    counts = _box_counts(boxes)
    idle = boxes.filter(~Exists(_sending()))
    waiting = idle.filter(stato=Stato.REGISTRATA).annotate(con=Exists(_accountants()))

    def since_registration(c):
        return c.ts_registrazione or c.created_at

    def since_change(c):
        return c.ts_ultima_modifica or c.updated_at

    groups = {t: Group(t, Turno(t).label, GROUP_HINTS[t]) for t in GROUPS}

    ufficio = groups[Turno.UFFICIO].kinds
    ufficio.append(
        Kind(
            "non_registrata",
            _("Registrazioni non riuscite"),
            counts[Stato.NON_REGISTRATA],
            _box_entries(
                boxes.filter(stato=Stato.NON_REGISTRATA),
                lambda c, m: _("Leggi il motivo, correggi e riprova la registrazione."),
                since=lambda c: c.updated_at,
                now=now,
            ),
            _boxes_list_url(stato=Stato.NON_REGISTRATA),
        )
    )
    ufficio.append(
        Kind(
            "documenti_errati",
            _("Documenti rifiutati da Openapi"),
            counts[Stato.DOCUMENTI_ERRATI],
            _box_entries(
                idle.filter(stato=Stato.DOCUMENTI_ERRATI),
                lambda c, m: _("Carica di nuovo il modulo firmato e il documento d'identità."),
                since=since_change,
                now=now,
            ),
            _boxes_list_url(stato=Stato.DOCUMENTI_ERRATI),
        )
    )
    ufficio.append(
        Kind(
            "senza_titolare",
            _("Caselle attive senza titolare"),
            counts["senza_titolare"],
            _box_entries(
                boxes.filter(stato=Stato.EVASA, titolare__isnull=True),
                lambda c, m: _("Collega la casella al suo titolare."),
                since=lambda c: c.created_at,
                now=now,
                url=lambda c: f"{reverse('portfolio:adopt')}#casella-{c.pk}",
            ),
            reverse("portfolio:adopt"),
        )
    )
    failed = _failed_operations(boxes, now)
    ufficio.append(Kind("operazioni_fallite", _("Operazioni non riuscite"), *failed))
    if office:
        ufficio.append(_failed_comunica(user))
        low = _low_credit(user, now)
        if low is not None:
            ufficio.append(low)

    groups[Turno.COMMERCIALISTA].kinds.append(
        Kind(
            "documenti_da_caricare",
            _("Moduli firmati da caricare"),
            counts["registrata_commercialista"],
            _box_entries(
                waiting.filter(con=True),
                lambda c, m: (
                    _(
                        "Fai firmare il modulo al cliente e carica i documenti "
                        "(in attesa da %(days)d giorni)."
                    )
                    % {"days": _days(m, now)}
                ),
                since=since_registration,
                now=now,
            ),
            _boxes_list_url(stato=Stato.REGISTRATA),
        )
    )
    groups[Turno.CLIENTE].kinds.append(
        Kind(
            "firma_attesa",
            _("Firma del cliente attesa"),
            counts["registrata_cliente"],
            _box_entries(
                waiting.filter(con=False),
                lambda c, m: (
                    _(
                        "Firma del modulo attesa da %(days)d giorni: sollecita il cliente, "
                        "poi carica i documenti."
                    )
                    % {"days": _days(m, now)}
                ),
                since=since_registration,
                now=now,
            ),
            _boxes_list_url(stato=Stato.REGISTRATA),
        )
    )
    if office:
        groups[Turno.CLIENTE].kinds.append(_procura_awaited(user, now))

    openapi = groups[Turno.OPENAPI].kinds
    openapi.append(
        Kind(
            "in_registrazione",
            _("Registrazioni in corso"),
            counts[Stato.NUOVA],
            _box_entries(
                boxes.filter(stato=Stato.NUOVA),
                lambda c, m: _("Openapi registra la casella (da %(age)s).") % {"age": _age(m, now)},
                since=lambda c: c.created_at,
                now=now,
                normal=NORMAL_WAIT["registrazione"],
            ),
            _boxes_list_url(stato=Stato.NUOVA),
        )
    )
    openapi.append(
        Kind(
            "in_evasione",
            _("Documenti in lavorazione"),
            counts[Stato.IN_EVASIONE],
            _box_entries(
                boxes.filter(stato=Stato.IN_EVASIONE),
                lambda c, m: (
                    _("Openapi verifica i documenti (da %(age)s).") % {"age": _age(m, now)}
                ),
                since=since_change,
                now=now,
                normal=NORMAL_WAIT["in_evasione"],
            ),
            _boxes_list_url(stato=Stato.IN_EVASIONE),
        )
    )
    openapi.append(
        Kind(
            "in_invio",
            _("Documenti in invio"),
            counts["in_invio"],
            _box_entries(
                boxes.filter(Exists(_sending()), stato__in=ACTIVATABLE),
                lambda c, m: _("Il portale invia i documenti a Openapi."),
                since=lambda c: c.updated_at,
                now=now,
                normal=NORMAL_WAIT["operazione"],
            ),
        )
    )
    openapi.append(_open_operations(boxes, now))
    if office:
        openapi.append(_comunica_moving(user, now))
    return Todo([groups[t] for t in GROUPS])


def _age(moment: dt.datetime | None, now: dt.datetime) -> str:
    from django.utils.timesince import timesince

    return timesince(moment, now, depth=1) if moment else "—"


def _failed_operations(boxes, now) -> tuple[int, list[Entry]]:
    """Failed operations on active boxes (renewal, upgrade...) not followed by another call on
    the same box, from the last 30 days."""
    later = CasellaCall.objects.filter(
        casella_id=OuterRef("casella_id"), created_at__gt=OuterRef("created_at")
    )
    qs = (
        CasellaCall.objects.filter(
            casella__in=boxes.values("pk"),
            state=CallState.FAILED,
            finished_at__gte=now - dt.timedelta(days=FAILED_OPERATION_DAYS),
        )
        .exclude(kind__in=CallKind.values)
        .filter(~Exists(later))
    )
    entries = []
    for call in qs.select_related("casella__titolare").order_by("-finished_at", "-pk")[:SHOWN]:
        spec = registry.OPERATIONS.get(call.kind)
        what = spec.label if spec else call.kind
        entries.append(
            Entry(
                title=call.casella.casella_pec,
                action=_("«%(what)s» non riuscita: %(error)s")
                % {"what": what, "error": (call.last_error or "—")[:160]},
                url=reverse("mailboxes:casella_detail", args=[call.casella_id]),
                since=call.finished_at,
                holder=_holder(call.casella),
                key=f"call-{call.pk}",
            )
        )
    return qs.count(), entries


def _open_operations(boxes, now) -> Kind:
    qs = CasellaCall.objects.filter(casella__in=boxes.values("pk"), state__in=OPEN_STATES).exclude(
        kind=CallKind.REGISTRAZIONE
    )
    entries = []
    normal = NORMAL_WAIT["operazione"]
    for call in qs.select_related("casella__titolare").order_by("created_at", "pk")[:SHOWN]:
        label = call.get_kind_display()
        entries.append(
            Entry(
                title=call.casella.casella_pec,
                action=_("%(what)s: %(state)s da %(age)s.")
                % {
                    "what": label,
                    "state": call.get_state_display(),
                    "age": _age(call.created_at, now),
                },
                url=reverse("mailboxes:casella_detail", args=[call.casella_id]),
                since=call.created_at,
                holder=_holder(call.casella),
                stuck=call.state == CallState.UNCLEAR or now - call.created_at > normal,
                key=f"call-{call.pk}",
            )
        )
    return Kind("operazioni_in_corso", _("Operazioni in corso"), qs.count(), entries)


def _comunica_entries(qs, action, now, *, normal=None) -> list[Entry]:
    out = []
    for r in qs.order_by("updated_at", "pk")[:SHOWN]:
        out.append(
            Entry(
                title=f"{r.ragione_sociale} · {r.casella_pec}",
                action=action(r),
                url=reverse("comunica:richiesta_detail", args=[r.pk]),
                since=r.updated_at,
                holder=str(r.titolare) if r.titolare_id else "",
                stuck=bool(normal and now - r.updated_at > normal),
                key=f"comunica-{r.pk}",
            )
        )
    return out


def _failed_comunica(user) -> Kind:
    qs = comunica_selectors.richieste_visible_to(user).filter(stato=StatoComunica.NON_INVIATA)
    now = timezone.now()
    return Kind(
        "comunica_non_inviate",
        _("Comunicazioni PEC non inviate"),
        qs.count(),
        _comunica_entries(qs, lambda r: _("Leggi il motivo e invia di nuovo la richiesta."), now),
        f"{reverse('comunica:richiesta_list')}?stato={StatoComunica.NON_INVIATA}",
    )


def _procura_awaited(user, now) -> Kind:
    qs = comunica_selectors.richieste_visible_to(user).filter(
        stato=StatoComunica.IN_ATTESA_DI_DOCUMENTI
    )
    return Kind(
        "procura_attesa",
        _("Procure da firmare"),
        qs.count(),
        _comunica_entries(
            qs,
            lambda r: (
                _("Procura firmata attesa da %(days)d giorni: caricala appena arriva.")
                % {"days": _days(r.updated_at, now)}
            ),
            now,
        ),
        f"{reverse('comunica:richiesta_list')}?stato={StatoComunica.IN_ATTESA_DI_DOCUMENTI}",
    )


def _comunica_moving(user, now) -> Kind:
    qs = comunica_selectors.richieste_visible_to(user).filter(stato__in=COMUNICA_MOVING)
    return Kind(
        "comunica_in_corso",
        _("Comunicazioni PEC in lavorazione"),
        qs.count(),
        _comunica_entries(
            qs,
            lambda r: (
                _("%(stato)s (da %(age)s).")
                % {"stato": r.get_stato_display(), "age": _age(r.updated_at, now)}
            ),
            now,
            normal=NORMAL_WAIT["comunica"],
        ),
        reverse("comunica:richiesta_list"),
    )


def _low_credit(user, now) -> Kind | None:
    """An item when the credit does not cover the renewals of the next 30 days."""
    credit = wallet.credit()
    if credit is None:
        return None
    today = timezone.localdate(now)
    due = renewal_cost(user, today, today + dt.timedelta(days=LOW_CREDIT_DAYS))
    if credit >= due:
        return None
    entry = Entry(
        title=_("Credito del conto: %(credit)s €") % {"credit": _euro(credit)},
        action=_(
            "Ricarica il conto Openapi: i rinnovi dei prossimi %(days)d giorni costano %(due)s €."
        )
        % {"days": LOW_CREDIT_DAYS, "due": _euro(due)},
        url=reverse("mailboxes:scadenze"),
        key="credito",
    )
    return Kind("credito_basso", _("Credito basso"), 1, [entry])


def _euro(amount: Decimal) -> str:
    from mailboxes.operations.pricing import euro

    return euro(amount)


# --------------------------------------------------------------------------- what is coming


def _watched(user):
    return mailbox_selectors.caselle_for(user).filter(
        stato=Stato.EVASA, data_scadenza__isnull=False
    )


def renewal_cost(user, start: dt.date, end: dt.date) -> Decimal:
    """The 1-year renewal price of the active boxes expiring from ``start`` to ``end``."""
    by_type = (
        _watched(user)
        .filter(data_scadenza__gte=start, data_scadenza__lte=end)
        .values_list("tipo_casella")
        .annotate(n=Count("*"))
        .order_by()
    )
    return sum((rinnovo.renewal_price(tipo, 1) * n for tipo, n in by_type), Decimal("0"))


@dataclass
class PlanMonth:
    month: dt.date  #: first day of the month
    boxes: int
    cost: Decimal
    cumulative: Decimal
    covered: bool | None  #: None when the credit is unknown


@dataclass
class Coming:
    buckets: list[tuple[str, str, int]]
    plan: list[PlanMonth]
    credit: Decimal | None
    reminders: list
    comunica: list
    comunica_count: int

    @property
    def plan_total(self) -> Decimal:
        return sum((m.cost for m in self.plan), Decimal("0"))

    @property
    def first_uncovered(self) -> PlanMonth | None:
        return next((m for m in self.plan if m.covered is False), None)


def _month_start(day: dt.date, add: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + add
    return dt.date(index // 12, index % 12 + 1, 1)


def renewal_plan(user, today: dt.date, credit: Decimal | None) -> list[PlanMonth]:
    """The renewals of the next 12 months (this month from today on), month by month: the boxes
    expiring, their 1-year renewal price, the running total, and whether the credit covers it.
    One query (boxes per day and type, read from the renewals index)."""
    end = _month_start(today, MONTHS)
    rows = (
        _watched(user)
        .filter(data_scadenza__gte=today, data_scadenza__lt=end)
        .values_list("data_scadenza", "tipo_casella")
        .annotate(n=Count("*"))
        .order_by()
    )
    per_month: dict[dt.date, tuple[int, Decimal]] = {}
    for day, tipo, n in rows:
        month = day.replace(day=1)
        boxes, cost = per_month.get(month, (0, Decimal("0")))
        per_month[month] = (boxes + n, cost + rinnovo.renewal_price(tipo, 1) * n)
    plan, running = [], Decimal("0")
    for i in range(MONTHS):
        month = _month_start(today, i)
        boxes, cost = per_month.get(month, (0, Decimal("0")))
        running += cost
        covered = None if credit is None else running <= credit
        plan.append(PlanMonth(month, boxes, cost, running, covered))
    return plan


def expiry_buckets(user, today: dt.date) -> list[tuple[str, str, int]]:
    """(key, label, count) of the expiry page's buckets (already expired, 30, 60, 90 days): one
    query."""
    qs = expiry.expiring(user, within=max(expiry.WINDOWS), today=today).order_by()
    bounds = {"30": 30, "60": 60, "90": 90}
    agg = qs.aggregate(
        # counted on a column of the renewals index: read from the index alone
        scadute=Count("data_scadenza", filter=Q(data_scadenza__lt=today)),
        **{
            key: Count(
                "data_scadenza",
                filter=Q(
                    data_scadenza__gte=today + dt.timedelta(days=(0 if days == 30 else days - 29)),
                    data_scadenza__lte=today + dt.timedelta(days=days),
                ),
            )
            for key, days in bounds.items()
        },
    )
    return [(key, label, agg[key]) for key, label in expiry.BUCKET_LABELS.items()]


def coming(user, *, now: dt.datetime | None = None) -> Coming:
    now = now or timezone.now()
    today = timezone.localdate(now)
    office = roles.is_office(user)
    credit = wallet.credit() if office else None
    reminders = list(
        PromemoriaScadenza.objects.filter(
            casella__in=mailbox_selectors.caselle_for(user).values("pk"),
            sent_at__gte=now - dt.timedelta(days=REMINDER_DAYS),
        )
        .select_related("casella")
        .order_by("-sent_at", "-pk")[:SHOWN]
    )
    requests, n_requests = [], 0
    if office:
        moving = comunica_selectors.richieste_visible_to(user).exclude(
            stato__in=(StatoComunica.COMUNICAZIONE_EVASA, StatoComunica.NON_INVIATA)
        )
        n_requests = moving.count()
        requests = list(moving.order_by("-updated_at", "-pk")[:SHOWN])
    return Coming(
        buckets=expiry_buckets(user, today),
        plan=renewal_plan(user, today, credit) if office else [],
        credit=credit,
        reminders=reminders,
        comunica=requests,
        comunica_count=n_requests,
    )


# --------------------------------------------------------------------------- trends


@dataclass
class Series:
    """One chart: labelled values, and how to say a value (the table shows the same)."""

    key: str
    title: str
    points: list[tuple[str, float]]
    money: bool = False

    @property
    def total(self) -> float:
        return sum(v for _l, v in self.points)

    @property
    def peak(self) -> float:
        return max((v for _l, v in self.points), default=0) or 1


def _months_back(today: dt.date) -> list[dt.date]:
    return [_month_start(today, i - MONTHS + 1) for i in range(MONTHS)]


def _per_month(rows, months) -> list[tuple[dt.date, float]]:
    got = {}
    for month, value in rows:
        month = timezone.localtime(month).date() if isinstance(month, dt.datetime) else month
        got[month.replace(day=1)] = got.get(month.replace(day=1), 0) + float(value or 0)
    return [(m, got.get(m, 0.0)) for m in months]


def trends(user, *, now: dt.datetime | None = None) -> list[Series]:
    """Boxes by status and by type; registrations and spend per month over the last 12 months
    (from the portal's record of paid intents: the calls done, with their price)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    boxes = mailbox_selectors.caselle_for(user)
    by_status = dict(boxes.values_list("stato").annotate(n=Count("*")).order_by())
    by_type = dict(boxes.values_list("tipo_casella").annotate(n=Count("*")).order_by())
    months = _months_back(today)
    since = timezone.make_aware(dt.datetime.combine(months[0], dt.time.min))
    done = CasellaCall.objects.filter(
        casella__in=boxes.values("pk"), state=CallState.DONE, finished_at__gte=since
    )
    registrations = _per_month(
        done.filter(kind=CallKind.REGISTRAZIONE)
        .annotate(month=TruncMonth("finished_at"))
        .values_list("month")
        .annotate(n=Count("*"))
        .order_by(),
        months,
    )
    series = [
        Series(
            "stato",
            _("Caselle per stato"),
            [(label, by_status.get(value, 0)) for value, label in Stato.choices],
        ),
        Series(
            "tipo",
            _("Caselle per tipo"),
            [(label, by_type.get(value, 0)) for value, label in TipoCasellaChoices.choices],
        ),
        Series("registrazioni", _("Registrazioni al mese"), _month_points(registrations)),
    ]
    if roles.is_office(user):
        spend = _per_month(
            [
                *done.exclude(price=None)
                .annotate(month=TruncMonth("finished_at"))
                .values_list("month")
                .annotate(total=Sum("price"))
                .order_by(),
                *ComunicaCall.objects.filter(state=CallState.DONE, finished_at__gte=since)
                .exclude(price=None)
                .annotate(month=TruncMonth("finished_at"))
                .values_list("month")
                .annotate(total=Sum("price"))
                .order_by(),
            ],
            months,
        )
        series.append(
            Series("spesa", _("Spesa al mese (€ + IVA)"), _month_points(spend), money=True)
        )
    return series


def _month_points(rows) -> list[tuple[str, float]]:
    from django.utils.formats import date_format

    return [(date_format(m, "M Y"), v) for m, v in rows]


# --------------------------------------------------------------------------- search


@dataclass
class SearchResults:
    q: str
    titolari: list
    caselle: list
    richieste: list
    counts: dict[str, int]

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


def search(user, q: str, *, limit: int = 10) -> SearchResults:
    """The header search: holders, boxes and (for the office) comunica requests matching every
    word of ``q``, accents and case ignored; the same matching as the lists."""
    titolari = mailbox_selectors.search_titolari(user, q).order_by("denominazione", "cognome", "pk")
    caselle = mailbox_selectors.with_turno(mailbox_selectors.filter_caselle(user, q=q)).order_by(
        "casella_pec", "pk"
    )
    richieste = comunica_selectors.search_richieste(user, q=q)
    return SearchResults(
        q=q,
        titolari=list(titolari[:limit]),
        caselle=list(caselle[:limit]),
        richieste=list(richieste[:limit]),
        counts={
            "titolari": titolari.count(),
            "caselle": caselle.count(),
            "richieste": richieste.count(),
        },
    )
