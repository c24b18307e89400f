"""`/favicon.ico`: browsers and crawlers ask for it at the root whatever the page links to.

The icons themselves are static files (`static/icons/`, linked from `templates/includes/head_icons.html`);
this answers the one fixed address with the same bytes instead of a 404.
"""

from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

FAVICON = Path(settings.BASE_DIR) / "static" / "icons" / "favicon.ico"


@cache
def _favicon_bytes() -> bytes:
    return FAVICON.read_bytes()


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_favicon_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
