"""Syncing with the Openapi account: GET /comunica_pec updates the known requests and imports
those started outside the portal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openapi_pec import types
from portal.history import Sentence
from portal.openapi import get_client

from ..models import ComunicaCallKind, Evento, RichiestaComunicazione, StatoRichiesta
from .calls import open_calls
from .creation import link_holder
from .history import record
from .mirror import apply_remote, fit


@dataclass
class SyncResult:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


def sync_account(*, now: dt.datetime | None = None) -> SyncResult:
    """GET /comunica_pec: update the known requests, import those started elsewhere."""
    now = now or timezone.now()
    api = get_client()
    result = SyncResult()
    items = api.list_comunica()
    known = {
        r.remote_id: r
        for r in RichiestaComunicazione.objects.filter(remote_id__in=[i.id for i in items if i.id])
    }
    # A request whose POST outcome is still unclear may be one of these: never import it.
    sending = set(
        open_calls(kind=ComunicaCallKind.CREATE).values_list("richiesta__casella_pec", flat=True)
    )
    for item in items:
        if not item.id:
            continue
        r = known.get(item.id)
        if r is not None:
            if str(item.stato) != r.stato or r.last_synced_at is None:
                apply_remote(r, api.get_comunica(item.id), now=now)
                result.updated += 1
            else:
                RichiestaComunicazione.objects.filter(pk=r.pk).update(last_synced_at=now)
                result.unchanged += 1
            continue
        if item.casella_pec.strip().lower() in sending:
            result.skipped += 1
            continue
        _import(api.get_comunica(item.id), now=now)
        result.imported += 1
    return result


def _import(remote: types.Comunica, *, now) -> RichiestaComunicazione | None:
    M = RichiestaComunicazione
    with transaction.atomic():
        if M.objects.filter(remote_id=remote.id).exists():
            return None
        titolare, casella = link_holder(remote.cf_piva.upper(), remote.casella_pec)
        r = M.objects.create(
            remote_id=remote.id,
            casella_pec=fit(M, "casella_pec", remote.casella_pec.strip().lower()),
            pec_amministratore=bool(remote.pec_amministratore),
            ragione_sociale=fit(M, "ragione_sociale", remote.ragione_sociale),
            cf_piva=fit(M, "cf_piva", remote.cf_piva.upper()),
            comune=fit(M, "comune", remote.comune),
            provincia=fit(M, "provincia", remote.provincia.upper()),
            cf=fit(M, "cf", remote.cf.upper()),
            nome=fit(M, "nome", remote.nome),
            cognome=fit(M, "cognome", remote.cognome),
            qualifica=fit(M, "qualifica", remote.qualifica),
            email=fit(M, "email", remote.email),
            cellulare=fit(M, "cellulare", remote.cellulare),
            stato=StatoRichiesta.NUOVA,
            importata=True,
            titolare=titolare,
            casella=casella,
        )
        record(
            r, Evento.Tipo.SYNC, Sentence(_("Importata da Openapi (avviata fuori dal portale)."))
        )
    return apply_remote(r, remote, now=now)
