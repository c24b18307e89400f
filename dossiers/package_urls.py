"""URLs of the dossier package, under /challenges/<slug>/dossier/."""

from django.urls import URLPattern, path

from dossiers import package_views

urlpatterns: list[URLPattern] = [
    path("v<int:number>/package/", package_views.package, name="package"),
    path("v<int:number>/package/status/", package_views.package_status, name="package_status"),
]
