"""Reading the Registro Imprese's data of the client companies from the Company API.

Each lookup is paid and kept (compliance/company.py): a company is asked for once within
COMPANY_API_CACHE_SECONDS, whoever asks.  ``refresh`` asks again regardless, after a filing
(a comunica request evasa since the last check) or when the office asks for it."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from comunica.models import RichiestaComunicazione, StatoRichiesta
from mailboxes.models import Titolare
from openapi_company import errors, types
from openapi_pec.types import TipoCliente

from ..company import get_company_client
from ..models import CompanyCheck

log = logging.getLogger(__name__)

#: CompanyCheck.error values (the page says them in Italian, never Openapi's English).
NOT_FOUND, NO_CREDIT, UNAVAILABLE = "not_found", "no_credit", "unavailable"


@dataclass(frozen=True)
class Director:
    """The person who must have a PEC of their own (the first of the roles, in order)."""

    nome: str
    cognome: str
    codice_fiscale: str
    role: str
    role_description: str = ""
    birth_date: str = ""
    birth_town: str = ""
    gender: str = ""


def company_holders():
    """The holders the compliance page checks: the client companies."""
    return Titolare.objects.filter(tipo_cliente=TipoCliente.IMPRESA.value)


def company_code(titolare: Titolare) -> str:
    return titolare.partita_iva or titolare.codice_fiscale


def obliged_director(people: types.Stakeholders, roles: list[str]) -> Director | None:
    """The amministratore unico, else the amministratore delegato, else the presidente del CdA
    (``roles``, in order): the first person holding one of them."""
    for role in roles:
        for manager in people.with_role(role):
            if not manager.is_person:
                continue
            description = next((r.description for r in manager.roles if str(r.code) == role), "")
            return Director(
                nome=manager.name.title(),
                cognome=manager.surname.title(),
                codice_fiscale=manager.tax_code,
                role=role,
                role_description=description,
                birth_date=manager.birth_date.isoformat() if manager.birth_date else "",
                birth_town=manager.birth_town,
                gender=manager.gender,
            )
    return None


def _older(fetched_at, watched_at) -> bool:
    return bool(fetched_at and watched_at and fetched_at < watched_at)


def check_company(titolare: Titolare, *, refresh: bool = False, client=None) -> CompanyCheck:
    """Read the company's registered PEC, whether it ceased, its legal form and (when the form
    obliges one) its director; store them in its CompanyCheck."""
    client = client or get_company_client()
    code = company_code(titolare)
    check, _created = CompanyCheck.objects.get_or_create(titolare=titolare)
    check.error = ""
    try:
        registered = client.pec(code, refresh=refresh)
        closure = client.closed(code, refresh=refresh)
        profile = client.advanced(code, refresh=refresh)
        # a monitor's news newer than a kept answer wins over it
        if not _older(registered.fetched_at, check.watched_at):
            check.registered_pec = registered.pec.lower()
            check.pec_history = [
                {"pec": h.pec, "until": h.until.isoformat() if h.until else ""}
                for h in registered.history
            ]
        if not _older(closure.fetched_at, check.watched_at):
            check.ceased = closure.ceased
        check.legal_form = profile.legal_form
        check.legal_form_description = profile.legal_form_description
        check.director_obliged = profile.legal_form in settings.COMPLIANCE_DIRECTOR_LEGAL_FORMS
        check.director = None
        if check.director_obliged and not check.ceased:
            people = client.stakeholders(code, refresh=refresh)
            director = obliged_director(people, list(settings.COMPLIANCE_DIRECTOR_ROLES))
            check.director = asdict(director) if director else None
    except errors.NotFound:
        check.error = NOT_FOUND
    except errors.InsufficientCredit:
        check.error = NO_CREDIT
    except errors.OpenapiError as exc:
        log.warning("compliance: check of holder #%s failed: %s", titolare.pk, exc)
        check.error = UNAVAILABLE
    check.checked_at = timezone.now()
    check.save()
    return check


def filed_since_check(titolare: Titolare, check: CompanyCheck | None) -> bool:
    """Whether a comunica request for the company was evasa after its last check: the
    registered PEC is then read again (not from the cache)."""
    if check is None or check.checked_at is None:
        return False
    codes = {c for c in (titolare.partita_iva, titolare.codice_fiscale) if c}
    latest = RichiestaComunicazione.objects.filter(
        Q(titolare=titolare) | Q(cf_piva__in=codes),
        stato=StatoRichiesta.COMUNICAZIONE_EVASA,
    ).aggregate(at=Max("evasa_at"))["at"]
    return latest is not None and latest > check.checked_at


def check_portfolio(*, refresh: bool = False, holders=None) -> int:
    """Check every client company (the cache answers those asked for within the period);
    returns how many were checked."""
    client = get_company_client()
    count = 0
    qs = holders if holders is not None else company_holders()
    for titolare in qs.select_related("compliance_check").iterator(chunk_size=200):
        check = getattr(titolare, "compliance_check", None)
        again = refresh or filed_since_check(titolare, check)
        check_company(titolare, refresh=again, client=client)
        count += 1
    return count
