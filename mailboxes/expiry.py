"""What is about to expire: the expiry page's selectors and totals, the wallet as the credentials
allow, renewing several boxes at once, and the e-mail reminders to the office.

A company whose PEC lapses is fined and loses its registered address, so this is the most
important thing the portal watches.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles
from openapi_pec import errors
from portal.openapi_messages import explain_error
from portal.remote_calls import OPEN_STATES

from . import selectors
from .models import Casella, CasellaCall, PromemoriaScadenza, Stato
from .operations import rinnovo
from .operations.pricing import euro
from .operations.rules import check
from .remote import get_client

log = logging.getLogger(__name__)

ZERO = Decimal("0")
#: The windows of the expiry page, in days.
WINDOWS = (30, 60, 90)
#: Statuses whose expiry matters (an active box lapses; a closed one already did).
WATCHED = (Stato.EVASA, Stato.CHIUSA)

BUCKET_LABELS = {
    "scadute": gettext_lazy("Già scadute"),
    "30": gettext_lazy("Entro 30 giorni"),
    "60": gettext_lazy("Tra 31 e 60 giorni"),
    "90": gettext_lazy("Tra 61 e 90 giorni"),
}


def bucket_of(scadenza: dt.date, today: dt.date) -> str:
    days = (scadenza - today).days
    if days < 0:
        return "scadute"
    if days <= 30:
        return "30"
    if days <= 60:
        return "60"
    return "90"


def expiring(user, *, within: int = 90, today: dt.date | None = None):
    """Boxes the user may see that expire within ``within`` days or already expired."""
    today = today or timezone.localdate()
    return (
        selectors.caselle_for(user)
        .filter(
            data_scadenza__isnull=False,
            data_scadenza__lte=today + dt.timedelta(days=within),
            stato__in=WATCHED,
        )
        .order_by("data_scadenza", "casella_pec", "pk")
    )


@dataclass
class Row:
    casella: Casella
    days: int
    bucket: str
    price: Decimal
    renewable: bool
    reason: str
    open_call: CasellaCall | None = None

    @property
    def overdue(self) -> int:
        return -self.days


@dataclass
class Group:
    titolare: object
    rows: list[Row] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((r.price for r in self.rows if r.renewable), Decimal("0"))


@dataclass
class Overview:
    today: dt.date
    within: int
    groups: list[Group]
    counts: dict[str, int]
    total: Decimal
    renewable: int

    @property
    def empty(self) -> bool:
        return not self.groups

    @property
    def buckets(self) -> list[tuple[str, str, int]]:
        return [(key, label, self.counts[key]) for key, label in BUCKET_LABELS.items()]


def overview(user, *, within: int = 90, today: dt.date | None = None) -> Overview:
    """The expiry page: boxes by holder, each with its bucket, 1-year renewal price and whether
    it can be renewed now; counts per bucket and the total renewal cost."""
    today = today or timezone.localdate()
    boxes = list(expiring(user, within=within, today=today))
    open_calls = {
        c.casella_id: c
        for c in CasellaCall.objects.filter(
            casella__in=[b.pk for b in boxes], state__in=OPEN_STATES
        )
    }
    groups: dict[object, Group] = {}
    counts = {key: 0 for key in BUCKET_LABELS}
    for casella in boxes:
        verdict = check(casella, rinnovo.KIND, busy=open_calls.get(casella.pk) or False)
        bucket = bucket_of(casella.data_scadenza, today)
        counts[bucket] += 1
        row = Row(
            casella=casella,
            days=(casella.data_scadenza - today).days,
            bucket=bucket,
            # a box of another provider is renewed there: no price from Openapi's list
            price=rinnovo.renewal_price(casella.tipo_casella, 1) if casella.managed else ZERO,
            renewable=verdict.ok,
            reason=verdict.reason,
            open_call=open_calls.get(casella.pk),
        )
        key = casella.titolare_id
        if key not in groups:
            groups[key] = Group(titolare=casella.titolare)
        groups[key].rows.append(row)
    ordered = sorted(
        groups.values(),
        key=lambda g: (min(r.casella.data_scadenza for r in g.rows), str(g.titolare or "")),
    )
    total = sum((g.total for g in ordered), Decimal("0"))
    renewable = sum(1 for g in ordered for r in g.rows if r.renewable)
    return Overview(today, within, ordered, counts, total, renewable)


# --------------------------------------------------------------------------- wallet


@dataclass
class WalletInfo:
    credit: Decimal | None = None
    transactions: list = field(default_factory=list)
    error: str = ""

    @property
    def available(self) -> bool:
        return self.credit is not None


def wallet_info(limit: int = 10) -> WalletInfo:
    """GET /wallet and /wallet/transactions (OAuth v2), when the credentials allow it."""
    client = get_client()
    try:
        wallet = client.wallet()
    except errors.AuthError:
        return WalletInfo(
            error=_("Le credenziali configurate non permettono di leggere il credito Openapi.")
        )
    except errors.OpenapiError as exc:
        return WalletInfo(
            error=_("Credito non disponibile: Openapi non risponde (%(msg)s).")
            % {"msg": explain_error(exc).text}
        )
    info = WalletInfo(credit=wallet.credit)
    if limit <= 0:
        return info
    try:
        info.transactions = client.wallet_transactions(limit=limit)[:limit]
    except errors.OpenapiError:
        info.error = _("Movimenti del conto non disponibili.")
    return info


# --------------------------------------------------------------------------- renew several


@dataclass
class BatchResult:
    started: list[CasellaCall]
    refused: list[tuple[Casella, str]]


def batch_key(batch: str, casella_pk: int) -> str:
    return f"{batch}:{casella_pk}"


def renew_many(*, caselle, anni: int, batch: str, user) -> BatchResult:
    """One intent (and one task) per box, each in its own transaction: a box that cannot be
    renewed is reported and the others go ahead. The same ``batch`` again is the same intents."""
    started, refused = [], []
    for casella in caselle:
        try:
            call = rinnovo.renew(
                casella=casella, anni=anni, intent_key=batch_key(batch, casella.pk), user=user
            )
        except ValidationError as exc:
            refused.append((casella, " ".join(exc.messages)))
            continue
        started.append(call)
    return BatchResult(started, refused)


def batch_calls(batch: str):
    return (
        CasellaCall.objects.filter(intent_key__startswith=f"{batch}:", kind=rinnovo.KIND)
        .select_related("casella")
        .order_by("casella__data_scadenza", "pk")
    )


# --------------------------------------------------------------------------- reminders


def thresholds() -> list[int]:
    return sorted({int(d) for d in settings.EXPIRY_REMINDER_DAYS if int(d) >= 0})


def office_emails() -> list[str]:
    User = get_user_model()
    users = User.objects.filter(
        Q(groups__name=roles.OFFICE) | Q(is_superuser=True), is_active=True
    ).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def due_reminders(today: dt.date | None = None) -> list[tuple[Casella, int]]:
    """(box, threshold) pairs to remind now: active boxes whose days left reached a threshold
    (the smallest one reached: a box first seen 5 days before expiry gets the 7-day reminder,
    not three at once) and were not reminded for it and this expiry date."""
    today = today or timezone.localdate()
    days = thresholds()
    if not days:
        return []
    boxes = Casella.objects.filter(
        stato=Stato.EVASA,
        data_scadenza__isnull=False,
        data_scadenza__gte=today,
        data_scadenza__lte=today + dt.timedelta(days=max(days)),
    ).select_related("titolare")
    sent = set(
        PromemoriaScadenza.objects.filter(casella__in=boxes).values_list(
            "casella_id", "soglia", "data_scadenza"
        )
    )
    out = []
    for casella in boxes.order_by("data_scadenza", "pk"):
        left = (casella.data_scadenza - today).days
        soglia = min(d for d in days if d >= left)
        if (casella.pk, soglia, casella.data_scadenza) not in sent:
            out.append((casella, soglia))
    return out


def send_reminders(*, today: dt.date | None = None) -> dict[str, int]:
    """E-mail the office one message listing the boxes that reached a reminder threshold. Each
    box is reminded once per threshold and expiry date (a unique row claims it; the e-mail is
    sent in the same transaction, so a failed send is tried again at the next tick)."""
    today = today or timezone.localdate()
    to = office_emails()
    due = due_reminders(today)
    if not due or not to:
        return {"boxes": 0, "emails": 0}
    with transaction.atomic():
        claimed: list[tuple[Casella, int]] = []
        for casella, soglia in due:
            try:
                with transaction.atomic():
                    PromemoriaScadenza.objects.create(
                        casella=casella,
                        soglia=soglia,
                        data_scadenza=casella.data_scadenza,
                        destinatari=len(to),
                    )
            except IntegrityError:
                continue  # another run claimed it
            claimed.append((casella, soglia))
        if not claimed:
            return {"boxes": 0, "emails": 0}
        send_mail(*_reminder_message(claimed, today), None, to, fail_silently=False)
    return {"boxes": len(claimed), "emails": 1}


def _other_provider_line(casella: Casella, left: int) -> str:
    return _(
        "- %(address)s (%(titolare)s): scade il %(date)s, tra %(days)d giorni. Casella di "
        "%(gestore)s, non gestita tramite Openapi: rinnovala presso il gestore."
    ) % {
        "address": casella.casella_pec,
        "titolare": casella.titolare or "—",
        "date": casella.data_scadenza.strftime("%d/%m/%Y"),
        "days": left,
        "gestore": casella.get_gestore_display(),
    }


def _reminder_message(claimed: list[tuple[Casella, int]], today: dt.date) -> tuple[str, str]:
    base = settings.PORTAL_LINK_URL.rstrip("/")
    lines = []
    total = Decimal("0")
    for casella, _soglia in claimed:
        left = (casella.data_scadenza - today).days
        if not casella.managed:
            lines.append(_other_provider_line(casella, left))
            continue
        price = rinnovo.renewal_price(casella.tipo_casella, 1)
        total += price
        lines.append(
            _(
                "- %(address)s (%(titolare)s): scade il %(date)s, tra %(days)d giorni. "
                "Rinnovo: %(price)s € + IVA/anno.%(auto)s"
            )
            % {
                "address": casella.casella_pec,
                "titolare": casella.titolare or "—",
                "date": casella.data_scadenza.strftime("%d/%m/%Y"),
                "days": left,
                "price": euro(price),
                "auto": (" " + _("Rinnovo automatico attivo: controlla il credito."))
                if casella.autorinnovo
                else "",
            }
        )
    if len(claimed) == 1:
        casella = claimed[0][0]
        subject = _("Casella PEC in scadenza: %(address)s il %(date)s") % {
            "address": casella.casella_pec,
            "date": casella.data_scadenza.strftime("%d/%m/%Y"),
        }
    else:
        subject = _("%(n)d caselle PEC in scadenza") % {"n": len(claimed)}
    body = "\n".join(
        [
            _("Caselle PEC in scadenza:"),
            "",
            *lines,
            "",
            _("Totale per rinnovarle di un anno: %(total)s € + IVA.") % {"total": euro(total)},
            _("Rinnovale dalla pagina delle scadenze: %(url)s")
            % {"url": base + reverse("mailboxes:scadenze")},
            "",
        ]
    )
    return subject, body
