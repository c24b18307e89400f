from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import health_report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 only while the database, Redis and S3 answer (a load balancer sends traffic here)."""
    checks = health_report()
    healthy = all(result == "ok" for result in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


@never_cache
@require_GET
def healthz_live(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches no database, cache or storage, so an outage of one of them
    never makes an orchestrator restart every web process (that is what readiness, `/healthz`, is for)."""
    return HttpResponse(b"ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def server_error(request: HttpRequest) -> HttpResponse:
    """An unexpected failure: under `/api/` the contract's JSON body (programs parse it), elsewhere the site's page."""
    if request.path.startswith("/api/"):
        message = _("Something went wrong on our side. Try again later.")
        return JsonResponse({"message": message, "extra": {}}, status=500)
    return defaults.server_error(request)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A URL that matches no route: under `/api/` the contract's JSON body, elsewhere the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"message": _("Not found."), "extra": {}}, status=404)
    return defaults.page_not_found(request, exception)
