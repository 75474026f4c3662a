"""Reading signing links: an object's links for its page, and the latest link of each waiting
object for the cockpit (one query per kind)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import LinkFirma

STATI = {
    "attivo": _("attivo"),
    "usato": _("usato: documenti caricati"),
    "revocato": _("revocato"),
    "scaduto": _("scaduto"),
}


def stato(link: LinkFirma, now=None) -> str:
    now = now or timezone.now()
    if link.used_at:
        return "usato"
    if link.revoked_at:
        return "revocato"
    if link.expires_at <= now:
        return "scaduto"
    return "attivo"


def with_stato(links, now=None) -> list[LinkFirma]:
    now = now or timezone.now()
    out = []
    for link in links:
        link.stato = stato(link, now)
        link.stato_label = STATI[link.stato]
        out.append(link)
    return out


def links_for(*, casella=None, richiesta=None, limit: int = 5) -> list[LinkFirma]:
    qs = LinkFirma.objects.select_related("created_by")
    qs = qs.filter(casella=casella) if casella is not None else qs.filter(richiesta=richiesta)
    return with_stato(qs.order_by("-created_at", "-pk")[:limit])


def latest_links(*, caselle=(), richieste=()) -> dict[str, LinkFirma]:
    """The newest link of each of these boxes and requests, keyed as the cockpit's entries are
    ("casella-12", "comunica-3")."""
    out: dict[str, LinkFirma] = {}
    if caselle:
        for link in LinkFirma.objects.filter(casella__in=caselle).order_by("created_at", "pk"):
            out[f"casella-{link.casella_id}"] = link
    if richieste:
        for link in LinkFirma.objects.filter(richiesta__in=richieste).order_by("created_at", "pk"):
            out[f"comunica-{link.richiesta_id}"] = link
    now = timezone.now()
    for link in out.values():
        link.stato = stato(link, now)
        link.stato_label = STATI[link.stato]
    return out
