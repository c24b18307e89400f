from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core import views as core_views

api_v1: list[URLPattern | URLResolver] = [
    path("", include("community.api_urls")),
    path("", include("challenges.api_urls")),
    path("", include("blueprints.api_urls")),
    path("", include("submissions.api_urls")),
    path("", include("payments.api_urls")),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("members/", include("community.urls")),
    path("challenges/", include("challenges.urls")),
    path("blueprints/", include("blueprints.urls")),
    path("entries/", include("submissions.urls")),
    path("money/", include("payments.urls")),
]

admin.site.site_header = "Coachworks staff"
admin.site.site_title = "Coachworks"
