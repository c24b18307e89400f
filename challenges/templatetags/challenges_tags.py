from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.safestring import SafeString

from core.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Members' Markdown as sanitised HTML."""
    return render_markdown(text)


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    """`12.000,00 EUR` in German, `12,000.00 EUR` in English."""
    if amount is None:
        return ""
    return f"{number_format(amount, decimal_pos=2, force_grouping=True)} {currency}".strip()
