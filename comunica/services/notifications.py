"""Who is told what by e-mail: the user who asked (and the office, when the wallet ran out)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.utils.translation import gettext

from accounts import roles
from portal.links import absolute_reverse

from ..models import RichiestaComunicazione, StatoRichiesta


def notify(richiesta, subject: str, body: str, *, user=None, office: bool = False) -> None:
    """E-mail the user who asked (and, with ``office``, every active office user)."""
    to = set()
    for who in (user, richiesta.created_by):
        if who is not None and who.email:
            to.add(who.email)
    if office:
        users = get_user_model().objects.filter(
            Q(groups__name=roles.OFFICE) | Q(is_superuser=True), is_active=True
        )
        to.update(users.exclude(email="").values_list("email", flat=True))
    if to:
        link = absolute_reverse("comunica:richiesta_detail", richiesta.pk)
        details = gettext("Dettagli nel portale: %(url)s") % {"url": link}
        heading = f"{richiesta.ragione_sociale} · {richiesta.casella_pec}"
        body = f"{heading}\n\n{body.rstrip()}\n\n{details}\n"
        send_mail(subject, body, None, sorted(to), fail_silently=True)


def notify_stato(pk: int, message: str) -> None:
    r = RichiestaComunicazione.objects.select_related("created_by").get(pk=pk)
    body = message
    if r.stato == StatoRichiesta.IN_ATTESA_DI_DOCUMENTI:
        body = gettext(
            "La procura per %(pec)s (%(impresa)s) è pronta: scaricarla dal portale, farla "
            "firmare digitalmente a %(who)s e caricare il file .p7m."
        ) % {"pec": r.casella_pec, "impresa": r.ragione_sociale, "who": r.richiedente}
    notify(
        r,
        gettext("Comunicazione PEC %(pec)s (%(impresa)s): %(stato)s")
        % {"pec": r.casella_pec, "impresa": r.ragione_sociale, "stato": r.get_stato_display()},
        body,
    )
