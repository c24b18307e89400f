"""Pages of a challenge's dossier, under /challenges/<slug>/dossier/ (each part of the app brings its own)."""

from django.urls import include, path

app_name = "dossiers"

urlpatterns = [
    path("", include("dossiers.page_urls")),
    path("", include("dossiers.bom_urls")),
    path("", include("dossiers.package_urls")),
    path("", include("dossiers.assembly_urls")),
    path("", include("dossiers.second_generation_urls")),
]
