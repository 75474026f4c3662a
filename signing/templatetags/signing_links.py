"""The office's "Link per il cliente" panel on a box's or a comunica request's page."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.urls import reverse

from accounts.roles import is_office
from mailboxes.models import Casella
from mailboxes.operations import conservazione

from .. import selectors, services
from ..models import Scopo

register = template.Library()


@register.inclusion_tag("signing/_panel.html", takes_context=True)
def link_panel(context, target):
    request = context.get("request")
    if request is None or not is_office(request.user):
        return {"hidden": True}
    if isinstance(target, Casella):
        steps = services.box_steps(target)
        links = selectors.links_for(casella=target)
        action = reverse("signing:box_link_new", args=[target.pk])
    else:
        steps = services.comunica_steps(target)
        links = selectors.links_for(richiesta=target)
        action = reverse("signing:comunica_link_new", args=[target.pk])
    active = {link.scopo for link in links if link.stato == "attivo"}
    steps = [s for s in steps if s not in active]  # one link at a time: resend replaces it
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "steps": [Scopo(s) for s in steps],
        "links": links,
        "action": action,
        "email": services.default_email(target),
        "spazi": range(conservazione.STEP, conservazione.STEP * 10 + 1, conservazione.STEP),
        "hidden": not steps and not links,
        "css": static("css/signing.css"),
    }
