"""Reads of the cost ledger, scoped to what the user may see: office staff every holder, an
accountant the holders assigned to them (mailboxes.selectors), nobody else anything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from comunica.models import ComunicaCall, RichiestaComunicazione, StatoRichiesta
from mailboxes import selectors as mailbox_selectors
from mailboxes.choices import ACTIVATABLE
from mailboxes.models import Casella, CasellaCall, Titolare
from portal.remote_calls import OPEN_STATES

from .models import Addebito, LetturaConto, MovimentoConto, Operazione
from .services import markup
from .services.reconcile import SKEW
from .services.statement import Periodo, it_amount

CHUNK = 2000


def titolari_for(user) -> QuerySet[Titolare]:
    return mailbox_selectors.titolari_for(user)


def entries_for(user) -> QuerySet[Addebito]:
    qs = Addebito.objects.select_related("titolare", "casella", "movimento")
    if roles.is_office(user):
        return qs
    if roles.is_accountant(user):
        return qs.filter(titolare__commercialisti=user)
    return qs.none()


def _covered() -> Exists:
    return Exists(
        LetturaConto.objects.filter(
            dal__lte=OuterRef("addebitato_il"), al__gte=OuterRef("addebitato_il")
        )
    )


def with_flags(qs: QuerySet[Addebito]) -> QuerySet[Addebito]:
    """Annotate ``senza_movimento``: the wallet was read after the charge and no movement of
    it is this entry's."""
    return qs.annotate(letto=_covered()).annotate(
        senza_movimento=ExpressionWrapper(
            Q(movimento__isnull=True) & Q(letto=True), output_field=BooleanField()
        )
    )


def ledger(user, periodo: Periodo, *, titolare: int | None = None, solo: str = ""):
    qs = with_flags(
        entries_for(user).filter(addebitato_il__gte=periodo.start, addebitato_il__lt=periodo.end)
    )
    if titolare:
        qs = qs.filter(titolare_id=titolare)
    if solo == "senza_movimento":
        qs = qs.filter(senza_movimento=True)
    elif solo == "senza_titolare":
        qs = qs.filter(titolare__isnull=True)
    return qs.order_by("-addebitato_il", "-pk")


def totals(qs: QuerySet[Addebito]) -> Decimal:
    return qs.aggregate(t=Sum("prezzo"))["t"] or Decimal("0.00")


def unexplained(periodo: Periodo | None = None) -> list[MovimentoConto]:
    """Expenses of the wallet that no charged intent explains. Those an intent still being
    settled may explain (same amount, recorded before the movement) are marked ``in_attesa``."""
    qs = MovimentoConto.objects.filter(importo__lt=0, addebito__isnull=True)
    if periodo is not None:
        qs = qs.filter(at__gte=periodo.start, at__lt=periodo.end)
    out = list(qs.order_by("-at"))
    if out:
        open_prices = [
            (price, created)
            for model in (CasellaCall, ComunicaCall)
            for price, created in model.objects.filter(
                state__in=OPEN_STATES, price__gt=0
            ).values_list("price", "created_at")
        ]
        for m in out:
            m.in_attesa = any(
                price == -m.importo and created - SKEW <= m.at for price, created in open_prices
            )
    return out


def last_read() -> LetturaConto | None:
    return LetturaConto.objects.order_by("-al").first()


def holders_with_costs(user, periodo: Periodo):
    """The holders the user sees that were charged something in the period, with the list
    total."""
    return (
        titolari_for(user)
        .filter(addebiti__addebitato_il__gte=periodo.start, addebiti__addebitato_il__lt=periodo.end)
        .annotate(costo=Sum("addebiti__prezzo"))
        .order_by("denominazione", "cognome", "nome")
    )


def ledger_rows(qs: QuerySet[Addebito], *, for_csv: bool) -> Iterator[list[Any]]:
    """The ledger as a table (the export): one row per entry, with the billed net of the
    markup rules; read CHUNK rows at a time, as plain values (no model per row)."""
    show = it_amount if for_csv else (lambda v: v)
    regole = markup.Regole()
    operations = {value: str(label) for value, label in Operazione.choices}
    paired, missing, unknown = _("abbinato"), _("nessun movimento"), _("da verificare")
    yield [
        _("Data addebito"),
        _("Titolare"),
        _("Codice fiscale del titolare"),
        _("Casella"),
        _("Operazione"),
        _("Prezzo di listino (€)"),
        _("Imponibile con ricarico (€)"),
        _("Movimento del conto"),
        _("Riconciliazione"),
    ]
    values = qs.values_list(
        "addebitato_il",
        "titolare_id",
        "titolare__denominazione",
        "titolare__cognome",
        "titolare__nome",
        "titolare__codice_fiscale",
        "indirizzo",
        "operazione",
        "prezzo",
        "movimento__remote_id",
        "senza_movimento",
    )
    for (
        when,
        holder,
        denominazione,
        cognome,
        nome,
        cf,
        indirizzo,
        operazione,
        prezzo,
        movement,
        no_movement,
    ) in values.iterator(chunk_size=CHUNK):
        name = (denominazione or f"{cognome or ''} {nome or ''}".strip() or cf) if holder else ""
        yield [
            timezone.localtime(when).date(),
            name,
            cf or "",
            indirizzo,
            operations.get(operazione, operazione),
            show(prezzo),
            show(regole.per(holder, operazione).netto(prezzo)),
            movement or "",
            paired if movement else (missing if no_movement else unknown),
        ]


# --------------------------------------------------------------------------- client summary


def boxes_of(titolare: Titolare) -> QuerySet[Casella]:
    return titolare.caselle.order_by("data_scadenza", "casella_pec")


def to_sign(titolare: Titolare) -> list[str]:
    """What the client still has to sign, one sentence each."""
    out = [
        _("Modulo di attivazione della casella %(pec)s, firmato, con un documento d'identità")
        % {"pec": c.casella_pec}
        for c in titolare.caselle.filter(stato__in=ACTIVATABLE).order_by("casella_pec")
    ]
    same_code = Q(cf_piva__iexact=titolare.codice_fiscale)
    if titolare.partita_iva:
        same_code |= Q(cf_piva__iexact=titolare.partita_iva)
    for r in RichiestaComunicazione.objects.filter(
        same_code, stato=StatoRichiesta.IN_ATTESA_DI_DOCUMENTI
    ).order_by("pk"):
        out.append(
            _("Procura per la comunicazione di %(pec)s al Registro Imprese, firmata")
            % {"pec": r.casella_pec}
        )
    return out


def expiring_soon(titolare: Titolare, today: dt.date | None = None, days: int = 60):
    today = today or timezone.localdate()
    return titolare.caselle.filter(
        data_scadenza__gte=today, data_scadenza__lte=today + dt.timedelta(days=days)
    )
