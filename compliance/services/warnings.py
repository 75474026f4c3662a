"""Warnings the compliance app adds to the boxes' pages (mailboxes/hooks.py)."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from ..models import CompanyCheck

RENEWAL = "rinnovo"


def ceased_company_renewal(casella, kind: str) -> str | None:
    """Before a renewal is paid for a box of a company the Registro Imprese has as ceased."""
    if kind != RENEWAL or not casella.titolare_id:
        return None
    check = CompanyCheck.objects.filter(
        titolare_id=casella.titolare_id, ceased=True, error=""
    ).first()
    if check is None:
        return None
    when = date_format(localtime(check.checked_at), "d/m/Y") if check.checked_at else "—"
    return _(
        "Attenzione: %(name)s risulta cessata al Registro Imprese (verifica del %(when)s). "
        "Controllare prima di pagare il rinnovo della casella."
    ) % {"name": casella.titolare.display_name, "when": when}
