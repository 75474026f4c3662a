"""Client of Openapi's Company API (company.openapi.com).  No Django imports anywhere in this
package; it stands on openapi_pec's transport, tokens and errors.

from openapi_company import CompanyClient, errors, types
"""

from openapi_pec import errors
from openapi_pec.base import PRODUCTION_OAUTH_URL, SANDBOX_OAUTH_URL

from . import types
from .cache import MemoryResultCache, ResultCache
from .client import (
    DEFAULT_CACHE_TTL,
    PRODUCTION_COMPANY_URL,
    SANDBOX_COMPANY_URL,
    CompanyClient,
    normalize_code,
)
from .hosts import company_scopes

__all__ = [
    "DEFAULT_CACHE_TTL",
    "PRODUCTION_COMPANY_URL",
    "PRODUCTION_OAUTH_URL",
    "SANDBOX_COMPANY_URL",
    "SANDBOX_OAUTH_URL",
    "CompanyClient",
    "MemoryResultCache",
    "ResultCache",
    "company_scopes",
    "errors",
    "normalize_code",
    "types",
]
