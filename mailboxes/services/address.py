"""Is an address right for a box type, and free? (the registration form asks as one types)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from openapi_pec import domains, errors
from portal.openapi_messages import explain_error

from .. import remote
from ..models import Casella, Stato, TipoCasellaChoices


@dataclass(frozen=True)
class AddressCheck:
    ok: bool
    message: str
    field: str = "casella_pec"


def expected_domain(tipo_casella: str) -> str:
    return domains.expected_domain(tipo_casella, remote.is_sandbox())


def check_address(*, tipo_casella: str, address: str, use_cache: bool = True) -> AddressCheck:
    """The domain rule for the type, a custom domain through domini_pec, then verifica_pec."""
    address = (address or "").strip().lower()
    if not address:
        return AddressCheck(False, _("Scrivi l'indirizzo della casella."))
    try:
        validate_email(address)
    except ValidationError:
        return AddressCheck(False, _("Non è un indirizzo e-mail valido."))
    if not tipo_casella:
        return AddressCheck(False, _("Scegli prima il tipo di casella."), "tipo_casella")
    local, domain = address.split("@", 1)
    expected = expected_domain(tipo_casella)
    if len(local) < 3:
        return AddressCheck(False, _("Il nome della casella (prima di @) ha almeno 3 caratteri."))
    if Casella.objects.filter(casella_pec=address).exclude(stato=Stato.NON_REGISTRATA).exists():
        return AddressCheck(False, _("Questo indirizzo è già registrato nel portale."))
    key = f"mailboxes:check:{tipo_casella}:{address}"
    if use_cache and (hit := cache.get(key)) is not None:
        return AddressCheck(*hit)
    client = remote.get_client()
    try:
        if domain != expected:
            found = client.domini_pec(domain).found
            if not found:
                result = AddressCheck(
                    False,
                    _(
                        "Per una casella %(tipo)s l'indirizzo deve finire in @%(domain)s, "
                        "oppure usare un dominio certificato del tuo account: %(custom)s non lo è."
                    )
                    % {
                        "tipo": TipoCasellaChoices.label_of(tipo_casella),
                        "domain": expected,
                        "custom": domain,
                    },
                )
                cache.set(key, (result.ok, result.message, result.field), 60)
                return result
        available = client.verifica_pec(address)
    except errors.TransientError:
        return AddressCheck(False, _("Openapi non risponde: riprova tra poco."))
    except errors.OpenapiError as exc:
        return AddressCheck(
            False, _("Openapi rifiuta l'indirizzo: %(msg)s") % {"msg": explain_error(exc).text}
        )
    if available:
        result = AddressCheck(True, _("%(address)s è disponibile.") % {"address": address})
    else:
        result = AddressCheck(False, _("%(address)s è già occupato.") % {"address": address})
    cache.set(key, (result.ok, result.message, result.field), 30)
    return result
