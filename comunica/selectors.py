"""Reads of the comunica flow. Office staff see every request (there is one office)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal import search
from portal.remote_calls import OPEN_STATES

from .models import ComunicaCall, RichiestaComunicazione


def richieste_visible_to(user) -> QuerySet[RichiestaComunicazione]:
    from accounts.roles import is_office

    if not is_office(user):
        return RichiestaComunicazione.objects.none()
    return RichiestaComunicazione.objects.select_related("titolare", "casella")


def search_richieste(user, *, q: str = "", stato: str = "", tipo: str = "") -> QuerySet:
    qs = richieste_visible_to(user)
    q = (q or "").strip()
    if search.words(q):
        # Every word in the company, the person, the codes, the addresses or the comune,
        # accents and case ignored (portal/search.py); or the request's Openapi id.
        qs = qs.filter(search.all_words(q) | Q(remote_id=q))
    if stato:
        qs = qs.filter(stato=stato)
    if tipo == "amministratore":
        qs = qs.filter(pec_amministratore=True)
    elif tipo == "impresa":
        qs = qs.filter(pec_amministratore=False)
    return qs.order_by("-created_at", "-pk")


def open_call(richiesta: RichiestaComunicazione, kind: str | None = None) -> ComunicaCall | None:
    qs = richiesta.calls.filter(state__in=OPEN_STATES)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at").first()


def last_call(richiesta: RichiestaComunicazione, kind: str) -> ComunicaCall | None:
    return richiesta.calls.filter(kind=kind).order_by("-created_at", "-pk").first()


def latest_procura(richiesta: RichiestaComunicazione):
    return richiesta.procure.order_by("-uploaded_at", "-pk").first()


def _titolari(user):
    from mailboxes import selectors as mailbox_selectors

    visible = getattr(mailbox_selectors, "titolari_visible_to", None)
    visible = visible or mailbox_selectors.titolari_for
    return visible(user)


def titolare_for_prefill(user, pk):
    """The holder (and nothing else) the user may prefill a request from, or None."""
    if pk in (None, ""):
        return None
    try:
        return _titolari(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def casella_for_prefill(user, pk):
    from mailboxes.models import Casella

    if pk in (None, ""):
        return None
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        Casella.objects.filter(pk=pk)
        .filter(Q(titolare__in=_titolari(user)) | Q(titolare__isnull=True))
        .select_related("titolare")
        .first()
    )


def titolari_for_picker(user, limit: int = 500):
    """Holders to prefill a new request from (companies first, by name)."""
    return _titolari(user).order_by("denominazione", "cognome", "nome")[:limit]
