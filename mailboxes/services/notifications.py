"""Who is told what by e-mail: the registrant when their box is active; the holder's accountants
when a signed form waits for them; the requester (and the office, when the wallet ran out) when
a call failed. Every e-mail names the holder and links to the box with an absolute address."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts import roles
from portal import openapi_messages
from portal.links import absolute_reverse

from ..models import Casella, CasellaCall, Stato


def notify_active(casella_pk: int) -> None:
    """E-mail the staff member who registered the box: it is active."""
    casella = (
        Casella.objects.select_related("registered_by", "titolare").filter(pk=casella_pk).first()
    )
    if not casella or not casella.registered_by or not casella.registered_by.email:
        return
    scadenza = casella.data_scadenza.strftime("%d/%m/%Y") if casella.data_scadenza else "—"
    send_mail(
        _("Casella PEC attiva: %(address)s (%(holder)s)")
        % {"address": casella.casella_pec, "holder": _holder(casella)},
        _(
            "La casella %(address)s di %(holder)s è attiva.\nScadenza: %(scadenza)s.\n\n"
            "Dettagli nel portale: %(url)s\n"
        )
        % {
            "address": casella.casella_pec,
            "holder": _holder(casella),
            "scadenza": scadenza,
            "url": absolute_reverse("mailboxes:casella_detail", casella.pk),
        },
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
    casella = call.casella
    send_mail(
        _("Operazione non riuscita su %(address)s (%(holder)s)")
        % {"address": casella.casella_pec, "holder": _holder(casella)},
        _("%(kind)s non riuscita per %(address)s di %(holder)s.\nMotivo: %(msg)s\n\n%(url)s\n")
        % {
            "kind": call.kind_label,
            "address": casella.casella_pec,
            "holder": _holder(casella),
            "msg": openapi_messages.explain(
                message, code=call.error_code, status=call.http_status
            ).text,
            "url": absolute_reverse("mailboxes:casella_detail", casella.pk),
        },
        None,
        sorted(to),
        fail_silently=True,
    )


def _holder(casella: Casella) -> str:
    return str(casella.titolare) if casella.titolare_id else _("titolare non indicato")


def notify_form_waiting(casella_pk: int) -> None:
    """E-mail the holder's accountants: the box's form is ready to be signed and uploaded
    (registered), or must be uploaded again (documents refused)."""
    casella = Casella.objects.select_related("titolare").filter(pk=casella_pk).first()
    if not casella or not casella.titolare_id:
        return
    to = sorted(
        casella.titolare.commercialisti.filter(is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not to:
        return
    again = casella.stato == Stato.DOCUMENTI_ERRATI
    context = {
        "address": casella.casella_pec,
        "holder": _holder(casella),
        "url": absolute_reverse("mailboxes:casella_detail", casella.pk),
    }
    if again:
        subject = _("Documenti da caricare di nuovo: %(address)s (%(holder)s)") % context
        body = _(
            "Openapi ha respinto i documenti della casella %(address)s di %(holder)s.\n"
            "Carica di nuovo il modulo firmato e il documento d'identità:\n%(url)s\n"
        )
    else:
        subject = _("Modulo da firmare: %(address)s (%(holder)s)") % context
        body = _(
            "Il modulo di attivazione della casella %(address)s di %(holder)s è pronto.\n"
            "Scaricalo, fallo firmare al titolare e caricalo con il documento d'identità:\n"
            "%(url)s\n"
        )
    send_mail(subject, body % context, None, to, fail_silently=True)
