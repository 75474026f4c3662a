"""Reads of the mailboxes app, always scoped to what the user may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts import roles
from portal.remote_calls import OPEN_STATES

from .models import CallKind, Casella, Documento, Stato, Titolare

SORTS = {
    "indirizzo": "casella_pec",
    "-indirizzo": "-casella_pec",
    "titolare": "titolare__denominazione",
    "-titolare": "-titolare__denominazione",
    "stato": "stato",
    "-stato": "-stato",
    "tipo": "tipo_casella",
    "-tipo": "-tipo_casella",
    "scadenza": "data_scadenza",
    "-scadenza": "-data_scadenza",
    "creata": "created_at",
    "-creata": "-created_at",
}


def titolari_for(user) -> QuerySet[Titolare]:
    qs = Titolare.objects.all()
    if roles.is_office(user):
        return qs
    if roles.is_accountant(user):
        return qs.filter(commercialisti=user)
    return qs.none()


def caselle_for(user) -> QuerySet[Casella]:
    qs = Casella.objects.select_related("titolare")
    if roles.is_office(user):
        return qs
    if roles.is_accountant(user):
        return qs.filter(titolare__commercialisti=user)
    return qs.none()


def documenti_for(user) -> QuerySet[Documento]:
    return Documento.objects.filter(casella__in=caselle_for(user))


def search_caselle(
    user,
    *,
    q: str = "",
    stato: str = "",
    tipo: str = "",
    titolare: str = "",
    scadenza_entro: int | None = None,
    sort: str = "",
) -> QuerySet[Casella]:
    qs = caselle_for(user)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(casella_pec__icontains=q)
            | Q(titolare__denominazione__icontains=q)
            | Q(titolare__cognome__icontains=q)
            | Q(titolare__nome__icontains=q)
            | Q(titolare__codice_fiscale__iexact=q.replace(" ", ""))
            | Q(titolare__partita_iva__iexact=q.replace(" ", ""))
            | Q(richiedente__codice_fiscale__iexact=q.replace(" ", ""))
        )
    if stato in Stato.values:
        qs = qs.filter(stato=stato)
    if tipo:
        qs = qs.filter(tipo_casella=tipo)
    if titolare and str(titolare).isdigit():
        qs = qs.filter(titolare_id=int(titolare))
    if scadenza_entro is not None:
        today = timezone.localdate()
        qs = qs.filter(
            data_scadenza__isnull=False,
            data_scadenza__lte=today + dt.timedelta(days=scadenza_entro),
        )
    return qs.order_by(SORTS.get(sort, "-created_at"), "pk")


def titolari_with_counts(user, q: str = "") -> QuerySet[Titolare]:
    qs = titolari_for(user).annotate(n_caselle=Count("caselle"))
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(denominazione__icontains=q)
            | Q(cognome__icontains=q)
            | Q(nome__icontains=q)
            | Q(codice_fiscale__iexact=q)
            | Q(partita_iva__iexact=q)
        )
    return qs


def attivazione_in_corso(casella: Casella) -> bool:
    return casella.calls.filter(kind=CallKind.ATTIVAZIONE, state__in=OPEN_STATES).exists()


def last_failed_call(casella: Casella):
    return casella.calls.filter(state="failed").order_by("-finished_at").first()


def is_live(casella: Casella) -> bool:
    """Does the box page need to refresh itself (something is moving)?"""
    return casella.is_moving or attivazione_in_corso(casella)
