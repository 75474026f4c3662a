from django import template

from ..services.statement import euro as _euro
from ..services.statement import it_number

register = template.Library()


@register.filter
def euro(value) -> str:
    """1.234,56 €"""
    return _euro(value)


@register.filter
def it_num(value) -> str:
    return it_number(value)
