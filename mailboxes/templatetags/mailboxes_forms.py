"""Rendering a form's fields the same way on every page: a label holding the field, its errors
and its help text."""

from django import template

from ..choices import TipoCasellaChoices

register = template.Library()


@register.filter
def tipo_label(code: str):
    """A box type's name for people (STANDARD -> Legalmail Standard)."""
    return TipoCasellaChoices.label_of(str(code or ""))


@register.inclusion_tag("mailboxes/partials/fields.html")
def field_grid(form, names: str):
    """The fields named (separated by spaces) side by side in a grid row."""
    return {"fields": [form[name] for name in names.split()], "grid": True}


@register.inclusion_tag("mailboxes/partials/fields.html")
def field(form, name: str):
    """One field, on its own row."""
    return {"fields": [form[name]], "grid": False}
