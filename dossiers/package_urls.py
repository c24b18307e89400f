"""URLs of the dossier package."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
