"""Link tokens: long and random; only their SHA-256 is stored, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: 32 random bytes: 43 URL-safe characters.
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def matches(token: str, stored: str) -> bool:
    return hmac.compare_digest(digest(token), stored)


def well_formed(token: str) -> bool:
    """A token the portal could have made (anything else is not looked up)."""
    return 40 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)
