"""Reads of the office's portfolio: the boxes waiting for a holder, with the holder their
Openapi data points to, always scoped to what the user may see (mailboxes.selectors)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mailboxes import expiry
from mailboxes import selectors as mailbox_selectors
from mailboxes.forms import FiltriForm
from mailboxes.models import Casella, Titolare
from mailboxes.validators import clean_cf
from portal.params import object_id

#: Boxes shown at once on the adoption page (they leave it as they get a holder).
ADOPT_PAGE = 100

#: Where in a box's Openapi data a holder's code may be, most telling first.
PAYLOAD_CODES = (
    ("cf_piva_titolare", _("codice fiscale o partita IVA del titolare su Openapi")),
    ("codice_fiscale_richiedente", _("codice fiscale del richiedente su Openapi")),
)


@dataclass
class Proposal:
    titolare: Titolare
    reason: str


def normalised_code(value: str) -> str:
    """A codice fiscale or partita IVA as the holders store it (upper case, no spaces, a
    partita IVA without its "IT" prefix)."""
    code = clean_cf(value)
    return code[2:] if len(code) == 13 and code.startswith("IT") else code


def unassigned(user) -> QuerySet[Casella]:
    """The boxes without a holder the user may see, oldest first."""
    return mailbox_selectors.caselle_for(user).filter(titolare__isnull=True).order_by("pk")


def payload_codes(casella: Casella) -> list[tuple[str, str]]:
    """(code, where it was found) of the box's Openapi data, normalised as stored."""
    payload = casella.last_payload if isinstance(casella.last_payload, dict) else {}
    out = []
    for key, label in PAYLOAD_CODES:
        code = normalised_code(str(payload.get(key) or ""))
        if len(code) in (11, 16):
            out.append((code, label))
    return out


def proposals(user, caselle: list[Casella]) -> dict[int, Proposal]:
    """The holder each box's Openapi data names, when exactly one holder the user may see has
    that codice fiscale or partita IVA (one query for the whole page)."""
    wanted = {code for c in caselle for code, _label in payload_codes(c)}
    if not wanted:
        return {}
    by_code: dict[str, list[Titolare]] = {}
    for t in mailbox_selectors.titolari_for(user).filter(
        Q(codice_fiscale__in=wanted) | Q(partita_iva__in=wanted)
    ):
        for code in {t.codice_fiscale, t.partita_iva} & wanted:
            by_code.setdefault(code, []).append(t)
    out = {}
    for c in caselle:
        for code, label in payload_codes(c):
            found = by_code.get(code, [])
            if len(found) == 1:
                out[c.pk] = Proposal(found[0], str(label))
                break
    return out


def holder_by_code(user, code: str) -> list[Titolare]:
    """The holders the user may see whose codice fiscale or partita IVA is ``code``."""
    code = normalised_code(code)
    if not (code.isascii() and code.isalnum()):  # none is stored so (nor a NUL, for PostgreSQL)
        return []
    return list(
        mailbox_selectors.titolari_for(user).filter(Q(codice_fiscale=code) | Q(partita_iva=code))[
            :2
        ]
    )


# --------------------------------------------------------------------------- exports


def export_caselle(user, params) -> QuerySet[Casella]:
    """The boxes of the list with the filters and order of its query string ``params``."""
    titolare = object_id(params.get("titolare"))
    choices = list(mailbox_selectors.titolari_for(user).filter(pk=titolare)) if titolare else []
    form = FiltriForm(params or None, titolari=choices)
    filters = form.cleaned_data if form.is_valid() else {}
    sort = params.get("sort", "")
    qs = mailbox_selectors.caselle_filtered(user, filters)
    return qs.order_by(
        *mailbox_selectors.sort_order(sort if sort in mailbox_selectors.SORTS else "")
    )


def export_titolari(user, params) -> QuerySet[Titolare]:
    """The holders of the list with its search ``q``."""
    q = str(params.get("q", ""))[:200]
    return mailbox_selectors.search_titolari(user, q).order_by("denominazione", "cognome", "pk")


def export_scadenze(user, params) -> QuerySet[Casella]:
    """The expiry page's boxes: within its window (``entro``: 30, 60 or 90 days)."""
    try:
        within = int(params.get("entro", 90))
    except (TypeError, ValueError):
        within = 90
    return expiry.expiring(user, within=within if within in expiry.WINDOWS else 90)
