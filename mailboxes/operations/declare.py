"""Declaring an operation from its module: what every operation's module holds by the same
rule is found there, so its spec names only what is its own (label, title, order, price...).

An operation's module holds ``KIND``, ``allowed(casella) -> Verdict``, ``price_of(casella,
values)`` (the cost of its form's values; None: free), one service under
``@once(KIND)``, one :class:`OperationHandler`, one :class:`OperationForm` (its page) and one
:class:`AdminBatchForm` (its admin action). :func:`declare` builds and registers the spec from
them; an operation may still be registered with a full :class:`OperationSpec` (the tests do).
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

from .forms import AdminBatchForm, OperationForm
from .handlers import OperationHandler
from .registry import OperationSpec, register


def _one(module, what: str, test) -> Any:
    found = [
        value
        for value in vars(module).values()
        if getattr(value, "__module__", None) == module.__name__ and test(value)
    ]
    if len(found) != 1:
        raise ValueError(f"{module.__name__}: {len(found)} {what}, one expected")
    return found[0]


def _subclass(base: type):
    return lambda value: inspect.isclass(value) and issubclass(value, base)


def declare(module_name: str, **spec: Any) -> OperationSpec:
    """Register the operation of the module ``module_name``; ``spec``: the rest of its
    :class:`OperationSpec`."""
    module = sys.modules[module_name]
    kind = module.KIND
    return register(
        OperationSpec(
            kind=kind,
            allowed=module.allowed,
            price=module.price_of,
            service=_one(module, "services", lambda v: getattr(v, "intent_kind", None) == kind),
            handler=_one(module, "handlers", _subclass(OperationHandler))(),
            form=_one(module, "page forms", _subclass(OperationForm)),
            admin_form=_one(module, "admin forms", _subclass(AdminBatchForm)),
            **spec,
        )
    )
