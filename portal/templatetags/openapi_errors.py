"""``{{ call|openapi_error }}``: Openapi's error as a sentence of ours, its own words behind
"dettagli tecnici" (``portal.openapi_messages``). Takes a remote call, an Openapi exception or a
stored message."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

from portal import openapi_messages

register = template.Library()


def _explained(value) -> openapi_messages.Explained:
    if value is None or value == "":
        return openapi_messages.explain("")
    if isinstance(value, str):
        return openapi_messages.explain(value)
    if hasattr(value, "last_error"):
        return openapi_messages.explain_call(value)
    return openapi_messages.explain_error(value)


@register.filter
def openapi_error(value):
    explained = _explained(value)
    if not explained.text and not explained.detail:
        return ""
    if not explained.detail:
        return format_html('<span class="openapi-error">{}</span>', explained.text)
    return format_html(
        '<span class="openapi-error">{}</span> <details class="dettagli-tecnici">'
        "<summary>{}</summary><code>{}</code></details>",
        explained.text,
        gettext("dettagli tecnici"),
        explained.detail,
    )


@register.filter
def openapi_error_text(value) -> str:
    """The sentence alone (a title, a message)."""
    return _explained(value).text


@register.filter
def openapi_movement(transaction):
    """A wallet movement's description in the reader's language, Openapi's words as detail."""
    explained = openapi_messages.movement(transaction.description, transaction.amount)
    return format_html(
        '{} <details class="dettagli-tecnici"><summary>{}</summary><code>{}</code></details>',
        explained.text,
        gettext("dettagli tecnici"),
        explained.detail,
    )
