"""Boxes of other providers (Aruba, Register.it, Namirial...): recorded by hand or imported so
their expiry is watched with the Openapi boxes, and never managed through Openapi.

They are ``Casella`` rows with a ``gestore`` other than Openapi, active (``evasa``: the office
records the boxes its clients use), without a remote id or a type: nothing polls, syncs or
operates them (mailboxes.operations.rules refuses every operation, the pollers read only boxes
with a remote id, the sync links by address only Openapi boxes)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mailboxes.choices import NO_TYPE, Gestore
from mailboxes.models import Casella, Stato, TipoEvento, Titolare
from mailboxes.services.history import record
from portal.history import Sentence

ADDED = gettext_lazy("Casella di %(gestore)s registrata nel portale: non gestita tramite Openapi.")

#: The expiries a box of another provider may have: a year typed wrong (0202, 2225, 9999) is
#: told, not watched as a box expired two thousand years ago or renewed in eight thousand.
FIRST_EXPIRY = dt.date(2000, 1, 1)
YEARS_AHEAD = 10


def expiry_problem(day: dt.date) -> str:
    """Why ``day`` cannot be a box's expiry ("" when it can)."""
    last = timezone.localdate() + dt.timedelta(days=YEARS_AHEAD * 366)
    if FIRST_EXPIRY <= day <= last:
        return ""
    return _("Scadenza non plausibile: deve essere tra il %(first)s e il %(last)s.") % {
        "first": f"{FIRST_EXPIRY:%d/%m/%Y}",
        "last": f"{last:%d/%m/%Y}",
    }


def new_box(
    *, titolare: Titolare, casella_pec: str, gestore: str, data_scadenza: dt.date | None
) -> Casella:
    """The unsaved box (the import writes many at once)."""
    if gestore == Gestore.OPENAPI or gestore not in Gestore.values:
        raise ValidationError(_("Scegli il gestore della casella."), code="gestore")
    return Casella(
        titolare=titolare,
        casella_pec=casella_pec.strip().lower(),
        gestore=gestore,
        tipo_casella=NO_TYPE,
        stato=Stato.EVASA,
        data_scadenza=data_scadenza,
    )


def add_box(
    *, titolare: Titolare, casella_pec: str, gestore: str, data_scadenza: dt.date | None, user
) -> Casella:
    """Record a box of another provider, with its history line. An address already in the
    portal (of any provider) is refused."""
    casella = new_box(
        titolare=titolare, casella_pec=casella_pec, gestore=gestore, data_scadenza=data_scadenza
    )
    try:
        with transaction.atomic():
            casella.save()
            record_added(casella, user=user)
    except IntegrityError:
        raise ValidationError(
            _("L'indirizzo %(address)s è già nel portale.") % {"address": casella.casella_pec},
            code="duplicate",
        ) from None
    return casella


def record_added(casella: Casella, *, user) -> None:
    record(
        casella,
        TipoEvento.IMPORT,
        Sentence(ADDED, gestore=Gestore(casella.gestore).label),
        a=Stato.EVASA,
        user=user,
    )
