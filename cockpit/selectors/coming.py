"""What is coming ("In arrivo"): the expiry buckets, the renewal plan against the credit, the
reminders sent and the comunica requests under way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from accounts import roles
from comunica import selectors as comunica_selectors
from comunica.models import StatoRichiesta as StatoComunica
from mailboxes import expiry
from mailboxes import selectors as mailbox_selectors
from mailboxes.models import Gestore, PromemoriaScadenza

from . import common

#: Reminders sent within this many days are listed.
REMINDER_DAYS = 30


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
    #: boxes of other providers expiring within 90 days (renewed there, not from the wallet)
    other_providers: list = field(default_factory=list)

    @property
    def plan_total(self) -> Decimal:
        return sum((m.cost for m in self.plan), Decimal("0"))

    @property
    def first_uncovered(self) -> PlanMonth | None:
        return next((m for m in self.plan if m.covered is False), None)


def renewal_plan(
    renewals: list[tuple[dt.date, str, int]], today: dt.date, credit: Decimal | None
) -> list[PlanMonth]:
    """The renewals of the next 12 months, month by month: the boxes expiring, their 1-year
    renewal price, the running total, and whether the credit covers it."""
    unit = common.unit_prices(renewals)
    per_month: dict[dt.date, tuple[int, Decimal]] = {}
    for day, tipo, n in renewals:
        month = day.replace(day=1)
        boxes, cost = per_month.get(month, (0, Decimal("0")))
        per_month[month] = (boxes + n, cost + unit[tipo] * n)
    plan, running = [], Decimal("0")
    for i in range(common.MONTHS):
        month = common.month_start(today, i)
        boxes, cost = per_month.get(month, (0, Decimal("0")))
        running += cost
        covered = None if credit is None else running <= credit
        plan.append(PlanMonth(month, boxes, cost, running, covered))
    return plan


def expiry_buckets(user, today: dt.date) -> list[tuple[str, str, int]]:
    """(key, label, count) of the expiry page's buckets (already expired, 30, 60, 90 days): one
    query (office-wide: see common.office_wide)."""
    qs = expiry.expiring(user, within=max(expiry.WINDOWS), today=today).order_by()
    bounds = {"30": 30, "60": 60, "90": 90}

    def counts() -> dict[str, int]:
        return qs.aggregate(
            # counted on a column of the renewals index: read from the index alone
            scadute=Count("data_scadenza", filter=Q(data_scadenza__lt=today)),
            **{
                key: Count(
                    "data_scadenza",
                    filter=Q(
                        data_scadenza__gte=today
                        + dt.timedelta(days=(0 if days == 30 else days - 29)),
                        data_scadenza__lte=today + dt.timedelta(days=days),
                    ),
                )
                for key, days in bounds.items()
            },
        )

    agg = common.office_wide(user, f"expiry-buckets:{today}", counts)
    return [(key, label, agg[key]) for key, label in expiry.BUCKET_LABELS.items()]


def coming(user, *, now: dt.datetime | None = None, both: common.Shared | None = None) -> Coming:
    now = now or timezone.now()
    today = timezone.localdate(now)
    office = roles.is_office(user)
    if both is None:
        both = common.shared(user, today)
    reminders = list(
        PromemoriaScadenza.objects.filter(
            casella__in=mailbox_selectors.caselle_for(user).values("pk"),
            sent_at__gte=now - dt.timedelta(days=REMINDER_DAYS),
        )
        .select_related("casella")
        .order_by("-sent_at", "-pk")[: common.SHOWN]
    )
    requests, n_requests = [], 0
    if office:
        settled = (StatoComunica.COMUNICAZIONE_EVASA, StatoComunica.NON_INVIATA)
        n_requests = sum(n for stato, n in both.comunica.items() if stato not in settled)
        if n_requests:
            moving = comunica_selectors.richieste_visible_to(user).exclude(stato__in=settled)
            requests = list(moving.order_by("-updated_at", "-pk")[: common.SHOWN])
    others = list(
        expiry.expiring(user, within=max(expiry.WINDOWS), today=today)
        .exclude(gestore=Gestore.OPENAPI)
        .select_related(None)
        .only("casella_pec", "gestore", "data_scadenza")[: common.SHOWN]
    )
    return Coming(
        other_providers=others,
        buckets=expiry_buckets(user, today),
        plan=renewal_plan(both.renewals or [], today, both.credit) if office else [],
        credit=both.credit,
        reminders=reminders,
        comunica=requests,
        comunica_count=n_requests,
    )
