"""The trends: boxes by status and by type, registrations and spend per month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from comunica.models import ComunicaCall
from mailboxes import selectors as mailbox_selectors
from mailboxes.choices import NO_TYPE
from mailboxes.models import CallKind, CasellaCall, Stato, TipoCasellaChoices
from portal.remote_calls import CallState

from . import common


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
    return [common.month_start(today, i - common.MONTHS + 1) for i in range(common.MONTHS)]


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
            [(label, by_type.get(value, 0)) for value, label in TipoCasellaChoices.choices]
            # the boxes of other providers have no Openapi type
            + ([(_("Altri gestori"), by_type[NO_TYPE])] if by_type.get(NO_TYPE) else []),
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
