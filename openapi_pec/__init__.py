"""Client of Openapi's PEC API (pec.openapi.it).  No Django imports anywhere in this package.

from openapi_pec import PecClient, errors, types
"""

from . import domains, errors, prices, types
from .auth import FileTokenStore, MemoryTokenStore, TokenStore, pec_scopes
from .client import (
    PRODUCTION_OAUTH_URL,
    PRODUCTION_PEC_URL,
    SANDBOX_OAUTH_URL,
    SANDBOX_PEC_URL,
    PecClient,
)
from .transport import RetryPolicy

__all__ = [
    "PRODUCTION_OAUTH_URL",
    "PRODUCTION_PEC_URL",
    "SANDBOX_OAUTH_URL",
    "SANDBOX_PEC_URL",
    "FileTokenStore",
    "MemoryTokenStore",
    "PecClient",
    "RetryPolicy",
    "TokenStore",
    "domains",
    "errors",
    "pec_scopes",
    "prices",
    "types",
]
