"""URLs of the dossier page: the latest version and each version by number."""

from django.urls import path

from dossiers import views

urlpatterns = [
    path("", views.dossier_page, name="page"),
    path("v<int:number>/", views.dossier_page, name="version"),
]
