"""The wallet of the OAuth v2 service (GET /wallet, GET /wallet/transactions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .parsing import Record, parse_iso, source

__all__ = ["Wallet", "WalletTransaction"]


@dataclass(frozen=True)
class Wallet(Record):
    """GET /wallet on the OAuth v2 host."""

    credit: Decimal
    created_at: dt.datetime | None = field(default=None, metadata=source("createdAt", parse_iso))
    updated_at: dt.datetime | None = field(default=None, metadata=source("updatedAt", parse_iso))
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class WalletTransaction(Record):
    """An item of GET /wallet/transactions (negative amount = expense)."""

    id: str
    amount: Decimal
    created_at: dt.datetime | None = field(metadata=source("createdAt", parse_iso))
    description: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
