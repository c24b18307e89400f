from django import template
from django.utils.safestring import SafeString

from blueprints import storage
from blueprints.licences import LICENCE_SUMMARIES, Licence, licence_url
from core.markdown import render_markdown

register = template.Library()


@register.filter
def preview_src(key: str) -> str:
    """A presigned URL for a preview we rendered (never a member's own bytes)."""
    return storage.preview_url(key)


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)


@register.filter
def licence_link(code: str) -> str:
    return licence_url(code)


@register.filter
def licence_summary(code: str) -> str:
    return str(LICENCE_SUMMARIES.get(Licence(code), "")) if code in Licence.values else ""


@register.filter
def measure(values: list[float] | None) -> str:
    """[x, y, z] as "x × y × z" with up to three decimals."""
    if not values:
        return ""
    return " × ".join(f"{value:.3f}".rstrip("0").rstrip(".") for value in values)
