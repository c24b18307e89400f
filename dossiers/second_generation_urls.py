"""URLs of "start again from this dossier": a second-generation challenge from one dossier version."""

from django.urls import path

from dossiers import second_generation

urlpatterns = [
    path("v<int:number>/start-again/", second_generation.start_again, name="start_again"),
]
