from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path, reverse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views
from core.dev_mails import mail_detail, mail_list
from core.icons import favicon


def _admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin signs staff in through allauth's form, never its own: one sign-in, with its rules."""
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"), reverse("account_login"))


# The admin's own login form would skip e-mail confirmation (and the second factor): send staff to allauth's.
admin.site.login = _admin_login  # type: ignore[method-assign]

api_v1: list[URLPattern | URLResolver] = [
    path("", include("community.api_urls")),
    path("", include("challenges.api_urls")),
    path("", include("blueprints.api_urls")),
    path("", include("submissions.api_urls")),
    path("", include("payments.api_urls")),
    path("", include("dossiers.api_urls")),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="api-schema"),
    # The split view serves its start-up script as a file and the template keeps styles in a static file:
    # the Content-Security-Policy allows no inline script or style. (No Redoc page: its bundle injects
    # <style> elements before any nonce can reach it, and wants a blob: worker and an image from its CDN.)
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("healthz/live", core_views.healthz_live, name="healthz-live"),
    path("favicon.ico", favicon, name="favicon"),
    # Development only (DEBUG and staff; 404 otherwise): the mails the console backend kept (core.dev_mails).
    path("dev/mails/", mail_list, name="dev-mails"),
    path("dev/mails/<str:name>/", mail_detail, name="dev-mail"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("members/", include("community.urls")),
    path("challenges/<slug:slug>/dossier/", include("dossiers.urls")),
    path("challenges/", include("challenges.urls")),
    path("blueprints/", include("blueprints.urls")),
    path("entries/", include("submissions.urls")),
    path("money/", include("payments.urls")),
]

admin.site.site_header = "Coachworks staff"
admin.site.site_title = "Coachworks"

# A URL under /api/ that matches no route answers in the API's error contract, not with an HTML page.
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
