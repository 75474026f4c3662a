"""Who is told what by e-mail: the registrant when their box is active; the requester (and the
office, when the wallet ran out) when a call failed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import roles
from portal import openapi_messages

from ..models import Casella, CasellaCall


def notify_active(casella_pk: int) -> None:
    """E-mail the staff member who registered the box: it is active."""
    casella = Casella.objects.select_related("registered_by").filter(pk=casella_pk).first()
    if not casella or not casella.registered_by or not casella.registered_by.email:
        return
    # Absolute when the deployment says where the portal lives (no such setting yet).
    base = settings.PORTAL_PUBLIC_URL.rstrip("/")
    url = base + reverse("mailboxes:casella_detail", args=[casella.pk])
    scadenza = casella.data_scadenza.strftime("%d/%m/%Y") if casella.data_scadenza else "—"
    send_mail(
        _("Casella PEC attiva: %(address)s") % {"address": casella.casella_pec},
        _(
            "La casella %(address)s è attiva.\nScadenza: %(scadenza)s.\n\nDettagli nel portale: "
            "%(url)s\n"
        )
        % {"address": casella.casella_pec, "scadenza": scadenza, "url": url},
        None,
        [casella.registered_by.email],
        fail_silently=True,
    )


def notify_failure(call: CasellaCall, message: str, *, credit: bool) -> None:
    """Tell the requester (and, on insufficient credit, every office user) that a call failed."""
    User = get_user_model()
    to = set()
    if call.requested_by and call.requested_by.email:
        to.add(call.requested_by.email)
    if credit:
        office = User.objects.filter(
            Q(groups__name=roles.OFFICE) | Q(is_superuser=True), is_active=True
        ).exclude(email="")
        to.update(office.values_list("email", flat=True))
    if not to:
        return
    send_mail(
        _("Operazione non riuscita su %(address)s") % {"address": call.casella.casella_pec},
        _("%(kind)s non riuscita.\nMotivo: %(msg)s\n")
        % {
            "kind": call.kind_label,
            "msg": openapi_messages.explain(
                message, code=call.error_code, status=call.http_status
            ).text,
        },
        None,
        sorted(to),
        fail_silently=True,
    )
