"""Price list in EUR (VAT excluded) of the paid PEC operations.

Sources: openapi-notes.md section 8 (product pages, undated).  Values marked ASSUMED are not
published anywhere we could find; they are plausible placeholders, to be replaced with the
account's real price list.  The portal shows these before the user confirms a paid call, and the
sandbox charges exactly these amounts.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from .types import TIPO_CASELLA_RANK, TipoCasella

__all__ = [
    "ASSUMED",
    "BOX_PRICES",
    "PAID_OPERATIONS",
    "Operation",
    "price",
]


class Operation(StrEnum):
    REGISTRAZIONE = "registrazione"  # POST /pec
    RINNOVO = "rinnovo"  # GET /pec/{id}/rinnovo
    MODIFICA = "modifica"  # PATCH /pec/{id}/modifica
    CONSERVAZIONE = "conservazione"  # PATCH /pec/{id}/conservazione
    TRASFORMAZIONE = "trasformazione"  # PATCH /pec/{id}/trasformazione
    MULTIUTENZA = "multiutenza"  # POST /pec/{id}/multiutenza
    COMUNICA = "comunica"  # POST /comunica_pec


PAID_OPERATIONS: frozenset[Operation] = frozenset(Operation)

#: Yearly price of a box (registration includes the first year; renewal = this x years).
BOX_PRICES: dict[TipoCasella, Decimal] = {
    TipoCasella.STANDARD: Decimal("11.00"),  # published
    TipoCasella.BRONZE: Decimal("19.00"),  # ASSUMED
    TipoCasella.SILVER: Decimal("35.00"),  # ASSUMED
    TipoCasella.GOLD: Decimal("64.00"),  # published
    TipoCasella.DOMICILIODIGITALE: Decimal("4.50"),  # published
    TipoCasella.PECMASSIVA: Decimal("99.00"),  # published (PEC Massiva Standard, per year)
}

DISK_PER_GB = Decimal("5.00")  # ASSUMED: each extra 1024 MB of spazio_disco
STORICO_PER_GB = Decimal("5.00")  # ASSUMED: each extra 1024 MB of spazio_storico
CONSERVAZIONE_PER_512 = Decimal("10.00")  # ASSUMED: each extra 512 MB of spazio_conservazione
CONSERVAZIONE_ACTIVATION = Decimal("25.00")  # ASSUMED: activation incl. the first 512 MB
MULTIUTENZA_PER_USER = Decimal("5.00")  # ASSUMED: each extra user
COMUNICA = Decimal("15.70")  # published second-hand (console pricing page)

#: Which amounts are guesses, for the UI to flag.
ASSUMED: frozenset[str] = frozenset(
    {
        "BRONZE",
        "SILVER",
        "modifica",
        "conservazione",
        "multiutenza",
        "trasformazione",
    }
)

_CENT = Decimal("0.01")


def _box(tipo_casella: Any) -> Decimal:
    try:
        return BOX_PRICES[TipoCasella(str(tipo_casella).upper())]
    except (ValueError, KeyError):
        raise ValueError(f"unknown tipo_casella {tipo_casella!r}") from None


def price(
    operation: Operation | str,
    tipo_casella: TipoCasella | str | None = None,
    anni: int = 1,
    **kw: Any,
) -> Decimal:
    """Price in EUR of one paid call.

    - ``registrazione``/``rinnovo``: ``tipo_casella`` required; ``anni`` years (rinnovo).
    - ``modifica``: the space *added*, in MB: ``disco_mb``, ``storico_mb``, ``conservazione_mb``
      (rounded up to whole 1024/512 blocks).
    - ``conservazione``: ``spazio_conservazione`` MB (default 512).
    - ``trasformazione``: ``tipo_casella`` = the target type, ``da`` = the current type; the
      difference of the yearly prices (ASSUMED), never below zero.
    - ``multiutenza``: per user (``utenti``, default 1).
    - ``comunica``: flat.
    """
    op = Operation(str(operation))
    if op is Operation.REGISTRAZIONE:
        total = _box(tipo_casella)
    elif op is Operation.RINNOVO:
        if int(anni) < 1:
            raise ValueError("anni must be >= 1")
        total = _box(tipo_casella) * int(anni)
    elif op is Operation.MODIFICA:
        disco = -(-int(kw.get("disco_mb", 0) or 0) // 1024)
        storico = -(-int(kw.get("storico_mb", 0) or 0) // 1024)
        conservazione = -(-int(kw.get("conservazione_mb", 0) or 0) // 512)
        total = (
            DISK_PER_GB * max(disco, 0)
            + STORICO_PER_GB * max(storico, 0)
            + CONSERVAZIONE_PER_512 * max(conservazione, 0)
        )
    elif op is Operation.CONSERVAZIONE:
        blocks = -(-int(kw.get("spazio_conservazione", 512) or 512) // 512)
        total = CONSERVAZIONE_ACTIVATION + CONSERVAZIONE_PER_512 * max(blocks - 1, 0)
    elif op is Operation.TRASFORMAZIONE:
        target = _box(tipo_casella)
        current = _box(kw["da"]) if kw.get("da") else Decimal("0")
        total = max(target - current, Decimal("0"))
    elif op is Operation.MULTIUTENZA:
        total = MULTIUTENZA_PER_USER * int(kw.get("utenti", 1))
    else:
        total = COMUNICA
    return total.quantize(_CENT)


def is_upgrade(da: TipoCasella | str, a: TipoCasella | str) -> bool:
    """True when ``a`` is a strictly higher Legalmail type than ``da``."""
    try:
        return (
            TIPO_CASELLA_RANK[TipoCasella(str(a).upper())]
            > TIPO_CASELLA_RANK[TipoCasella(str(da).upper())]
        )
    except (ValueError, KeyError):
        return False
