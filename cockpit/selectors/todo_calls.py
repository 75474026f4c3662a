"""The other items of the "Da fare" list: the box operations that failed or are under way, the
comunica requests (the office's) and a credit too low for the next renewals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comunica import selectors as comunica_selectors
from comunica.models import MOVING as COMUNICA_MOVING
from comunica.models import StatoRichiesta as StatoComunica
from mailboxes.models import CallKind, CasellaCall
from mailboxes.operations import registry
from portal import openapi_messages
from portal.remote_calls import OPEN_STATES, CallState

from . import common
from .todo_entries import NORMAL_WAIT, Entry, Kind, age, days, holder

#: A failed operation stays on the list this long unless another call on its box follows it.
FAILED_OPERATION_DAYS = 30
#: Renewals that the credit must cover for it not to be "low".
LOW_CREDIT_DAYS = 30


def _failed_call(now) -> Q:
    """A failed operation on an active box (renewal, upgrade...) not followed by another call
    on the same box, from the last 30 days."""
    later = CasellaCall.objects.filter(
        casella_id=OuterRef("casella_id"), created_at__gt=OuterRef("created_at")
    )
    return (
        Q(state=CallState.FAILED)
        & Q(finished_at__gte=now - dt.timedelta(days=FAILED_OPERATION_DAYS))
        & ~Q(kind__in=CallKind.values)
        & ~Q(Exists(later))
    )


def _open_call() -> Q:
    return Q(state__in=OPEN_STATES) & ~Q(kind=CallKind.REGISTRAZIONE)


def call_counts(boxes, now) -> dict[str, int]:
    """How many failed and open operations: one aggregate."""
    failed, open_ = _failed_call(now), _open_call()
    return CasellaCall.objects.filter(failed | open_, casella__in=boxes.values("pk")).aggregate(
        failed=Count("pk", filter=failed), open=Count("pk", filter=open_)
    )


def failed_operations(boxes, now, count) -> tuple[int, list[Entry]]:
    qs = CasellaCall.objects.filter(_failed_call(now), casella__in=boxes.values("pk"))
    entries = []
    for call in (
        qs.select_related("casella__titolare").order_by("-finished_at", "-pk")[: common.SHOWN]
        if count
        else ()
    ):
        spec = registry.OPERATIONS.get(call.kind)
        what = spec.label if spec else call.kind
        entries.append(
            Entry(
                title=call.casella.casella_pec,
                action=_("«%(what)s» non riuscita: %(error)s")
                % {"what": what, "error": openapi_messages.explain_call(call).text or "—"},
                url=reverse("mailboxes:casella_detail", args=[call.casella_id]),
                since=call.finished_at,
                holder=holder(call.casella),
                key=f"call-{call.pk}",
            )
        )
    return count, entries


def open_operations(boxes, now, count) -> Kind:
    qs = CasellaCall.objects.filter(_open_call(), casella__in=boxes.values("pk"))
    entries = []
    normal = NORMAL_WAIT["operazione"]
    for call in (
        qs.select_related("casella__titolare").order_by("created_at", "pk")[: common.SHOWN]
        if count
        else ()
    ):
        label = call.kind_label
        entries.append(
            Entry(
                title=call.casella.casella_pec,
                action=_("%(what)s: %(state)s da %(age)s.")
                % {
                    "what": label,
                    "state": call.get_state_display(),
                    "age": age(call.created_at, now),
                },
                url=reverse("mailboxes:casella_detail", args=[call.casella_id]),
                since=call.created_at,
                holder=holder(call.casella),
                stuck=call.state == CallState.UNCLEAR or now - call.created_at > normal,
                key=f"call-{call.pk}",
            )
        )
    return Kind("operazioni_in_corso", _("Operazioni in corso"), count, entries)


def _comunica_entries(qs, count, action, now, *, normal=None) -> list[Entry]:
    out = []
    if not count:
        return out
    for r in qs.order_by("updated_at", "pk")[: common.SHOWN]:
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


def _comunica_kind(user, per_stato, now, stato, key, label, action) -> Kind:
    """The comunica requests in one ``stato``, listed at the requests' page filtered by it."""
    qs = comunica_selectors.richieste_visible_to(user).filter(stato=stato)
    count = per_stato.get(stato, 0)
    return Kind(
        key,
        label,
        count,
        _comunica_entries(qs, count, action, now),
        f"{reverse('comunica:richiesta_list')}?stato={stato}",
    )


def failed_comunica(user, per_stato, now) -> Kind:
    return _comunica_kind(
        user,
        per_stato,
        now,
        StatoComunica.NON_INVIATA,
        "comunica_non_inviate",
        _("Comunicazioni PEC non inviate"),
        lambda r: _("Leggi il motivo e invia di nuovo la richiesta."),
    )


def procura_awaited(user, per_stato, now) -> Kind:
    return _comunica_kind(
        user,
        per_stato,
        now,
        StatoComunica.IN_ATTESA_DI_DOCUMENTI,
        "procura_attesa",
        _("Procure da firmare"),
        lambda r: (
            _("Procura firmata attesa da %(days)d giorni: caricala appena arriva.")
            % {"days": days(r.updated_at, now)}
        ),
    )


def comunica_moving(user, per_stato, now) -> Kind:
    qs = comunica_selectors.richieste_visible_to(user).filter(stato__in=COMUNICA_MOVING)
    count = sum(per_stato.get(s, 0) for s in COMUNICA_MOVING)
    return Kind(
        "comunica_in_corso",
        _("Comunicazioni PEC in lavorazione"),
        count,
        _comunica_entries(
            qs,
            count,
            lambda r: (
                _("%(stato)s (da %(age)s).")
                % {"stato": r.get_stato_display(), "age": age(r.updated_at, now)}
            ),
            now,
            normal=NORMAL_WAIT["comunica"],
        ),
        reverse("comunica:richiesta_list"),
    )


def low_credit(user, now, both: common.Shared) -> Kind | None:
    """An item when the credit does not cover the renewals of the next 30 days."""
    credit = both.credit
    if credit is None:
        return None
    today = timezone.localdate(now)
    end = today + dt.timedelta(days=LOW_CREDIT_DAYS)
    if both.renewals is None:
        due = common.renewal_cost(user, today, end)
    else:
        due = common.rows_cost(row for row in both.renewals if row[0] <= end)
    if credit >= due:
        return None
    entry = Entry(
        title=_("Credito Openapi: %(credit)s €") % {"credit": _euro(credit)},
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
