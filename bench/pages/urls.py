"""The application's URLs and the floor: `/bench/floor/`, a fixed small response through the whole
middleware stack (sessions, CSRF, CSP, locale, axes ...) with no database query and no template."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler404 as handler404
from config.urls import urlpatterns as application_urlpatterns

FLOOR_PATH = "/bench/floor/"
FLOOR_BODY = b"floor\n"


def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(FLOOR_BODY, content_type="text/plain; charset=utf-8")


urlpatterns = [
    path(FLOOR_PATH.lstrip("/"), floor, name="bench-floor"),
    *application_urlpatterns,
]
