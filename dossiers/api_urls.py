"""The dossier API under /api/v1/."""

from django.urls import path

from dossiers import apis

urlpatterns = [
    path("challenges/<slug:slug>/dossier/", apis.DossierLatestApi.as_view(), name="api-dossier"),
    path("challenges/<slug:slug>/dossier/versions/", apis.DossierVersionListApi.as_view(), name="api-dossier-versions"),
    path(
        "challenges/<slug:slug>/dossier/versions/<int:number>/",
        apis.DossierVersionApi.as_view(),
        name="api-dossier-version",
    ),
]
