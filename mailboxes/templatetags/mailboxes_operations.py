"""The operations panel of the box page: which operations the box can take now (each a link to
its page stating the cost), the one in progress, the last one's outcome."""

from __future__ import annotations

from django import template

from portal.remote_calls import OPEN_STATES, CallState

from ..operations.multiutenza import MAX_USERS
from ..operations.registry import in_order, kinds
from ..operations.rules import LEGALMAIL, label_of, offered, users_of

register = template.Library()


@register.inclusion_tag("mailboxes/operations/partials/panel_body.html", takes_context=True)
def operations_panel(context):
    casella = context["casella"]
    verdicts = offered(casella)
    ops = [
        {
            "kind": spec.kind,
            "label": spec.label,
            "url": spec.url_name,
            "irreversible": spec.irreversible,
            "ok": verdicts[spec.kind].ok,
            "reason": verdicts[spec.kind].reason,
        }
        for spec in in_order()
    ]
    calls = casella.calls.filter(kind__in=kinds()).order_by("-created_at")
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
        "current_label": label_of(current.kind) if current else "",
        "last": last,
        "last_label": label_of(last.kind) if last else "",
        "live": context.get("live", False),
        "stale": stale,
        "users": users_of(casella),
        "max_users": MAX_USERS,
        "legalmail": casella.tipo_casella in LEGALMAIL,
    }
