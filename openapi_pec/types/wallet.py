"""The wallet of the OAuth v2 service (GET /wallet, GET /wallet/transactions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from .parsing import Result, parse_iso, source

__all__ = ["Wallet", "WalletTransaction"]


@dataclass(frozen=True)
class Wallet(Result):
    """GET /wallet on the OAuth v2 host."""

    credit: Decimal
    created_at: dt.datetime | None = field(default=None, metadata=source("createdAt", parse_iso))
    updated_at: dt.datetime | None = field(default=None, metadata=source("updatedAt", parse_iso))


@dataclass(frozen=True)
class WalletTransaction(Result):
    """An item of GET /wallet/transactions (negative amount = expense)."""

    id: str
    amount: Decimal
    created_at: dt.datetime | None = field(metadata=source("createdAt", parse_iso))
    description: str
