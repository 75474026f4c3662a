"""The cockpit's reads (this package): what needs doing and by whom, what is coming, the trends.

Everything is scoped to what the user may see (mailboxes.selectors), so an accountant's cockpit
holds only the boxes of the holders assigned to them; the wallet, the spend and the comunica
requests are the office's. Each list costs a fixed number of queries whatever the portfolio's
size: counts come from a few aggregates read from indexes alone, the entries shown are the
oldest few of each kind (not read when the kind has none), and what the "Da fare" list and "In
arrivo" both need (the wallet credit, the comunica counts, the renewals) is read once per page:
this module holds it, with the renewals' price and the constants several reads share.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count

from accounts import roles
from comunica import selectors as comunica_selectors
from mailboxes import selectors as mailbox_selectors
from mailboxes.choices import NO_TYPE
from mailboxes.models import Stato
from mailboxes.operations import rinnovo

from .. import wallet

#: Entries shown per kind of item (the counters say how many there are in all).
SHOWN = 8
#: Months of the renewal plan and of the trends.
MONTHS = 12


#: Office totals older than COCKPIT_CACHE_SECONDS are still shown, while the worker counts
#: them again, up to this many times COCKPIT_CACHE_SECONDS; older (the worker down or busy for
#: minutes, nobody on the cockpit) the page counts them itself.
STALE_FACTOR = 10
#: The task that counts the office totals again (cockpit/tasks.py), sent by name: the selectors
#: do not import the tasks that import them.
RECOUNT_TASK = "cockpit.recount_office_totals"

_recounting: contextvars.ContextVar[bool] = contextvars.ContextVar("recounting", default=False)


def office_wide(user, key: str, compute):
    """``compute()``, the same for every member of the office (their scope is the whole
    office): kept in the shared cache, so that fifty staff opening the cockpit count a million
    boxes once, not fifty times. Totals older than COCKPIT_CACHE_SECONDS are shown once more
    while the worker counts them again (one count queued per office at a time), so no page
    waits for the count but the first after a restart or a long pause. An accountant's (their
    holders' boxes only) is read each time. The entries shown under the counters are always
    read."""
    seconds = settings.COCKPIT_CACHE_SECONDS
    if seconds <= 0 or not roles.is_office(user):
        return compute()
    cache_key = f"cockpit:{key}"
    entry = None if _recounting.get() else cache.get(cache_key)
    if entry is not None:
        counted_at, value = entry
        age = time.time() - counted_at
        if age <= seconds:
            return value
        if age <= seconds * STALE_FACTOR:
            _queue_recount(user, seconds)
            return value
    value = compute()
    cache.set(cache_key, (time.time(), value), seconds * STALE_FACTOR)
    return value


def _queue_recount(user, seconds: int) -> None:
    """Ask the worker to count the office totals again, once for the office until it has."""
    if cache.add("cockpit:recount-queued", user.pk, seconds):
        transaction.on_commit(lambda: current_app.send_task(RECOUNT_TASK, args=[user.pk]))


def recount(count_all) -> None:
    """Run ``count_all()`` (reads going through office_wide) counting every office total
    again and keeping the new figures: the recount task's work."""
    token = _recounting.set(True)
    try:
        count_all()
    finally:
        _recounting.reset(token)
        cache.delete("cockpit:recount-queued")


def _watched(user):
    """The active boxes renewed through Openapi (paid from the wallet). The boxes of other
    providers are renewed there: they are the boxes without an Openapi type, left out on a
    column of the renewals index (the plan stays read from the index alone)."""
    return (
        mailbox_selectors.caselle_for(user)
        .filter(stato=Stato.EVASA, data_scadenza__isnull=False)
        .exclude(tipo_casella=NO_TYPE)
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


def unit_prices(rows) -> dict[str, Decimal]:
    """The 1-year renewal price of each box type of (day, type, boxes) rows."""
    return {tipo: rinnovo.renewal_price(tipo, 1) for tipo in {tipo for _d, tipo, _n in rows}}


def rows_cost(rows) -> Decimal:
    """The 1-year renewal price of (day, type, boxes) rows."""
    rows = list(rows)
    unit = unit_prices(rows)
    return sum((unit[tipo] * n for _day, tipo, n in rows), Decimal("0"))


def month_start(day: dt.date, add: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + add
    return dt.date(index // 12, index % 12 + 1, 1)


def _renewals(user, today: dt.date) -> list[tuple[dt.date, str, int]]:
    """The active boxes expiring in the next 12 months (this month from today on) per day and
    type: one query, read from the renewals index alone (grouping by month in SQL costs a date
    truncation per box)."""
    end = month_start(today, MONTHS)
    return list(
        _watched(user)
        .filter(data_scadenza__gte=today, data_scadenza__lt=end)
        .values_list("data_scadenza", "tipo_casella")
        .annotate(n=Count("*"))
        .order_by()
    )


@dataclass
class Shared:
    """What the "Da fare" list and "In arrivo" both read, read once for the home page (the
    office's only: empty for an accountant)."""

    credit: Decimal | None = None
    #: comunica requests per status
    comunica: dict[str, int] = field(default_factory=dict)
    #: (expiry day, box type, boxes) of the active boxes expiring in the next 12 months; None
    #: when not read (the "Da fare" fragment reads only the next 30 days)
    renewals: list[tuple[dt.date, str, int]] | None = None


def shared(user, today: dt.date, *, renewals: bool = True) -> Shared:
    if not roles.is_office(user):
        return Shared()
    comunica = dict(
        comunica_selectors.richieste_visible_to(user)
        .values_list("stato")
        .annotate(n=Count("*"))
        .order_by()
    )
    return Shared(
        credit=wallet.credit(),
        comunica=comunica,
        renewals=office_wide(user, f"renewals:{today}", lambda: _renewals(user, today))
        if renewals
        else None,
    )
