from django import template
from django.utils.safestring import SafeString

from core.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Members' Markdown as sanitised HTML (`core.markdown.render_markdown`)."""
    return render_markdown(text)
