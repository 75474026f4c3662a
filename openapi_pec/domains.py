"""Address domain rules per box type and environment (POST /pec description in the OAS).

Without a certified domain of its own, a box address must end in the domain of its type.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

from .types import LEGALMAIL_TYPES, TipoCasella

__all__ = [
    "PRODUCTION_DOMAINS",
    "PRODUCTION_PEC_HOST",
    "SANDBOX_DOMAINS",
    "SANDBOX_PEC_HOST",
    "expected_domain",
    "is_sandbox_url",
    "pec_host_for_url",
]

PRODUCTION_PEC_HOST = "pec.openapi.it"
SANDBOX_PEC_HOST = "test.pec.openapi.it"

PRODUCTION_DOMAINS: dict[str, str] = {
    **{str(t): "legalmail.it" for t in LEGALMAIL_TYPES},
    TipoCasella.DOMICILIODIGITALE: "domiciliodigitale.com",
    TipoCasella.PECMASSIVA: "pecmassiva.com",
}

SANDBOX_DOMAINS: dict[str, str] = {
    **{str(t): "testcert.legalmail.it" for t in LEGALMAIL_TYPES},
    TipoCasella.DOMICILIODIGITALE: "test.domiciliodigitale.com",
    # ASSUMED: the OAS names no sandbox domain for PECMASSIVA; by analogy with
    # test.domiciliodigitale.com we assume test.pecmassiva.com.
    TipoCasella.PECMASSIVA: "test.pecmassiva.com",
}


def expected_domain(tipo_casella: TipoCasella | str, sandbox: bool) -> str:
    """The domain a box address of this type must end in (without a custom domain)."""
    table = SANDBOX_DOMAINS if sandbox else PRODUCTION_DOMAINS
    key = str(tipo_casella).upper()
    if key not in table:
        raise ValueError(f"unknown tipo_casella {tipo_casella!r}")
    return table[key]


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_sandbox_url(url: str) -> bool:
    """True for Openapi's test hosts (``test.*``) and for a local sandbox on loopback."""
    host = (urlparse(url).hostname or "").lower()
    return host.startswith("test.") or _is_loopback(host)


def pec_host_for_url(pec_url: str) -> str:
    """The host name to put in token scopes for this PEC base URL.  A loopback URL is the local
    sandbox, which stands for ``test.pec.openapi.it``."""
    host = (urlparse(pec_url).hostname or "").lower()
    if not host or _is_loopback(host):
        return SANDBOX_PEC_HOST
    return host
