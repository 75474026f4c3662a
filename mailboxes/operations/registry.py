"""The registry of the operations on active boxes: each one is declared once, by an
:class:`OperationSpec` in its own module of this package, and everything else reads it.

The pages (one generic view), the URL patterns, the admin actions, the box page's panel, the
choices of ``CasellaCall.kind`` and the call runner's handler all come from here. A module of
this package that calls :func:`register` is found at start-up (:func:`autodiscover`, from the
app's ``ready()``): adding an operation is its spec module, its client method, its price and the
sandbox's handler.

This module imports nothing of the app, so models.py can read it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.text import format_lazy

#: kind -> spec, in the order they were registered (see :func:`in_order` for the page order).
OPERATIONS: dict[str, OperationSpec] = {}


@dataclass(frozen=True)
class OperationSpec:
    """Everything the portal knows of one operation on an active box.

    ``allowed(casella) -> Verdict``: may the box take it now (after the checks every operation
    shares: registered at Openapi, no other operation open). ``price(casella, values)``: the cost
    of the values of its form (``None``: free). ``start(casella, values, *, intent_key, user)``:
    the service that records the intent (raises ``ValidationError`` with the reason); or
    ``service``, a function whose keyword parameters are named as the form's fields.
    ``handler``: how the call is sent at most once and settled (portal/remote_calls.py)."""

    kind: str  #: stored in CasellaCall.kind; also the URL name (mailboxes:<kind>)
    label: Any  #: short name: the panel's button, messages, the history
    title: Any  #: the heading of its page
    order: int  #: position on the box page
    allowed: Callable[..., Any]
    price: Callable[..., Decimal | None]
    handler: Any
    form: type  #: the portal's form, built with ``casella=``
    admin_form: type  #: the admin action's form, built with ``caselle=``
    #: the admin action's name in its menu; by default the title with an ellipsis
    admin_description: Any = ""
    #: the call's name in the box's calls table and in admin; by default "label (the handler's
    #: endpoint)"
    call_label: Any = None
    path: str = ""  #: the URL segment after the box: caselle/<pk>/<path>/; by default the kind
    admin_action: str = ""  #: the admin action's name; by default op_<kind>
    start: Callable[..., Any] | None = None
    service: Callable[..., Any] | None = None
    #: a form of files asked on the confirmation page (one box at a time in admin)
    uploads: type | None = None
    admin_single_box: Any = ""  #: the message when more than one box is selected
    #: irreversible and free: one page where the user types the box's address, no cost step
    irreversible: bool = False
    intro: Callable[..., str] | None = None  #: text above the form, from the box
    warning: Any = ""  #: stressed above the admin action's table
    admin_intro: Any = ""  #: text above the admin action's table
    form_template: str = "mailboxes/operations/form.html"
    confirm_template: str = "mailboxes/operations/confirm.html"
    #: the price depends on the box's type: a placeholder type price makes it indicative
    priced_by_type: bool = True

    def __post_init__(self) -> None:
        defaults = {
            "call_label": format_lazy("{} ({})", self.label, self.handler.endpoint),
            "admin_description": format_lazy("{}…", self.title),
            "path": self.kind,
            "admin_action": f"op_{self.kind}",
            "start": self.service and calling(self.service),
        }
        for name, value in defaults.items():
            if not getattr(self, name):
                object.__setattr__(self, name, value)

    @property
    def url_name(self) -> str:
        return f"mailboxes:{self.kind}"


def calling(service: Callable[..., Any]) -> Callable[..., Any]:
    """``start`` from a service whose keyword parameters are named as the form's fields: the
    values it names are passed, the others (the admin's batch, the intent key) are not."""
    names = set(inspect.signature(service).parameters) - {"casella", "intent_key", "user"}

    def start(casella, values: dict[str, Any], **kwargs):
        return service(casella=casella, **{k: v for k, v in values.items() if k in names}, **kwargs)

    return start


def register(spec: OperationSpec) -> OperationSpec:
    """Declare an operation; its kind, path and admin action must be new."""
    for other in OPERATIONS.values():
        if other.kind == spec.kind or other.path == spec.path:
            raise ValueError(f"operation {spec.kind!r}: kind or path already registered")
        if other.admin_action == spec.admin_action:
            raise ValueError(f"operation {spec.kind!r}: admin action already registered")
    OPERATIONS[spec.kind] = spec
    return spec


def unregister(kind: str) -> None:
    OPERATIONS.pop(kind, None)


def in_order() -> list[OperationSpec]:
    return sorted(OPERATIONS.values(), key=lambda s: (s.order, s.kind))


def kinds() -> tuple[str, ...]:
    return tuple(OPERATIONS)


def autodiscover() -> None:
    """Import every module of this package: each operation's registers its spec (the others
    register nothing)."""
    package = importlib.import_module(__package__)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{__package__}.{module.name}")
