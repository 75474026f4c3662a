"""Registering the new Openapi boxes of an imported file, in one batch: the rows are judged again,
their total price shown against the wallet credit, and once confirmed each row becomes one
registration intent, recorded and sent exactly as the single registration does
(mailboxes.services.registration.request_registration, at most once per intent: its key is the
batch's id and the row's number, so a repeated confirmation records nothing new)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError

from mailboxes.models import CallKind, CasellaCall, Titolare
from mailboxes.services import registration

from . import import_boxes, importing


@dataclass
class Plan:
    rows: list[importing.Row]
    #: codice fiscale -> holder, for the rows whose holder is in the portal
    holders: dict[str, Titolare]
    #: rows whose holder is not in the portal (their file was not imported, or not that row)
    without_holder: int = 0

    @property
    def total(self) -> Decimal:
        return import_boxes.total_price(self.rows)


def plan(content: bytes) -> Plan:
    """The rows of the file that ask for a new Openapi box and can be registered now."""
    rows = importing.preview(content).to_register
    ids = importing.holder_ids(rows)
    holders = {t.codice_fiscale: t for t in Titolare.objects.filter(pk__in=ids.values())}
    ready = [r for r in rows if r.code in holders]
    for r in ready:
        r.holder = holders[r.code]
    return Plan(ready, holders, len(rows) - len(ready))


def intent_key(batch: str, row_number: int) -> str:
    return f"import:{batch}:{row_number}"


@dataclass
class Started:
    calls: list[CasellaCall] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  #: (address, reason)


def start(content: bytes, *, batch: str, user) -> Started:
    """One registration intent per row (each in its own transaction, its task enqueued after
    commit); a row that cannot be recorded (its address taken meanwhile) is reported and the
    others go ahead."""
    todo = plan(content)
    out = Started()
    for row in todo.rows:
        box = row.box_clean
        try:
            call = registration.request_registration(
                titolare=todo.holders[row.code],
                tipo_casella=box["tipo_casella"],
                casella_pec=box["casella_pec"],
                richiedente=box["richiedente"],
                autorinnovo=box["autorinnovo"],
                intent_key=intent_key(batch, row.number),
                user=user,
            )
        except ValidationError as exc:
            out.refused.append((box["casella_pec"], " ".join(exc.messages)))
            continue
        out.calls.append(call)
    return out


def batch_calls(batch: str):
    """The registration intents of a batch, in the file's order."""
    return (
        CasellaCall.objects.filter(
            intent_key__startswith=intent_key(batch, 0)[:-1], kind=CallKind.REGISTRAZIONE
        )
        .select_related("casella")
        .order_by("pk")
    )


@dataclass
class Progress:
    batch: str
    calls: list[CasellaCall]

    @property
    def open(self) -> bool:
        return any(c.is_open for c in self.calls)

    @property
    def done(self) -> int:
        return sum(1 for c in self.calls if c.state == "done")

    @property
    def failed(self) -> int:
        return sum(1 for c in self.calls if c.state == "failed")

    @property
    def charged(self) -> Decimal:
        return sum((c.price or Decimal("0") for c in self.calls if c.state == "done"), Decimal(0))


def progress(batch: str) -> Progress:
    return Progress(batch, list(batch_calls(batch)))
