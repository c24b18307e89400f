"""`{% personal_part "template.html" %}`: a part of a page rendered per request even when the page comes from
the personal cache (core.personal_cache), e.g. the unread-notifications badge in the menu."""

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from core.personal_cache import is_recording, part_placeholder

register = template.Library()


@register.simple_tag(takes_context=True)
def personal_part(context: Any, template_name: str) -> SafeString:
    request = context.get("request")
    if request is not None and is_recording(request):
        return mark_safe(part_placeholder(template_name).decode("ascii"))  # noqa: S308 - our own marker
    return mark_safe(context.template.engine.get_template(template_name).render(context))  # noqa: S308 - rendered
