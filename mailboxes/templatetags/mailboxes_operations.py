"""The operations panel of the box page: which operations the box can take now (each a link to
its page stating the cost), the one in progress, the last one's outcome."""

from __future__ import annotations

from django import template

from portal.remote_calls import OPEN_STATES, CallState

from .. import operations
from ..models import OPERATION_KINDS, CallKind

register = template.Library()

URLS = {
    CallKind.RINNOVO: "mailboxes:rinnovo",
    CallKind.MODIFICA: "mailboxes:modifica",
    CallKind.CONSERVAZIONE: "mailboxes:conservazione",
    CallKind.TRASFORMAZIONE: "mailboxes:trasformazione",
    CallKind.MULTIUTENZA: "mailboxes:multiutenza",
    CallKind.REVOCA: "mailboxes:revoca",
}
ORDER = (
    CallKind.RINNOVO,
    CallKind.MODIFICA,
    CallKind.TRASFORMAZIONE,
    CallKind.MULTIUTENZA,
    CallKind.CONSERVAZIONE,
    CallKind.REVOCA,
)


@register.inclusion_tag("mailboxes/operations/partials/panel_body.html", takes_context=True)
def operations_panel(context):
    casella = context["casella"]
    verdicts = operations.offered(casella)
    ops = [
        {
            "kind": kind,
            "label": operations.LABELS[kind],
            "url": URLS[kind],
            "ok": verdicts[kind].ok,
            "reason": verdicts[kind].reason,
        }
        for kind in ORDER
    ]
    calls = casella.calls.filter(kind__in=OPERATION_KINDS).order_by("-created_at")
    current = calls.filter(state__in=OPEN_STATES).first()
    last = calls.exclude(state__in=OPEN_STATES).first()
    # The box was read before the call finished (its answer committed in between): the facts
    # above are older than the outcome, so the panel asks for the box once more.
    stale = bool(
        last
        and last.finished_at
        and casella.updated_at
        and casella.updated_at < last.finished_at
        and last.state == CallState.DONE
    )
    return {
        "casella": casella,
        "ops": ops,
        "offered": [o for o in ops if o["ok"]],
        "not_offered": [o for o in ops if not o["ok"]],
        "current": current,
        "current_label": operations.LABELS.get(current.kind) if current else "",
        "last": last,
        "last_label": operations.LABELS.get(last.kind) if last else "",
        "live": context.get("live", False),
        "stale": stale,
        "users": operations.users_of(casella),
        "max_users": operations.MAX_USERS,
        "legalmail": casella.tipo_casella in operations.LEGALMAIL,
    }
