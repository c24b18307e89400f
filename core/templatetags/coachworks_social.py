"""Open Graph and Twitter card tags, so a link to a challenge or blueprint shared anywhere previews with its title,
summary and picture (`{% social_meta obj title description image %}` in a page's `{% block head %}`)."""

from typing import Any

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.text import Truncator

register = template.Library()

DESCRIPTION_CHARS = 200


def absolute(url: str) -> str:
    """`url` as crawlers need it: presigned S3 URLs are absolute already; our own paths get SITE_URL."""
    if url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL.rstrip("/") + url


@register.inclusion_tag("includes/social_meta.html")
def social_meta(obj: Any, title: str, description: str = "", image: str = "", kind: str = "article") -> dict[str, str]:
    text = " ".join(str(description or "").split())
    return {
        "title": str(title),
        "description": Truncator(text).chars(DESCRIPTION_CHARS),
        "url": absolute(obj.get_absolute_url()),
        "image": absolute(image) if image else "",
        "fallback_image": absolute(static("icons/icon-512.png")),
        "kind": kind,
    }
